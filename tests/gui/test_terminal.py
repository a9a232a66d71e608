"""The terminal widget driven by a real program on a local PTY (bash, vi, od): what a user types reaches the
program, and what the program draws is on the screen."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import struct
import subprocess
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSocketNotifier, Qt
from PySide6.QtGui import QColor, QGuiApplication

from tests.conftest import need
from ui.terminal import TerminalWidget
from ui.terminal.render import ANSI_COLOURS

pytestmark = pytest.mark.gui


class LocalPty:
    """A program on a pseudo-terminal, wired to a TerminalWidget the way an SSH shell is."""

    def __init__(self, term: TerminalWidget, argv: list[str], cwd: Path) -> None:
        self.term = term
        self.master, slave = os.openpty()
        self._set_size(term.cols(), term.rows())
        env = {
            "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd),
            "PS1": "$ ", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        }  # fmt: skip
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )  # fmt: skip
        os.close(slave)
        os.set_blocking(self.master, False)
        self.notifier = QSocketNotifier(self.master, QSocketNotifier.Type.Read)
        self.notifier.activated.connect(self._readable)
        term.bytes_to_send.connect(self.write)
        term.resized.connect(self._set_size)
        self.sent: list[bytes] = []

    def _set_size(self, cols: int, rows: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def _readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.notifier.setEnabled(False)
            return
        self.term.feed(data)

    def write(self, data: bytes) -> None:
        self.sent.append(data)
        os.write(self.master, data)

    def close(self) -> None:
        self.notifier.setEnabled(False)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        os.close(self.master)


@pytest.fixture
def term(qtbot):  # type: ignore[no-untyped-def]
    w = TerminalWidget()
    qtbot.addWidget(w)
    w.resize(800, 480)
    w.show()
    qtbot.waitExposed(w)
    w.setFocus()
    return w


@pytest.fixture
def shell(term: TerminalWidget, tmp_path: Path) -> Iterator[LocalPty]:
    pty = LocalPty(term, ["bash", "--norc", "--noprofile", "-i"], tmp_path)
    yield pty
    pty.close()


def wait_text(qtbot, term: TerminalWidget, needle: str, timeout: int = 10000) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: needle in term.text(), timeout=timeout)


def type_line(qtbot, term: TerminalWidget, line: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(term, line)
    qtbot.keyClick(term, Qt.Key.Key_Return)


def test_typed_command_runs_and_its_output_is_shown(qtbot, term, shell) -> None:  # type: ignore[no-untyped-def]
    wait_text(qtbot, term, "$")
    type_line(qtbot, term, "echo hel''lo")
    # The echoed command line contains hel''lo; only the command's output has "hello" on a line of its own.
    qtbot.waitUntil(lambda: "hello" in [line.strip() for line in term.screen_text()], timeout=10000)
    assert any("echo hel''lo" in line for line in term.screen_text())


def test_colours_are_parsed_and_painted(qtbot, term, shell) -> None:  # type: ignore[no-untyped-def]
    wait_text(qtbot, term, "$")
    type_line(qtbot, term, r"printf '\e[31mRED\e[0m \e[1;4mBOLD\e[0m \e[38;5;208mORANGE\e[0m "
                           r"\e[38;2;10;20;250mTRUE\e[0m \e[7mREV\e[0m\n'")  # fmt: skip
    qtbot.waitUntil(lambda: any(line.startswith("RED BOLD") for line in term.screen_text()), timeout=10000)
    y = next(i for i, line in enumerate(term.screen_text()) if line.startswith("RED BOLD"))
    red = term.cell(0, y)
    assert red.data == "R" and red.fg == "red"
    bold = term.cell(4, y)
    assert bold.data == "B" and bold.bold and bold.underscore
    orange = term.cell(9, y)
    assert orange.data == "O" and orange.fg == "ff8700"  # xterm 256-colour 208
    true = term.cell(16, y)
    assert true.data == "T" and true.fg == "0a14fa"
    rev = term.cell(21, y)
    assert rev.data == "R" and rev.reverse
    # What is painted: the colours as QColors, reverse video swapped.
    assert term.cell_colours(0, y)[0] == QColor(ANSI_COLOURS["red"])
    assert term.cell_colours(16, y)[0] == QColor(10, 20, 250)
    fg, bg = term.cell_colours(21, y)
    assert bg.lightness() > fg.lightness()
    # And the pixels: the reverse-video cell is painted with a light background.
    image = term.viewport().grab().toImage()
    cw, ch = term.cellSize()
    pixel = image.pixelColor(int(1 + 21.5 * cw * image.devicePixelRatio()), int(1 + (y + 0.1) * ch))
    assert pixel.lightness() > 150, pixel.name()


def test_arrows_escape_function_and_ctrl_keys_reach_the_program(qtbot, term, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "keys.bin"
    # The program sees the raw bytes: no echo, no line editing, no signals.
    pty = LocalPty(term, ["sh", "-c", f"stty raw -echo; printf RAW-READY; head -c 40 > {out}; echo DONE"], tmp_path)
    try:
        wait_text(qtbot, term, "RAW-READY")  # printed once the terminal is in raw mode: keys typed now arrive raw
        for key, mods in [
            (Qt.Key.Key_Up, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier),
            (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier),
            (Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier),
            (Qt.Key.Key_PageDown, Qt.KeyboardModifier.NoModifier),
        ]:
            qtbot.keyClick(term, key, mods)
        qtbot.keyClicks(term, "zzzzzzz")
        wait_text(qtbot, term, "DONE")
        got = out.read_bytes()
        assert got.startswith(
            b"\x1b[A" b"\x1b[D" b"\x1b" b"\x1b[15~" b"\x1bOP" b"\x03" b"\x1b[3~" b"\t" b"\x7f" b"\x1bx"
            b"\x1b[1;5C" b"\x1b[6~"
        ), got  # fmt: skip
    finally:
        pty.close()


def test_application_cursor_mode_changes_what_arrows_send(qtbot, term, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "keys.bin"
    # DECCKM on (as vi and less switch it on), then read the arrow keys.
    pty = LocalPty(term, ["sh", "-c", f"stty raw -echo; printf '\\033[?1h'; head -c 6 > {out}; echo DONE"], tmp_path)
    try:
        qtbot.waitUntil(lambda: term.term.application_cursor_keys, timeout=10000)
        qtbot.keyClick(term, Qt.Key.Key_Up)
        qtbot.keyClick(term, Qt.Key.Key_Down)
        wait_text(qtbot, term, "DONE")
        assert out.read_bytes() == b"\x1bOA\x1bOB"
    finally:
        pty.close()


def test_vi_full_screen_and_keys(qtbot, term, shell, tmp_path) -> None:  # type: ignore[no-untyped-def]
    vi = shutil.which("vim.tiny") or shutil.which("vi")
    need(vi is not None, "vi (apt package vim-tiny)")
    (tmp_path / "notes.txt").write_text("first line\nsecond line\n")
    wait_text(qtbot, term, "$")
    type_line(qtbot, term, f"{vi} -u NONE -N notes.txt")
    # vi's full-screen UI: the file at the top, "~" on the empty lines, the file name in the status line.
    qtbot.waitUntil(lambda: sum(line.startswith("~") for line in term.screen_text()) >= 5, timeout=15000)
    screen = term.screen_text()
    assert screen[0].startswith("first line") and screen[1].startswith("second line")
    assert term.term.alternate_screen
    # Down arrow, then insert text at the start of line 2, Esc, save and quit: the file on disk changed.
    qtbot.keyClick(term, Qt.Key.Key_Down)
    qtbot.keyClicks(term, "iEDITED ")
    qtbot.keyClick(term, Qt.Key.Key_Escape)
    qtbot.keyClicks(term, ":wq")
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not term.term.alternate_screen, timeout=15000)
    assert (tmp_path / "notes.txt").read_text() == "first line\nEDITED second line\n"
    # Leaving vi restores the shell's screen with the command line that started it.
    assert any("notes.txt" in line for line in term.screen_text())


def test_top_draws_its_header(qtbot, term, shell) -> None:  # type: ignore[no-untyped-def]
    need(shutil.which("top") is not None, "top (apt package procps)")
    wait_text(qtbot, term, "$")
    type_line(qtbot, term, "top -d 1")
    qtbot.waitUntil(lambda: any(line.startswith("top - ") for line in term.screen_text()), timeout=15000)
    qtbot.waitUntil(lambda: any("PID" in line and "COMMAND" in line for line in term.screen_text()), timeout=15000)
    qtbot.keyClicks(term, "q")
    qtbot.waitUntil(lambda: not any(line.startswith("top - ") for line in term.screen_text()), timeout=15000)


def test_resize_changes_the_pty_size(qtbot, term, shell) -> None:  # type: ignore[no-untyped-def]
    wait_text(qtbot, term, "$")
    sizes: list[tuple[int, int]] = []
    term.resized.connect(lambda c, r: sizes.append((c, r)))
    term.resize(500, 300)
    qtbot.waitUntil(lambda: bool(sizes))
    cols, rows = term.cols(), term.rows()
    assert sizes[-1] == (cols, rows) and cols < 80
    type_line(qtbot, term, "stty size")
    qtbot.waitUntil(lambda: f"{rows} {cols}" in [line.strip() for line in term.screen_text()], timeout=10000)


def test_scrollback_wheel_and_shift_pageup(qtbot, term, shell) -> None:  # type: ignore[no-untyped-def]
    wait_text(qtbot, term, "$")
    type_line(qtbot, term, "seq -f 'line%g' 1 200")
    qtbot.waitUntil(lambda: "line200" in [line.strip() for line in term.screen_text()], timeout=10000)
    assert "line1" in [line.strip() for line in term.term.history_text()]
    assert not any(line.strip() == "line150" for line in term.screen_text()) or term.rows() > 50
    top_before = term.grab()
    qtbot.keyClick(term, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ShiftModifier)
    assert term.scroll_offset() == term.rows() - 1
    assert term.grab().toImage() != top_before.toImage()
    # Mouse wheel: three lines a notch.
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    before = term.scroll_offset()
    ev = QWheelEvent(QPointF(10, 10), QPointF(10, 10), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QGuiApplication.sendEvent(term.viewport(), ev)
    assert term.scroll_offset() == before + 3
    # New output does not move what is being read.
    first_row = term.viewport().grab().toImage()
    offset = term.scroll_offset()
    term.feed(b"\r\nnew line 1\r\nnew line 2\r\n")
    assert term.scroll_offset() == offset + 3
    assert term.viewport().grab().toImage() == first_row
    # Typing returns to the bottom.
    qtbot.keyClicks(term, "e")
    assert term.scroll_offset() == 0


def test_copy_selection_and_paste(qtbot, term, shell) -> None:  # type: ignore[no-untyped-def]
    wait_text(qtbot, term, "$")
    type_line(qtbot, term, "echo copy-me-please")
    qtbot.waitUntil(lambda: "copy-me-please" in [line.strip() for line in term.screen_text()], timeout=10000)
    y = [line.strip() for line in term.screen_text()].index("copy-me-please")
    cw, ch = term.cellSize()
    qtbot.mouseDClick(term.viewport(), Qt.MouseButton.LeftButton, pos=_cell_point(cw, ch, 3, y))
    qtbot.keyClick(term, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == "copy-me-please"
    # Drag-select part of the line.
    qtbot.mousePress(term.viewport(), Qt.MouseButton.LeftButton, pos=_cell_point(cw, ch, 0, y))
    qtbot.mouseMove(term.viewport(), _cell_point(cw, ch, 4, y))
    qtbot.mouseRelease(term.viewport(), Qt.MouseButton.LeftButton, pos=_cell_point(cw, ch, 4, y))
    assert term.selected_text() == "copy"
    # Paste: a clipboard text goes to the program as if typed.
    QGuiApplication.clipboard().setText("echo pas''ted")
    qtbot.keyClick(term, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "pasted" in [line.strip() for line in term.screen_text()], timeout=10000)


def _cell_point(cw: float, ch: float, col: int, row: int):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint

    return QPoint(int(1 + col * cw + 1), int(1 + row * ch + ch / 2))


def test_a_flood_is_parsed_in_slices_and_skipped_beyond_the_limit(qtbot, term) -> None:  # type: ignore[no-untyped-def]
    from ui.terminal import feed as w

    line = b"flood line with some text in it\r\n"
    burst = line * (w.FLOOD_LIMIT // len(line) + 20000)  # more than the flood limit at once
    term.feed(burst + b"END OF FLOOD\r\n")
    assert term.pending_bytes() <= w.FLOOD_KEEP + 200  # the oldest part was dropped...
    assert term.skipped_bytes > 0
    seen_notice: list[bool] = []

    def parsed_all() -> bool:  # ...and the rest is parsed slice by slice, the notice first
        seen_notice.append("output skipped to keep up]" in term.text())
        return term.pending_bytes() == 0

    qtbot.waitUntil(parsed_all, timeout=60000)
    assert any(seen_notice), "the skip notice was never on the terminal"
    assert "END OF FLOOD" in term.text().splitlines()[-1]
    # Small output with nothing pending is shown at once.
    term.feed(b"now\r\n")
    assert "now" in [x.strip() for x in term.screen_text()]


@pytest.mark.parametrize("sgr", [True, False])
def test_mouse_reports_reach_a_program_that_asks_for_them(qtbot, term, tmp_path, sgr: bool) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    out = tmp_path / "mouse.bin"
    modes = "\\033[?1000h" + ("\\033[?1006h" if sgr else "")
    expected = (b"\x1b[<0;4;3M" b"\x1b[<0;4;3m" b"\x1b[<64;4;3M") if sgr else (
        bytes([27, 91, 77, 32, 36, 35]) + bytes([27, 91, 77, 35, 36, 35]) + bytes([27, 91, 77, 96, 36, 35]))
    pty = LocalPty(term, ["sh", "-c", f"stty raw -echo; printf '{modes}'; head -c {len(expected)} > {out}; echo DONE"],
                   tmp_path)  # fmt: skip
    try:
        qtbot.waitUntil(lambda: term.term.mouse_tracking and term.term.mouse_sgr == sgr, timeout=10000)
        cw, ch = term.cellSize()
        at = _cell_point(cw, ch, 3, 2)  # column 4, row 3 (1-based)
        # Shift+click still selects text and reports nothing.
        qtbot.mouseClick(term.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, at)
        qtbot.mouseClick(term.viewport(), Qt.MouseButton.LeftButton, pos=at)
        wheel = QWheelEvent(QPointF(at), QPointF(at), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
        QGuiApplication.sendEvent(term.viewport(), wheel)
        wait_text(qtbot, term, "DONE")
        assert out.read_bytes() == expected
    finally:
        pty.close()


def test_bracketed_paste_wraps_pasted_text_when_asked(qtbot, term, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "paste.bin"
    expected = b"\x1b[200~two\rlines\x1b[201~"
    pty = LocalPty(term, ["sh", "-c", f"stty raw -echo; printf '\\033[?2004h'; head -c {len(expected)} > {out}; "
                                      "echo DONE"], tmp_path)  # fmt: skip
    try:
        qtbot.waitUntil(lambda: term.term.bracketed_paste, timeout=10000)
        QGuiApplication.clipboard().setText("two\nlines")
        qtbot.keyClick(term, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        wait_text(qtbot, term, "DONE")
        assert out.read_bytes() == expected
    finally:
        pty.close()
