"""The file pane of a remote session: list a remote folder, download, upload (button or drag and drop of local
files), each transfer with a progress bar and a Cancel button. All SFTP work happens on the connection's worker."""

from __future__ import annotations

import datetime as dt
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .plain import plain_label, plain_message_box, plain_tooltip
from .remote_services import RemoteSession, TransferStatus

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
DIR_ROLE = Qt.ItemDataRole.UserRole + 2


def entry_fields(e: Any) -> tuple[str, bool, int | None, float | None]:
    """(name, is_dir, size, mtime) of a listing entry, whatever its shape (a dataclass or an SFTP attributes)."""
    name = str(getattr(e, "name", None) or getattr(e, "filename", None) or e)
    is_dir = getattr(e, "is_dir", None)
    if callable(is_dir):
        is_dir = is_dir()
    mode = getattr(e, "mode", None) or getattr(e, "st_mode", None)
    if is_dir is None:
        is_dir = bool(mode is not None and stat.S_ISDIR(int(mode)))
    size = getattr(e, "size", None)
    if size is None:
        size = getattr(e, "st_size", None)
    mtime = getattr(e, "mtime", None)
    if mtime is None:
        mtime = getattr(e, "st_mtime", None)
    return name, bool(is_dir), size, mtime


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


class _Transfer:
    def __init__(self, tid: int, item: QTreeWidgetItem, bar: QProgressBar, button: QPushButton, upload: bool,
                 source: str, target: str) -> None:  # fmt: skip
        self.tid, self.item, self.bar, self.button = tid, item, bar, button
        self.upload, self.source, self.target = upload, source, target


class FilePane(QWidget):
    """Remote folder listing plus transfers. Local files dropped on it are uploaded to the folder shown."""

    transfer_done = Signal(int, object, str)  # id, TransferStatus, message (re-emitted for whoever wants to know)

    def __init__(self, session: RemoteSession, download_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.download_dir = Path(download_dir)
        self.path = "."
        self._pending_list: int | None = None
        self._transfers: dict[int, _Transfer] = {}
        self.replace_question: QMessageBox | None = None  # the last 'Replace files?' asked (tests watch it)
        self.setAcceptDrops(True)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        nav = QHBoxLayout()
        self.up_button = QPushButton()
        self.up_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogToParent))
        self.up_button.setToolTip("Parent folder")
        self.up_button.setAccessibleName("Parent folder")
        self.up_button.clicked.connect(self.go_up)
        self.path_edit = QLineEdit(self.path)
        self.path_edit.setAccessibleName("Remote folder path")
        self.path_edit.returnPressed.connect(lambda: self.open_dir(self.path_edit.text().strip() or "."))
        self.refresh_button = QPushButton()
        self.refresh_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.refresh_button.setToolTip("Refresh")
        self.refresh_button.setAccessibleName("Refresh the folder")
        self.refresh_button.clicked.connect(self.refresh)
        nav.addWidget(self.up_button)
        nav.addWidget(self.path_edit, 1)
        nav.addWidget(self.refresh_button)
        lay.addLayout(nav)

        split = QSplitter(Qt.Orientation.Vertical)
        self.listing = QTreeWidget()
        self.listing.setHeaderLabels(["Name", "Size", "Modified"])
        self.listing.setRootIsDecorated(False)
        self.listing.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.listing.setSortingEnabled(False)
        self.listing.setAccessibleName("Remote folder")
        # Size and Modified always stay in view; a long name is shortened in its middle (in full on hover).
        header = self.listing.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.listing.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.listing.itemDoubleClicked.connect(self._double_clicked)
        split.addWidget(self.listing)
        self.transfers = QTreeWidget()
        self.transfers.setHeaderLabels(["Transfer", "Progress", "", "Status"])
        self.transfers.setRootIsDecorated(False)
        # The pane is narrow: the name takes what is left, the bar says "42% of 400.0 MiB", the status is one word
        # (its message is in the tooltip and the line below the buttons).
        header = self.transfers.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, 130)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        split.addWidget(self.transfers)
        split.setSizes([400, 110])
        lay.addWidget(split, 1)

        actions = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download_selected)
        self.upload_button = QPushButton("Upload…")
        self.upload_button.clicked.connect(self.choose_upload)
        self.target_label = plain_label()
        self.change_target = QPushButton("Change…")
        self.change_target.clicked.connect(self._choose_download_dir)
        self.target_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.target_label.setMinimumWidth(60)
        actions.addWidget(self.download_button)
        actions.addWidget(self.upload_button)
        actions.addStretch(1)
        lay.addLayout(actions)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target_label, 1)
        target_row.addWidget(self.change_target)
        lay.addLayout(target_row)
        self.status = plain_label("Drop local files here to upload them to the folder shown.", wrap=True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        lay.addWidget(self.status)
        self._update_target_label()

        session.listed.connect(self._on_listed)
        session.transfer_progress.connect(self._on_progress)
        session.transfer_finished.connect(self._on_finished)

    # -- listing -------------------------------------------------------------------------------------------------
    def open_dir(self, path: str) -> None:
        self._pending_list = self.session.list_dir(path)
        self.status.setText(f"Listing {path}…")

    def refresh(self) -> None:
        self.open_dir(self.path)

    def go_up(self) -> None:
        if self.path in (".", ""):
            self.open_dir("..")
        else:
            parent = posixpath.dirname(self.path.rstrip("/")) or "/"
            self.open_dir(parent)

    def names(self) -> list[str]:
        items = [self.listing.topLevelItem(i) for i in range(self.listing.topLevelItemCount())]
        return [str(item.data(0, NAME_ROLE)) for item in items if item is not None]

    def _on_listed(self, rid: int, path: str, entries: Any, error: str) -> None:
        if rid != self._pending_list:
            return
        self._pending_list = None
        if entries is None:
            self.status.setText(f"Cannot list {path}: {error}")
            return
        self.path = path
        self.path_edit.setText(path)
        self.listing.clear()
        rows = [entry_fields(e) for e in entries]
        rows = [r for r in rows if r[0] not in (".", "..")]
        rows.sort(key=lambda r: (not r[1], r[0].lower()))
        dir_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        file_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        for name, is_dir, size, mtime in rows:
            when = dt.datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M") if mtime else ""
            item = QTreeWidgetItem([name + ("/" if is_dir else ""), "" if is_dir else human_size(size), when])
            item.setIcon(0, dir_icon if is_dir else file_icon)
            item.setData(0, NAME_ROLE, name)
            item.setData(0, DIR_ROLE, is_dir)
            item.setToolTip(0, plain_tooltip(name))  # names come from the remote side
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.listing.addTopLevelItem(item)
        self.status.setText(f"{len(rows)} item(s) in {path}. Drop local files here to upload them.")

    def _remote(self, name: str) -> str:
        return posixpath.join(self.path, name) if self.path not in ("", ".") else name

    def _double_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        name = str(item.data(0, NAME_ROLE))
        if item.data(0, DIR_ROLE):
            self.open_dir(self._remote(name))
        else:
            self.download_files([name])

    # -- transfers -----------------------------------------------------------------------------------------------
    def _update_target_label(self) -> None:
        self.target_label.setText(f"Save to: {self.download_dir.name or self.download_dir}")
        self.target_label.setToolTip(plain_tooltip(f"Downloads go to {self.download_dir}"))

    def _choose_download_dir(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Download to", str(self.download_dir))
        if chosen:
            self.download_dir = Path(chosen)
            self._update_target_label()

    def download_selected(self) -> None:
        self.download_files([str(item.data(0, NAME_ROLE)) for item in self.listing.selectedItems()])

    def download_files(self, names: list[str]) -> None:
        """Download entries of the folder shown; asks first when that would replace local files."""
        existing = [n for n in names if (self.download_dir / n).exists()]
        self._unless_declined(existing, str(self.download_dir),
                              lambda: [self.download(self._remote(n)) for n in names])  # fmt: skip

    def upload_files(self, paths: list[Path]) -> None:
        """Upload into the folder shown; asks first when that would replace files there."""
        listed = set(self.names())
        existing = [p.name for p in paths if p.name in listed]
        self._unless_declined(existing, self.path, lambda: [self.upload(p) for p in paths])

    def _unless_declined(self, existing: list[str], where: str, go: Callable[[], object]) -> None:
        """Run `go` now, or, when it would replace `existing` files, once the user said Replace (default: No)."""
        if not existing:
            go()
            return
        shown = "\n".join(existing[:10]) + (f"\n… and {len(existing) - 10} more" if len(existing) > 10 else "")
        box = plain_message_box(QMessageBox.Icon.Question, "Replace files?",  # names come from the remote side
                                f"{len(existing)} item(s) already exist in {where}:\n\n{shown}\n\nReplace them?",
                                QMessageBox.StandardButton.No, self)  # fmt: skip
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.No)

        def answered(_result: int) -> None:
            if box.clickedButton() is replace:
                go()
            box.deleteLater()

        box.finished.connect(answered)
        self.replace_question = box
        box.open()

    def download(self, remote_path: str, resume: bool = False, target: str | None = None) -> int:
        target = target or str(self.download_dir)
        Path(target).mkdir(parents=True, exist_ok=True)
        tid = self.session.download(remote_path, target, resume=resume)
        self._add_transfer(tid, f"↓ {posixpath.basename(remote_path.rstrip('/')) or remote_path}",
                           f"{remote_path} → {target}", False, remote_path, target)  # fmt: skip
        return tid

    def choose_upload(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Upload files", str(Path.home()))
        if files:
            self.upload_files([Path(f) for f in files])

    def upload(self, local: Path, resume: bool = False, target: str | None = None) -> int:
        target = target or self.path
        tid = self.session.upload(str(local), target, resume=resume)
        self._add_transfer(tid, f"↑ {local.name}", f"{local} → {target}", True, str(local), target)
        return tid

    def resume(self, tid: int) -> int | None:
        """Start again where an interrupted (cancelled or failed) transfer stopped."""
        t = self._transfers.get(tid)
        if t is None:
            return None
        if t.upload:
            return self.upload(Path(t.source), resume=True, target=t.target)
        return self.download(t.source, resume=True, target=t.target)

    def _add_transfer(self, tid: int, label: str, detail: str, upload: bool, source: str, target: str) -> None:
        item = QTreeWidgetItem([label, "", "", "starting"])
        self.transfers.addTopLevelItem(item)
        bar = QProgressBar()
        bar.setRange(0, 0)
        bar.setTextVisible(True)
        button = QPushButton("Cancel")
        button.clicked.connect(lambda: self._button_clicked(tid))
        self.transfers.setItemWidget(item, 1, bar)
        self.transfers.setItemWidget(item, 2, button)
        item.setToolTip(0, plain_tooltip(detail))
        self.transfers.scrollToItem(item)
        self._transfers[tid] = _Transfer(tid, item, bar, button, upload, source, target)
        previous: QWidget = self.transfers  # Tab goes from the list to its rows' buttons (not after the terminal)
        for t in self._transfers.values():
            QWidget.setTabOrder(previous, t.button)
            previous = t.button

    def _button_clicked(self, tid: int) -> None:
        t = self._transfers.get(tid)
        if t is None:
            return
        if t.button.text() == "Resume":
            t.button.setEnabled(False)
            self.resume(tid)
        else:
            t.button.setEnabled(False)
            self.session.cancel_transfer(tid)

    def cancel(self, tid: int) -> None:
        self.session.cancel_transfer(tid)

    def running_count(self) -> int:
        """Transfers not finished yet (starting or running)."""
        return sum(1 for t in self._transfers.values() if t.item.text(3) in ("starting", "running"))

    def transfer_state(self, tid: int) -> str:
        t = self._transfers.get(tid)
        return t.item.text(3) if t else ""

    def _on_progress(self, tid: int, done: int, total: int) -> None:
        t = self._transfers.get(tid)
        if t is None:
            return
        if total:
            t.bar.setRange(0, 1000)
            t.bar.setValue(int(1000 * done / total))
            t.bar.setFormat(f"%p% of {human_size(total)}")
            t.bar.setToolTip(plain_tooltip(f"{human_size(done)} of {human_size(total)}"))
        t.item.setText(3, "running")

    def _on_finished(self, tid: int, status: TransferStatus | str, message: str) -> None:
        status = TransferStatus(status)
        t = self._transfers.get(tid)
        if t is None:
            return
        if status is TransferStatus.OK:
            t.button.setEnabled(False)
            t.bar.setRange(0, 1000)
            t.bar.setValue(1000)
            t.item.setText(3, "done")
            if t.upload and t.target == self.path:
                self.refresh()
        else:
            if t.bar.maximum() == 0:
                t.bar.setRange(0, 1000)
            t.item.setText(3, status)
            t.item.setToolTip(3, plain_tooltip(message))
            name = posixpath.basename(t.source.rstrip("/")) if not t.upload else Path(t.source).name
            said = message if message.startswith(status) else f"{status}: {message}" if message else status
            self.status.setText(f"{name}: {said}")
            t.button.setText("Resume")
            t.button.setEnabled(True)
        self.transfer_done.emit(tid, status, message)

    # -- drag and drop -------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.upload_files(paths)
        event.acceptProposedAction()
