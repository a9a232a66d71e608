"""Which lines a terminal shows: `offset` lines back from the bottom of its scrollback, kept in step with the
scroll bar. Lines are numbered absolutely, from the oldest scrollback line (the selection uses the same numbers)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QScrollBar

from .screen import Line, TerminalScreen


class ScrollView:
    def __init__(self, screen: TerminalScreen, bar: QScrollBar, repaint: Callable[[], None]) -> None:
        self._screen = screen
        self._bar = bar
        self._repaint = repaint
        self.offset = 0  # lines scrolled back from the bottom
        bar.valueChanged.connect(self._bar_moved)

    def line(self, ln: int) -> Line:
        """Line `ln` counting from the oldest scrollback line."""
        hist = self._screen.scrollback
        if ln < len(hist):
            return hist[ln]
        return self._screen.line(ln - len(hist))

    def text(self, ln: int) -> str:
        return self._screen.text_line(self.line(ln))

    def first_visible(self) -> int:
        return len(self._screen.scrollback) - self.offset

    def total_lines(self) -> int:
        return len(self._screen.scrollback) + self._screen.lines

    def scroll_to(self, n: int) -> None:
        n = max(0, min(n, len(self._screen.scrollback)))
        if n != self.offset:
            self.offset = n
            self.sync_bar()
            self._repaint()

    def output_scrolled(self, lines: int) -> None:
        """`lines` entered the scrollback: someone reading it keeps the same lines in view while output arrives."""
        if self.offset:
            self.offset = min(self.offset + lines, len(self._screen.scrollback))

    def clamp(self) -> None:
        """After a resize or a cleared scrollback: no further back than there is."""
        self.offset = min(self.offset, len(self._screen.scrollback))

    def sync_bar(self) -> None:
        hist = len(self._screen.scrollback)
        self._bar.blockSignals(True)
        self._bar.setRange(0, hist)
        self._bar.setPageStep(self._screen.lines)
        self._bar.setValue(hist - self.offset)
        self._bar.blockSignals(False)

    def _bar_moved(self, value: int) -> None:
        self.scroll_to(len(self._screen.scrollback) - value)
