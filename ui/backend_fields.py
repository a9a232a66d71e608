"""The input widgets of a backend's settings, generated from its connector's JSON schema: a text field, a number,
a choice, a switch, a list ("a, b"), an inline TOML table or a file (with a "Choose…" button) per property.
Each is labelled in words (`LABELS`), with the config key in its tooltip."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from tickets.connection_test import secret_label
from tickets.connectors import TYPES, connector_class
from tickets.errors import TicketError

from .path_edit import PathEdit
from .plain import plain_tooltip

#: The words shown for a backend setting (the config key is in the tooltip).
LABELS: dict[str, str] = {
    "url": "Server address", "api_url": "API address", "test_url": "Address for the connection test",
    "queue": "Queue", "auth": "Sign-in method", "user": "User name", "username": "User name",
    "requestor": "Requester e-mail", "priorities": "Priority mapping", "custom_fields": "Custom field names",
    "attach": "How the bundle is attached", "allow_insecure_http": "Allow unencrypted HTTP (not recommended)",
    "ca_file": "CA certificate file", "proxy": "Proxy", "alert": "Alert the staff", "autorespond": "Send an "
    "automatic reply", "auth_header": "Header carrying the token", "auth_scheme": "Token scheme",
    "body_template": "Body template", "bundle": "How the bundle is sent", "bundle_field": "Bundle field name",
    "category_id": "Category ID", "cloud": "Jira Cloud", "confidential": "Confidential issues",
    "customer": "Customer e-mail", "email": "Requester e-mail", "from": "Sender address (From)",
    "from_requester": "Send from the requester's address", "group": "Group", "group_id": "Group ID",
    "helo": "HELO name", "host": "Mail server", "id_field": "Ticket ID field", "idempotent": "Receiver ignores "
    "repeated requests", "include_bundle": "Include the diagnostics bundle", "inline_bundle": "Bundle in the issue "
    "text", "label_priority": "Label the priority", "labels": "Labels", "name": "Requester name",
    "on_behalf_of_requester": "Create on behalf of the requester", "port": "Port", "project": "Project",
    "public_attachment": "Attachments visible to the requester", "repo": "Repository", "request_type_id":
    "Request type ID", "security": "Connection security", "service_desk_id": "Service desk ID",
    "set_priority": "Send the priority", "sign": "Sign requests (HMAC)", "ticket_type": "Ticket types",
    "to": "Recipients (To)", "topic_id": "Help topic ID", "tracker_id": "Tracker ID", "url_field": "Ticket link field",
    "use_app_token": "Use an application token", "use_token": "Send a token", "verify_tls": "Check the certificate",
    "entity_id": "Entity ID",
}
#: The words shown for a choice's values (the value written to config.toml is in the tooltip's key and the file).
CHOICE_WORDS: dict[str, str] = {
    "token": "API token", "basic": "User name and password", "bearer": "Personal access token (bearer)",
    "oauth": "OAuth token", "user_token": "User token", "multipart": "As a file attachment",
    "json": "Inside the JSON request", "base64": "Inside the JSON (base64)", "none": "None",
    "starttls": "STARTTLS (usually port 587)", "tls": "TLS from the start (usually port 465)",
}
#: Settings that name a file on this computer: a "Choose…" button next to them.
FILE_KEYS = {"ca_file"}


def label_for(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def secret_title(field: str) -> str:
    """"API token", "Password": a credential's name as shown."""
    text = secret_label(field)
    return text[0].upper() + text[1:]


def key_tooltip(description: str, key: str, where: str = "[backends.NAME]") -> str:
    """A field's tooltip text (for plain_tooltip): what it is, and the config key it is written to."""
    return f"{description}\n\nConfig key: {key} in {where}" if description else f"Config key: {key} in {where}"


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
        self.label = label_for(key)
        self.widget: QWidget
        self.row: QWidget | None = None  # what the form shows when it is more than the input (a file chooser)
        if self.kind == "enum":
            box = QComboBox()
            for v in spec["enum"]:
                box.addItem(CHOICE_WORDS.get(str(v), str(v)), str(v))
            self.widget = box
            if self.default is not None:
                self.set(self.default)
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
            if key in FILE_KEYS:
                self.row = PathEdit(edit, self.label)
        self.widget.setToolTip(plain_tooltip(key_tooltip(desc, key)))
        self.widget.setAccessibleName(self.label)

    def connect(self, slot: Callable[[], None]) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            w.currentIndexChanged.connect(lambda _i: slot())
        elif isinstance(w, QCheckBox):
            w.toggled.connect(lambda _b: slot())
        elif isinstance(w, QLineEdit):
            w.textChanged.connect(lambda _t: slot())

    def set(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            i = w.findData(str(value))
            if i >= 0:
                w.setCurrentIndex(i)
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
            value = w.currentData()
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
