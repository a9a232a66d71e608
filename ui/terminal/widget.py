"""(Long because: the one place where Qt's events meet the terminal's parts; the parts are modules of their own.)
TerminalWidget: a terminal emulator widget (xterm-256color) painting a pyte screen.

Transport-agnostic: bytes from the program go into `feed()`, key presses and pastes come out of `bytes_to_send`,
and a size change comes out of `resized(cols, rows)`. The owner wires these to a PTY, an SSH shell, or anything else.

The widget routes Qt's events to its parts: feed.py (output and the flood guard), render.py (colours, painting),
selection.py, scrollback.py (which lines are in view) and mouse.py (mouse reports to the program); keys.py turns key
presses into bytes and screen.py holds the screen model; find.py is the scrollback search, links.py finds web addresses.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QClipboard,
    QColor,
    QContextMenuEvent,
    QDesktopServices,
    QFocusEvent,
    QFont,
    QFontDatabase,
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
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QMessageBox, QWidget
from pyte.screens import Char

from ..plain import plain_message_box
from .feed import FeedQueue
from .find import FindBar
from .keys import key_to_bytes
from .links import url_at
from .mouse import WHEEL_DOWN, WHEEL_UP, MouseReports, button_code
from .render import CellFont, Renderer, cell_colours
from .screen import TerminalEmulator
from .scrollback import ScrollView
from .selection import Selection

DEFAULT_POINT_SIZE = 10
# Ctrl+Shift+digit arrives as the shifted symbol on a US layout (Ctrl+Shift+4 is Ctrl+Shift+$).
_SHIFTED_DIGITS = {Qt.Key.Key_Exclam, Qt.Key.Key_At, Qt.Key.Key_NumberSign, Qt.Key.Key_Dollar, Qt.Key.Key_Percent,
                   Qt.Key.Key_AsciiCircum, Qt.Key.Key_Ampersand, Qt.Key.Key_Asterisk, Qt.Key.Key_ParenLeft,
                   Qt.Key.Key_ParenRight}  # fmt: skip
_FONT_KEYS: dict[int, int] = {Qt.Key.Key_Plus: 1, Qt.Key.Key_Equal: 1, Qt.Key.Key_Minus: -1, Qt.Key.Key_0: 0}


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
        self._title = ""
        self._read_only = False
        self._feed = FeedQueue(self._parse, self)
        self._frame = QTimer(self)  # paints during a flood, once a frame
        self._frame.setSingleShot(True)
        self._frame.timeout.connect(self.viewport().update)
        self._selection = Selection()
        self._mouse = MouseReports()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setAutoFillBackground(False)
        self._view = ScrollView(self.term, self.verticalScrollBar(), self.viewport().update)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(DEFAULT_POINT_SIZE)
        self.setTerminalFont(font)
        self._make_actions()
        self.find_bar = FindBar(self._all_lines, self._search_origin, self)
        self.find_bar.found.connect(self._show_match)
        self.find_bar.closed.connect(lambda: self.setFocus(Qt.FocusReason.OtherFocusReason))
        self.link_box: QMessageBox | None = None  # the "open this address?" question, while it is open

    # -- public API --------------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Bytes from the program (UTF-8 and escape sequences); a flood is parsed in slices (see feed.py)."""
        self._feed.feed(data)

    def pending_bytes(self) -> int:
        """Bytes received but not parsed yet (only during a flood)."""
        return self._feed.pending()

    @property
    def skipped_bytes(self) -> int:
        """Output dropped by the flood guard."""
        return self._feed.skipped_bytes

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
        return cell_colours(self.cell(x, y), selected=False)

    def cursor_position(self) -> tuple[int, int]:
        return int(self.term.cursor.x), int(self.term.cursor.y)

    def scroll_offset(self) -> int:
        return self._view.offset

    def scroll_lines(self, n: int) -> None:
        """Scroll the view back (n > 0) or forward (n < 0) through the scrollback."""
        self._view.scroll_to(self._view.offset + n)

    def scroll_to_bottom(self) -> None:
        self._view.scroll_to(0)

    def setReadOnly(self, read_only: bool) -> None:
        """A read-only terminal (the program ended) shows its text but sends no keys."""
        self._read_only = read_only
        self.viewport().update()

    def isReadOnly(self) -> bool:
        return self._read_only

    def setTerminalFont(self, font: QFont) -> None:
        self._metrics = CellFont(font)
        self._renderer = Renderer(self._metrics)
        self.verticalScrollBar().setSingleStep(1)
        if self.isVisible():  # a hidden widget keeps 80x24 until it is laid out and shown
            self._fit_to_viewport()

    def cellSize(self) -> tuple[float, float]:
        return self._metrics.cw, self._metrics.ch

    def width_for_columns(self, columns: int) -> int:
        """The widget width that shows `columns` cells beside the scroll bar."""
        sb = self.verticalScrollBar().sizeHint().width()
        return int(columns * self._metrics.cw) + sb + 2 * self.frameWidth() + 4

    def sizeHint(self) -> QSize:
        sb = self.verticalScrollBar().sizeHint().width()
        return QSize(int(80 * self._metrics.cw) + sb + 4, int(24 * self._metrics.ch) + 4)

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
        return self._selection.text(self._view.text)

    def select_all(self) -> None:
        self._selection.set((0, 0), (self._view.total_lines() - 1, self.term.columns))
        self.viewport().update()

    def clear_scrollback(self) -> None:
        self.term.scrollback.clear()
        self._view.offset = 0
        self._clear_selection()
        self._view.sync_bar()
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

    def _parse(self, data: bytes) -> None:
        self.emulator.feed(data)
        scrolled = self.term.take_scrolled()
        if scrolled:
            self._clear_selection()
            self._view.output_scrolled(scrolled)
        if self.term.title != self._title:
            self._title = self.term.title
            self.title_changed.emit(self._title)
        self._view.sync_bar()
        if self._feed.pending():  # a flood: paint what is visible at most once a display frame
            if not self._frame.isActive():
                rate = self.screen().refreshRate() if self.screen() is not None else 0.0
                self._frame.start(max(8, int(1000 / rate)) if rate > 0 else 16)
        else:
            self._frame.stop()
            self.viewport().update()

    def _reply(self, data: str) -> None:
        if not self._read_only:
            self.bytes_to_send.emit(data.encode("utf-8"))

    def _send(self, data: bytes) -> None:
        if data and not self._read_only:
            if self._view.offset:
                self.scroll_to_bottom()
            self.bytes_to_send.emit(data)

    def _clear_selection(self) -> None:
        if self._selection.clear():
            self.viewport().update()

    def _fit_to_viewport(self) -> None:
        vp = self.viewport()
        cols = max(2, int((vp.width() - 2) // self._metrics.cw))
        rows = max(1, int((vp.height() - 2) // self._metrics.ch))
        if (cols, rows) != (self.term.columns, self.term.lines):
            self.term.resize(rows, cols)
            self._view.clamp()
            self._clear_selection()
            self._view.sync_bar()
            self.resized.emit(cols, rows)
        self.viewport().update()

    def _cell_at(self, pos: QPoint) -> tuple[int, int]:
        """The absolute cell under `pos` (a column may be one past the last: a selection's end is exclusive)."""
        col = max(0, min(self.term.columns, round((pos.x() - 1) / self._metrics.cw)))
        row = max(0, min(self.term.lines - 1, int((pos.y() - 1) // self._metrics.ch)))
        return self._view.first_visible() + row, col

    def _screen_cell(self, pos: QPoint) -> tuple[int, int]:
        """The (column, screen row) under `pos`, unclamped."""
        return int((pos.x() - 1) // self._metrics.cw), int((pos.y() - 1) // self._metrics.ch)

    # -- events ------------------------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.find_bar.isVisible():
            self._place_find_bar()
        self._fit_to_viewport()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self.viewport())
        cursor = "" if self._read_only else "block" if self.hasFocus() else "outline"
        self._renderer.paint(p, self.viewport().rect(), self.term, self._view.line, self._view.first_visible(),
                             self._selection, cursor)  # fmt: skip
        p.end()

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
        """Keys kept for the application, never taken from the program's point of view: Ctrl+Shift+letter (sends
        the same byte as Ctrl+letter, as in GNOME Terminal), Ctrl+Shift+digit (pages), Ctrl+Shift+PgUp/PgDn, and
        font size Ctrl+Plus/Minus/0.
        Everything else (Ctrl+digits included: Ctrl+4 is ^\\ as in xterm) goes to the program."""
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = event.key()
        both = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        if (mods & both) == both and not mods & Qt.KeyboardModifier.AltModifier:
            return (Qt.Key.Key_A <= key <= Qt.Key.Key_Z or Qt.Key.Key_0 <= key <= Qt.Key.Key_9
                    or key in _SHIFTED_DIGITS or key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown))  # fmt: skip
        return key in _FONT_KEYS and mods in (Qt.KeyboardModifier.ControlModifier, both)

    def open_find(self) -> None:
        """Open the scrollback search (Ctrl+Shift+F)."""
        self._place_find_bar()
        self.find_bar.open()

    def _all_lines(self) -> list[str]:
        return [self._view.text(ln) for ln in range(self._view.total_lines())]

    def _search_origin(self) -> tuple[int, int]:
        return self._view.first_visible() + self.term.lines, 0

    def _show_match(self, ln: int, col: int, length: int) -> None:
        hist = len(self.term.scrollback)
        if not self._view.first_visible() <= ln < self._view.first_visible() + self.term.lines:
            self._view.scroll_to(hist - ln + self.term.lines // 2)
        self._selection.set((ln, col), (ln, col + length))
        self.viewport().update()

    def _place_find_bar(self) -> None:
        w = min(self.viewport().width() - 8, max(320, self.viewport().width() // 2))
        self.find_bar.setGeometry(self.viewport().width() - w - 4, 4, w, self.find_bar.sizeHint().height())

    def link_at(self, pos: QPoint) -> str | None:
        """The http(s) address under the mouse, if any."""
        ln, col = self._cell_at(pos)
        return url_at(self._view.text(ln), col)

    def open_link(self, url: str) -> QMessageBox:
        """Ask before opening: the address is shown in full (a program printed it), and only http(s) is offered."""
        box = plain_message_box(QMessageBox.Icon.Question, "Open link",
                                f"Open this address in the web browser?\n\n{url}",
                                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._link_answered(box, url, result))
        self.link_box = box
        box.open()
        return box

    def _link_answered(self, box: QMessageBox, url: str, result: int) -> None:
        self.link_box = None
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Open:
            QDesktopServices.openUrl(QUrl(url))
        box.deleteLater()

    def zoom(self, steps: int) -> None:
        """Font size one point bigger (+1), smaller (-1) or back to the default (0); the scrollback is kept."""
        font = QFont(self._metrics.font)
        size = DEFAULT_POINT_SIZE if steps == 0 else max(6, min(40, font.pointSize() + steps))
        if size != font.pointSize():
            font.setPointSize(size)
            self.setTerminalFont(font)

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
        if ctrl and shift and key == Qt.Key.Key_F:
            self.open_find()
            return
        if ctrl and key in _FONT_KEYS and not mods & Qt.KeyboardModifier.AltModifier:
            self.zoom(_FONT_KEYS[key])
            return
        if shift and not ctrl and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            page = max(1, self.term.lines - 1)
            self.scroll_lines(page if key == Qt.Key.Key_PageUp else -page)
            return
        if shift and not ctrl and key in (Qt.Key.Key_Home, Qt.Key.Key_End) and not self.term.alternate_screen:
            self._view.scroll_to(len(self.term.scrollback) if key == Qt.Key.Key_Home else 0)
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

    # -- the mouse: reports to the program while it asks for them (see mouse.py); Shift+mouse always selects -----
    def _reporting(self, event: QMouseEvent | QWheelEvent) -> bool:
        return (self.term.mouse_tracking and not self._read_only
                and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)  # fmt: skip

    def _report_mouse(self, code: int, pos: QPoint, mods: Qt.KeyboardModifier, release: bool = False) -> None:
        x, y = self._screen_cell(pos)
        col = max(0, min(self.term.columns - 1, x))
        row = max(0, min(self.term.lines - 1, y))
        data = self._mouse.encode(code, col, row, mods, self.term.mouse_sgr, release)
        if data is not None:
            self._send(data)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        lines = round(steps * 3) or (1 if steps > 0 else -1 if steps < 0 else 0)
        if self._reporting(event) and lines:
            for _ in range(max(1, abs(round(steps)))):
                self._report_mouse(WHEEL_UP if lines > 0 else WHEEL_DOWN, event.position().toPoint(),
                                   event.modifiers())  # fmt: skip
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
        code = button_code(event.button())
        if self._reporting(event) and code is not None:
            self._mouse.buttons.add(code)
            self._report_mouse(code, event.position().toPoint(), event.modifiers())
            return
        if event.button() == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            url = self.link_at(event.position().toPoint())
            if url is not None:  # Ctrl+click on a web address: asked, then opened
                self.open_link(url)
                return
        if event.button() == Qt.MouseButton.LeftButton:
            self._selection.start_at(self._cell_at(event.position().toPoint()))
            self.viewport().update()
        elif event.button() == Qt.MouseButton.MiddleButton:
            cb = QGuiApplication.clipboard()
            mode = QClipboard.Mode.Selection if cb.supportsSelection() else QClipboard.Mode.Clipboard
            self.paste_text(cb.text(mode))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._reporting(event) and not self._selection.dragging:
            motion = self.term.mouse_motion
            if motion == "any" or (motion == "drag" and self._mouse.buttons):
                pos = event.position().toPoint()
                if self._screen_cell(pos) != self._mouse.last_cell:
                    self._report_mouse(self._mouse.motion_code(), pos, event.modifiers())
            return
        if self._selection.dragging:
            self._selection.extend_to(self._cell_at(event.position().toPoint()))
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        code = button_code(event.button())
        if code is not None and code in self._mouse.buttons:
            self._mouse.buttons.discard(code)
            if self._reporting(event):
                self._report_mouse(code, event.position().toPoint(), event.modifiers(), release=True)
            return
        if event.button() == Qt.MouseButton.LeftButton and self._selection.dragging:
            self._selection.dragging = False
            self._selection.extend_to(self._cell_at(event.position().toPoint()))
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
        if self._selection.select_word(ln, col, self._view.text(ln)):
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
