"""The address book panel of the Remote page: search, hosts by group, add / edit / remove / import, connect.

Quick connect and Import read ~/.ssh/config (Match exec may run a program, canonicalisation may ask DNS): with a
task starter they run on a worker thread and the panel shows the result when it arrives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from remote.hosts import AddressBook, HostProfile, HostsError

from .errors import MessageLine, failure_text, user_message
from .plain import plain_label, plain_message_box, plain_tooltip
from .remote_dialogs import HostEditDialog, ImportDialog
from .services import TaskHandle, TaskStarter, is_running
from .widgets import button

PROFILE_ROLE = Qt.ItemDataRole.UserRole + 1


class AddressBookPanel(QWidget):
    connect_requested = Signal(object)  # HostProfile

    def __init__(
        self,
        book: AddressBook,
        import_ssh_config: Callable[[Path], tuple[list[HostProfile], list[str]]],
        ssh_config_path: Path,
        parent: QWidget | None = None,
        resolve: Callable[[str], HostProfile] | None = None,
        tasks: TaskStarter | None = None,
    ) -> None:
        super().__init__(parent)
        self.book = book
        self._tasks = tasks
        self._task: TaskHandle | None = None  # the quick connect or import being read on a worker
        self.import_dialog: ImportDialog | None = None  # the last import dialog opened
        self._import = import_ssh_config
        self._ssh_config_path = ssh_config_path
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.quick = QLineEdit()
        self.quick.setPlaceholderText("Quick connect: user@host:port")
        self.quick.setToolTip("Type [user@]host[:port] or an ~/.ssh/config alias and press Enter")
        self.quick.setClearButtonEnabled(True)
        self.quick.returnPressed.connect(self._quick_connect)
        self.quick.setVisible(resolve is not None)
        self._resolve = resolve
        lay.addWidget(self.quick)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search hosts, groups, tags…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        lay.addWidget(self.search)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Host", "Address"])
        self.tree.setRootIsDecorated(True)
        self.tree.setAccessibleName("Hosts")
        # A double click, or Enter on the selected host, connects (Qt calls both "activated").
        self.tree.itemActivated.connect(self._double_clicked)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.tree, 1)
        self.empty = plain_label("No hosts yet: add one, or import your ~/.ssh/config.", wrap=True)
        lay.addWidget(self.empty)
        row = QHBoxLayout()
        self.connect_button = QPushButton("Connect")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self._connect_selected)
        self.add_button = button("Add…", self.add_host)
        self.edit_button = button("Edit…", self.edit_selected)
        self.remove_button = button("Remove", self.remove_selected)
        self.import_button = button("Import…", self.import_config, tip="Import hosts from ~/.ssh/config")
        row.addWidget(self.connect_button, 1)
        row.addWidget(self.import_button)
        lay.addLayout(row)
        row2 = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.remove_button):
            row2.addWidget(b)
        lay.addLayout(row2)
        self.save_secrets = QCheckBox("Remember passwords in the keyring")
        self.save_secrets.setToolTip(
            "A password or key passphrase that worked is saved in the system keyring (never in a file) and used "
            "next time without asking. Applies to new connections."
        )
        lay.addWidget(self.save_secrets)
        self.error = MessageLine()
        self.error.hide()
        lay.addWidget(self.error)
        self.refresh()

    # -- view ----------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        text = self.search.text()
        hosts = self.book.search(text) if text.strip() else self.book.all()
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for p in sorted(hosts, key=lambda h: (h.group, h.name)):
            parent_item = None
            if p.group:
                parent_item = groups.get(p.group)
                if parent_item is None:
                    parent_item = QTreeWidgetItem([p.group])
                    parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    f = parent_item.font(0)
                    f.setBold(True)
                    parent_item.setFont(0, f)
                    self.tree.addTopLevelItem(parent_item)
                    groups[p.group] = parent_item
            item = QTreeWidgetItem([p.name, p.display()])
            item.setData(0, PROFILE_ROLE, p.name)
            tip = [p.display()]
            if p.proxy_jump:
                tip.append("via " + " -> ".join(p.proxy_jump))
            if p.tags:
                tip.append("tags: " + ", ".join(p.tags))
            if p.notes:
                tip.append(p.notes)
            item.setToolTip(0, plain_tooltip("\n".join(tip)))
            if parent_item is not None:
                parent_item.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.empty.setVisible(len(self.book) == 0)
        self._selection_changed()

    def hosts_shown(self) -> list[str]:
        out: list[str] = []

        def walk(item: QTreeWidgetItem | None) -> None:
            if item is None:
                return
            name = item.data(0, PROFILE_ROLE)
            if name:
                out.append(str(name))
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return out

    def select(self, name: str) -> None:
        items = self.tree.findItems(name, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive, 0)
        for item in items:
            if item.data(0, PROFILE_ROLE) == name:
                self.tree.setCurrentItem(item)
                return

    def selected(self) -> HostProfile | None:
        item = self.tree.currentItem()
        name = item.data(0, PROFILE_ROLE) if item is not None else None
        return self.book.get(str(name)) if name else None

    def _selection_changed(self) -> None:
        has = self.selected() is not None
        for b in (self.connect_button, self.edit_button, self.remove_button):
            b.setEnabled(has)

    def _show_error(self, text: str) -> None:
        self.error.show_error(text)
        self.error.setVisible(bool(text))

    # -- actions -------------------------------------------------------------------------------------------------
    def _double_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        if item.data(0, PROFILE_ROLE):
            self._connect_selected()

    def _quick_connect(self) -> None:
        text = self.quick.text().strip()
        resolve = self._resolve
        if not text or resolve is None or is_running(self._task):
            return
        if self._tasks is None:
            try:
                profile = resolve(text)
            except (HostsError, ValueError) as exc:
                self._quick_failed(exc)
                return
            self._quick_resolved(profile)
            return
        self._show_note(f"Looking up {text} in the address book and ~/.ssh/config…")
        self.quick.setEnabled(False)
        self._run(lambda: resolve(text), self._quick_resolved, self._quick_failed)

    def _quick_resolved(self, profile: HostProfile) -> None:
        self.quick.setEnabled(True)
        self._show_error("")
        self.connect_requested.emit(profile)

    def _quick_failed(self, exc: BaseException) -> None:
        self.quick.setEnabled(True)
        self.quick.setFocus()
        self._show_error(str(exc) if isinstance(exc, (HostsError, ValueError)) else user_message(exc))

    def _run(self, job: Callable[[], Any], done: Callable[[Any], object],
             failed: Callable[[BaseException], None]) -> None:
        assert self._tasks is not None
        task = self._tasks.start(lambda _token, _progress: job(), name="ssh-config")
        task.succeeded.connect(done)
        task.failed.connect(failed)
        self._task = task

    def _show_note(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _connect_selected(self) -> None:
        p = self.selected()
        if p is not None:
            self.connect_requested.emit(p)

    def _save(self) -> bool:
        try:
            self.book.save()
        except (OSError, HostsError) as exc:
            self._show_error(failure_text(f"Could not save the address book {self.book.path}", exc))
            return False
        self._show_error("")
        return True

    def add_host(self) -> HostEditDialog:
        dlg = HostEditDialog(parent=self)
        dlg.accepted.connect(lambda: self._store(dlg, None))
        dlg.open()
        return dlg

    def edit_selected(self) -> HostEditDialog | None:
        p = self.selected()
        if p is None:
            return None
        dlg = HostEditDialog(p, parent=self)
        dlg.accepted.connect(lambda: self._store(dlg, p.name))
        dlg.open()
        return dlg

    def _store(self, dlg: HostEditDialog, old_name: str | None) -> None:
        p = dlg.profile()
        if p is None:
            return
        try:
            if old_name is not None and old_name != p.name:
                if p.name in self.book:
                    raise HostsError(f"a host named {p.name!r} already exists; pick another name")
                self.book.remove(old_name)
            self.book.add(p, replace=old_name == p.name)
        except HostsError as exc:
            self._show_error(str(exc))
            return
        if self._save():
            self.refresh()
            self.select(p.name)

    def remove_selected(self) -> QMessageBox | None:
        """Ask first (the question is opened, not run in a nested loop); the host goes when Yes is clicked."""
        p = self.selected()
        if p is None:
            return None
        box = plain_message_box(QMessageBox.Icon.Question, "Remove host",  # a host name is shown as typed
                                f"Remove {p.name} ({p.display()}) from the address book?",
                                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)  # fmt: skip
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda _r: self._remove_answered(box, p.name))
        box.open()
        return box

    def _remove_answered(self, box: QMessageBox, name: str) -> None:
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
            self.remove_host(name)
        box.deleteLater()

    def remove_host(self, name: str) -> None:
        try:
            self.book.remove(name)
        except HostsError as exc:
            self._show_error(str(exc))
            return
        if self._save():
            self.refresh()

    def import_config(self, path: Path | None = None) -> ImportDialog | None:
        path = path or self._ssh_config_path
        if not path.exists():
            chosen, _ = QFileDialog.getOpenFileName(self, "Import an ssh config file", str(path.parent))
            if not chosen:
                return None
            path = Path(chosen)
        if self._tasks is not None:
            if is_running(self._task):
                return None
            self._show_note(f"Reading {path}…")
            self.import_button.setEnabled(False)
            read = self._import
            self._run(lambda: read(path), lambda result: self._imported(path, *result),
                      lambda exc: self._import_failed(path, exc))
            return None
        try:
            profiles, notes = self._import(path)
        except (OSError, HostsError, ValueError) as exc:
            self._import_failed(path, exc)
            return None
        return self._imported(path, profiles, notes)

    def _import_failed(self, path: Path, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        worded = isinstance(exc, (OSError, HostsError, ValueError))
        self._show_error(f"Could not read {path}: {exc if worded else user_message(exc)}")

    def _imported(self, path: Path, profiles: list[HostProfile], notes: list[str]) -> ImportDialog | None:
        self.import_button.setEnabled(True)
        self._show_error("")
        if not profiles:
            self._show_error(f"{path} has no concrete Host entries to import (patterns like Host * are not hosts).")
            return None
        dlg = ImportDialog(profiles, notes, {p.name for p in self.book.all()}, parent=self)
        dlg.accepted.connect(lambda: self._do_import(dlg))
        dlg.open()
        self.import_dialog = dlg
        return dlg

    def _do_import(self, dlg: ImportDialog) -> None:
        replace = dlg.replace.isChecked()
        skipped = []
        for p in dlg.chosen():
            if p.name in self.book and not replace:
                skipped.append(p.name)
                continue
            try:
                self.book.add(p, replace=True)
            except HostsError as exc:
                skipped.append(f"{p.name} ({exc})")
        if self._save():
            self.refresh()
        if skipped:
            self._show_error("Not imported: " + ", ".join(skipped))
