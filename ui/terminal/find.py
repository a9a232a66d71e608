"""Find in the scrollback (Ctrl+Shift+F): a search field over the terminal's top right corner. Enter finds the
previous (older) match, Shift+Enter the next one, Escape closes it and gives the keyboard back to the terminal.
The match is selected and scrolled into view; the search is case-insensitive over the scrollback and the screen."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from .links import find_next, find_previous


class FindBar(QLineEdit):
    closed = Signal()
    found = Signal(int, int, int)  # absolute line, column, length

    def __init__(self, lines: Callable[[], list[str]], origin: Callable[[], tuple[int, int]],
                 parent: QWidget) -> None:  # fmt: skip
        super().__init__(parent)
        self._lines = lines  # every line, oldest scrollback line first
        self._origin = origin  # where a first search starts: (line, column) just after the view's bottom
        self._last: tuple[int, int] | None = None
        self.setPlaceholderText("Find in scrollback (Enter: older, Shift+Enter: newer, Esc: close)")
        self.setAccessibleName("Find in the terminal's scrollback")
        self.setClearButtonEnabled(True)
        self.textEdited.connect(self._restart)
        self.hide()

    def open(self) -> None:
        self._last = None
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def search(self, older: bool = True) -> tuple[int, int] | None:
        lines = self._lines()
        start = self._last or self._origin()
        hit = find_previous(lines, self.text(), start) if older else find_next(lines, self.text(), start)
        self.setStyleSheet("" if hit or not self.text() else "QLineEdit { color: #cd3131; }")
        if hit is not None:
            self._last = hit
            self.found.emit(hit[0], hit[1], len(self.text()))
        return hit

    def _restart(self) -> None:
        self._last = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.search(older=not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            return
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            self.closed.emit()
            return
        super().keyPressEvent(event)
