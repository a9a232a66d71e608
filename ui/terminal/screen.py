"""The terminal's screen model: a pyte Screen with scrollback, the alternate screen and replies to the program.

Qt-free on purpose, so that its behaviour can be checked without a display. The widget in `widget.py` paints it.
"""

from __future__ import annotations

import unicodedata
from collections import deque, namedtuple
from collections.abc import Callable
from typing import Any

import pyte
from pyte.screens import (
    Char,
    Margins,
    wcwidth,  # pyte's own width table, so both paths agree
)

from .parser import ExtendedByteStream

# Private (DEC) modes are stored by pyte shifted left by 5 bits.
DECCKM = 1 << 5  # application cursor keys
DECTCEM = 25 << 5  # cursor visible
BRACKETED_PASTE = 2004 << 5
MOUSE_X10, MOUSE_NORMAL, MOUSE_DRAG, MOUSE_ANY_MOTION = 9 << 5, 1000 << 5, 1002 << 5, 1003 << 5
MOUSE_SGR = 1006 << 5  # reports as CSI < b;x;y M/m instead of bytes
_MOUSE_MODES = {MOUSE_X10, MOUSE_NORMAL, MOUSE_DRAG, MOUSE_ANY_MOTION}
_ALT_SCREEN_MODES = (47, 1047, 1049)
_IRM = 4  # insert mode (not private)
_DECAWM = 7 << 5  # autowrap

Line = dict[int, Char]
# A cell that is dim and/or double-underlined (rare: plain cells stay pyte's Char). The renderer reads the two fields
# with getattr(ch, "dim", False).
Cell: Any = namedtuple(  # type: ignore[misc]  # the fields are Char's, computed
    "Cell", [*Char._fields, "dim", "underline2"])

# The default colours, as painted by render.py and as answered to OSC 10/11 queries (vim picks its palette by them).
DEFAULT_FG = "#d4d4d4"
DEFAULT_BG = "#1e1e1e"
_ZERO_WIDTH_JOINERS = {"\u200d", "\ufe0f", "\ufe0e"}


class TerminalScreen(pyte.Screen):
    """A VT100/xterm screen: pyte's state machine plus scrollback, the alternate screen (vi, top, less) and a
    `reply` callback through which answers to the program's queries (device attributes, cursor position) go back."""

    def __init__(self, columns: int, lines: int, scrollback: int = 5000) -> None:
        self.scrollback: deque[Line] = deque(maxlen=scrollback)
        self.reply: Callable[[str], None] | None = None
        self.title = ""
        self.scrolled_lines = 0  # lines that entered the scrollback since the last `take_scrolled()`
        self.last_char = ""  # for CSI b (repeat)
        self._alt_saved: tuple[dict[int, Any], Any, Margins | None] | None = None
        super().__init__(columns, lines)

    # -- state queried by the widget -------------------------------------------------------------------------
    @property
    def alternate_screen(self) -> bool:
        return self._alt_saved is not None

    @property
    def application_cursor_keys(self) -> bool:
        return DECCKM in self.mode

    @property
    def bracketed_paste(self) -> bool:
        return BRACKETED_PASTE in self.mode

    @property
    def mouse_tracking(self) -> bool:
        """The program asked for mouse reports (htop, mc, vim with mouse=a...)."""
        return bool(self.mode & _MOUSE_MODES)

    @property
    def mouse_motion(self) -> str:
        """"any" (1003), "drag" (1002) or "" (clicks only)."""
        if MOUSE_ANY_MOTION in self.mode:
            return "any"
        return "drag" if MOUSE_DRAG in self.mode else ""

    @property
    def mouse_sgr(self) -> bool:
        return MOUSE_SGR in self.mode

    def line(self, y: int) -> Line:
        """Screen line `y` (0 = top row) without creating it."""
        return self.buffer[y] if y in self.buffer else {}

    def text_line(self, line: Line) -> str:
        out = []
        for x in range(self.columns):
            ch = line.get(x)
            if ch is None:
                out.append(" ")
            elif ch.data:
                out.append(ch.data)
        return "".join(out)

    def screen_text(self) -> list[str]:
        return [self.text_line(self.line(y)) for y in range(self.lines)]

    def history_text(self) -> list[str]:
        return [self.text_line(line) for line in self.scrollback]

    def take_scrolled(self) -> int:
        n, self.scrolled_lines = self.scrolled_lines, 0
        return n

    # -- pyte hooks --------------------------------------------------------------------------------------------
    def draw(self, data: str) -> None:
        """pyte's draw, with a fast path for plain ASCII text in autowrap mode (the bulk of most output): the same
        cells and cursor as pyte, about twice as fast."""
        data = data.translate(self.g1_charset if self.charset else self.g0_charset)
        if not data:
            return
        if not (data.isascii() and data.isprintable()) or _IRM in self.mode or _DECAWM not in self.mode:
            self._draw_slow(data)
            return
        self.last_char = data[-1]
        rest = tuple(self.cursor.attrs)[1:]
        cls = type(self.cursor.attrs)
        new = tuple.__new__
        columns = self.columns
        cursor = self.cursor
        i, n = 0, len(data)
        while i < n:
            if cursor.x >= columns:
                self.dirty.add(cursor.y)
                self.carriage_return()
                self.linefeed()
            line = self.buffer[cursor.y]
            x = cursor.x
            chunk = data[i : i + columns - x]
            for k, ch in enumerate(chunk, x):
                line[k] = new(cls, (ch, *rest))
            cursor.x = x + len(chunk)
            i += len(chunk)
        self.dirty.add(cursor.y)

    def _draw_slow(self, data: str) -> None:
        """pyte's draw, except that a zero-width character that is not a combining mark (ZWJ, VS15/16) joins the
        previous cell instead of dropping the rest of the text, and unprintable characters are skipped."""
        cursor = self.cursor
        columns = self.columns
        for char in data:
            width = wcwidth(char)
            if width < 0:
                continue
            if width == 0:
                self._join_previous(char)
                continue
            if cursor.x == columns:
                if _DECAWM in self.mode:
                    self.dirty.add(cursor.y)
                    self.carriage_return()
                    self.linefeed()
                else:
                    cursor.x -= width
            if _IRM in self.mode:
                self.insert_characters(width)
            line = self.buffer[cursor.y]
            line[cursor.x] = cursor.attrs._replace(data=char)
            if width == 2 and cursor.x + 1 < columns:
                line[cursor.x + 1] = cursor.attrs._replace(data="")
            cursor.x = min(cursor.x + width, columns)
            self.last_char = char
        self.dirty.add(cursor.y)

    def _join_previous(self, char: str) -> None:
        x, y = self.cursor.x - 1, self.cursor.y
        line = self.buffer[y]
        if x >= 0 and x in line and line[x].data == "" and x > 0:
            x -= 1  # the stub of a wide character: join the character itself
        if x < 0:
            if y == 0:
                return
            y, x = y - 1, self.columns - 1
            line = self.buffer[y]
        last = line[x]
        data = last.data + char
        if char not in _ZERO_WIDTH_JOINERS:
            data = unicodedata.normalize("NFC", data)
        line[x] = last._replace(data=data)
        self.dirty.add(y)

    # -- sequences pyte 0.8.2 lacks --------------------------------------------------------------------------
    def scroll_up(self, count: int | None = None, **_: Any) -> None:
        """CSI S (SU): the scrolling region moves up `count` lines; blank lines enter at the bottom (htop)."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        count = max(1, min(count or 1, bottom - top + 1))
        for y in range(top, bottom + 1):
            src = y + count
            if src <= bottom and src in self.buffer:
                self.buffer[y] = self.buffer[src]
            else:
                self.buffer.pop(y, None)
            if src > bottom:
                self._blank_line(y)
        self.dirty.update(range(top, bottom + 1))

    def scroll_down(self, count: int | None = None, **_: Any) -> None:
        """CSI T (SD): the scrolling region moves down `count` lines; blank lines enter at the top."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        count = max(1, min(count or 1, bottom - top + 1))
        for y in range(bottom, top - 1, -1):
            src = y - count
            if src >= top and src in self.buffer:
                self.buffer[y] = self.buffer[src]
            else:
                self.buffer.pop(y, None)
            if src < top:
                self._blank_line(y)
        self.dirty.update(range(top, bottom + 1))

    def _blank_line(self, y: int) -> None:
        self.buffer.pop(y, None)
        if self.cursor.attrs.bg != "default":  # erased cells take the current background (as xterm)
            blank = self.cursor.attrs._replace(data=" ", bold=False, italics=False, underscore=False,
                                               strikethrough=False, reverse=False, blink=False)
            self.buffer[y].update({x: blank for x in range(self.columns)})

    def repeat_last(self, count: int | None = None, **_: Any) -> None:
        """CSI b (REP): the last printed character again `count` times (ncurses in the C locale)."""
        if self.last_char:
            self.draw(self.last_char * max(1, min(count or 1, self.columns * self.lines)))

    def report_device_attributes(self, mode: int = 0, **kwargs: bool) -> None:
        if mode == 0 and not kwargs.get("private"):
            self.write_process_input("\x1b[?62;22c")  # as xterm: VT220 with ANSI colour

    def report_secondary_device_attributes(self) -> None:
        self.write_process_input("\x1b[>41;380;0c")  # as xterm patch 380 (vim then trusts its answers)

    def operating_system_command(self, code: str, text: str, terminator: str) -> None:
        """OSC 10/11 colour queries are answered with our default colours (vim's 'background' follows them)."""
        if text == "?" and code in ("10", "11", "12"):
            rgb = DEFAULT_BG if code == "11" else DEFAULT_FG
            r, g, b = rgb[1:3], rgb[3:5], rgb[5:7]
            self.write_process_input(f"\x1b]{code};rgb:{r}{r}/{g}{g}/{b}{b}{terminator}")

    def soft_reset(self) -> None:
        """CSI ! p (DECSTR): attributes, margins, charsets and insert mode back to their defaults."""
        self.cursor.attrs = self.default_char
        self.margins = None
        self.charset = 0
        self.g0_charset = self.g1_charset = pyte.charsets.LAT1_MAP
        self.mode.discard(_IRM)
        self.mode.add(_DECAWM)

    def reset(self) -> None:
        self._alt_saved = None
        super().reset()

    def write_process_input(self, data: str) -> None:
        if self.reply is not None:
            self.reply(data)

    def select_graphic_rendition(self, *attrs: int, private: bool = False) -> None:
        """pyte's SGR plus dim (2/22) and double underline (21; 4/24 end it), kept in a `Cell` (a Char with two
        more fields) only while one of them is on; 58 (underline colour) is skipped rather than misread."""
        if private:
            return  # CSI > ... m (xterm key modifier options): nothing to draw
        prev = self.cursor.attrs
        dim, double = getattr(prev, "dim", False), getattr(prev, "underline2", False)
        clean: list[int] = []
        i = 0
        while i < len(attrs):
            a = attrs[i]
            if a in (38, 48, 58) and i + 1 < len(attrs) and attrs[i + 1] in (2, 5):
                n = 5 if attrs[i + 1] == 2 else 3
                if a != 58:
                    clean += attrs[i : i + n]
                i += n
                continue
            if a == 0:
                dim = double = False
            elif a == 2:
                dim = True
            elif a == 22:
                dim = False
            elif a == 21:
                double = True
            elif a in (4, 24):
                double = False
            if a != 58:
                clean.append(a)
            i += 1
        super().select_graphic_rendition(*clean)
        base: tuple[Any, ...] = tuple(self.cursor.attrs)[: len(Char._fields)]
        new_attrs: Any = Cell._make((*base, dim, double)) if dim or double else Char(*base)
        self.cursor.attrs = new_attrs

    def set_title(self, param: str) -> None:
        self.title = param

    def index(self) -> None:
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if self.cursor.y == bottom and top == 0 and not self.alternate_screen:
            self.scrollback.append(dict(self.buffer[top]))
            self.scrolled_lines += 1
        super().index()

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        super().erase_in_display(how, *args, **kwargs)
        if how == 3:
            self.scrollback.clear()

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            for m in modes:
                if m in _ALT_SCREEN_MODES and self._alt_saved is None:
                    self._enter_alternate(save_cursor=m == 1049)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            for m in modes:
                if m in _ALT_SCREEN_MODES and self._alt_saved is not None:
                    self._leave_alternate(restore_cursor=m == 1049)
        super().reset_mode(*modes, **kwargs)

    def _enter_alternate(self, save_cursor: bool) -> None:
        saved_buffer = {y: dict(line) for y, line in self.buffer.items()}
        cursor = (self.cursor.x, self.cursor.y, self.cursor.attrs) if save_cursor else None
        self._alt_saved = (saved_buffer, cursor, self.margins)
        self.buffer.clear()
        self.dirty.update(range(self.lines))

    def _leave_alternate(self, restore_cursor: bool) -> None:
        assert self._alt_saved is not None
        saved_buffer, cursor, margins = self._alt_saved
        self._alt_saved = None
        self.buffer.clear()
        for y, line in saved_buffer.items():
            if y < self.lines:
                self.buffer[y].update({x: c for x, c in line.items() if x < self.columns})
        self.margins = margins
        if cursor is not None:
            x, y, attrs = cursor
            self.cursor.x = min(x, self.columns - 1)
            self.cursor.y = min(y, self.lines - 1)
            self.cursor.attrs = attrs
        self.dirty.update(range(self.lines))

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """Resize keeping the cursor's line on screen: lines pushed off the top go to the scrollback."""
        lines = lines or self.lines
        columns = columns or self.columns
        if lines == self.lines and columns == self.columns:
            return
        if lines < self.lines:
            drop = max(0, self.cursor.y + 1 - lines)
            if drop:
                for y in range(drop):
                    if not self.alternate_screen:
                        self.scrollback.append(dict(self.line(y)))
                        self.scrolled_lines += 1
                old = {y: self.buffer[y] for y in list(self.buffer)}
                self.buffer.clear()
                for y, line in old.items():
                    if drop <= y < drop + lines:
                        self.buffer[y - drop] = line
                self.cursor.y -= drop
            for y in [y for y in self.buffer if y >= lines]:
                del self.buffer[y]
        if columns < self.columns:
            for line in self.buffer.values():
                for x in [x for x in line if x >= columns]:
                    del line[x]
        self.lines, self.columns = lines, columns
        self.margins = None
        self.cursor.x = min(self.cursor.x, columns - 1)
        self.cursor.y = min(self.cursor.y, lines - 1)
        self.dirty.update(range(lines))


class TerminalEmulator:
    """Bytes in, screen state out: a ByteStream (incremental UTF-8) feeding a TerminalScreen."""

    def __init__(self, columns: int = 80, lines: int = 24, scrollback: int = 5000) -> None:
        self.screen = TerminalScreen(columns, lines, scrollback)
        self.stream = ExtendedByteStream(self.screen)

    def feed(self, data: bytes) -> None:
        self.stream.feed(data)
