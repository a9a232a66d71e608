"""The terminal on the Remote page against a real sshd: it gets the width (80 columns or more at the default
1280x800 window), every action is reachable by keyboard through Ctrl+Shift chords that leave the program its keys
(Ctrl+4 still reaches it), the font size changes with Ctrl+Plus/Minus and the scrollback survives it.

Screenshots of the main window at 1280x800 and 1920x1080 go to the test's folder (docs/screenshots/ with
DESKSIDE_SCREENSHOTS=1)."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from tests.gui.test_remote_page import Env, connect_trusted, env, run_in_terminal  # noqa: F401
from tests.gui.test_remote_page_screenshot import out_dir
from tests.integration.sshd import Sshd, ssh_env, sshd_server  # noqa: F401
from ui.main_window import MainWindow
from ui.remote_page import RemotePage, SessionView
from ui.terminal import TerminalWidget

pytestmark = [pytest.mark.gui, pytest.mark.integration]
K = Qt.Key
M = Qt.KeyboardModifier
CS = M.ControlModifier | M.ShiftModifier


def open_window(qtbot, env: Env, size: tuple[int, int]) -> tuple[MainWindow, RemotePage]:  # type: ignore[no-untyped-def]
    window = MainWindow("terminal-test")
    window.add_page("diagnostics", "Diagnostics", QLabel("diagnostics"))
    page = RemotePage(env.services())
    window.add_page("remote", "Remote", page)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.show_page("remote")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
    return window, page


def connected(qtbot, env: Env, sshd: Sshd) -> tuple[MainWindow, RemotePage, SessionView, TerminalWidget]:  # type: ignore[no-untyped-def]
    """The main window at 1280x800 on the Remote page, connected to the real sshd, with its first terminal."""
    window, page = open_window(qtbot, env, (1280, 800))
    view = connect_trusted(qtbot, page, env, sshd)
    return window, page, view, terminal_of(view)


def terminal_of(view: SessionView) -> TerminalWidget:
    term = view.current_terminal()
    assert term is not None
    return term


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=["1280x800", "1920x1080"])
def test_the_terminal_gets_the_space(qtbot, env: Env, sshd_server: Sshd, tmp_path: Path,  # type: ignore[no-untyped-def]
                                     size: tuple[int, int]) -> None:  # fmt: skip
    window, page = open_window(qtbot, env, size)
    view = connect_trusted(qtbot, page, env, sshd_server)
    term = terminal_of(view)
    run_in_terminal(qtbot, view, "clear; stty size", f"{term.rows()} {term.cols()}")
    assert term.cols() >= 80, f"{term.cols()} columns at {size}"
    run_in_terminal(qtbot, view, "ls -la /usr | head -8; echo listed", "listed")
    assert view.split.sizes()[1] > 0 or size[0] < 1400  # the file pane is beside it when there is room
    qtbot.wait(100)
    assert window.grab().save(str(out_dir(tmp_path) / f"remote-{size[0]}x{size[1]}.png"))


def test_keyboard_leaves_and_returns_and_ctrl_4_reaches_the_program(qtbot, env: Env,  # type: ignore[no-untyped-def]
                                                                     sshd_server: Sshd) -> None:  # fmt: skip
    window, page, view, term = connected(qtbot, env, sshd_server)
    run_in_terminal(qtbot, view, "clear; echo ready", "ready")
    # Tab, Ctrl+Tab and Ctrl+4 are the program's (Ctrl+4 is ^\\ as in xterm): cat -A, with signals off, shows them.
    run_in_terminal(qtbot, view, "stty -isig; echo cat-started; cat -A; stty sane; echo cat-ended", "cat-started")
    qtbot.keyClick(term, K.Key_Tab)
    qtbot.keyClick(term, K.Key_Tab, M.ControlModifier)
    qtbot.keyClick(term, K.Key_4, M.ControlModifier)
    qtbot.keyClick(term, K.Key_Return)
    assert term.hasFocus()
    qtbot.waitUntil(lambda: any(line.strip() == "^I^I^\\$" for line in term.text().splitlines()), timeout=20000)
    assert window.current_page_key() == "remote"
    qtbot.keyClick(term, K.Key_D, M.ControlModifier)
    qtbot.waitUntil(lambda: "cat-ended" in [line.strip() for line in term.text().splitlines()], timeout=20000)
    # Ctrl+Shift+L leaves the terminal for the buttons; from there Tab walks the page and Ctrl+4 is the window's.
    qtbot.keyClick(term, K.Key_L, CS)
    qtbot.waitUntil(lambda: view.new_terminal_button.hasFocus())
    # Ctrl+Shift+E folds the file pane away and back; Ctrl+Shift+K returns to the terminal.
    before = view.split.sizes()[1]
    qtbot.keyClick(view.new_terminal_button, K.Key_E, CS)
    assert view.split.sizes()[1] == (0 if before else view.split.sizes()[1])
    qtbot.keyClick(view.new_terminal_button, K.Key_K, CS)
    qtbot.waitUntil(term.hasFocus)
    # Ctrl+Shift+T opens a second terminal, Ctrl+Shift+PgUp goes back to the first.
    qtbot.keyClick(term, K.Key_T, CS)
    qtbot.waitUntil(lambda: view.terminal_tabs.count() == 2)
    second = terminal_of(view)
    qtbot.waitUntil(second.hasFocus)
    qtbot.keyClick(second, K.Key_PageUp, CS)
    qtbot.waitUntil(lambda: view.current_terminal() is term)
    # Ctrl+Shift+<n> switches pages from inside the terminal (Ctrl+<n> stays the program's).
    qtbot.keyClick(term, K.Key_1, CS)
    qtbot.waitUntil(lambda: window.current_page_key() == "diagnostics")
    window.show_page("remote")
    term.setFocus()
    # Ctrl+Shift+H brings the host list back (it folded when the connection opened).
    assert page.split.sizes()[0] == 0
    qtbot.keyClick(term, K.Key_H, CS)
    assert page.split.sizes()[0] > 0


def test_font_size_keeps_the_scrollback(qtbot, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    _window, _page, view, term = connected(qtbot, env, sshd_server)
    run_in_terminal(qtbot, view, "seq 1 300; echo counted", "counted")
    history = [line.rstrip() for line in term.term.history_text()]
    assert "1" in history
    cols, cell = term.cols(), term.cellSize()
    sent: list[bytes] = []
    term.bytes_to_send.connect(sent.append)
    qtbot.keyClick(term, K.Key_Plus, M.ControlModifier)
    qtbot.keyClick(term, K.Key_Plus, M.ControlModifier)
    qtbot.waitUntil(lambda: term.cols() < cols)
    assert term.cellSize()[0] > cell[0]
    assert sent == []  # the zoom keys did not go to the program
    kept = [line.rstrip() for line in term.term.history_text()]
    assert kept[: len(history)] == [line[: term.cols()].rstrip() for line in history]  # shown as wide as it is now
    run_in_terminal(qtbot, view, "stty size", f"{term.rows()} {term.cols()}")
    qtbot.keyClick(term, K.Key_0, M.ControlModifier)
    qtbot.waitUntil(lambda: term.cols() == cols)
    kept = [line.rstrip() for line in term.term.history_text()]
    assert kept[: len(history)] == history  # and whole again at the old width


def test_find_in_scrollback_and_a_clicked_link_is_asked_then_opened(qtbot, env: Env,  # type: ignore[no-untyped-def]
                                                                    sshd_server: Sshd) -> None:  # fmt: skip
    _window, _page, view, term = connected(qtbot, env, sshd_server)
    run_in_terminal(qtbot, view, "echo needle-$((6*7)); seq 1 200; echo scrolled", "scrolled")
    # Ctrl+Shift+F: the search field; Enter finds the older match and scrolls it into view, selected.
    qtbot.keyClick(term, K.Key_F, CS)
    qtbot.waitUntil(term.find_bar.hasFocus)
    qtbot.keyClicks(term.find_bar, "NEEDLE-42")
    qtbot.keyClick(term.find_bar, K.Key_Return)
    qtbot.waitUntil(lambda: term.selected_text() == "needle-42")
    assert term.scroll_offset() > 0
    qtbot.keyClick(term.find_bar, K.Key_Escape)
    qtbot.waitUntil(term.hasFocus)
    # A web address printed by the program: Ctrl+click asks first, showing it, then hands it to the browser.
    opened: list[str] = []

    class Browser(QObject):
        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            opened.append(url.toString())

    browser = Browser()
    QDesktopServices.setUrlHandler("https", browser, "open")
    try:
        run_in_terminal(qtbot, view, "clear; echo 'docs: https://example.org/a_(b)/x?q=1, then file:///etc/passwd'",
                        "docs: https://example.org/a_(b)/x?q=1, then file:///etc/passwd")  # fmt: skip
        ln = next(i for i, line in enumerate(term.screen_text()) if line.startswith("docs: "))
        cw, ch = term.cellSize()
        url_pos = QPoint(int(10 * cw), int((ln + 0.5) * ch))
        qtbot.mouseClick(term.viewport(), Qt.MouseButton.LeftButton, M.ControlModifier, url_pos)
        qtbot.waitUntil(lambda: term.link_box is not None)
        assert term.link_box is not None
        assert "https://example.org/a_(b)/x?q=1\n" in term.link_box.text() + "\n"
        term.link_box.button(QMessageBox.StandardButton.Open).click()
        qtbot.waitUntil(lambda: opened == ["https://example.org/a_(b)/x?q=1"])
        file_pos = QPoint(int(50 * cw), int((ln + 0.5) * ch))
        assert term.link_at(file_pos) is None  # file: (or any other scheme) is not offered
    finally:
        QDesktopServices.unsetUrlHandler("https")


def test_the_locale_is_sent_and_a_refusal_is_said(qtbot, env: Env, sshd_server: Sshd,  # type: ignore[no-untyped-def]
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("LANG", "C.UTF-8")
    accepting = env.ssh.sshd("acceptenv-gui", extra="AcceptEnv LANG LC_*")
    try:
        _window, _page, view, term = connected(qtbot, env, accepting)
        run_in_terminal(qtbot, view, "echo \"lang=$LANG\"", "lang=C.UTF-8")
        assert "did not accept" not in term.text()
    finally:
        accepting.stop()
    _window, _page, view, term = connected(qtbot, env, sshd_server)  # its config has no AcceptEnv
    qtbot.waitUntil(lambda: "[the server did not accept LANG (its sshd AcceptEnv setting): programs there use its "
                            "default locale]" in term.text(), timeout=20000)  # fmt: skip
