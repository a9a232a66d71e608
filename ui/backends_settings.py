"""Settings for support backends: the `[backends.NAME]` tables of config.toml, add/edit one (type and its fields,
generated from the connector's schema), its credentials (into the system keyring, never config.toml), the default
backend, and "Test connection" (on a worker thread; the dialog keeps responding and shows the elapsed time).

Signals: `BackendsDialog.settings_changed()` after anything was saved.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tickets.cancel import CancelToken
from tickets.connectors import TYPES, Connector, connector_class
from tickets.errors import TicketError

from .get_help_services import BackendRow, BackendsInfo, TicketsHub, ticket_job
from .services import TaskHandle, TaskStarter
from .style import plain_tooltip

OK_COLOUR, ERROR_COLOUR = "#2e7d32", "#c62828"


def available_types() -> list[tuple[str, str]]:
    """(type, title) of every connector that is installed, in the registry's order."""
    out = []
    for t in TYPES:
        try:
            out.append((t, connector_class(t).title))
        except (ImportError, TicketError):
            continue
    return out


def _plain(text: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    return label


class ConnectionTester(QObject):
    """Runs a connection test on a worker and shows it in `label`: elapsed seconds while it runs, then the
    result in green or red. `finished(bool, str)`."""

    finished = Signal(bool, str)

    def __init__(self, tasks: TaskStarter, label: QLabel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.label = label
        self.task: TaskHandle | None = None
        self._started = 0.0
        self.ticker = QTimer(self)
        self.ticker.setInterval(200)
        self.ticker.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        return self.task is not None and self.task.running

    def start(self, what: str, fn: Callable[[], str]) -> None:
        if self.running:
            return

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> tuple[bool, str]:
            try:
                return True, fn()
            except TicketError as exc:
                return False, str(exc)

        self._what = what
        self._started = time.monotonic()
        self._show(f"Testing {what}…", "")
        self.ticker.start()
        task = self._tasks.start(ticket_job(job), name="backend-test")
        task.succeeded.connect(lambda r: self._done(*r))
        task.failed.connect(lambda m: self._done(False, m))
        self.task = task

    def _tick(self) -> None:
        self._show(f"Testing {self._what}… {time.monotonic() - self._started:.0f} s", "")

    def _show(self, text: str, colour: str) -> None:
        self.label.setStyleSheet(f"color: {colour};" if colour else "")
        self.label.setText(text)

    def _done(self, ok: bool, message: str) -> None:
        self.ticker.stop()
        if ok:
            self._show(f"✔ Connection works: {message}", OK_COLOUR)
        else:
            self._show(f"✘ Connection test failed: {message}", ERROR_COLOUR)
        self.finished.emit(ok, message)


class _Field:
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


class BackendEditor(QDialog):
    """Add or edit one backend. Saving validates first; the dialog stays open with a clear error otherwise."""

    saved = Signal(str)

    def __init__(self, hub: TicketsHub, tasks: TaskStarter, row: BackendRow | None, make_default: bool,
                 parent: QWidget | None = None, test_timeout: float = 15.0) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks
        self._row = row
        self._test_timeout = test_timeout
        self._save_task: TaskHandle | None = None
        self.setWindowTitle(f"Edit backend {row.name}" if row else "Add a support backend")
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        top = QFormLayout()
        self.name_edit = QLineEdit(row.name if row else "")
        self.name_edit.setPlaceholderText("a short name, e.g. helpdesk")
        self.name_edit.setAccessibleName("Backend name")
        top.addRow("Name *", self.name_edit)
        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("Backend type")
        for t, title in available_types():
            self.type_combo.addItem(f"{title} ({t})", t)
        if row is not None:
            i = self.type_combo.findData(row.type)
            if i >= 0:
                self.type_combo.setCurrentIndex(i)
        top.addRow("Type *", self.type_combo)
        self.default_box = QCheckBox("Send new tickets here")
        self.default_box.setChecked(make_default)
        top.addRow("", self.default_box)
        lay.addLayout(top)
        self.fields_box = QGroupBox("Settings (written to config.toml)")
        self.fields_form = QFormLayout(self.fields_box)
        lay.addWidget(self.fields_box)
        self.secrets_box = QGroupBox("Credentials (kept in the system keyring, never in config.toml)")
        self.secrets_form = QFormLayout(self.secrets_box)
        lay.addWidget(self.secrets_box)
        self.fields: dict[str, _Field] = {}
        self.secret_edits: dict[str, QLineEdit] = {}
        self._typed_secrets: dict[str, str] = {}

        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_button.setToolTip("Sign in and look the settings up; nothing is created")
        self.test_button.clicked.connect(self.test_connection)
        test_row.addWidget(self.test_button)
        self.result_label = _plain(wrap=True)
        self.result_label.setObjectName("testResult")
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row.addWidget(self.result_label, 1)
        lay.addLayout(test_row)
        self.tester = ConnectionTester(tasks, self.result_label, self)
        self.error_label = _plain(wrap=True)
        self.error_label.setObjectName("editorError")
        self.error_label.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.type_combo.currentIndexChanged.connect(lambda _i: self._build_fields())
        self._build_fields(row.table if row else None)

    # ---------------------------------------------------------------- fields
    def backend_type(self) -> str:
        return str(self.type_combo.currentData() or "")

    def _klass(self) -> type[Connector] | None:
        try:
            return connector_class(self.backend_type())
        except (ImportError, TicketError):
            return None

    def _build_fields(self, values: dict[str, Any] | None = None) -> None:
        old: dict[str, Any] = {}
        for k, f in self.fields.items():
            try:
                old[k] = f.get()
            except ValueError:
                pass
        values = values if values is not None else {k: v for k, v in old.items() if v is not None}
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.fields = {}
        klass = self._klass()
        if klass is None:
            return
        required = set(klass.schema.get("required", []))
        for key, spec in klass.schema.get("properties", {}).items():
            f = _Field(key, spec, key in required)
            if key in values:
                f.set(values[key])
            f.connect(self._refresh_secrets)
            self.fields[key] = f
            self.fields_form.addRow(f"{key} *" if f.required else key, f.widget)
        self._refresh_secrets()

    def table(self) -> dict[str, Any]:
        """The `[backends.NAME]` table the form describes (raises ValueError for an unreadable field)."""
        out: dict[str, Any] = {"type": self.backend_type()}
        for k, f in self.fields.items():
            v = f.get()
            if v is not None:
                out[k] = v
        return out

    def secret_fields(self) -> tuple[str, ...]:
        klass = self._klass()
        if klass is None:
            return ()
        try:
            table = self.table()
        except ValueError:
            table = {"type": self.backend_type()}
        return tuple(klass.required_secrets(table))

    def _refresh_secrets(self) -> None:
        for k, e in self.secret_edits.items():
            if e.text():
                self._typed_secrets[k] = e.text()
        wanted = self.secret_fields()
        if tuple(self.secret_edits) == wanted:
            return
        while self.secrets_form.rowCount():
            self.secrets_form.removeRow(0)
        self.secret_edits = {}
        stored = self._row.secrets_stored if self._row is not None else {}
        for name in wanted:
            e = QLineEdit(self._typed_secrets.get(name, ""))
            e.setEchoMode(QLineEdit.EchoMode.Password)
            e.setAccessibleName(name)
            e.setPlaceholderText("stored in the keyring; leave empty to keep it" if stored.get(name)
                                 else "not stored yet")
            self.secret_edits[name] = e
            self.secrets_form.addRow(name, e)
        if not wanted:
            self.secrets_form.addRow(_plain("This backend needs no credentials with these settings."))

    def secrets(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.secret_edits.items() if e.text()}

    # ---------------------------------------------------------------- actions
    def test_connection(self) -> None:
        try:
            table = self.table()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return
        self.error_label.setText("")
        hub, secrets, timeout = self._hub, self.secrets(), self._test_timeout
        name = self.name_edit.text().strip() or "new"
        self.tester.start(f"{name}", lambda: hub.test_backend(name, table, secrets, timeout))

    def save(self) -> None:
        if self._save_task is not None and self._save_task.running:
            return
        try:
            table = self.table()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return
        name = self.name_edit.text().strip()
        hub, secrets = self._hub, self.secrets()
        old = self._row.name if self._row else None
        make_default = self.default_box.isChecked()

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> tuple[bool, str]:
            try:
                return True, hub.save_backend(name, table, secrets, old_name=old, make_default=make_default)
            except TicketError as exc:
                return False, str(exc)

        self.error_label.setText("")
        self.buttons.setEnabled(False)
        task = self._tasks.start(ticket_job(job), name="backend-save")
        task.succeeded.connect(lambda r: self._saved(*r))
        task.failed.connect(lambda m: self._saved(False, m))
        self._save_task = task

    def _saved(self, ok: bool, message: str) -> None:
        self.buttons.setEnabled(True)
        if not ok:
            self.error_label.setText(f"Not saved: {message}")
            return
        self.saved.emit(message)
        self.accept()


def _secret_state(row: BackendRow, name: str) -> str:
    if name in row.secrets_from_env:
        return "from the environment"
    return "stored" if row.secrets_stored.get(name) else "MISSING"


class BackendsDialog(QDialog):
    settings_changed = Signal()

    def __init__(self, hub: TicketsHub, tasks: TaskStarter, parent: QWidget | None = None,
                 test_timeout: float = 15.0) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks
        self._test_timeout = test_timeout
        self.info: BackendsInfo | None = None
        self.editor: BackendEditor | None = None
        self._load_task: TaskHandle | None = None
        self._action_task: TaskHandle | None = None
        self.setWindowTitle("Support backends")
        self.resize(760, 420)
        lay = QVBoxLayout(self)
        lay.addWidget(_plain("Where Get Help sends tickets. Settings are kept in config.toml; passwords and tokens "
                             "only in the system keyring.", wrap=True))
        self.keyring_label = _plain(wrap=True)
        self.keyring_label.setObjectName("keyringLabel")
        lay.addWidget(self.keyring_label)
        self.tree = QTreeWidget()
        self.tree.setObjectName("backendsList")
        self.tree.setAccessibleName("Configured backends")
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Name", "Type", "Default", "Credentials", "Settings"])
        hdr = self.tree.header()
        for c in range(4):
            hdr.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hdr.setStretchLastSection(True)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.tree.itemDoubleClicked.connect(lambda *_: self.edit_selected())
        lay.addWidget(self.tree, 1)
        bar = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.add_button.clicked.connect(self.add_backend)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.default_button = QPushButton("Make default")
        self.default_button.clicked.connect(self.make_default_selected)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_selected)
        for b in (self.add_button, self.edit_button, self.remove_button, self.default_button, self.test_button):
            bar.addWidget(b)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.result_label = _plain(wrap=True)
        self.result_label.setObjectName("settingsResult")
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.result_label)
        self.tester = ConnectionTester(tasks, self.result_label, self)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)
        self._update_buttons()

    # ---------------------------------------------------------------- loading
    def reload(self) -> None:
        hub = self._hub

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> BackendsInfo:
            return hub.backends()

        self.keyring_label.setText("Loading…")
        task = self._tasks.start(ticket_job(job), name="backends-load")
        task.succeeded.connect(self.set_info)
        task.failed.connect(lambda m: self.keyring_label.setText(f"Could not read the settings: {m}"))
        self._load_task = task

    def set_info(self, info: BackendsInfo) -> None:
        self.info = info
        selected = self.selected()
        if info.problem:
            self.keyring_label.setText(f"{info.problem}\nFix the file by hand; nothing can be saved until then.")
            self.keyring_label.setStyleSheet(f"color: {ERROR_COLOUR};")
        elif not info.keyring_ok:
            self.keyring_label.setText(f"Config file: {info.config_path}\nCredentials cannot be stored: "
                                       f"{info.keyring}. Backends that need a password or token will not work "
                                       "until a keyring is available (GNOME Keyring or KWallet in your session).")
            self.keyring_label.setStyleSheet(f"color: {ERROR_COLOUR};")
        else:
            self.keyring_label.setText(f"Config file: {info.config_path}\nCredentials are kept in: {info.keyring}")
            self.keyring_label.setStyleSheet("")
        self.tree.clear()
        for row in info.rows:
            creds = ", ".join(f"{f} {_secret_state(row, f)}" for f in row.secret_fields) or "none needed"
            item = QTreeWidgetItem([row.name, row.type, "✔" if row.default else "", creds,
                                    row.problem or "ok"])
            item.setData(0, Qt.ItemDataRole.UserRole, row.name)
            item.setToolTip(4, plain_tooltip(row.problem or "The settings are valid"))
            if row.problem:
                item.setForeground(4, _brush(ERROR_COLOUR))
            self.tree.addTopLevelItem(item)
            if row.name == selected or (selected is None and self.tree.topLevelItemCount() == 1):
                self.tree.setCurrentItem(item)
        if not info.rows and not info.problem:
            self.result_label.setText("No backend yet: tickets are saved on this computer and wait in the outbox. "
                                      "Press Add… to set one up.")
        self._update_buttons()

    def selected(self) -> str | None:
        item = self.tree.currentItem()
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None

    def row(self, name: str | None) -> BackendRow | None:
        if self.info is None or name is None:
            return None
        return next((r for r in self.info.rows if r.name == name), None)

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        editable = self.info is not None and not self.info.problem
        self.add_button.setEnabled(editable)
        for b in (self.edit_button, self.remove_button, self.default_button, self.test_button):
            b.setEnabled(has and editable)

    # ---------------------------------------------------------------- actions
    def _open_editor(self, row: BackendRow | None) -> BackendEditor:
        make_default = row.default if row else not (self.info and self.info.rows)
        ed = BackendEditor(self._hub, self._tasks, row, bool(make_default), self, self._test_timeout)
        ed.saved.connect(self._editor_saved)
        ed.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ed.destroyed.connect(lambda *_: setattr(self, "editor", None))
        self.editor = ed
        ed.open()
        return ed

    def add_backend(self) -> BackendEditor:
        return self._open_editor(None)

    def edit_selected(self) -> BackendEditor | None:
        row = self.row(self.selected())
        return self._open_editor(row) if row is not None else None

    def _editor_saved(self, message: str) -> None:
        self.result_label.setStyleSheet("")
        self.result_label.setText(message)
        self.settings_changed.emit()
        self.reload()

    def _action(self, fn: Callable[[], str], name: str) -> None:
        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> tuple[bool, str]:
            try:
                return True, fn()
            except TicketError as exc:
                return False, str(exc)

        task = self._tasks.start(ticket_job(job), name=name)
        task.succeeded.connect(lambda r: self._action_done(*r))
        task.failed.connect(lambda m: self._action_done(False, m))
        self._action_task = task

    def _action_done(self, ok: bool, message: str) -> None:
        self.result_label.setStyleSheet("" if ok else f"color: {ERROR_COLOUR};")
        self.result_label.setText(message)
        if ok:
            self.settings_changed.emit()
        self.reload()

    def remove_selected(self) -> None:
        name = self.selected()
        if name is not None:
            hub = self._hub
            self._action(lambda: hub.remove_backend(name), "backend-remove")

    def make_default_selected(self) -> None:
        name = self.selected()
        if name is not None:
            hub = self._hub
            self._action(lambda: hub.set_default(name), "backend-default")

    def test_selected(self) -> None:
        name = self.selected()
        if name is None:
            return
        hub, timeout = self._hub, self._test_timeout
        self.tester.start(name, lambda: hub.test_backend(name, None, {}, timeout))


def _brush(colour: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))
