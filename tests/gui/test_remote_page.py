"""The Remote page against a real OpenSSH sshd started by the tests (tests/integration/sshd.py): host-key dialog,
password dialog, a terminal tab running real commands, the file pane (upload by drag and drop, download, cancel and
resume), a tunnel carrying real bytes, and a dead connection."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import os
import pwd
import secrets
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThread, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit

from desktop.connection_worker import ConnectionWorker
from remote.audit import AuditLog
from remote.auth import NoSecrets
from remote.connection import Connection
from remote.hosts import AddressBook, HostProfile, import_ssh_config, resolve_target
from remote.trust import HostKeyStore
from tests.integration.sshd import Sshd, SshEnv, fresh_sshd, ssh_env, sshd_server  # noqa: F401
from ui.remote_dialogs import HostKeyDialog, HostKeyRefusedDialog, KeyboardInteractiveDialog, SecretDialog
from ui.remote_page import RemotePage, SessionView
from ui.remote_services import RemoteServices, SessionState

pytestmark = [pytest.mark.gui, pytest.mark.integration]


class Env:
    def __init__(self, tmp: Path, ssh: SshEnv) -> None:
        self.tmp = tmp
        self.ssh = ssh
        self.store = tmp / "known_hosts"
        self.downloads = tmp / "downloads"
        self.empty_ids = tmp / "no-default-keys"
        self.empty_ids.mkdir()
        self.book = AddressBook(tmp / "hosts.toml")
        self.workers: list[ConnectionWorker] = []

    def factory(self) -> Connection:
        return Connection(HostKeyStore([], self.store), secrets=NoSecrets(), audit=AuditLog(self.tmp / "audit.jsonl"),
                          use_agent=False, default_identity_dir=self.empty_ids,
                          resolve_jump=self.resolve_jump)  # fmt: skip

    def resolve_jump(self, text: str) -> HostProfile:
        """Jump hosts are `127.0.0.1:PORT` in these tests and log in with the test key."""
        host, port = text.rsplit(":", 1)
        return HostProfile(name=text, hostname=host, port=int(port), user=self.ssh.user,
                           identity_files=[str(self.ssh.client_key)])  # fmt: skip

    def new_session(self, profile: HostProfile) -> ConnectionWorker:
        w = ConnectionWorker(profile, self.factory, timeout=20)
        self.workers.append(w)
        return w

    def services(self) -> RemoteServices:
        return RemoteServices(book=self.book, new_session=self.new_session, import_ssh_config=import_ssh_config,
                              ssh_config_path=self.tmp / "ssh_config", download_dir=self.downloads,
                              set_save_secrets=lambda _on: "",
                              resolve=lambda text: resolve_target(text, self.book, None))  # fmt: skip

    def profile(self, sshd: Sshd, key: bool = True, name: str = "test-server") -> HostProfile:
        return HostProfile(name=name, hostname="127.0.0.1", port=sshd.port, user=self.ssh.user,
                           identity_files=[str(self.ssh.client_key)] if key else [])  # fmt: skip

    def trust(self, sshd: Sshd) -> None:
        kind, blob = sshd.host_pub_line.split()[:2]
        with open(self.store, "a") as fh:
            fh.write(f"[127.0.0.1]:{sshd.port} {kind} {blob}\n")

    def close(self) -> None:
        for w in self.workers:
            w.close()
        for w in self.workers:
            assert w.wait(10), "the connection worker thread did not end"


@pytest.fixture
def env(tmp_path: Path, ssh_env: SshEnv) -> Any:
    e = Env(tmp_path, ssh_env)
    yield e
    e.close()


@pytest.fixture
def page(qtbot, env: Env) -> RemotePage:  # type: ignore[no-untyped-def]
    p = RemotePage(env.services())
    qtbot.addWidget(p)
    p.resize(1280, 760)
    p.show()
    qtbot.waitExposed(p)
    return p


def wait_dialog(qtbot, view: SessionView, kind: type) -> Any:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: isinstance(view.dialog, kind), timeout=20000)
    return view.dialog


def wait_state(qtbot, view: SessionView, state: str, timeout: int = 20000) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: view.state == state, timeout=timeout)


def connect_trusted(qtbot, page: RemotePage, env: Env, sshd: Sshd) -> SessionView:  # type: ignore[no-untyped-def]
    env.trust(sshd)
    view = page.connect_to(env.profile(sshd))
    wait_state(qtbot, view, "connected")
    return view


def run_in_terminal(qtbot, view: SessionView, command: str, expect: str) -> None:  # type: ignore[no-untyped-def]
    term = view.current_terminal()
    assert term is not None
    qtbot.waitUntil(lambda: "$" in term.text(), timeout=20000)
    term.setFocus()
    qtbot.keyClicks(term, command)
    qtbot.keyClick(term, Qt.Key.Key_Return)
    try:
        qtbot.waitUntil(lambda: expect in [line.strip() for line in term.text().splitlines()], timeout=20000)
    except Exception:
        raise AssertionError(f"{expect!r} not on the terminal; it shows:\n{term.text()}") from None


def test_unknown_host_key_dialog_then_terminal(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    on_gui_thread: list[bool] = []
    view = page.connect_to(env.profile(sshd_server))
    view.session.state_changed.connect(
        lambda *_: on_gui_thread.append(QThread.currentThread() is QApplication.instance().thread())
    )
    dlg = wait_dialog(qtbot, view, HostKeyDialog)
    # The fingerprint exactly as OpenSSH prints it (ssh-keygen -lf on the server's key).
    assert dlg.fingerprint_label.text() == sshd_server.fingerprint()
    assert dlg.fingerprint_label.text().startswith("SHA256:")
    assert view.state == "connecting"  # the worker waits for the answer; the GUI does not
    assert not env.store.exists()
    dlg.accept_button.click()
    wait_state(qtbot, view, "connected")
    # Accepting wrote an OpenSSH known_hosts line for [127.0.0.1]:port.
    kind, blob = sshd_server.host_pub_line.split()[:2]
    assert f"[127.0.0.1]:{sshd_server.port} {kind} {blob}" in env.store.read_text()
    # A terminal tab opened on its own; a typed command runs on the server.
    run_in_terminal(qtbot, view, "echo $((6*7)) $(whoami)", f"42 {env.ssh.user}")
    assert on_gui_thread and all(on_gui_thread)


def test_rejected_host_key_sends_nothing(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    offset = sshd_server.log_size()
    view = page.connect_to(env.profile(sshd_server))
    dlg = wait_dialog(qtbot, view, HostKeyDialog)
    dlg.cancel_button.click()
    wait_state(qtbot, view, "failed")
    assert "not accepted" in view.message
    assert not env.store.exists()
    assert view.reconnect_button.isEnabled()
    # No login attempt reached the server (earlier tests' disconnects may still be logged, so look for auth lines).
    log = sshd_server.log_since(offset)
    assert not any(w in log for w in ("Accepted ", "Failed ", "Postponed ", "userauth-request")), log


def test_changed_host_key_is_refused_with_a_warning(qtbot, page: RemotePage, env: Env, sshd_server: Sshd,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:  # fmt: skip
    from tests.integration.sshd import keygen

    other = keygen(tmp_path / "other_host_key").with_suffix(".pub").read_text().split()
    env.store.write_text(f"[127.0.0.1]:{sshd_server.port} {other[0]} {other[1]}\n")
    view = page.connect_to(env.profile(sshd_server))
    dlg = wait_dialog(qtbot, view, HostKeyRefusedDialog)
    text = dlg.details.toPlainText()
    assert "CHANGED" in text and sshd_server.fingerprint() in text
    assert "ssh-keygen -R" in text
    assert view.state is SessionState.REFUSED and not view.terminals
    dlg.reject()


def test_password_by_keyboard_interactive_dialog(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    env.trust(sshd_server)
    view = page.connect_to(env.profile(sshd_server, key=False))
    # No key: the server (PAM) asks for the password through keyboard-interactive; the field hides what is typed.
    qtbot.waitUntil(lambda: isinstance(view.dialog, KeyboardInteractiveDialog | SecretDialog), timeout=20000)
    dlg = view.dialog
    edit = dlg.edits[0] if isinstance(dlg, KeyboardInteractiveDialog) else dlg.edit
    if isinstance(dlg, KeyboardInteractiveDialog):
        assert len(dlg.edits) == 1
        labels = [w.text() for w in dlg.findChildren(QLabel)]
        assert any("Password" in t for t in labels), labels
    assert edit.echoMode() == QLineEdit.EchoMode.Password
    qtbot.keyClicks(edit, env.ssh.password)
    dlg.accept()
    wait_state(qtbot, view, "connected")
    run_in_terminal(qtbot, view, "echo logged-in-as-$(id -un)", f"logged-in-as-{env.ssh.user}")


def test_terminal_runs_vi_and_top_and_resizes(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    view = connect_trusted(qtbot, page, env, sshd_server)
    term = view.current_terminal()
    assert term is not None
    run_in_terminal(qtbot, view, "stty size", f"{term.rows()} {term.cols()}")
    page.resize(1000, 600)
    qtbot.waitUntil(lambda: term.cols() < 100)
    run_in_terminal(qtbot, view, "stty size", f"{term.rows()} {term.cols()}")
    qtbot.keyClicks(term, "vi -u NONE /etc/hostname")
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sum(line.startswith("~") for line in term.screen_text()) >= 3, timeout=20000)
    qtbot.keyClicks(term, ":q!")
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not term.term.alternate_screen, timeout=20000)
    # top on the server: its header and process table fill the terminal; q quits it.
    qtbot.keyClicks(term, "top -d 1")
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(line.startswith("top - ") for line in term.screen_text()), timeout=20000)
    try:
        qtbot.waitUntil(lambda: any("PID" in line and "USER" in line for line in term.screen_text()),
                        timeout=20000)  # fmt: skip
    except Exception:
        raise AssertionError("\n".join(term.screen_text())) from None
    qtbot.keyClicks(term, "q")
    run_in_terminal(qtbot, view, "echo top-done", "top-done")


def _home(env: Env) -> Path:
    return Path(pwd.getpwnam(env.ssh.user).pw_dir)


def test_files_upload_by_drop_and_download(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    view = connect_trusted(qtbot, page, env, sshd_server)
    files = view.files
    home = _home(env)
    qtbot.waitUntil(lambda: files.path == str(home), timeout=20000)
    name = f"dropped-{secrets.token_hex(4)}.txt"  # a new name each run: a file left by an earlier run proves nothing
    local = env.tmp / name
    local.write_text("uploaded by drag and drop\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(local))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(files, enter)
    assert enter.isAccepted()  # the pane takes local files
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(files, drop)
    try:
        qtbot.waitUntil(lambda: name in files.names(), timeout=20000)
    except Exception:
        states = [(t.item.text(0), t.item.text(3)) for t in files._transfers.values()]
        raise AssertionError(f"not uploaded: {states}; listing {files.names()}") from None
    assert (home / name).read_text() == "uploaded by drag and drop\n"
    (home / name).unlink()
    # Download it back into the chosen local folder.
    (home / "from-server.txt").write_text("downloaded\n")
    files.refresh()
    qtbot.waitUntil(lambda: "from-server.txt" in files.names(), timeout=20000)
    tid = files.download(str(home / "from-server.txt"))
    qtbot.waitUntil(lambda: files.transfer_state(tid) == "done", timeout=20000)
    assert (env.downloads / "from-server.txt").read_text() == "downloaded\n"
    (home / "from-server.txt").unlink()


def test_download_cancel_and_resume(qtbot, page: RemotePage, env: Env, sshd_server: Sshd,  # type: ignore[no-untyped-def]
                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from remote.sftp import SftpClient

    # The first download waits after its first bytes until the Cancel button was clicked, so the click always
    # lands mid-transfer however fast the machine is; the cancelling and the resuming are the real ones.
    real_get = SftpClient.get
    clicked = threading.Event()

    def gated_get(self, remote_path, local_dir, *, resume=False, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        def gated(done: int, total: int, name: str) -> None:
            if progress is not None:
                progress(done, total, name)
            if done > 0 and not resume:
                clicked.wait(20)

        return real_get(self, remote_path, local_dir, resume=resume, progress=gated, cancel=cancel)

    monkeypatch.setattr(SftpClient, "get", gated_get)
    # Report and relay every chunk: with the 0.1 s throttles an idle, fast machine's only report with bytes in it
    # can be the final one, and then there is nothing left to cancel.
    monkeypatch.setattr("remote.sftp.PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr("desktop.ssh_worker.transfers.PROGRESS_INTERVAL", 0.0)
    home = _home(env)
    big = home / "big.bin"
    data = os.urandom(64 * 1024 * 1024)
    big.write_bytes(data)
    view = connect_trusted(qtbot, page, env, sshd_server)
    files = view.files

    def click_cancel_on_first_progress(t: int, done: int, _total: int) -> None:
        if done > 0 and not clicked.is_set():
            files._transfers[t].button.click()  # the row's Cancel button, while bytes flow
            clicked.set()

    view.session.transfer_progress.connect(click_cancel_on_first_progress)
    tid = files.download(str(big))
    qtbot.waitUntil(clicked.is_set, timeout=20000)
    view.session.transfer_progress.disconnect(click_cancel_on_first_progress)
    qtbot.waitUntil(lambda: files.transfer_state(tid).startswith(("cancelled", "done", "failed")), timeout=20000)
    assert files.transfer_state(tid).startswith("cancelled"), files.transfer_state(tid)
    assert files._transfers[tid].button.text() == "Resume"
    partial = [p for p in env.downloads.iterdir() if p.name.startswith("big.bin")]
    assert partial and 0 < partial[0].stat().st_size < len(data), partial  # the partial file is kept
    new = files.resume(tid)
    assert new is not None
    qtbot.waitUntil(lambda: files.transfer_state(new) == "done", timeout=60000)
    assert (env.downloads / "big.bin").read_bytes() == data
    big.unlink()


@pytest.mark.parametrize("kind", ["L", "R"])
def test_local_and_remote_tunnels_carry_bytes_and_stop(qtbot, page: RemotePage, env: Env, sshd_server: Sshd,  # type: ignore[no-untyped-def]
                                                        kind: str) -> None:  # fmt: skip
    """-L: a port here -> the echo server via the SSH server; -R: a port on the SSH server (the same machine
    here) -> back to the echo server on this side."""
    # A TCP echo server on 127.0.0.1, reached through the SSH server.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    echo_port = srv.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            with c:
                c.sendall(b"echo:" + c.recv(1024))

    threading.Thread(target=serve, daemon=True).start()
    view = connect_trusted(qtbot, page, env, sshd_server)
    tun = view.tunnels
    tun.kind.setCurrentIndex(0 if kind == "L" else 1)
    tun.bind_port.setValue(0)  # any free port
    tun.dest_host.setText("127.0.0.1")
    tun.dest_port.setValue(echo_port)
    fid = tun.start_tunnel()
    qtbot.waitUntil(lambda: tun.state(fid) == "running", timeout=20000)
    desc = tun._items[fid].text(0)
    assert desc.startswith(f"-{kind} 127.0.0.1:")
    local_port = int(desc.split()[1].rsplit(":", 1)[1])
    assert local_port > 0
    with socket.create_connection(("127.0.0.1", local_port), timeout=10) as c:
        c.sendall(b"ping through ssh")
        assert c.recv(1024) == b"echo:ping through ssh"
    tun._stop_buttons[fid].click()
    qtbot.waitUntil(lambda: tun.state(fid) == "stopped", timeout=20000)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", local_port), timeout=2).close()
    srv.close()


def test_lost_connection_is_shown_and_reconnect_works(qtbot, page: RemotePage, env: Env, fresh_sshd: Sshd) -> None:  # type: ignore[no-untyped-def]
    view = connect_trusted(qtbot, page, env, fresh_sshd)
    run_in_terminal(qtbot, view, "echo alive", "alive")
    term = view.current_terminal()
    assert term is not None
    fresh_sshd.signal_sessions(9)  # the server side of the session dies
    qtbot.waitUntil(lambda: term.isReadOnly(), timeout=30000)
    qtbot.waitUntil(lambda: view.state == "lost", timeout=30000)
    assert view.reconnect_button.isEnabled()
    view.reconnect_button.click()
    wait_state(qtbot, view, "connected")
    qtbot.waitUntil(lambda: view.current_terminal() is not term, timeout=20000)
    run_in_terminal(qtbot, view, "echo back-again", "back-again")


def test_host_key_dialog_defaults_to_cancel(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = HostKeyDialog("example.test", 2222, "ssh-ed25519", "SHA256:abc+/def")
    qtbot.addWidget(dlg)
    assert dlg.cancel_button.isDefault()
    assert "[example.test]:2222" in " ".join(w.text() for w in dlg.findChildren(type(dlg.fingerprint_label)))
    dlg.show()
    qtbot.keyClick(dlg, Qt.Key.Key_Return)
    assert dlg.result() == QDialog.DialogCode.Rejected


def test_encrypted_key_asks_for_its_passphrase(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.sshd import keygen

    key = keygen(env.tmp / "enc" / "id_ed25519", passphrase="correct horse")
    sshd_server.authorize(key.with_suffix(".pub"))
    env.trust(sshd_server)
    profile = env.profile(sshd_server, key=False)
    profile.identity_files = [str(key)]
    view = page.connect_to(profile)
    dlg = wait_dialog(qtbot, view, SecretDialog)
    assert str(key) in " ".join(w.text() for w in dlg.findChildren(QLabel))
    qtbot.keyClicks(dlg.edit, "correct horse")
    dlg.accept()
    wait_state(qtbot, view, "connected")
    run_in_terminal(qtbot, view, "echo key-$((1+1))", "key-2")


def test_jump_host_chain_asks_each_host_key_and_reaches_the_target(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                                    sshd_server: Sshd, fresh_sshd: Sshd) -> None:
    jump, target = fresh_sshd, sshd_server
    offset = jump.log_size()
    profile = env.profile(target)
    profile.proxy_jump = [f"127.0.0.1:{jump.port}"]
    view = page.connect_to(profile)
    first = wait_dialog(qtbot, view, HostKeyDialog)
    assert first.fingerprint_label.text() == jump.fingerprint()  # the jump host is verified first
    first.accept_button.click()
    qtbot.waitUntil(lambda: isinstance(view.dialog, HostKeyDialog) and view.dialog is not first, timeout=20000)
    second = view.dialog
    assert isinstance(second, HostKeyDialog)
    assert second.fingerprint_label.text() == target.fingerprint()
    second.accept_button.click()
    wait_state(qtbot, view, "connected")
    run_in_terminal(qtbot, view, "echo via-jump", "via-jump")
    qtbot.waitUntil(lambda: view.files.path == str(_home(env)), timeout=20000)  # SFTP through the jump host too
    # The jump host's sshd forwarded our connection to the target's port.
    qtbot.waitUntil(lambda: f"port {target.port}" in jump.log_since(offset), timeout=10000)
    assert "direct-tcpip" in jump.log_since(offset) or f"to 127.0.0.1 port {target.port}" in jump.log_since(offset)


def test_dead_peer_is_detected_by_keepalive(qtbot, page: RemotePage, env: Env, fresh_sshd: Sshd) -> None:  # type: ignore[no-untyped-def]
    import signal

    env.trust(fresh_sshd)
    profile = env.profile(fresh_sshd)
    profile.keepalive_interval, profile.keepalive_count_max = 1, 2
    view = page.connect_to(profile)
    wait_state(qtbot, view, "connected")
    run_in_terminal(qtbot, view, "echo up", "up")
    fresh_sshd.signal_sessions(signal.SIGSTOP)  # the server stops answering but keeps the TCP connection open
    try:
        qtbot.waitUntil(lambda: view.state == "lost", timeout=30000)
    finally:
        fresh_sshd.signal_sessions(signal.SIGCONT)
    assert "keepalive" in view.message
    term = view.current_terminal()
    assert term is not None and term.isReadOnly()
    assert "lost" in term.text()


def test_terminal_keeps_working_during_a_transfer(qtbot, page: RemotePage, env: Env, sshd_server: Sshd,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal keeps being served while a transfer runs (the transfer has a thread of its own): the download
    is held on an event until the terminal has answered."""
    from remote.sftp import SftpClient

    real_get = SftpClient.get
    started, release = threading.Event(), threading.Event()

    def held_get(self, remote_path, local_dir, *, resume=False, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        if progress is not None:
            progress(0, 100, remote_path)  # the row says "running"
        started.set()
        release.wait(60)
        return real_get(self, remote_path, local_dir, resume=resume, progress=progress, cancel=cancel)

    monkeypatch.setattr(SftpClient, "get", held_get)
    (_home(env) / "slow.txt").write_text("slow\n")
    try:
        view = connect_trusted(qtbot, page, env, sshd_server)
        qtbot.waitUntil(lambda: "$" in (view.current_terminal() or view).text(), timeout=20000)  # type: ignore[union-attr]
        tid = view.files.download(str(_home(env) / "slow.txt"))
        qtbot.waitUntil(lambda: started.is_set() and view.files.transfer_state(tid) == "running", timeout=20000)
        run_in_terminal(qtbot, view, "echo typed-while-transferring", "typed-while-transferring")
        assert view.files.transfer_state(tid) == "running"  # the answer came while the transfer was still going
        release.set()
        qtbot.waitUntil(lambda: view.files.transfer_state(tid) == "done", timeout=30000)
        assert (env.downloads / "slow.txt").read_text() == "slow\n"
    finally:
        release.set()
        (_home(env) / "slow.txt").unlink()


def test_dynamic_socks_tunnel(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    import struct

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    echo_port = srv.getsockname()[1]

    def serve() -> None:
        try:
            c, _ = srv.accept()
        except OSError:
            return
        with c:
            c.sendall(b"socks:" + c.recv(1024))

    threading.Thread(target=serve, daemon=True).start()
    view = connect_trusted(qtbot, page, env, sshd_server)
    tun = view.tunnels
    tun.kind.setCurrentIndex(2)  # Dynamic (-D)
    assert not tun.dest_host.isVisibleTo(tun)
    tun.bind_port.setValue(0)
    fid = tun.start_tunnel()
    qtbot.waitUntil(lambda: tun.state(fid) == "running", timeout=20000)
    desc = tun._items[fid].text(0)
    assert "SOCKS5" in desc
    port = int(desc.split()[1].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(b"\x05\x01\x00")
        assert c.recv(2) == b"\x05\x00"
        c.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", echo_port))
        assert c.recv(10)[:2] == b"\x05\x00"
        c.sendall(b"hello")
        assert c.recv(1024) == b"socks:hello"
    srv.close()


def test_output_flood_keeps_the_window_responsive(qtbot, page: RemotePage, env: Env, sshd_server: Sshd) -> None:  # type: ignore[no-untyped-def]
    """About 24 MB of output over SSH: far more than the terminal can parse, so the oldest part is skipped (and
    said so); keys typed during the flood still reach the shell."""
    view = connect_trusted(qtbot, page, env, sshd_server)
    term = view.current_terminal()
    assert term is not None
    qtbot.waitUntil(lambda: "$" in term.text(), timeout=20000)
    qtbot.keyClicks(term, "yes flood-line | head -n 2200000; echo end-of-$((40*1))")
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: term.pending_bytes() > 0, timeout=20000)  # the flood is being parsed slice by slice
    qtbot.keyClicks(term, "echo typed-during-flood")
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "typed-during-flood" in [x.strip() for x in term.text().splitlines()], timeout=60000)
    tail = term.text().splitlines()[-12:]
    assert "end-of-40" in [x.strip() for x in tail], tail
    assert term.skipped_bytes > 0


def test_closing_the_tab_during_the_host_key_question_ends_the_worker(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                                       sshd_server: Sshd) -> None:  # fmt: skip
    view = page.connect_to(env.profile(sshd_server))
    dlg = wait_dialog(qtbot, view, HostKeyDialog)
    worker = env.workers[-1]
    assert worker._thread is not None and worker._thread.is_alive()  # blocked in the question, on its own thread
    page.close_session(page.sessions.indexOf(view))
    assert not dlg.isVisible()
    assert worker.wait(10), "the connection's thread did not end"
    assert not env.store.exists()  # nothing was trusted
    assert page.sessions.count() == 0 and page.stack.currentWidget() is page.empty


def test_a_folder_listing_is_not_queued_behind_a_download(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                          sshd_server: Sshd, monkeypatch: pytest.MonkeyPatch) -> None:
    """Transfers run on their own SFTP channel and thread: while a 1 GB download is held mid-way, another folder
    is listed."""
    from remote.sftp import SftpClient

    real_get = SftpClient.get
    started, release = threading.Event(), threading.Event()

    def held_get(self, remote_path, local_dir, *, resume=False, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        def held(done: int, total: int, name: str) -> None:
            if progress is not None:
                progress(done, total, name)
            if done > 0:
                started.set()
                release.wait(60)  # the download stays mid-file until the test lets it go on

        return real_get(self, remote_path, local_dir, resume=resume, progress=held, cancel=cancel)

    monkeypatch.setattr(SftpClient, "get", held_get)
    home = _home(env)
    tag = secrets.token_hex(3)
    big = home / f"huge-{tag}.bin"
    with open(big, "wb") as fh:
        fh.truncate(1024**3)  # sparse: 1 GB to send, nothing on the disk
    other = home / f"other-folder-{tag}"
    other.mkdir()
    (other / "inside.txt").write_text("listed while downloading\n")
    try:
        view = connect_trusted(qtbot, page, env, sshd_server)
        files = view.files
        qtbot.waitUntil(lambda: files.path == str(home), timeout=20000)
        tid = files.download(str(big))
        qtbot.waitUntil(started.is_set, timeout=20000)
        assert files.transfer_state(tid) in ("starting", "running")
        with qtbot.waitSignal(view.session.listed, timeout=20000) as listed:
            rid = view.session.list_dir(str(other))
        assert listed.args is not None
        got_rid, path, entries, error = listed.args
        assert (got_rid, path, error) == (rid, str(other), "")
        assert [e.name for e in entries] == ["inside.txt"]
        assert not release.is_set() and files.transfer_state(tid) in ("starting", "running")  # still held
        files.cancel(tid)
        release.set()
        qtbot.waitUntil(lambda: files.transfer_state(tid).startswith("cancelled"), timeout=20000)
    finally:
        release.set()
        big.unlink()
        (other / "inside.txt").unlink()
        other.rmdir()
        for p in env.downloads.glob(f"huge-{tag}.bin*"):
            p.unlink()


def test_a_transfer_cut_by_a_dead_connection_is_marked_failed(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                               fresh_sshd: Sshd) -> None:  # fmt: skip
    import signal

    home = _home(env)
    big = home / f"cut-{secrets.token_hex(3)}.bin"
    big.write_bytes(os.urandom(1024 * 1024))
    try:
        view = connect_trusted(qtbot, page, env, fresh_sshd)
        qtbot.waitUntil(lambda: len(view.files.names()) > 0, timeout=20000)  # the SFTP session is open
        fresh_sshd.signal_sessions(signal.SIGSTOP)  # the server freezes...
        tid = view.files.download(str(big))
        # ...so the transfer waits on it (it cannot get further than "starting" while the server is frozen)
        qtbot.waitUntil(lambda: view.files.transfer_state(tid) == "starting", timeout=20000)
        fresh_sshd.signal_sessions(signal.SIGKILL)  # ...and dies
        qtbot.waitUntil(lambda: view.files.transfer_state(tid) not in ("", "starting", "running"), timeout=30000)
        assert view.files.transfer_state(tid).startswith("failed"), view.files.transfer_state(tid)
        assert view.files._transfers[tid].button.text() == "Resume"
        qtbot.waitUntil(lambda: view.state == "lost", timeout=30000)
    finally:
        big.unlink()


def test_the_app_wiring_uses_the_cli_files(qtbot, ssh_env: SshEnv, sshd_server: Sshd, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """desktop.connection_worker.build_remote_services: the same address book, host-key store and audit log as
    `deskside ssh` (tests/conftest.py points the config/data/log folders at temporary ones)."""
    import json

    from desktop import paths
    from desktop.connection_worker import build_remote_services

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    book = AddressBook(paths.config_dir() / "hosts.toml")
    book.add(HostProfile(name="wired", hostname="127.0.0.1", port=sshd_server.port, user=ssh_env.user,
                         identity_files=[str(ssh_env.client_key)]))  # fmt: skip
    book.save()
    services = build_remote_services()
    page = RemotePage(services)
    qtbot.addWidget(page)
    page.show()
    assert page.book_panel.hosts_shown() == ["wired"]
    profile = services.book.get("wired")
    assert profile is not None
    view = page.connect_to(profile)
    try:
        dlg = wait_dialog(qtbot, view, HostKeyDialog)
        dlg.accept_button.click()
        wait_state(qtbot, view, "connected")
        run_in_terminal(qtbot, view, "echo wired-$((2*21))", "wired-42")
        store = paths.data_dir() / "known_hosts"
        assert f"[127.0.0.1]:{sshd_server.port} " in store.read_text()
        audit = [json.loads(line) for line in (paths.log_dir() / "remote-audit.jsonl").read_text().splitlines()]
        assert any(e["kind"] == "shell" and e["port"] == sshd_server.port for e in audit)
    finally:
        view.shutdown()
        assert view.session.wait(10)  # type: ignore[attr-defined]
    # "Remember passwords in the keyring" is off by default, and the choice is kept in config.toml.
    import tomllib

    box = page.book_panel.save_secrets
    assert box.isVisible() and not box.isChecked()
    box.click()
    assert tomllib.loads(paths.config_file().read_text())["remote"]["save_secrets"] is True
    again = build_remote_services()
    assert again.save_secrets is True


def test_settings_not_honoured_and_keys_added_are_shown_on_the_session(qtbot, page: RemotePage, env: Env,  # type: ignore[no-untyped-def]
                                                                       sshd_server: Sshd) -> None:
    """Issue 8: what Deskside does not honour from ~/.ssh/config (and a key StrictHostKeyChecking accept-new added)
    is named on the session's status line and its tooltip, as `deskside ssh` prints it on stderr."""
    profile = env.profile(sshd_server)
    profile.ssh_options = ["StrictHostKeyChecking accept-new"]
    profile.ignored_settings = ["forwardagent", "localforward"]
    view = page.connect_to(profile)
    wait_state(qtbot, view, "connected")
    assert view.dialog is None  # accept-new: nothing was asked
    assert "2 notes: note: ignoring ssh_config settings for test-server: forwardagent, localforward" in \
        view.status.text()
    assert f"Warning: permanently added [127.0.0.1]:{sshd_server.port}" in view.status.toolTip()
