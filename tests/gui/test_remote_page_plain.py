"""The Remote page shows names that come from the other side (window titles a remote program sets, host names,
notes, error messages) literally: Qt renders a tooltip or a message box as HTML when the text merely looks like
HTML, so `<b>` would turn bold and `<img src=...>` would load an image. Also the layout of the session's panes at
the size a user gets. The session here is a stand-in with the RemoteSession signals (no network: what is tested is
the page's own logic; the same page against a real sshd is in test_remote_page.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QTextDocument
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QStyle, QTreeWidget, QTreeWidgetItem

from remote.hosts import AddressBook, HostProfile, import_ssh_config
from ui.remote_hosts import AddressBookPanel
from ui.remote_page import SessionView
from ui.remote_services import ForwardSpec, SessionState

pytestmark = pytest.mark.gui

HOSTILE = "<b>bold</b><img src=x>"


def shown(text: str) -> str:
    """What a tooltip or an AutoText label displays for `text`, decided as Qt decides it."""
    doc = QTextDocument()
    if QtGui.Qt.mightBeRichText(text):
        doc.setHtml(text)
    else:
        doc.setPlainText(text)
    return doc.toPlainText().replace("\u2028", "\n")


class StubSession(QObject):
    """The RemoteSession protocol: records what the page asks for; the test emits what the server would say."""

    state_changed = Signal(object, str)  # SessionState (or its word: the page takes either), message
    auth_requested = Signal(object)
    shell_opened = Signal(int)
    shell_output = Signal(int, bytes)
    shell_closed = Signal(int, str)
    listed = Signal(int, str, object, str)
    transfer_progress = Signal(int, object, object)
    transfer_finished = Signal(int, object, str)
    forward_changed = Signal(int, object, str)

    def __init__(self, profile: HostProfile) -> None:
        super().__init__()
        self.profile = profile
        self.calls: list[tuple[Any, ...]] = []
        self._n = 0

    def _id(self) -> int:
        self._n += 1
        return self._n

    def start(self) -> None:
        self.calls.append(("start",))

    def reconnect(self) -> None:
        self.calls.append(("reconnect",))

    def open_shell(self, cols: int, rows: int, term: str = "xterm-256color") -> int:
        self.calls.append(("open_shell", cols, rows))
        return self._id()

    def send(self, shell_id: int, data: bytes) -> None:
        self.calls.append(("send", shell_id, data))

    def resize(self, shell_id: int, cols: int, rows: int) -> None:
        self.calls.append(("resize", shell_id, cols, rows))

    def close_shell(self, shell_id: int) -> None:
        self.calls.append(("close_shell", shell_id))

    def list_dir(self, path: str) -> int:
        self.calls.append(("list", path))
        return self._id()

    def download(self, remote_path: str, local_dir: str, resume: bool = False) -> int:
        self.calls.append(("get", remote_path, local_dir, resume))
        return self._id()

    def upload(self, local_path: str, remote_dir: str, resume: bool = False) -> int:
        self.calls.append(("put", local_path, remote_dir, resume))
        return self._id()

    def cancel_transfer(self, transfer_id: int) -> None:
        self.calls.append(("cancel", transfer_id))

    def start_forward(self, spec: ForwardSpec) -> int:
        self.calls.append(("forward", spec))
        return self._id()

    def stop_forward(self, forward_id: int) -> None:
        self.calls.append(("stop_forward", forward_id))

    def close(self) -> None:
        self.calls.append(("close",))


@pytest.fixture
def view(qtbot, tmp_path: Path) -> SessionView:  # type: ignore[no-untyped-def]
    session = StubSession(HostProfile(name="web1", hostname="127.0.0.1", user="ops"))
    v = SessionView(session, tmp_path / "downloads")  # type: ignore[arg-type]
    qtbot.addWidget(v)
    v.resize(1000, 640)
    v.show()
    qtbot.waitExposed(v)
    session.state_changed.emit(SessionState.CONNECTED, "connected to ops@127.0.0.1")
    qtbot.waitUntil(lambda: v.current_terminal() is not None)
    return v


def test_a_window_title_set_by_the_remote_program_is_shown_literally(qtbot, view: SessionView) -> None:  # type: ignore[no-untyped-def]
    term = view.current_terminal()
    assert term is not None
    sid = next(iter(view.terminals))
    view.session.shell_output.emit(sid, f"\x1b]0;{HOSTILE}\x07".encode())
    idx = view.terminal_tabs.indexOf(term)
    qtbot.waitUntil(lambda: view.terminal_tabs.tabText(idx) == HOSTILE)
    assert shown(view.terminal_tabs.tabToolTip(idx)) == HOSTILE
    view.session.shell_output.emit(sid, b"\x1b]0;vim - R&D notes\x07")
    qtbot.waitUntil(lambda: "R&" in view.terminal_tabs.tabText(idx))
    text = view.terminal_tabs.tabText(idx)
    assert QKeySequence.mnemonic(text).isEmpty()  # no hidden "&", no Alt+D shortcut made by the remote side
    assert text.replace("&&", "&") == "vim - R&D notes"


def test_tunnel_and_transfer_messages_are_shown_literally(qtbot, view: SessionView) -> None:  # type: ignore[no-untyped-def]
    fid = view.tunnels.start_tunnel()
    view.session.forward_changed.emit(fid, "failed", f"cannot listen on {HOSTILE}")
    qtbot.waitUntil(lambda: view.tunnels.state(fid).startswith("failed"))
    assert shown(view.tunnels._items[fid].toolTip(1)) == f"cannot listen on {HOSTILE}"

    tid = view.files.download(f"/srv/{HOSTILE}.txt")
    view.session.transfer_finished.emit(tid, "failed", f"no such file: {HOSTILE}")
    qtbot.waitUntil(lambda: view.files.transfer_state(tid).startswith("failed"))
    item = view.files._transfers[tid].item
    assert shown(item.toolTip(3)) == f"no such file: {HOSTILE}"
    assert view.files.status.text() == f"{HOSTILE.rsplit('/', 1)[1]}.txt: failed: no such file: {HOSTILE}"
    assert shown(item.toolTip(0)).startswith(f"/srv/{HOSTILE}.txt")


def test_host_names_and_notes_are_shown_literally(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    book = AddressBook(tmp_path / "hosts.toml")
    book.add(HostProfile(name="odd", hostname="<b>x</b>", user="<i>u</i>", notes=HOSTILE))
    panel = AddressBookPanel(book, import_ssh_config, tmp_path / "ssh_config")
    qtbot.addWidget(panel)
    panel.show()
    panel.select("odd")
    item = panel.tree.currentItem()
    assert item is not None
    assert shown(item.toolTip(0)) == f"<i>u</i>@<b>x</b>\n{HOSTILE}"
    box = panel.remove_selected()
    assert isinstance(box, QMessageBox)
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "<i>u</i>@<b>x</b>" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)  # Enter does not delete
    no = box.button(QMessageBox.StandardButton.No)
    assert isinstance(no, QPushButton)
    no.click()
    assert "odd" in panel.hosts_shown()  # No keeps the host
    box = panel.remove_selected()
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: "odd" not in panel.hosts_shown())
    assert AddressBook(book.path).load().get("odd") is None


def test_a_new_terminal_starts_its_shell_with_the_size_shown(qtbot, view: SessionView) -> None:  # type: ignore[no-untyped-def]
    """The shell is opened with the size of the terminal as laid out, not a default 80x24 corrected a moment
    later: the server prints its login message at once, and it would stay wrapped for 80 columns."""
    for term in [view.current_terminal(), view.new_terminal()]:
        assert term is not None
        assert isinstance(view.session, StubSession)
        opened = [c for c in view.session.calls if c[0] == "open_shell"]
        assert opened[-1][1:] == (term.cols(), term.rows())
        assert (term.cols(), term.rows()) != (80, 24)  # the view's size, not the default
        vp = term.viewport()
        cw, ch = term.cellSize()
        assert term.cols() == int((vp.width() - 2) // cw) and term.rows() == int((vp.height() - 2) // ch)


def _fits(tree: QTreeWidget, item: QTreeWidgetItem, col: int) -> bool:
    """The column is as wide as its text plus the margins Qt's item delegate adds, so nothing is elided."""
    margin = tree.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1
    need = tree.fontMetrics().horizontalAdvance(item.text(col)) + 2 * margin
    return tree.header().sectionSize(col) >= need


def test_transfers_and_tunnels_fit_the_side_pane(qtbot, view: SessionView) -> None:  # type: ignore[no-untyped-def]
    """At the width the side pane gets in a normal window, a transfer's name and state, a tunnel's Stop button
    and the download folder are readable: nothing cut, no sideways scrolling (seen cut: '↓ b…', 'S', 'Downloac').
    1100 pixels is what the connection view gets in a 1280x800 window once the host list has folded away; the
    terminal takes 80 columns of it first."""
    view.resize(1100, 640)
    files = view.files
    tid = files.download("/srv/logs/big.bin")
    view.session.transfer_progress.emit(tid, 300 * 2**20, 400 * 2**20)
    qtbot.waitUntil(lambda: files.transfer_state(tid) == "running")
    view.session.transfer_finished.emit(tid, "cancelled", "cancelled; the partial file is kept and can be resumed")
    qtbot.waitUntil(lambda: files.transfer_state(tid) == "cancelled")
    t = files._transfers[tid]
    tree = files.transfers
    assert _fits(tree, t.item, 0) and _fits(tree, t.item, 3), (tree.header().sectionSize(0), t.item.text(0))
    assert sum(tree.header().sectionSize(c) for c in range(4)) <= tree.viewport().width()
    assert t.bar.text() == "75% of 400.0 MiB"
    assert files.status.text() == "big.bin: cancelled; the partial file is kept and can be resumed"
    label = files.target_label
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width(), label.text()

    view.side.setCurrentWidget(view.tunnels)
    tun = view.tunnels
    fid = tun.start_tunnel()
    view.session.forward_changed.emit(fid, "running", "-L 127.0.0.1:48213 -> internal-build-server.example:8443")
    qtbot.waitUntil(lambda: tun.state(fid) == "running")
    stop = tun._stop_buttons[fid]
    assert stop.isVisible()
    right = stop.mapTo(tun.list.viewport(), stop.rect().topRight()).x()
    assert right <= tun.list.viewport().width(), (right, tun.list.viewport().width())
    assert _fits(tun.list, tun._items[fid], 1)
    fid2 = tun.start_tunnel()
    view.session.forward_changed.emit(fid2, "failed", "cannot listen on 127.0.0.1:8080: address already in use")
    qtbot.waitUntil(lambda: tun.state(fid2) == "failed")
    assert tun.message.isVisible() and "address already in use" in tun.message.text()


def test_the_window_keeps_working_while_a_server_never_answers(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A real connection (paramiko, one worker thread) to a port that accepts but never says a word: the page
    returns at once, the event loop keeps turning while the worker waits, and Disconnect ends it long before the
    connect timeout."""
    import socket

    from desktop.connection_worker import ConnectionWorker
    from remote.connection import Connection
    from remote.trust import HostKeyStore
    from ui.remote_page import RemotePage
    from ui.remote_services import RemoteServices

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # the kernel completes the handshake; nobody ever reads or writes
    workers: list[ConnectionWorker] = []

    def new_session(profile: HostProfile) -> ConnectionWorker:
        w = ConnectionWorker(profile, lambda: Connection(HostKeyStore([], tmp_path / "known_hosts"),
                                                         use_agent=False, default_identity_dir=tmp_path),
                             timeout=120)  # fmt: skip
        workers.append(w)
        return w

    book = AddressBook(tmp_path / "hosts.toml")
    services = RemoteServices(book=book, new_session=new_session, import_ssh_config=import_ssh_config,
                              ssh_config_path=tmp_path / "ssh_config", download_dir=tmp_path / "dl")  # fmt: skip
    page = RemotePage(services)
    qtbot.addWidget(page)
    page.show()
    try:
        port = silent.getsockname()[1]
        view = page.connect_to(HostProfile(name="silent", hostname="127.0.0.1", port=port, user="nobody"))
        qtbot.waitUntil(lambda: view.state == "connecting")
        ticks = [0]
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
        timer.start(10)
        qtbot.waitUntil(lambda: ticks[0] >= 100, timeout=30000)  # the GUI thread runs its loop all along...
        timer.stop()
        assert view.state == "connecting"  # ...while the worker still waits for the server
        assert view.disconnect_button.isEnabled()
        view.disconnect_button.click()
        qtbot.waitUntil(lambda: view.state == "closed", timeout=30000)  # not the 120 s connect timeout
        assert workers[0].wait(10)
    finally:
        for w in workers:
            w.close()
            w.wait(10)
        silent.close()


def test_an_answered_password_question_does_not_show_the_password(caplog: pytest.LogCaptureFixture) -> None:
    """The worker's question object holds the password until the worker takes it: printing or logging it (a
    debug line, a crash report) must not reveal it."""
    import logging
    import threading

    from desktop.connection_worker import GuiAuthCallbacks

    secret = "hunter2-" + "x" * 8
    asked: list[Any] = []
    was_asked = threading.Event()

    def ask(req: Any) -> None:
        asked.append(req)
        was_asked.set()

    callbacks = GuiAuthCallbacks(ask, threading.Event())
    got: list[str | None] = []
    worker = threading.Thread(target=lambda: got.append(callbacks.ask_password("Password:")))
    worker.start()
    assert was_asked.wait(10)
    request = asked[0]
    request.answer(secret)
    worker.join(10)
    assert got == [secret]  # the worker got it...
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("deskside.test").debug("question %s / %r", request, request)
    assert secret not in repr(request) and secret not in str(request)  # ...and it shows nowhere else
    assert secret not in caplog.text


def test_every_request_to_a_session_that_is_not_connected_is_answered(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A terminal, a listing, a transfer and a tunnel asked of a session whose connecting failed each get an answer
    (the terminal closes, the listing and the transfer fail, the tunnel fails), so no row in the window waits."""
    from desktop.connection_worker import ConnectionWorker
    from ui.remote_services import ForwardKind, ForwardState, TransferStatus

    def factory() -> Any:
        raise OSError("no network in this test")

    w = ConnectionWorker(HostProfile(name="nowhere", hostname="127.0.0.1", user="ops"), factory)
    try:
        with qtbot.waitSignal(w.state_changed, check_params_cb=lambda s, _m: s is SessionState.FAILED,
                              timeout=20000):  # fmt: skip
            w.start()
        with qtbot.waitSignal(w.shell_closed, timeout=20000) as closed:
            sid = w.open_shell(80, 24)
        assert closed.args is not None and closed.args[0] == sid and "not connected" in closed.args[1]
        with qtbot.waitSignal(w.listed, timeout=20000) as listed:
            rid = w.list_dir("/tmp")
        assert listed.args is not None and listed.args[:3] == [rid, "/tmp", None] and "not connected" in listed.args[3]
        with qtbot.waitSignal(w.transfer_finished, timeout=20000) as finished:
            tid = w.download("/etc/hostname", str(tmp_path))
        assert finished.args is not None and finished.args[:2] == [tid, TransferStatus.FAILED]
        with qtbot.waitSignal(w.forward_changed, timeout=20000) as forward:
            fid = w.start_forward(ForwardSpec(ForwardKind.DYNAMIC, 0))
        assert forward.args is not None and forward.args[:2] == [fid, ForwardState.FAILED]
    finally:
        w.close()
        assert w.wait(10)


def test_a_transfer_that_would_replace_a_file_asks_first(qtbot, view: SessionView) -> None:  # type: ignore[no-untyped-def]
    """A double click on report.txt when ~/Downloads has a report.txt of the user's, or a dropped notes.txt when
    the remote folder has one: nothing is replaced unless the user says Replace (No is the default)."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    session = view.session
    assert isinstance(session, StubSession)
    files = view.files
    files.download_dir.mkdir(parents=True, exist_ok=True)
    mine = files.download_dir / "report.txt"
    mine.write_text("the user's own report\n")
    entries = [type("E", (), {"name": n, "is_dir": False, "size": 10, "mtime": 0})() for n in
               ("report.txt", "notes.txt", "new.txt")]  # fmt: skip
    files.open_dir("/srv")
    session.listed.emit(files._pending_list, "/srv", entries, "")
    qtbot.waitUntil(lambda: files.names() == ["new.txt", "notes.txt", "report.txt"])

    def gets() -> list[tuple[Any, ...]]:
        return [c for c in session.calls if c[0] in ("get", "put")]

    item = files.listing.findItems("report.txt", Qt.MatchFlag.MatchExactly, 0)[0]
    files._double_clicked(item, 0)
    box = files.replace_question
    assert box is not None and box.isVisible() and "report.txt" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert gets() == []  # nothing started before the answer
    box.button(QMessageBox.StandardButton.No).click()
    qtbot.waitUntil(lambda: not box.isVisible())
    assert gets() == [] and mine.read_text() == "the user's own report\n"

    item = files.listing.findItems("new.txt", Qt.MatchFlag.MatchExactly, 0)[0]
    files._double_clicked(item, 0)  # nothing to replace: no question
    assert gets() == [("get", "/srv/new.txt", str(files.download_dir), False)]

    local = files.download_dir / "notes.txt"
    local.write_text("local notes\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(local))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(files, enter)
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(files, drop)
    box = files.replace_question
    assert box is not None and box.isVisible() and "notes.txt" in box.text() and "/srv" in box.text()
    assert len(gets()) == 1
    replace = next(b for b in box.buttons() if b.text() == "Replace")
    replace.click()
    qtbot.waitUntil(lambda: len(gets()) == 2)
    assert gets()[1] == ("put", str(local), "/srv", False)


def test_a_long_message_takes_one_line_in_the_page_and_the_status_bar(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A refused host key explains itself in six lines (they are in its dialog): the line above the terminals and
    the window's status bar show the first, the rest is a hover away; in a terminal a message of several lines
    does not run down in a staircase."""
    from ui.remote_dialogs import HostKeyRefusedDialog
    from ui.remote_page import RemotePage
    from ui.remote_services import RemoteServices

    book = AddressBook(tmp_path / "hosts.toml")
    services = RemoteServices(book=book, new_session=StubSession, import_ssh_config=import_ssh_config,  # type: ignore[arg-type]
                              ssh_config_path=tmp_path / "ssh_config", download_dir=tmp_path / "dl")  # fmt: skip
    page = RemotePage(services)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    said: list[str] = []
    page.status_message.connect(said.append)
    view = page.connect_to(HostProfile(name="web1", hostname="127.0.0.1"))
    view.session.state_changed.emit("connected", "connected to 127.0.0.1")
    qtbot.waitUntil(lambda: view.current_terminal() is not None)
    term = view.current_terminal()
    assert term is not None
    view.session.state_changed.emit("lost", "connection to 127.0.0.1 lost:\nno answer to 3 keepalives")
    qtbot.waitUntil(lambda: view.state == "lost")
    lines = term.text().splitlines()
    assert "no answer to 3 keepalives]" in lines, lines  # at the start of its line

    refused = ("WARNING: the host key of 127.0.0.1 has CHANGED.\nThe server now offers SHA256:abc\n"
               "If you have confirmed the change, remove the old key with:\n  ssh-keygen -R 127.0.0.1\n")  # fmt: skip
    view.reconnect()
    view.session.state_changed.emit("refused", refused)
    qtbot.waitUntil(lambda: isinstance(view.dialog, HostKeyRefusedDialog))
    assert view.status.text() == "● WARNING: the host key of 127.0.0.1 has CHANGED."
    assert shown(view.status.toolTip()) == refused.strip()
    assert said[-1] == "web1: WARNING: the host key of 127.0.0.1 has CHANGED."
    dialog = view.dialog
    assert isinstance(dialog, HostKeyRefusedDialog)
    assert "ssh-keygen -R 127.0.0.1" in dialog.details.toPlainText()  # the whole explanation is in the dialog
    dialog.reject()


def test_remembering_passwords_without_a_working_keyring_is_explained(qtbot) -> None:  # type: ignore[no-untyped-def]
    """"Remember passwords in the keyring" ticked while the system keyring does not work (no Secret Service in the
    session, say): the page says why passwords keep being asked, next to the check box. The real keyring library
    with its failing backend tells the app's wiring what went wrong."""
    import keyring
    import keyring.backends.fail

    from desktop.connection_worker import build_remote_services
    from ui.remote_page import RemotePage

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        services = build_remote_services()
        assert services.secrets_problem is not None and services.secrets_problem() == ""  # nothing known yet
        session = services.new_session(HostProfile(name="web1", hostname="127.0.0.1"))
        connection = session._factory()  # type: ignore[attr-defined]
        assert connection.secrets.get("deskside-probe") is None  # what a login does first with save_secrets on
        problem = services.secrets_problem()
        assert "keyring is not usable" in problem
    finally:
        keyring.set_keyring(previous)

    services.new_session = StubSession  # type: ignore[assignment]
    page = RemotePage(services)
    qtbot.addWidget(page)
    page.show()
    box, error = page.book_panel.save_secrets, page.book_panel.error
    if box.isChecked():
        box.click()
    assert not error.isVisible()
    box.click()  # on
    assert error.isVisible() and error.text() == f"Passwords are not remembered: {problem}."
    box.click()  # off: nothing to explain
    assert not error.isVisible()
    box.click()
    page.book_panel._show_error("")
    view = page.connect_to(HostProfile(name="web1", hostname="127.0.0.1"))
    view.session.state_changed.emit("connected", "connected to 127.0.0.1")
    qtbot.waitUntil(lambda: error.isVisible())
    assert "keyring is not usable" in error.text()


def test_the_import_list_shows_whole_entries(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The ~/.ssh/config import dialog was 278 px wide: a host with a long name and a jump host was cut off."""
    from ui.remote_dialogs import ImportDialog

    profiles = [HostProfile(name="db-primary", hostname="db-primary.eu-west-1.internal.example.com", user="postgres",
                            port=2222, proxy_jump=["admin@bastion.eu-west-1.example.com:2022"])]  # fmt: skip
    dlg = ImportDialog(profiles, [], set())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    text = dlg.list.item(0).text()
    assert dlg.list.fontMetrics().horizontalAdvance(text) <= dlg.list.viewport().width(), (text, dlg.width())


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Escape])
def test_a_key_held_from_before_does_not_answer_a_login_question(qtbot, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    """Seen on X11: Enter still held (auto-repeat) when the host-key question popped up cancelled it at once ('the
    host key was not accepted') before it was even drawn; in a password dialog it would send an empty password.
    Auto-repeated Enter/Escape are ignored; a fresh press still answers (Enter = Cancel on the host-key dialog)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from ui.remote_dialogs import HostKeyDialog, KeyboardInteractiveDialog, SecretDialog

    text = "\r" if key == Qt.Key.Key_Return else "\x1b"
    for dlg in (HostKeyDialog("127.0.0.1", 22, "ssh-ed25519", "SHA256:" + "A" * 43),
                SecretDialog("Password", "ops@127.0.0.1's password:"),
                KeyboardInteractiveDialog("", "", [("Verification code:", False)])):  # fmt: skip
        qtbot.addWidget(dlg)
        dlg.open()
        qtbot.waitExposed(dlg)
        focus = QApplication.focusWidget() or dlg
        for kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            QApplication.sendEvent(focus, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text, True, 2))
        QApplication.processEvents()  # whatever those events posted has run
        assert dlg.isVisible() and dlg.result() == 0, type(dlg).__name__  # still asking
        qtbot.keyClick(focus, key)  # a real press
        qtbot.waitUntil(lambda d=dlg: not d.isVisible())
        expected = QDialog.DialogCode.Rejected if (key == Qt.Key.Key_Escape or isinstance(dlg, HostKeyDialog)) \
            else QDialog.DialogCode.Accepted  # fmt: skip
        assert dlg.result() == expected, type(dlg).__name__
