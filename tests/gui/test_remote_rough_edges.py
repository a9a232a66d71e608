"""Rough edges of the Remote page found walking through it as a user, against the real test sshd: Enter on a host
connects, quitting with a session and a tunnel open asks first, a failed tunnel's row can be removed, a long file
name leaves Size and Modified in view, and quick connect / Import read ~/.ssh/config on a worker thread."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.tasks import TaskRunner
from remote.hosts import HostProfile, import_ssh_config, resolve_target
from tests.gui.test_remote_page import Env, connect_trusted, env, page, run_in_terminal, wait_state  # noqa: F401
from tests.integration.sshd import Sshd, SshEnv, ssh_env, sshd_server  # noqa: F401
from ui.main_window import MainWindow
from ui.remote_page import RemotePage
from ui.remote_services import RemoteServices

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_enter_on_the_selected_host_connects(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    env.trust(sshd_server)
    env.book.add(env.profile(sshd_server, name="web1"))
    page.book_panel.refresh()
    page.book_panel.select("web1")
    page.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page.window(), timeout=10_000)
    page.book_panel.tree.setFocus()
    with qtbot.waitSignal(page.session_started, timeout=10_000) as sig:
        qtbot.keyClick(page.book_panel.tree, Qt.Key.Key_Return)
    view = sig.args[0]
    assert view.session.profile.name == "web1"
    wait_state(qtbot, view, "connected")
    assert page.sessions.tabText(page.sessions.currentIndex()) == "web1"


def _window_with(qtbot, page: RemotePage) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow("test")
    qtbot.addWidget(window)
    window.add_page("remote", "Remote", page)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def _free_port_in_use() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def test_quitting_with_a_session_and_a_tunnel_open_asks_first(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                              sshd_server: Sshd) -> None:  # fmt: skip
    window = _window_with(qtbot, page)
    assert window.open_work() == []
    view = connect_trusted(qtbot, page, env, sshd_server)
    tun = view.tunnels
    tun.bind_port.setValue(0)
    tun.dest_port.setValue(sshd_server.port)
    fid = tun.start_tunnel()
    qtbot.waitUntil(lambda: tun.state(fid) == "running", timeout=20_000)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
    view.leave_terminal()  # in the terminal Ctrl+Q is the program's (XON): Ctrl+Shift+Q quits from there
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    box = window.quit_question
    assert box is not None and box.isVisible()
    assert box.text() == "1 SSH session and 1 tunnel are open. Quit and close them?"
    assert window.isVisible() and view.state == "connected"  # nothing closed yet
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and window.quit_question is None and view.state == "connected"
    view.focus_terminal()
    qtbot.keyClick(view.current_terminal(), Qt.Key.Key_Q,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    box = window.quit_question
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    window.close()  # closing the window asks the same
    box = window.quit_question
    assert box is not None and "1 SSH session and 1 tunnel" in box.text()
    quit_button = next(b for b in box.buttons() if b.text().replace("&", "") == "Quit")
    quit_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)


def test_no_question_when_nothing_is_open_any_more(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    window = _window_with(qtbot, page)
    view = connect_trusted(qtbot, page, env, sshd_server)
    assert window.open_work() == [(1, "SSH session")]
    view.disconnect_session()
    assert window.open_work() == []
    window.close()
    assert window.quit_question is None and not window.isVisible()


def test_a_failed_tunnel_row_can_be_removed(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    busy = _free_port_in_use()
    view = connect_trusted(qtbot, page, env, sshd_server)
    tun = view.tunnels
    view.side.setCurrentWidget(tun)
    tun.bind_port.setValue(busy.getsockname()[1])  # already taken: the tunnel fails
    failed = tun.start_tunnel()
    qtbot.waitUntil(lambda: tun.state(failed) == "failed", timeout=20_000)
    assert tun.message.isVisible()
    button = tun._stop_buttons[failed]
    assert button.text() == "Remove" and button.isEnabled()
    button.click()
    assert tun.list.topLevelItemCount() == 0 and failed not in tun.tunnel_ids()
    assert not tun.message.isVisible()
    # The Delete key removes a stopped or failed row; a running tunnel stays until stopped.
    again = tun.start_tunnel()
    qtbot.waitUntil(lambda: tun.state(again) == "failed", timeout=20_000)
    tun.bind_port.setValue(0)
    tun.dest_port.setValue(sshd_server.port)
    running = tun.start_tunnel()
    qtbot.waitUntil(lambda: tun.state(running) == "running", timeout=20_000)
    tun.list.setFocus()
    for fid in (again, running):
        tun.list.setCurrentItem(tun._items[fid])
        qtbot.keyClick(tun.list, Qt.Key.Key_Delete)
    assert tun.tunnel_ids() == [running]  # Delete removed the failed row and stops the running tunnel
    qtbot.waitUntil(lambda: tun.state(running) == "stopped", timeout=20_000)
    qtbot.keyClick(tun.list, Qt.Key.Key_Delete)  # ...and removes it once stopped
    assert tun.tunnel_ids() == [] and tun.list.topLevelItemCount() == 0
    busy.close()


def test_a_long_file_name_leaves_size_and_modified_in_view(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                           sshd_server: Sshd, tmp_path: Path) -> None:  # fmt: skip
    long_name = "quarterly-report-" + "very-" * 40 + "long-name.txt"  # 232 characters
    view = connect_trusted(qtbot, page, env, sshd_server)
    folder = f"long-folder-{secrets.token_hex(4)}"
    run_in_terminal(qtbot, view, f"mkdir {folder} && head -c 1500 /dev/zero > {folder}/{long_name} && "
                                 f"touch {folder}/short.txt && echo made-$((2*3))", "made-6")  # fmt: skip
    files = view.files
    files.open_dir(folder)
    qtbot.waitUntil(lambda: files.path.endswith(folder) and files.listing.topLevelItemCount() == 2, timeout=20_000)
    listing = files.listing
    header = listing.header()
    shown = listing.viewport().width()
    right_edge = max(header.sectionViewportPosition(c) + header.sectionSize(c) for c in range(3))
    assert right_edge <= shown, "a column is pushed off-screen"
    item = next(listing.topLevelItem(i) for i in range(2) if listing.topLevelItem(i).text(0) == long_name)
    modified = listing.visualItemRect(item)
    assert header.sectionSize(2) >= listing.fontMetrics().horizontalAdvance(item.text(2))  # "2026-12-03 01:10"
    assert header.sectionSize(1) >= listing.fontMetrics().horizontalAdvance(item.text(1))
    assert modified.width() > 0 and item.toolTip(0) == long_name  # the whole name on hover
    assert page.window().grab().save(str(tmp_path / "remote-long-file-name.png"))  # to look at (--basetemp)
    run_in_terminal(qtbot, view, f"rm -rf ~/{folder} && echo removed-$((3*3))", "removed-9")  # the account is shared


def _threaded_services(env: Env, runner: TaskRunner, seen: list[QThread]) -> RemoteServices:
    def resolve(text: str) -> HostProfile:
        seen.append(QThread.currentThread())
        return resolve_target(text, env.book, env.tmp / "ssh_config")

    def read_config(path: Path) -> tuple[list[HostProfile], list[str]]:
        seen.append(QThread.currentThread())
        return import_ssh_config(path)

    services = env.services()
    services.resolve, services.import_ssh_config, services.tasks = resolve, read_config, runner
    return services


def test_quick_connect_and_import_read_the_ssh_config_on_a_worker(qtbot, env: Env, sshd_server: Sshd,  # type: ignore[no-untyped-def]
                                                                  task_runner: TaskRunner) -> None:  # fmt: skip
    env.trust(sshd_server)
    (env.tmp / "ssh_config").write_text(
        f"Host lab\n  HostName 127.0.0.1\n  Port {sshd_server.port}\n  User {env.ssh.user}\n"
        f"  IdentityFile {env.ssh.client_key}\n")  # fmt: skip
    seen: list[QThread] = []
    page = RemotePage(_threaded_services(env, task_runner, seen))
    qtbot.addWidget(page)
    page.show()
    panel = page.book_panel
    qtbot.keyClicks(panel.quick, "lab")
    with qtbot.waitSignal(page.session_started, timeout=20_000) as sig:
        qtbot.keyClick(panel.quick, Qt.Key.Key_Return)
    assert seen and seen[-1] is not QThread.currentThread()  # not on the GUI thread
    view = sig.args[0]
    assert (view.session.profile.hostname, view.session.profile.port) == ("127.0.0.1", sshd_server.port)
    wait_state(qtbot, view, "connected")
    run_in_terminal(qtbot, view, "echo quick-$((6*7))", "quick-42")
    # A name nobody knows: the error is shown, the field is usable again.
    panel.quick.clear()
    qtbot.keyClicks(panel.quick, "bad name with spaces")
    qtbot.keyClick(panel.quick, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.error.isVisible() and panel.quick.isEnabled() and "Looking" not in
                    panel.error.text(), timeout=20_000)  # fmt: skip
    # Import: the dialog opens when the worker has read the file.
    panel.import_button.click()
    qtbot.waitUntil(lambda: panel.import_dialog is not None, timeout=20_000)
    assert seen[-1] is not QThread.currentThread()
    assert panel.import_button.isEnabled()
    panel.import_dialog.reject()
    page.shutdown(wait=5.0)


def test_nothing_blocks_while_the_config_is_read(qtbot, env: Env, task_runner: TaskRunner) -> None:  # type: ignore[no-untyped-def]
    """A Match exec or a DNS lookup that hangs: the window keeps working and says what it waits for."""
    release = threading.Event()

    def slow(text: str) -> HostProfile:
        release.wait(30)
        return HostProfile(name=text, hostname="127.0.0.1")

    services = env.services()
    services.resolve, services.tasks = slow, task_runner
    page = RemotePage(services)
    qtbot.addWidget(page)
    page.show()
    started: list[Any] = []
    page.session_started.connect(started.append)
    qtbot.keyClicks(page.book_panel.quick, "somewhere")
    qtbot.keyClick(page.book_panel.quick, Qt.Key.Key_Return)
    assert "Looking up somewhere" in page.book_panel.error.text()  # returned at once, still waiting
    assert not page.book_panel.quick.isEnabled() and started == []
    release.set()
    qtbot.waitUntil(lambda: bool(started), timeout=20_000)
    page.shutdown(wait=5.0)


def test_a_session_is_walked_by_keyboard_and_every_button_has_a_name(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                                     sshd_server: Sshd) -> None:  # fmt: skip
    from tests.gui.test_accessibility import own_buttons, words
    from ui.terminal import TerminalWidget

    view = connect_trusted(qtbot, page, env, sshd_server)
    qtbot.waitUntil(lambda: view.files.listing.topLevelItemCount() > 0, timeout=20_000)
    tun = view.tunnels
    tun.bind_port.setValue(0)
    tun.dest_port.setValue(sshd_server.port)
    fid = tun.start_tunnel()
    qtbot.waitUntil(lambda: tun.state(fid) == "running", timeout=20_000)
    page.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page.window(), timeout=10_000)
    for side_tab in (view.files, view.tunnels):
        view.side.setCurrentWidget(side_tab)
        assert [b for b in own_buttons(view) if not words(b)] == []  # the ⬆ and ⟳ buttons have names too
        term = view.current_terminal()
        assert term is not None
        term.setFocus()
        qtbot.keyClick(term, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        reached = [QApplication.focusWidget()]
        while not isinstance(reached[-1], TerminalWidget) and len(reached) < 100:
            qtbot.keyClick(reached[-1], Qt.Key.Key_Tab)
            reached.append(QApplication.focusWidget())
        assert isinstance(reached[-1], TerminalWidget)  # Tab ends in the terminal, which keeps it for the shell
        missed = [words(b) for b in own_buttons(view) if b.isEnabled() and b not in reached]
        assert missed == [], f"Tab from the buttons never reaches {missed}"
    page.shutdown(wait=5.0)
