"""One setting of the Settings page as an input (settings_spec.Setting -> a check box, a number or text field, a
choice, a list with one entry per line, or a path with "Choose…"), with its label in words, the config key in its
tooltip, and how it stands: the default, set by you, or set by your organisation (locked: read-only)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDoubleValidator, QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .path_edit import PathEdit
from .plain import plain_label, plain_tooltip
from .settings_services import SettingValue
from .settings_spec import Group, Setting

ORG_NOTE = "Set by your organisation"
LOCKED_NOTE = "Set by your organisation and locked: it cannot be changed here"


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class SettingRow:
    """The input of one setting; `value()` is what to write (None: leave the key out)."""

    def __init__(self, setting: Setting, on_change: Callable[[], None]) -> None:
        self.setting = s = setting
        self.state = SettingValue()
        self.input: QWidget
        self.path_edit: PathEdit | None = None
        self.tip = tip = f"{s.help}\n\nConfig key: {s.key}" if s.help else f"Config key: {s.key}"
        if s.kind == "bool":
            box = QCheckBox(s.label)
            box.toggled.connect(lambda _b: on_change())
            self.input = box
        elif s.kind == "choice":
            combo = QComboBox()
            for value, words in s.choices:
                combo.addItem(words, value)
            combo.currentIndexChanged.connect(lambda _i: on_change())
            self.input = combo
        elif s.kind in ("words", "files"):
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setPlaceholderText("one per line")
            text.setFixedHeight(text.fontMetrics().lineSpacing() * 4 + 12)
            text.textChanged.connect(on_change)
            self.input = text
        else:
            edit = QLineEdit()
            if s.kind == "int":
                edit.setValidator(QIntValidator(int(s.lo), int(min(s.hi, 2**31 - 1)), edit))
            elif s.kind == "float":
                v = QDoubleValidator(s.lo, s.hi, 3, edit)
                v.setNotation(QDoubleValidator.Notation.StandardNotation)
                edit.setValidator(v)
            edit.textChanged.connect(lambda _t: on_change())
            self.input = edit
        self.input.setToolTip(plain_tooltip(tip))
        self.input.setAccessibleName(s.label)
        self.input.setAccessibleDescription(s.help)
        shown: QWidget = self.input
        if s.kind in ("file", "folder", "files"):
            mode = {"file": "file", "folder": "folder", "files": "files"}[s.kind]
            assert isinstance(self.input, QLineEdit | QPlainTextEdit)
            self.path_edit = PathEdit(self.input, s.label, mode)
            shown = self.path_edit
        if s.kind in ("int", "float"):  # a number needs a few characters, and its unit next to it
            box_w = QWidget()
            lay = QHBoxLayout(box_w)
            lay.setContentsMargins(0, 0, 0, 0)
            self.input.setMaximumWidth(160)
            lay.addWidget(self.input)
            if s.unit:
                lay.addWidget(plain_label(s.unit))
            lay.addStretch(1)
            shown = box_w
        self.note = plain_label("", wrap=True)
        self.note.setObjectName("settingNote")
        self.note.setStyleSheet("color: palette(placeholder-text);")
        self.note.hide()
        self.widget = QWidget()
        col = QVBoxLayout(self.widget)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(shown)
        col.addWidget(self.note)
        if s.kind != "bool":
            self.widget.setMaximumWidth(640)  # a path or a name does not need 1,500 px on a wide screen
        self.widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._loaded: Any = None

    # ---------------------------------------------------------------- values
    def load(self, state: SettingValue) -> None:
        """Show the setting as the files give it; afterwards value() == loaded() until the user edits."""
        self.state = state
        s = self.setting
        effective = state.effective(s)
        w = self.input
        if isinstance(w, QCheckBox):
            w.setChecked(bool(effective))
        elif isinstance(w, QComboBox):
            i = w.findData(effective)
            w.setCurrentIndex(i if i >= 0 else 0)
        else:
            own = state.organisation if state.locked else state.user
            fallback = (state.organisation if state.organisation is not None and not state.adds_to_organisation
                        else s.default)
            if isinstance(w, QPlainTextEdit):
                w.setPlainText("\n".join(str(v) for v in own) if isinstance(own, list) else "")
                if isinstance(fallback, list) and fallback:
                    w.setPlaceholderText("\n".join(str(v) for v in fallback))
            elif isinstance(w, QLineEdit):
                w.setText("" if own is None else _shown(own))
                if fallback not in (None, ""):
                    w.setPlaceholderText(_shown(fallback) + ("" if state.organisation is not None else
                                                             " (default)"))
                else:
                    w.setPlaceholderText(s.help)
        locked = state.locked
        if isinstance(w, QLineEdit | QPlainTextEdit):
            if w.isReadOnly() != locked:
                w.setReadOnly(locked)
                w.style().unpolish(w)  # the page's style sheet greys read-only fields: apply it again
                w.style().polish(w)
            if self.path_edit is not None:
                self.path_edit.set_read_only(locked)
        else:
            w.setEnabled(not locked)
        if locked:
            note = LOCKED_NOTE
        elif state.adds_to_organisation and state.organisation:
            note = f"{ORG_NOTE}, always included: {_shown_any(state.organisation)}"
        elif state.from_organisation:
            note = ORG_NOTE
        elif state.organisation is not None:
            note = f"Your organisation's value is {_shown_any(state.organisation)}; yours is used"
        else:
            note = ""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self._loaded = self.value()

    def value(self) -> Any:
        """What to write for this setting (None: not written, the organisation's value or the default applies)."""
        s, w = self.setting, self.input
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QPlainTextEdit):
            items = [line.strip() for line in w.toPlainText().splitlines() if line.strip()]
            return items or None
        assert isinstance(w, QLineEdit)
        text = w.text().strip()
        if not text:
            return None
        if s.kind == "int":
            return int(text)
        if s.kind == "float":
            number = float(text.replace(",", "."))
            if not math.isfinite(number):
                raise ValueError(f"{s.label}: {text} is not a number")
            return number
        return text

    def problem(self) -> str:
        """Why the field cannot be saved as it is ("" when it can)."""
        w = self.input
        if isinstance(w, QLineEdit) and w.text().strip() and not w.hasAcceptableInput():
            s = self.setting
            hi = int(s.hi) if float(s.hi).is_integer() else s.hi
            lo = int(s.lo) if float(s.lo).is_integer() else s.lo
            kind = "a whole number" if s.kind == "int" else "a number"
            return f"{s.label}: write {kind} from {lo} to {hi}{' ' + s.unit if s.unit else ''}"
        return ""

    def changed(self) -> bool:
        if self.state.locked:
            return False
        try:
            return bool(self.value() != self._loaded)
        except ValueError:
            return True


def _shown_any(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else _shown(value)


def group_box(group: Group, rows: list[SettingRow]) -> QGroupBox:
    box = QGroupBox(group.title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    if group.intro:
        form.addRow(plain_label(group.intro, wrap=True))
    for row in rows:
        if row.setting.kind == "bool":
            form.addRow(row.widget)
        else:
            label = plain_label(row.setting.label)
            label.setBuddy(row.input)
            label.setToolTip(plain_tooltip(row.tip))
            form.addRow(label, row.widget)
    return box
