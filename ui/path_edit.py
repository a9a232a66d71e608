"""A text field for a path with a "Choose…" button that opens a file dialog (a file, a folder, or files added to
a comma-separated list). The dialog is window-modal but opened with `open()`, so nothing waits on it."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton, QWidget

from .plain import plain_tooltip


class PathEdit(QWidget):
    def __init__(self, edit: QLineEdit | QPlainTextEdit, what: str, mode: str = "file",
                 parent: QWidget | None = None, start_dir: str = "~") -> None:
        """`mode`: "file", "folder" or "files" (each chosen file is added to the list: a line of a QPlainTextEdit,
        or comma-separated in a QLineEdit)."""
        super().__init__(parent)
        self.edit, self.what, self.mode, self.start_dir = edit, what, mode, start_dir
        self.dialog: QFileDialog | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        edit.setProperty("deskside_wide", True)  # the row (field and button) is sized as one, not the field alone
        lay.addWidget(edit, 1)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setAccessibleName(f"Choose {what}")
        self.choose_button.setToolTip(plain_tooltip(f"Pick {what.lower()} in a file dialog"))
        self.choose_button.clicked.connect(self.choose)
        lay.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setFocusProxy(edit)

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.choose_button.setEnabled(not read_only)

    def _items(self) -> list[str]:
        if isinstance(self.edit, QPlainTextEdit):
            return [p.strip() for p in self.edit.toPlainText().splitlines() if p.strip()]
        text = self.edit.text()
        return [p.strip() for p in (text.split(",") if self.mode == "files" else [text]) if p.strip()]

    def _start_dir(self) -> str:
        items = self._items()
        current = items[-1] if items else ""
        if current:  # no stat here (the GUI thread does no I/O): a folder setting names a folder
            path = os.path.expanduser(current)
            return path if self.mode == "folder" else os.path.dirname(path)
        return os.path.expanduser(self.start_dir)

    def choose(self) -> QFileDialog:
        d = QFileDialog(self, f"Choose {self.what.lower()}", self._start_dir())
        if self.mode == "folder":
            d.setFileMode(QFileDialog.FileMode.Directory)
            d.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            d.setFileMode(QFileDialog.FileMode.ExistingFile)
        d.fileSelected.connect(self.set_chosen)
        d.finished.connect(lambda _r: d.deleteLater())
        self.dialog = d
        d.open()
        return d

    def set_chosen(self, path: str) -> None:
        if not path:
            return
        parts = self._items() if self.mode == "files" else []
        if path not in parts:
            parts.append(path)
        if isinstance(self.edit, QPlainTextEdit):
            self.edit.setPlainText("\n".join(parts))
        else:
            self.edit.setText(", ".join(parts))
