"""TerminalWidget: a terminal emulator widget (xterm-256color) painting a pyte screen.

Transport-agnostic: bytes from the program go into `feed()`, key presses and pastes come out of `bytes_to_send`,
and a size change comes out of `resized(cols, rows)`. The owner wires these to a PTY, an SSH shell, or anything else.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QClipboard,
    QColor,
    QContextMenuEvent,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget
from pyte.screens import Char

from .keys import key_to_bytes
from .screen import Line, TerminalEmulator

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
FEED_SLICE = 32 * 1024  # bytes parsed per event-loop turn during a flood (about 30 ms of work)
FLOOD_LIMIT = 4 * 1024 * 1024  # unparsed output beyond this (~2-4 s of parsing) is skipped, keeping the last FLOOD_KEEP
FLOOD_KEEP = 256 * 1024


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


class TerminalWidget(QAbstractScrollArea):
    """A terminal: colours (16, 256, truecolour), bold/italic/underline/strike/reverse, cursor, scrollback
    (wheel, Shift+PgUp/PgDn, scroll bar), resize, selection with copy (Ctrl+Shift+C) and paste (Ctrl+Shift+V)."""

    bytes_to_send = Signal(bytes)
    resized = Signal(int, int)  # cols, rows
    title_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, cols: int = 80, rows: int = 24, scrollback: int = 5000) -> None:
        super().__init__(parent)
        self.emulator = TerminalEmulator(cols, rows, scrollback)
        self.term = self.emulator.screen
        self.term.reply = self._reply
        self._scroll = 0  # lines scrolled back from the bottom
        self._sel_anchor: tuple[int, int] | None = None  # (absolute line, column)
        self._sel_end: tuple[int, int] | None = None
        self._selecting = False
        self._title = ""
        self._read_only = False
        self._backlog = bytearray()
        self._backlog_scheduled = False
        self.skipped_bytes = 0  # output dropped by the flood guard (see feed)
        self._mouse_buttons: set[int] = set()  # buttons pressed while the program takes mouse reports
        self._last_report_cell: tuple[int, int] | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setAutoFillBackground(False)
        self.verticalScrollBar().valueChanged.connect(self._scrollbar_moved)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(10)
        self.setTerminalFont(font)
        self._make_actions()

    # -- public API --------------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Bytes from the program (UTF-8 and escape sequences).

        Parsing runs at about 1-2 MB/s, so a flood (`cat` of a big log) is parsed in slices of FEED_SLICE bytes
        with the event loop running in between: the window stays responsive and Ctrl+C gets through. Small
        amounts with nothing pending are parsed at once."""
        if not self._backlog and len(data) <= FEED_SLICE:
            self._parse(data)
            return
        self._backlog += data
        if len(self._backlog) > FLOOD_LIMIT:
            # Far more output than can be shown: skip to the last FLOOD_KEEP bytes (from a line start) and say so.
            cut = self._backlog.find(b"\n", len(self._backlog) - FLOOD_KEEP)
            cut = len(self._backlog) - FLOOD_KEEP if cut < 0 else cut + 1
            self.skipped_bytes += cut
            notice = f"\r\n\x1b[0;33m[{cut / 1e6:.1f} MB of output skipped to keep up]\x1b[0m\r\n".encode()
            self._backlog[:cut] = notice
        if not self._backlog_scheduled:
            self._backlog_scheduled = True
            QTimer.singleShot(0, self._drain_backlog)

    def pending_bytes(self) -> int:
        """Bytes received but not parsed yet (only during a flood)."""
        return len(self._backlog)

    def _drain_backlog(self) -> None:
        self._backlog_scheduled = False
        if not self._backlog:
            return
        chunk = bytes(self._backlog[:FEED_SLICE])
        del self._backlog[:FEED_SLICE]
        self._parse(chunk)
        if self._backlog:
            self._backlog_scheduled = True
            QTimer.singleShot(0, self._drain_backlog)

    def _parse(self, data: bytes) -> None:
        self.emulator.feed(data)
        scrolled = self.term.take_scrolled()
        if scrolled:
            self._clear_selection()
            if self._scroll:  # reading the scrollback: keep the same lines in view while output arrives
                self._scroll = min(self._scroll + scrolled, len(self.term.scrollback))
        if self.term.title != self._title:
            self._title = self.term.title
            self.title_changed.emit(self._title)
        self._update_scrollbar()
        self.viewport().update()

    def cols(self) -> int:
        return int(self.term.columns)

    def rows(self) -> int:
        return int(self.term.lines)

    def screen_text(self) -> list[str]:
        """The visible screen (not scrolled), one string per row."""
        return self.term.screen_text()

    def text(self) -> str:
        """Scrollback and screen as plain text, trailing blanks removed."""
        lines = [*self.term.history_text(), *self.term.screen_text()]
        return "\n".join(line.rstrip() for line in lines).rstrip("\n")

    def cell(self, x: int, y: int) -> Char:
        """The character cell at column x, screen row y."""
        return self.term.buffer[y][x] if y in self.term.buffer else self.term.default_char

    def cell_colours(self, x: int, y: int) -> tuple[QColor, QColor]:
        """(foreground, background) as painted, reverse video applied."""
        return self._cell_colours(self.cell(x, y), selected=False)

    def cursor_position(self) -> tuple[int, int]:
        return int(self.term.cursor.x), int(self.term.cursor.y)

    def scroll_offset(self) -> int:
        return self._scroll

    def scroll_lines(self, n: int) -> None:
        """Scroll the view back (n > 0) or forward (n < 0) through the scrollback."""
        self._set_scroll(self._scroll + n)

    def scroll_to_bottom(self) -> None:
        self._set_scroll(0)

    def setReadOnly(self, read_only: bool) -> None:
        """A read-only terminal (the program ended) shows its text but sends no keys."""
        self._read_only = read_only
        self.viewport().update()

    def isReadOnly(self) -> bool:
        return self._read_only

    def setTerminalFont(self, font: QFont) -> None:
        font.setKerning(False)
        font.setFixedPitch(True)
        self._font = QFont(font)
        self._bold_font = QFont(font)
        self._bold_font.setBold(True)
        fm = QFontMetricsF(self._font)
        self._cw = fm.horizontalAdvance("M")
        self._ch = float(math.ceil(fm.height()))
        self._ascent = fm.ascent()
        self.verticalScrollBar().setSingleStep(1)
        if self.isVisible():  # a hidden widget keeps 80x24 until it is laid out and shown
            self._fit_to_viewport()

    def cellSize(self) -> tuple[float, float]:
        return self._cw, self._ch

    def sizeHint(self) -> QSize:
        sb = self.verticalScrollBar().sizeHint().width()
        return QSize(int(80 * self._cw) + sb + 4, int(24 * self._ch) + 4)

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def paste(self) -> None:
        self.paste_text(QGuiApplication.clipboard().text())

    def paste_text(self, text: str) -> None:
        if not text or self._read_only:
            return
        text = text.replace("\r\n", "\r").replace("\n", "\r")
        if self.term.bracketed_paste:
            text = "\x1b[200~" + text.replace("\x1b[201~", "") + "\x1b[201~"
        self._send(text.encode("utf-8"))

    def selected_text(self) -> str:
        if self._sel_anchor is None or self._sel_end is None or self._sel_anchor == self._sel_end:
            return ""
        (l0, c0), (l1, c1) = sorted([self._sel_anchor, self._sel_end])
        out = []
        for ln in range(l0, l1 + 1):
            text = self.term.text_line(self._abs_line(ln))
            start = c0 if ln == l0 else 0
            end = c1 if ln == l1 else len(text)
            out.append(text[start:end].rstrip())
        return "\n".join(out)

    def select_all(self) -> None:
        total = len(self.term.scrollback) + self.term.lines
        self._sel_anchor, self._sel_end = (0, 0), (total - 1, self.term.columns)
        self.viewport().update()

    def clear_scrollback(self) -> None:
        self.term.scrollback.clear()
        self._scroll = 0
        self._clear_selection()
        self._update_scrollbar()
        self.viewport().update()

    # -- internals ---------------------------------------------------------------------------------------------
    def _make_actions(self) -> None:
        self.copy_action = QAction("Copy", self)
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_action.triggered.connect(self.copy)
        self.paste_action = QAction("Paste", self)
        self.paste_action.setShortcut(QKeySequence("Ctrl+Shift+V"))
        self.paste_action.triggered.connect(self.paste)
        self.select_all_action = QAction("Select all", self)
        self.select_all_action.triggered.connect(self.select_all)
        self.clear_action = QAction("Clear scrollback", self)
        self.clear_action.triggered.connect(self.clear_scrollback)

    def _reply(self, data: str) -> None:
        if not self._read_only:
            self.bytes_to_send.emit(data.encode("utf-8"))

    def _send(self, data: bytes) -> None:
        if data and not self._read_only:
            if self._scroll:
                self.scroll_to_bottom()
            self.bytes_to_send.emit(data)

    def _abs_line(self, ln: int) -> Line:
        """Line `ln` counting from the oldest scrollback line."""
        hist = self.term.scrollback
        if ln < len(hist):
            return hist[ln]
        return self.term.line(ln - len(hist))

    def _set_scroll(self, n: int) -> None:
        n = max(0, min(n, len(self.term.scrollback)))
        if n != self._scroll:
            self._scroll = n
            self._update_scrollbar()
            self.viewport().update()

    def _update_scrollbar(self) -> None:
        sb = self.verticalScrollBar()
        hist = len(self.term.scrollback)
        sb.blockSignals(True)
        sb.setRange(0, hist)
        sb.setPageStep(self.term.lines)
        sb.setValue(hist - self._scroll)
        sb.blockSignals(False)

    def _scrollbar_moved(self, value: int) -> None:
        self._set_scroll(len(self.term.scrollback) - value)

    def _clear_selection(self) -> None:
        if self._sel_anchor is not None:
            self._sel_anchor = self._sel_end = None
            self.viewport().update()

    def _fit_to_viewport(self) -> None:
        vp = self.viewport()
        cols = max(2, int((vp.width() - 2) // self._cw))
        rows = max(1, int((vp.height() - 2) // self._ch))
        if (cols, rows) != (self.term.columns, self.term.lines):
            self.term.resize(rows, cols)
            self._scroll = min(self._scroll, len(self.term.scrollback))
            self._clear_selection()
            self._update_scrollbar()
            self.resized.emit(cols, rows)
        self.viewport().update()

    def _cell_at(self, pos: QPoint) -> tuple[int, int]:
        col = max(0, min(self.term.columns, round((pos.x() - 1) / self._cw)))
        row = max(0, min(self.term.lines - 1, int((pos.y() - 1) // self._ch)))
        first_visible = len(self.term.scrollback) - self._scroll
        return first_visible + row, col

    def _cell_colours(self, ch: Char, selected: bool) -> tuple[QColor, QColor]:
        fg_name = ch.fg
        if ch.bold and fg_name in _BRIGHT:
            fg_name = _BRIGHT[fg_name]
        fg = colour(fg_name, DEFAULT_FG)
        bg = colour(ch.bg, DEFAULT_BG)
        if ch.reverse:
            fg, bg = bg, fg
        if selected:
            bg = QColor(SELECTION_BG)
        return fg, bg

    # -- events ------------------------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_to_viewport()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self.viewport())
        p.fillRect(self.viewport().rect(), QColor(DEFAULT_BG))
        screen = self.term
        chh = self._ch
        hist = screen.scrollback
        first = len(hist) - self._scroll
        sel = None
        if self._sel_anchor is not None and self._sel_end is not None and self._sel_anchor != self._sel_end:
            sel = tuple(sorted([self._sel_anchor, self._sel_end]))
        default = screen.default_char
        for row in range(screen.lines):
            ln = first + row
            line = self._abs_line(ln)
            y = 1 + row * chh
            x = 0
            while x < screen.columns:
                ch = line.get(x, default)
                selected = sel is not None and _in_selection(sel, ln, x)
                style = (ch.fg, ch.bg, ch.bold, ch.italics, ch.underscore, ch.strikethrough, ch.reverse, selected)
                start = x
                chars = [ch.data]
                wide = False
                x += 1
                if x < screen.columns and line.get(x, default).data == "":
                    wide = True  # a double-width character and its stub cell
                    x += 1
                while not wide and x < screen.columns:
                    nxt = line.get(x, default)
                    nsel = sel is not None and _in_selection(sel, ln, x)
                    nstyle = (nxt.fg, nxt.bg, nxt.bold, nxt.italics, nxt.underscore, nxt.strikethrough,
                              nxt.reverse, nsel)  # fmt: skip
                    if nstyle != style or (x + 1 < screen.columns and line.get(x + 1, default).data == ""):
                        break
                    chars.append(nxt.data)
                    x += 1
                self._paint_run(p, ch, selected, start, x, y, "".join(chars))
        self._paint_cursor(p, first)
        p.end()

    def _paint_run(self, p: QPainter, ch: Char, selected: bool, start: int, end: int, y: float, text: str) -> None:
        fg, bg = self._cell_colours(ch, selected)
        rect = QRectF(1 + start * self._cw, y, (end - start) * self._cw, self._ch)
        if bg != QColor(DEFAULT_BG):
            p.fillRect(rect, bg)
        if text.strip() or ch.underscore or ch.strikethrough:
            font = self._bold_font if ch.bold else self._font
            if ch.italics or ch.underscore or ch.strikethrough:
                font = QFont(font)
                font.setItalic(ch.italics)
                font.setUnderline(ch.underscore)
                font.setStrikeOut(ch.strikethrough)
            p.setFont(font)
            p.setPen(fg)
            p.drawText(QPointF(rect.x(), y + self._ascent), text)

    def _paint_cursor(self, p: QPainter, first_visible: int) -> None:
        screen = self.term
        if screen.cursor.hidden or self._read_only:
            return
        cy = len(screen.scrollback) + screen.cursor.y - first_visible
        if not 0 <= cy < screen.lines:
            return
        cx = min(screen.cursor.x, screen.columns - 1)
        rect = QRectF(1 + cx * self._cw, 1 + cy * self._ch, self._cw, self._ch)
        if self.hasFocus():
            p.fillRect(rect, QColor(CURSOR_COLOUR))
            ch = self.cell(cx, screen.cursor.y)
            if ch.data.strip():
                p.setFont(self._bold_font if ch.bold else self._font)
                p.setPen(QColor(DEFAULT_BG))
                p.drawText(QPointF(rect.x(), rect.y() + self._ascent), ch.data)
        else:
            p.setPen(QColor(CURSOR_COLOUR))
            p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))

    def event(self, event: object) -> bool:
        # Let the terminal have every key it is given (Ctrl+letters, Tab...) before any window shortcut.
        # Keys that send nothing (Ctrl+1 to switch pages, say) are left to the window.
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.ShortcutOverride:
            if not self._is_own_shortcut(event) and key_to_bytes(
                event.key(), event.modifiers(), event.text(), self.term.application_cursor_keys
            ):
                event.accept()
                return True
        return super().event(event)  # type: ignore[arg-type]

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab goes to the program, not to the next widget

    def _is_own_shortcut(self, event: QKeyEvent) -> bool:
        mods = event.modifiers()
        both = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        return (mods & both) == both and event.key() in (Qt.Key.Key_C, Qt.Key.Key_V)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if ctrl and shift and key == Qt.Key.Key_C:
            self.copy()
            return
        if ctrl and shift and key == Qt.Key.Key_V:
            self.paste()
            return
        if shift and not ctrl and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            page = max(1, self.term.lines - 1)
            self.scroll_lines(page if key == Qt.Key.Key_PageUp else -page)
            return
        if shift and not ctrl and key in (Qt.Key.Key_Home, Qt.Key.Key_End) and not self.term.alternate_screen:
            self._set_scroll(len(self.term.scrollback) if key == Qt.Key.Key_Home else 0)
            return
        data = key_to_bytes(key, mods, event.text(), self.term.application_cursor_keys)
        if data:
            self._clear_selection()
            self._send(data)
            event.accept()
        else:
            super().keyPressEvent(event)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        if event.commitString():
            self._send(event.commitString().encode("utf-8"))
        event.accept()

    # -- mouse reports to the program (xterm modes 1000/1002/1003, SGR 1006); Shift+mouse always selects --------
    def _reporting(self, event: QMouseEvent | QWheelEvent) -> bool:
        return (self.term.mouse_tracking and not self._read_only
                and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)  # fmt: skip

    def _report_mouse(self, code: int, pos: QPoint, mods: Qt.KeyboardModifier, release: bool = False) -> None:
        col = max(0, min(self.term.columns - 1, int((pos.x() - 1) // self._cw)))
        row = max(0, min(self.term.lines - 1, int((pos.y() - 1) // self._ch)))
        if mods & Qt.KeyboardModifier.AltModifier:
            code += 8
        if mods & Qt.KeyboardModifier.ControlModifier:
            code += 16
        if self.term.mouse_sgr:
            data = f"\x1b[<{code};{col + 1};{row + 1}{'m' if release else 'M'}".encode()
        else:
            if release:
                code = (code & ~3) | 3
            if col + 1 > 222 or row + 1 > 222:
                return  # the old encoding cannot say where
            data = bytes([27, 91, 77, 32 + code, 33 + col, 33 + row])
        self._last_report_cell = (col, row)
        self._send(data)

    @staticmethod
    def _button_code(button: Qt.MouseButton) -> int | None:
        return {Qt.MouseButton.LeftButton: 0, Qt.MouseButton.MiddleButton: 1,
                Qt.MouseButton.RightButton: 2}.get(button)  # fmt: skip

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        lines = round(steps * 3) or (1 if steps > 0 else -1 if steps < 0 else 0)
        if self._reporting(event) and lines:
            for _ in range(max(1, abs(round(steps)))):
                self._report_mouse(64 if lines > 0 else 65, event.position().toPoint(), event.modifiers())
        elif self.term.alternate_screen:
            # Full-screen programs (less, vi, top) get arrow keys, as xterm's alternateScroll does.
            arrow = Qt.Key.Key_Up if lines > 0 else Qt.Key.Key_Down
            seq = key_to_bytes(arrow, Qt.KeyboardModifier.NoModifier, "", self.term.application_cursor_keys)
            self._send(seq * abs(lines))
        else:
            self.scroll_lines(lines)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        code = self._button_code(event.button())
        if self._reporting(event) and code is not None:
            self._mouse_buttons.add(code)
            self._report_mouse(code, event.position().toPoint(), event.modifiers())
            return
        if event.button() == Qt.MouseButton.LeftButton:
            pos = self._cell_at(event.position().toPoint())
            self._sel_anchor = self._sel_end = pos
            self._selecting = True
            self.viewport().update()
        elif event.button() == Qt.MouseButton.MiddleButton:
            cb = QGuiApplication.clipboard()
            mode = QClipboard.Mode.Selection if cb.supportsSelection() else QClipboard.Mode.Clipboard
            self.paste_text(cb.text(mode))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._reporting(event) and not self._selecting:
            motion = self.term.mouse_motion
            if motion == "any" or (motion == "drag" and self._mouse_buttons):
                pos = event.position().toPoint()
                cell = (int((pos.x() - 1) // self._cw), int((pos.y() - 1) // self._ch))
                if cell != self._last_report_cell:
                    held = min(self._mouse_buttons) if self._mouse_buttons else 3
                    self._report_mouse(32 + held, pos, event.modifiers())
            return
        if self._selecting:
            self._sel_end = self._cell_at(event.position().toPoint())
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        code = self._button_code(event.button())
        if code is not None and code in self._mouse_buttons:
            self._mouse_buttons.discard(code)
            if self._reporting(event):
                self._report_mouse(code, event.position().toPoint(), event.modifiers(), release=True)
            return
        if event.button() == Qt.MouseButton.LeftButton and self._selecting:
            self._selecting = False
            self._sel_end = self._cell_at(event.position().toPoint())
            text = self.selected_text()
            cb = QGuiApplication.clipboard()
            if text and cb.supportsSelection():
                cb.setText(text, QClipboard.Mode.Selection)
            self.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._reporting(event):
            self.mousePressEvent(event)  # a second click for the program, not a word selection
            return
        ln, col = self._cell_at(event.position().toPoint())
        text = self.term.text_line(self._abs_line(ln))
        if col >= len(text) or text[min(col, len(text) - 1)].isspace():
            return
        start = col
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = col
        while end < len(text) and not text[end].isspace():
            end += 1
        self._sel_anchor, self._sel_end = (ln, start), (ln, end)
        self._selecting = False
        self.viewport().update()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if self.term.mouse_tracking and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            return  # the right button went to the program; Shift+right click opens the menu
        menu = QMenu(self)
        self.copy_action.setEnabled(bool(self.selected_text()))
        self.paste_action.setEnabled(not self._read_only)
        for action in (self.copy_action, self.paste_action, self.select_all_action, self.clear_action):
            menu.addAction(action)
        menu.exec(event.globalPos())

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.viewport().update()


def _in_selection(sel: tuple[tuple[int, int], ...], ln: int, col: int) -> bool:
    (l0, c0), (l1, c1) = sel
    if ln < l0 or ln > l1:
        return False
    if l0 == l1:
        return c0 <= col < c1
    if ln == l0:
        return col >= c0
    if ln == l1:
        return col < c1
    return True
