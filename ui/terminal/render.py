"""Painting a terminal screen: the colour palette, the font metrics of one cell, and runs of equally styled cells
drawn with one drawText each, then the cursor."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from pyte.screens import Char

from .screen import Line, TerminalScreen
from .selection import Selection

# The 16 ANSI colours (a dark theme close to xterm's), by pyte's names.
ANSI_COLOURS: dict[str, str] = {
    "black": "#000000",
    "red": "#cd3131",
    "green": "#0dbc79",
    "brown": "#e5e510",
    "blue": "#2472c8",
    "magenta": "#bc3fbc",
    "cyan": "#11a8cd",
    "white": "#e5e5e5",
    "brightblack": "#666666",
    "brightred": "#f14c4c",
    "brightgreen": "#23d18b",
    "brightbrown": "#f5f543",
    "brightblue": "#3b8eea",
    "brightmagenta": "#d670d6",
    "brightcyan": "#29b8db",
    "brightwhite": "#ffffff",
}
_BRIGHT = {name: "bright" + name for name in ("black", "red", "green", "brown", "blue", "magenta", "cyan", "white")}
DEFAULT_FG = "#d4d4d4"
DEFAULT_BG = "#1e1e1e"
SELECTION_BG = "#264f78"
CURSOR_COLOUR = "#aeafad"

_colour_cache: dict[str, QColor] = {}


def colour(name: str, default: str) -> QColor:
    """A pyte colour (a name, "default", or "rrggbb" for 256-colour and truecolour) as a QColor."""
    key = default if name == "default" else name
    c = _colour_cache.get(key)
    if c is None:
        if key in ANSI_COLOURS:
            c = QColor(ANSI_COLOURS[key])
        elif len(key) == 6 and all(ch in "0123456789abcdefABCDEF" for ch in key):
            c = QColor("#" + key)
        else:
            c = QColor(key) if QColor.isValidColorName(key) else QColor(default)
        _colour_cache[key] = c
    return c


def cell_colours(ch: Char, selected: bool) -> tuple[QColor, QColor]:
    """(foreground, background) as painted: bold brightens the 8 base colours, reverse video swaps them."""
    fg_name = ch.fg
    if ch.bold and fg_name in _BRIGHT:
        fg_name = _BRIGHT[fg_name]
    fg = colour(fg_name, DEFAULT_FG)
    bg = colour(ch.bg, DEFAULT_BG)
    if ch.reverse:
        fg, bg = bg, fg
    if getattr(ch, "dim", False):  # SGR 2: half way to the background, as xterm's faint
        fg = QColor((fg.red() + bg.red()) // 2, (fg.green() + bg.green()) // 2, (fg.blue() + bg.blue()) // 2)
    if selected:
        bg = QColor(SELECTION_BG)
    return fg, bg


class CellFont:
    """The terminal font, its bold face and the size of one cell (cw x ch pixels)."""

    def __init__(self, font: QFont) -> None:
        font.setKerning(False)
        font.setFixedPitch(True)
        self.font = QFont(font)
        self.bold = QFont(font)
        self.bold.setBold(True)
        fm = QFontMetricsF(self.font)
        self.cw = fm.horizontalAdvance("M")
        self.ch = float(math.ceil(fm.height()))
        self.ascent = fm.ascent()


def _style(ch: Char, selected: bool) -> tuple[object, ...]:
    return (ch.fg, ch.bg, ch.bold, ch.italics, ch.underscore, ch.strikethrough, ch.reverse, selected,
            getattr(ch, "dim", False), getattr(ch, "underline2", False))  # fmt: skip


class Renderer:
    """Paints `screen` from absolute line `first` (scrollback lines count first) into a viewport."""

    def __init__(self, metrics: CellFont) -> None:
        self.m = metrics

    def paint(self, p: QPainter, area: QRect, screen: TerminalScreen, line_at: Callable[[int], Line], first: int,
              selection: Selection, cursor: str) -> None:  # fmt: skip
        """cursor: "block" (focused), "outline" (not focused) or "" (hidden)."""
        p.fillRect(area, QColor(DEFAULT_BG))
        sel = selection.span()
        default = screen.default_char
        for row in range(screen.lines):
            ln = first + row
            line = line_at(ln)
            y = 1 + row * self.m.ch
            x = 0
            while x < screen.columns:
                ch = line.get(x, default)
                selected = sel is not None and Selection.contains(sel, ln, x)
                style = _style(ch, selected)
                start = x
                chars = [ch.data]
                wide = False
                x += 1
                if x < screen.columns and line.get(x, default).data == "":
                    wide = True  # a double-width character and its stub cell
                    x += 1
                while not wide and x < screen.columns:
                    nxt = line.get(x, default)
                    nsel = sel is not None and Selection.contains(sel, ln, x)
                    if _style(nxt, nsel) != style or (x + 1 < screen.columns and line.get(x + 1, default).data == ""):
                        break
                    chars.append(nxt.data)
                    x += 1
                self._run(p, ch, selected, start, x, y, "".join(chars))
        if cursor:
            self._cursor(p, screen, first, cursor == "block")

    def _run(self, p: QPainter, ch: Char, selected: bool, start: int, end: int, y: float, text: str) -> None:
        fg, bg = cell_colours(ch, selected)
        rect = QRectF(1 + start * self.m.cw, y, (end - start) * self.m.cw, self.m.ch)
        if bg != QColor(DEFAULT_BG):
            p.fillRect(rect, bg)
        double = getattr(ch, "underline2", False)
        if text.strip() or ch.underscore or ch.strikethrough or double:
            font = self.m.bold if ch.bold else self.m.font
            if ch.italics or ch.underscore or ch.strikethrough:
                font = QFont(font)
                font.setItalic(ch.italics)
                font.setUnderline(ch.underscore)
                font.setStrikeOut(ch.strikethrough)
            p.setFont(font)
            p.setPen(fg)
            p.drawText(QPointF(rect.x(), y + self.m.ascent), text)
            if double:  # SGR 21 / 4:2: two lines under the text
                for dy in (self.m.ascent + 1.5, self.m.ascent + 3.5):
                    p.drawLine(QPointF(rect.left(), y + dy), QPointF(rect.right(), y + dy))

    def _cursor(self, p: QPainter, screen: TerminalScreen, first_visible: int, block: bool) -> None:
        if screen.cursor.hidden:
            return
        cy = len(screen.scrollback) + screen.cursor.y - first_visible
        if not 0 <= cy < screen.lines:
            return
        cx = min(screen.cursor.x, screen.columns - 1)
        rect = QRectF(1 + cx * self.m.cw, 1 + cy * self.m.ch, self.m.cw, self.m.ch)
        if block:
            p.fillRect(rect, QColor(CURSOR_COLOUR))
            y = screen.cursor.y
            ch = screen.buffer[y][cx] if y in screen.buffer else screen.default_char
            if ch.data.strip():
                p.setFont(self.m.bold if ch.bold else self.m.font)
                p.setPen(QColor(DEFAULT_BG))
                p.drawText(QPointF(rect.x(), rect.y() + self.m.ascent), ch.data)
        else:
            p.setPen(QColor(CURSOR_COLOUR))
            p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
