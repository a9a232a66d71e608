"""Add or edit one support backend (its type, the fields of the connector's schema, its credentials) and "Test
connection" on a worker thread (the dialog keeps responding and shows the elapsed time)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from tickets.connectors import Connector, connector_class
from tickets.connectors.base import COMMON_HTTP_PROPERTIES
from tickets.errors import TicketError

from .backend_fields import Field, available_types, secret_title
from .errors import MessageLine, user_message
from .get_help_services import BackendRow, TicketsHub
from .plain import plain_label, plain_tooltip
from .services import TaskHandle, TaskStarter, is_running
from .widgets import button


def _form(parent: QWidget) -> QFormLayout:
    """A form whose fields keep their height and take the width (also in styles that would wrap rows)."""
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    return form


class ConnectionTester(QObject):
    """Runs a connection test on a worker and shows it in `label`: elapsed seconds while it runs, then the
    result in green or red. `finished(bool, str)`."""

    finished = Signal(bool, str)

    def __init__(self, tasks: TaskStarter, label: MessageLine, parent: QObject | None = None) -> None:
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

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> str:
            return fn()

        self._what = what
        self._started = time.monotonic()
        self.label.setText(f"Testing {what}…")
        self.ticker.start()
        task = self._tasks.start(job, name="backend-test")
        task.succeeded.connect(self._works)
        task.failed.connect(self._failed)
        self.task = task

    def _tick(self) -> None:
        self.label.setText(f"Testing {self._what}… {time.monotonic() - self._started:.0f} s")

    def _works(self, message: str) -> None:
        self.ticker.stop()
        self.label.show_ok(f"✔ {message}" if message.startswith("Connected") else f"✔ Connected: {message}")
        self.finished.emit(True, message)

    def _failed(self, exc: BaseException) -> None:
        self.ticker.stop()
        self.label.show_failure("✘ Connection test failed", exc)
        self.finished.emit(False, user_message(exc))


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
        self.name_edit.setToolTip(plain_tooltip("How Deskside calls this backend\n\nConfig key: NAME in "
                                                "[backends.NAME]"))
        top.addRow("Name *", self.name_edit)
        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("Backend type")
        self.type_combo.setToolTip(plain_tooltip("The helpdesk system tickets go to\n\nConfig key: type in "
                                                 "[backends.NAME]"))
        for t, title in available_types():
            self.type_combo.addItem(title, t)
        if row is not None:
            i = self.type_combo.findData(row.type)
            if i >= 0:
                self.type_combo.setCurrentIndex(i)
        top.addRow("Type *", self.type_combo)
        self.default_box = QCheckBox("Send new tickets here")
        self.default_box.setChecked(make_default)
        self.default_box.setToolTip(plain_tooltip("New tickets go to this backend\n\nConfig key: backend in "
                                                  "[tickets]"))
        top.addRow("", self.default_box)
        lay.addLayout(top)
        # The fields scroll instead of being squeezed when a message below them grows (an error of several lines).
        body = QWidget()
        body_lay = QVBoxLayout(body)
        body_lay.setContentsMargins(0, 0, 0, 0)
        self.fields_box = QGroupBox("Settings (written to config.toml)")
        self.fields_form = _form(self.fields_box)
        body_lay.addWidget(self.fields_box)
        self.secrets_box = QGroupBox("Credentials (kept in the system keyring, never in config.toml)")
        self.secrets_form = _form(self.secrets_box)
        body_lay.addWidget(self.secrets_box)
        body_lay.addStretch(1)
        self.fields_scroll = QScrollArea()
        self.fields_scroll.setObjectName("backendFields")
        self.fields_scroll.setWidgetResizable(True)
        self.fields_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.fields_scroll.setWidget(body)
        self.fields_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields, the area follows
        self.fields_scroll.setMinimumHeight(160)  # a long message below makes the dialog grow, not this vanish
        lay.addWidget(self.fields_scroll, 1)
        self.fields: dict[str, Field] = {}
        self.secret_edits: dict[str, QLineEdit] = {}
        self._typed_secrets: dict[str, str] = {}

        test_row = QHBoxLayout()
        self.test_button = button("Test connection", self.test_connection,
                                  tip="Sign in and look the settings up; nothing is created")
        test_row.addWidget(self.test_button)
        self.result_label = MessageLine(name="testResult")
        test_row.addWidget(self.result_label, 1)
        lay.addLayout(test_row)
        self.tester = ConnectionTester(tasks, self.result_label, self)
        self.error_label = MessageLine(name="editorError")
        lay.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.resize(660, 700)
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
        props = dict(klass.schema.get("properties", {}))
        if klass.http:  # every HTTP backend also takes a CA certificate file and a proxy (connectors/base.py)
            props.update({k: v for k, v in COMMON_HTTP_PROPERTIES.items() if k not in props})
        for key, spec in props.items():
            f = Field(key, spec, key in required)
            if key in values:
                f.set(values[key])
            f.connect(self._refresh_secrets)
            self.fields[key] = f
            self.fields_form.addRow(f"{f.label} *" if f.required else f.label, f.row or f.widget)
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
            e.setAccessibleName(secret_title(name))
            e.setToolTip(plain_tooltip(f"Kept in the system keyring under the name {name}, never in config.toml"))
            e.setPlaceholderText("stored in the keyring; leave empty to keep it" if stored.get(name)
                                 else "not stored yet")
            self.secret_edits[name] = e
            self.secrets_form.addRow(secret_title(name), e)
        if not wanted:
            self.secrets_form.addRow(plain_label("This backend needs no credentials with these settings."))

    def secrets(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.secret_edits.items() if e.text()}

    # ---------------------------------------------------------------- actions
    def test_connection(self) -> None:
        try:
            table = self.table()
        except ValueError as exc:
            self.error_label.show_error(str(exc))
            return
        self.error_label.setText("")
        hub, secrets, timeout = self._hub, self.secrets(), self._test_timeout
        name = self.name_edit.text().strip() or "new"
        self.tester.start(f"{name}", lambda: hub.test_backend(name, table, secrets, timeout))

    def save(self) -> None:
        if is_running(self._save_task):
            return
        try:
            table = self.table()
        except ValueError as exc:
            self.error_label.show_error(str(exc))
            return
        name = self.name_edit.text().strip()
        hub, secrets = self._hub, self.secrets()
        old = self._row.name if self._row else None
        make_default = self.default_box.isChecked()

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> str:
            return hub.save_backend(name, table, secrets, old_name=old, make_default=make_default)

        self.error_label.setText("")
        self.buttons.setEnabled(False)
        task = self._tasks.start(job, name="backend-save")
        task.succeeded.connect(self._saved)
        task.failed.connect(self._not_saved)
        self._save_task = task

    def _saved(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(message)
        self.accept()

    def _not_saved(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error_label.show_failure("Not saved", exc)
