"""Key presses to xterm byte sequences (the table editors and shells rely on), and which shortcuts the terminal
leaves to the window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow

from ui.terminal import TerminalEmulator, TerminalWidget
from ui.terminal.keys import key_to_bytes

pytestmark = pytest.mark.gui

K = Qt.Key
M = Qt.KeyboardModifier
NO = M.NoModifier


@pytest.mark.parametrize(
    ("key", "mods", "text", "app", "expected"),
    [
        (K.Key_A, NO, "a", False, b"a"),
        (K.Key_Eacute, NO, "é", False, "é".encode()),
        (K.Key_Return, NO, "\r", False, b"\r"),
        (K.Key_Backspace, NO, "\x08", False, b"\x7f"),
        (K.Key_Tab, NO, "\t", False, b"\t"),
        (K.Key_Backtab, M.ShiftModifier, "", False, b"\x1b[Z"),
        (K.Key_Escape, NO, "\x1b", False, b"\x1b"),
        (K.Key_Up, NO, "", False, b"\x1b[A"),
        (K.Key_Up, NO, "", True, b"\x1bOA"),
        (K.Key_Left, NO, "", True, b"\x1bOD"),
        (K.Key_Home, NO, "", False, b"\x1b[H"),
        (K.Key_End, NO, "", True, b"\x1bOF"),
        (K.Key_Right, M.ControlModifier, "", False, b"\x1b[1;5C"),
        (K.Key_Up, M.ShiftModifier, "", False, b"\x1b[1;2A"),
        (K.Key_Insert, NO, "", False, b"\x1b[2~"),
        (K.Key_Delete, NO, "", False, b"\x1b[3~"),
        (K.Key_PageUp, NO, "", False, b"\x1b[5~"),
        (K.Key_PageDown, NO, "", False, b"\x1b[6~"),
        (K.Key_F1, NO, "", False, b"\x1bOP"),
        (K.Key_F4, NO, "", False, b"\x1bOS"),
        (K.Key_F5, NO, "", False, b"\x1b[15~"),
        (K.Key_F10, NO, "", False, b"\x1b[21~"),
        (K.Key_F12, NO, "", False, b"\x1b[24~"),
        (K.Key_F5, M.ControlModifier, "", False, b"\x1b[15;5~"),
        (K.Key_C, M.ControlModifier, "", False, b"\x03"),
        (K.Key_D, M.ControlModifier, "\x04", False, b"\x04"),
        (K.Key_Z, M.ControlModifier, "", False, b"\x1a"),
        (K.Key_BracketLeft, M.ControlModifier, "", False, b"\x1b"),
        (K.Key_Space, M.ControlModifier, "", False, b"\x00"),
        (K.Key_B, M.AltModifier, "b", False, b"\x1bb"),
        (K.Key_Backspace, M.AltModifier, "", False, b"\x1b\x7f"),
        (K.Key_Shift, M.ShiftModifier, "", False, b""),
        (K.Key_1, M.ControlModifier, "1", False, b""),
        (K.Key_At, M.ControlModifier | M.AltModifier, "@", False, b"@"),  # AltGr+Q on a German keyboard (Windows)
        (K.Key_X, M.ControlModifier | M.AltModifier, "\x18", False, b"\x1b\x18"),  # Ctrl+Alt+X
    ],
)
def test_key_to_bytes(key: int, mods: Qt.KeyboardModifier, text: str, app: bool, expected: bytes) -> None:
    assert key_to_bytes(key, mods, text, app) == expected


def test_ctrl_number_shortcut_reaches_the_window_but_ctrl_letters_reach_the_program(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = QMainWindow()
    term = TerminalWidget()
    win.setCentralWidget(term)
    fired: list[str] = []
    for seq in ("Ctrl+1", "Ctrl+Q"):
        action = QAction(seq, win)
        action.setShortcut(QKeySequence(seq))
        action.triggered.connect(lambda _=False, seq=seq: fired.append(seq))
        win.addAction(action)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=10_000)
    term.setFocus()
    sent: list[bytes] = []
    term.bytes_to_send.connect(sent.append)
    qtbot.keyClick(term, K.Key_1, M.ControlModifier)
    qtbot.keyClick(term, K.Key_Q, M.ControlModifier)
    assert fired == ["Ctrl+1"]  # the page shortcut still works
    assert sent == [b"\x11"]  # Ctrl+Q went to the program (XON), not to a Quit action


def test_screen_model_alternate_screen_and_scrollback() -> None:
    emu = TerminalEmulator(20, 4, scrollback=100)
    emu.feed(b"one\r\ntwo\r\nthree\r\nfour\r\nfive\r\n")
    assert [line.rstrip() for line in emu.screen.history_text()] == ["one", "two"]
    emu.feed(b"\x1b[?1049h\x1b[2J\x1b[HFULL SCREEN")
    assert emu.screen.alternate_screen and emu.screen.screen_text()[0].startswith("FULL SCREEN")
    emu.feed(b"\x1b[?1049l")
    assert not emu.screen.alternate_screen
    assert [line.rstrip() for line in emu.screen.screen_text()][:3] == ["three", "four", "five"]
    # Replies to the program's queries go back through `reply` (cursor position report).
    replies: list[str] = []
    emu.screen.reply = replies.append
    emu.feed(b"\x1b[6n")
    assert replies == ["\x1b[4;1R"]
    # A sequence pyte cannot handle does not lose the text after it.
    emu.feed(b"\x1b[>4;2mafter")
    assert "after" in emu.screen.screen_text()[3]


def test_shrinking_keeps_the_cursor_line_and_moves_the_rest_to_scrollback() -> None:
    emu = TerminalEmulator(20, 6)
    emu.feed(b"a\r\nb\r\nc\r\nd\r\n$ ")
    emu.screen.resize(3, 20)
    assert [line.rstrip() for line in emu.screen.screen_text()] == ["c", "d", "$"]
    assert [line.rstrip() for line in emu.screen.history_text()] == ["a", "b"]
    assert emu.screen.cursor.y == 2
