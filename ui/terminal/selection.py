"""The text selection of a terminal, in absolute cells: (line counted from the oldest scrollback line, column).
The end column is exclusive; a selection spanning lines takes the rest of its first line and the start of its last."""

from __future__ import annotations

from collections.abc import Callable

Cell = tuple[int, int]  # (absolute line, column)
Span = tuple[Cell, Cell]  # (start, end), start before end


class Selection:
    def __init__(self) -> None:
        self.anchor: Cell | None = None
        self.end: Cell | None = None
        self.dragging = False  # the left button is down and extends the selection

    def span(self) -> Span | None:
        """(start, end) in reading order, or None when nothing is selected."""
        if self.anchor is None or self.end is None or self.anchor == self.end:
            return None
        start, end = sorted([self.anchor, self.end])
        return start, end

    def start_at(self, cell: Cell) -> None:
        self.anchor = self.end = cell
        self.dragging = True

    def extend_to(self, cell: Cell) -> None:
        self.end = cell

    def set(self, start: Cell, end: Cell) -> None:
        self.anchor, self.end = start, end

    def clear(self) -> bool:
        """Forget the selection; True if there was one (the view needs painting)."""
        if self.anchor is None:
            return False
        self.anchor = self.end = None
        return True

    def text(self, text_at: Callable[[int], str]) -> str:
        """The selected text, trailing blanks of each line removed; `text_at(line)` gives an absolute line's text."""
        span = self.span()
        if span is None:
            return ""
        (l0, c0), (l1, c1) = span
        out = []
        for ln in range(l0, l1 + 1):
            text = text_at(ln)
            start = c0 if ln == l0 else 0
            end = c1 if ln == l1 else len(text)
            out.append(text[start:end].rstrip())
        return "\n".join(out)

    def select_word(self, ln: int, col: int, text: str) -> bool:
        """Select the word (a run of non-blanks) at `col` of line `ln` whose text is `text`; False on a blank."""
        if col >= len(text) or text[min(col, len(text) - 1)].isspace():
            return False
        start = col
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = col
        while end < len(text) and not text[end].isspace():
            end += 1
        self.set((ln, start), (ln, end))
        self.dragging = False
        return True

    @staticmethod
    def contains(span: Span, ln: int, col: int) -> bool:
        (l0, c0), (l1, c1) = span
        if ln < l0 or ln > l1:
            return False
        if l0 == l1:
            return c0 <= col < c1
        if ln == l0:
            return col >= c0
        if ln == l1:
            return col < c1
        return True
