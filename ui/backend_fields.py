"""The input widgets of a backend's settings, generated from its connector's JSON schema: a text field, a number,
a choice, a switch, a list ("a, b") or an inline TOML table per property."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from tickets.connectors import TYPES, connector_class
from tickets.errors import TicketError

from .plain import plain_tooltip


def available_types() -> list[tuple[str, str]]:
    """(type, title) of every connector that is installed, in the registry's order."""
    out = []
    for t in TYPES:
        try:
            out.append((t, connector_class(t).title))
        except (ImportError, TicketError):
            continue
    return out


class Field:
    """One schema property as an input widget."""

    def __init__(self, key: str, spec: dict[str, Any], required: bool) -> None:
        self.key, self.spec, self.required = key, spec, required
        self.default = spec.get("default")
        self.kind = "enum" if "enum" in spec else str(spec.get("type", "string"))
        desc = str(spec.get("description", ""))
        self.widget: QWidget
        if self.kind == "enum":
            box = QComboBox()
            box.addItems([str(v) for v in spec["enum"]])
            if self.default is not None:
                box.setCurrentText(str(self.default))
            self.widget = box
        elif self.kind == "boolean":
            self.widget = QCheckBox()
            self.widget.setChecked(bool(self.default))
        else:
            edit = QLineEdit()
            if self.kind == "integer":
                edit.setValidator(QIntValidator(int(spec.get("minimum", 0)), int(spec.get("maximum", 2**31 - 1))))
            if self.kind == "array":
                edit.setPlaceholderText(desc or "values separated by commas")
            elif self.kind == "object":
                edit.setPlaceholderText(f"{desc + ', as ' if desc else ''}{{ key = value, … }}")
            else:
                edit.setPlaceholderText(desc)
            self.widget = edit
        self.widget.setToolTip(plain_tooltip(desc))
        self.widget.setAccessibleName(key)

    def connect(self, slot: Callable[[], None]) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            w.currentTextChanged.connect(lambda _t: slot())
        elif isinstance(w, QCheckBox):
            w.toggled.connect(lambda _b: slot())
        elif isinstance(w, QLineEdit):
            w.textChanged.connect(lambda _t: slot())

    def set(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            w.setCurrentText(str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QLineEdit):
            if self.kind == "array" and isinstance(value, list):
                w.setText(", ".join(str(v) for v in value))
            elif self.kind == "object" and isinstance(value, dict):
                w.setText("{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
                          if value else "")
            else:
                w.setText("" if value is None else str(value))

    def get(self) -> Any:
        """The value to write, or None to leave the key out (empty, or equal to the default)."""
        w = self.widget
        value: Any
        if isinstance(w, QComboBox):
            value = w.currentText()
        elif isinstance(w, QCheckBox):
            value = w.isChecked()
        else:
            assert isinstance(w, QLineEdit)
            text = w.text().strip()
            if not text:
                return None
            if self.kind == "integer":
                value = int(text)
            elif self.kind == "array":
                value = [v.strip() for v in text.split(",") if v.strip()]
            elif self.kind == "object":
                try:
                    value = tomllib.loads(f"v = {text}")["v"]
                except tomllib.TOMLDecodeError as exc:
                    raise ValueError(f"{self.key}: not a TOML inline table ({exc}); write e.g. "
                                     '{ impact = "Impact" }') from exc
            else:
                value = text
        if value == self.default and not self.required:
            return None
        return value


def _toml_value(v: Any) -> str:
    import tomli_w

    return tomli_w.dumps({"v": v}).split("=", 1)[1].strip()
