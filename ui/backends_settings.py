"""Settings for support backends: the `[backends.NAME]` tables of config.toml, add/edit one (backend_editor.py), its
credentials (into the system keyring, never config.toml), the default backend, and "Test connection".

`BackendsPanel` is the Support backends section of the Settings page; `BackendsDialog` shows the same panel in a
window (for a Get Help page used on its own). Signal: `settings_changed()` after anything was saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken

from .backend_editor import BackendEditor, ConnectionTester
from .backend_fields import available_types, secret_title
from .errors import ERROR_COLOUR, MessageLine
from .get_help_services import BackendRow, BackendsInfo, TicketsHub
from .plain import plain_label, plain_tooltip
from .services import TaskHandle, TaskStarter
from .widgets import button

__all__ = ["BackendEditor", "BackendsDialog", "BackendsPanel", "ConnectionTester"]


def _secret_state(row: BackendRow, name: str) -> str:
    if name in row.secrets_from_env:
        return f"{secret_title(name)} from the environment"
    return f"{secret_title(name)} stored" if row.secrets_stored.get(name) else f"{secret_title(name)} missing"


def _origin(row: BackendRow) -> str:
    if row.locked:
        return "set by your organisation (locked)"
    return "set by your organisation" if row.organisation else ""


def _type_title(type_: str) -> str:
    return dict(available_types()).get(type_, type_)


class BackendsPanel(QWidget):
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
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(plain_label("Where Get Help sends tickets. Settings are kept in config.toml; passwords and "
                                  "tokens only in the system keyring.", wrap=True))
        self.keyring_label = MessageLine(name="keyringLabel")
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
        self.tree.itemActivated.connect(lambda *_: self.edit_selected())  # double click, or Enter on the keyboard
        lay.addWidget(self.tree, 1)
        bar = QHBoxLayout()
        self.add_button = button("Add…", self.add_backend)
        self.edit_button = button("Edit…", self.edit_selected)
        self.remove_button = button("Remove", self.remove_selected)
        self.default_button = button("Make default", self.make_default_selected)
        self.test_button = button("Test connection", self.test_selected)
        for b in (self.add_button, self.edit_button, self.remove_button, self.default_button, self.test_button):
            bar.addWidget(b)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.origin_label = plain_label("", wrap=True, name="backendOrigin")
        self.origin_label.hide()
        lay.addWidget(self.origin_label)
        self.result_label = MessageLine(name="settingsResult")
        lay.addWidget(self.result_label)
        self.tester = ConnectionTester(tasks, self.result_label, self)
        self._update_buttons()

    # ---------------------------------------------------------------- loading
    def reload(self) -> None:
        hub = self._hub

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> BackendsInfo:
            return hub.backends()

        self.keyring_label.setText("Loading…")
        task = self._tasks.start(job, name="backends-load")
        task.succeeded.connect(self.set_info)
        task.failed.connect(lambda exc: self.keyring_label.show_failure("Could not read the settings", exc))
        self._load_task = task

    def set_info(self, info: BackendsInfo) -> None:
        self.info = info
        selected = self.selected()
        if info.problem:
            self.keyring_label.show_error(f"{info.problem}\nFix the file by hand; nothing can be saved until then.")
        elif not info.keyring_ok:
            self.keyring_label.show_error(f"Config file: {info.config_path}\nPasswords and tokens cannot be stored: "
                                          f"{info.keyring}. Backends that need a password or token will not work "
                                          "until a keyring is available (GNOME Keyring or KWallet in your session).")
        else:
            self.keyring_label.setText(f"Config file: {info.config_path}\nPasswords and tokens are kept in "
                                       f"{info.keyring}")
        self.tree.clear()
        for row in info.rows:
            creds = ", ".join(_secret_state(row, f) for f in row.secret_fields) or "none needed"
            origin = _origin(row)
            item = QTreeWidgetItem([row.name, _type_title(row.type), "✔" if row.default else "", creds,
                                    row.problem or ("ok" + (f" · {origin}" if origin else ""))])
            item.setData(0, Qt.ItemDataRole.UserRole, row.name)
            item.setToolTip(4, plain_tooltip(row.problem or (f"The settings are valid. {origin}." if origin else
                                                             "The settings are valid")))
            if row.problem:
                item.setForeground(4, QBrush(QColor(ERROR_COLOUR)))
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
        row = self.row(self.selected())
        has = row is not None
        editable = self.info is not None and not self.info.problem
        self.add_button.setEnabled(editable)
        self.test_button.setEnabled(has and editable)
        self.edit_button.setEnabled(has and editable and not (row and row.locked))
        self.remove_button.setEnabled(has and editable and not (row and (row.locked or row.organisation)))
        self.default_button.setEnabled(has and editable and not (self.info and self.info.default_locked))
        origin = _origin(row) if row is not None else ""
        self.origin_label.setText(f"{row.name}: {origin}" + (
            "; it cannot be changed or removed here." if row.locked else
            "; your changes to it are saved in your own config.toml, and it cannot be removed here.")
            if row is not None and origin else "")
        self.origin_label.setVisible(bool(self.origin_label.text()))

    # ---------------------------------------------------------------- actions
    def _open_editor(self, row: BackendRow | None) -> BackendEditor:
        make_default = row.default if row else not (self.info and self.info.rows)
        ed = BackendEditor(self._hub, self._tasks, row, bool(make_default), self.window(), self._test_timeout)
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
        if row is None or not self.edit_button.isEnabled():  # e.g. locked by the organisation (the line says so)
            return None
        return self._open_editor(row)

    def _editor_saved(self, message: str) -> None:
        self.result_label.setText(message)
        self.settings_changed.emit()
        self.reload()

    def _action(self, fn: Callable[[], str], name: str, failed: str) -> None:
        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> str:
            return fn()

        task = self._tasks.start(job, name=name)
        task.succeeded.connect(self._action_done)
        task.failed.connect(lambda exc: self._action_failed(failed, exc))
        self._action_task = task

    def _action_done(self, message: str) -> None:
        self.result_label.setText(message)
        self.settings_changed.emit()
        self.reload()

    def _action_failed(self, what: str, exc: BaseException) -> None:
        self.result_label.show_failure(what, exc)
        self.reload()

    def remove_selected(self) -> None:
        name = self.selected()
        if name is not None:
            hub = self._hub
            self._action(lambda: hub.remove_backend(name), "backend-remove", f"{name} was not removed")

    def make_default_selected(self) -> None:
        name = self.selected()
        if name is not None:
            hub = self._hub
            self._action(lambda: hub.set_default(name), "backend-default", f"{name} was not made the default")

    def test_selected(self) -> None:
        name = self.selected()
        if name is None:
            return
        hub, timeout = self._hub, self._test_timeout
        self.tester.start(name, lambda: hub.test_backend(name, None, {}, timeout))


class BackendsDialog(QDialog):
    """The Support backends panel in a window of its own."""

    settings_changed = Signal()

    def __init__(self, hub: TicketsHub, tasks: TaskStarter, parent: QWidget | None = None,
                 test_timeout: float = 15.0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Support backends")
        self.resize(760, 420)
        lay = QVBoxLayout(self)
        self.panel = BackendsPanel(hub, tasks, self, test_timeout)
        self.panel.settings_changed.connect(self.settings_changed)
        lay.addWidget(self.panel, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)

    def reload(self) -> None:
        self.panel.reload()
