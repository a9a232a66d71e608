"""The Remote page's "Run diagnostics" button against a real OpenSSH sshd: the report of the remote host opens on
the Diagnostics page, questions of the diagnostics connection are asked by the session's view, Cancel stops it."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.connection_worker import ConnectionWorker
from desktop.remote_diagnostics_gui import connect_pages
from diagnostics.cancel import CancelToken
from diagnostics.model import Report
from remote.audit import AuditLog
from remote.auth import NoSecrets
from remote.connection import Connection
from remote.hosts import AddressBook, HostProfile, import_ssh_config
from remote.trust import HostKeyStore
from tests.integration.sshd import Sshd, SshEnv, fresh_sshd, ssh_env, sshd_server  # noqa: F401
from ui.diagnostics_page import DiagnosticsPage
from ui.remote_dialogs import KeyboardInteractiveDialog, SecretDialog
from ui.remote_page import RemotePage, SessionView
from ui.remote_services import RemoteServices

pytestmark = [pytest.mark.gui, pytest.mark.integration]


class Rig:
    """A Remote page and a Diagnostics page wired as in the app, with throwaway SSH files."""

    def __init__(self, qtbot: Any, tmp: Path, ssh: SshEnv, runner: Any, *, wired: bool = False) -> None:
        self.tmp, self.ssh = tmp, ssh
        self.store = tmp / "known_hosts"
        self.audit = tmp / "audit.jsonl"
        (tmp / "no-default-keys").mkdir()
        self.workers: list[ConnectionWorker] = []
        self.local_calls: list[object] = []
        services = RemoteServices(book=AddressBook(tmp / "hosts.toml"), new_session=self.new_session,
                                  import_ssh_config=import_ssh_config, ssh_config_path=tmp / "ssh_config",
                                  download_dir=tmp / "downloads")  # fmt: skip
        self.remote = RemotePage(services)
        self.diag = DiagnosticsPage(self.local_service, runner)
        for w in (self.remote, self.diag):
            qtbot.addWidget(w)
            w.resize(1100, 700)
            w.show()
        self.shown: list[str] = []
        if wired:  # the diagnostics connection as the app builds it (desktop/wiring.py), with the user's files
            connect_pages(self.remote, self.diag, lambda: self.shown.append("diagnostics"))
        else:
            connect_pages(self.remote, self.diag, lambda: self.shown.append("diagnostics"), self.factory)

    def local_service(self, *args: object) -> Report:
        self.local_calls.append(args)
        raise AssertionError("the local service must not run for a remote host")

    def factory(self) -> Connection:
        return Connection(HostKeyStore([], self.store), secrets=NoSecrets(), audit=AuditLog(self.audit),
                          use_agent=False, default_identity_dir=self.tmp / "no-default-keys")  # fmt: skip

    def new_session(self, profile: HostProfile) -> ConnectionWorker:
        w = ConnectionWorker(profile, self.factory, timeout=20)
        self.workers.append(w)
        return w

    def trust(self, sshd: Sshd) -> None:
        kind, blob = sshd.host_pub_line.split()[:2]
        with open(self.store, "a") as fh:
            fh.write(f"[127.0.0.1]:{sshd.port} {kind} {blob}\n")

    def connect(self, qtbot: Any, sshd: Sshd, key: bool = True) -> SessionView:
        profile = HostProfile(name="far-box", hostname="127.0.0.1", port=sshd.port, user=self.ssh.user,
                              identity_files=[str(self.ssh.client_key)] if key else [])  # fmt: skip
        view = self.remote.connect_to(profile)
        return view

    def close(self) -> None:
        for w in self.workers:
            w.close()
        for w in self.workers:
            assert w.wait(10), "the connection worker thread did not end"


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path, ssh_env: SshEnv, task_runner: Any) -> Any:
    r = Rig(qtbot, tmp_path, ssh_env, task_runner)
    yield r
    r.close()


def wait_finished(qtbot: Any, diag: DiagnosticsPage) -> list[object]:
    results: list[object] = []
    diag.run_finished.connect(results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=90_000)
    return results


def test_run_diagnostics_button_shows_the_remote_report(qtbot: Any, rig: Rig, sshd_server: Sshd,
                                                        ssh_env: SshEnv) -> None:
    rig.trust(sshd_server)
    view = rig.connect(qtbot, sshd_server)
    assert not view.diagnose_button.isEnabled()  # nothing to diagnose before the connection is up
    qtbot.waitUntil(lambda: view.state == "connected", timeout=20_000)
    assert view.diagnose_button.isEnabled()

    results: list[object] = []
    rig.diag.run_finished.connect(results.append)
    qtbot.mouseClick(view.diagnose_button, Qt.MouseButton.LeftButton)
    assert rig.shown == ["diagnostics"]
    assert "Collecting on " in rig.diag.status_label.text() and f":{sshd_server.port}" in rig.diag.status_label.text()
    qtbot.waitUntil(lambda: bool(results), timeout=90_000)

    report = results[0]
    assert isinstance(report, Report) and not report.cancelled
    assert rig.diag.report is report
    assert report.sections["system"].data["hostname"] == report.host
    assert "updates" in report.sections
    assert rig.diag.results.findings_model.rowCount() == len(report.findings) > 0
    assert f"on {report.host}" in rig.diag.status_label.text()
    assert rig.local_calls == []
    # It ran over SSH as the test user: every command of the run is in the audit log of the connection.
    entries = [json.loads(line) for line in rig.audit.read_text().splitlines()]
    diag_cmds = [e for e in entries if "/etc/os-release" in e["command"]]
    assert diag_cmds and all(e["user"] == ssh_env.user and e["port"] == sshd_server.port for e in diag_cmds)
    assert view.state == "connected"  # the session's own connection is untouched


def test_cancel_and_questions_of_the_diagnostics_connection(qtbot: Any, rig: Rig, fresh_sshd: Sshd,
                                                            ssh_env: SshEnv) -> None:
    """A password login: the diagnostics connection asks again, through the session's view; Cancel on the
    Diagnostics page while it waits for the answer stops the run."""
    rig.trust(fresh_sshd)
    view = rig.connect(qtbot, fresh_sshd, key=False)
    answered = 0

    def answer_pending() -> bool:
        nonlocal answered
        dlg = view.dialog
        if isinstance(dlg, KeyboardInteractiveDialog):
            for edit in dlg.edits:
                edit.setText(ssh_env.password)
            dlg.accept()
            answered += 1
        elif isinstance(dlg, SecretDialog):
            dlg.edit.setText(ssh_env.password)
            dlg.accept()
            answered += 1
        return view.state == "connected"

    qtbot.waitUntil(answer_pending, timeout=30_000)
    assert answered >= 1

    results: list[object] = []
    rig.diag.run_finished.connect(results.append)
    view.diagnose_button.click()
    qtbot.waitUntil(lambda: isinstance(view.dialog, (KeyboardInteractiveDialog, SecretDialog)), timeout=30_000)
    assert rig.diag.is_running
    rig.diag.cancel()
    qtbot.waitUntil(lambda: bool(results), timeout=30_000)
    assert results[0] is None or (isinstance(results[0], Report) and results[0].cancelled)
    assert not rig.diag.is_running
    assert view.dialog is None  # the unanswered question of the cancelled run was closed
    assert rig.local_calls == []

    # Again, answering the question this time: the run completes.
    results.clear()
    view.diagnose_button.click()
    qtbot.waitUntil(lambda: answer_pending() and bool(results), timeout=90_000)
    report = results[0]
    assert isinstance(report, Report) and not report.cancelled, rig.diag.status_label.text()
    assert report.sections["system"].status.value in ("ok", "partial")


def test_service_passes_the_cancel_token(tmp_path: Path) -> None:
    """Unit check of the glue: a connection failure reaches the page as an exception with the core's message."""
    from desktop.remote_diagnostics_gui import remote_run_service
    from remote.connection import ConnectError

    class NoNetwork:
        def connect(self, *a: object, **k: object) -> None:
            raise ConnectError("cannot connect to 127.0.0.1:1: Connection refused")

        def close(self) -> None:
            pass

    service = remote_run_service(HostProfile(name="x", hostname="127.0.0.1", port=1), lambda _r: None,
                                 lambda: NoNetwork())  # fmt: skip
    with pytest.raises(ConnectError, match="Connection refused"):
        service(None, False, CancelToken(), lambda *a: None)


def test_run_diagnostics_follows_hash_known_hosts_and_remember_passwords(
        qtbot: Any, tmp_path: Path, ssh_env: SshEnv, task_runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the app's real connection factory (desktop/wiring.py) on the "Run diagnostics" path: with
    `HashKnownHosts yes` in the ssh_config the accepted host key is written hashed, and with "Remember passwords"
    on ([remote] save_secrets) the password that worked lands in the system keyring (a real Secret Service)."""
    import subprocess

    from desktop import paths
    from remote.auth import KEYRING_SERVICE, password_key
    from tests.conftest import need
    from ui.remote_dialogs import HostKeyDialog

    need(os.environ.get("DESKSIDE_TEST_KEYRING") == "1", "a real Secret Service keyring (run via scripts/run-tests.sh)")
    import keyring
    import keyring.errors

    need("SecretService" in type(keyring.get_keyring()).__module__, "the SecretService keyring backend")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)  # a password login, whatever keys an agent may hold
    monkeypatch.setenv("DESKSIDE_SSH_CONFIG", str(home / ".ssh" / "config"))
    (home / ".ssh" / "config").write_text("Host *\n  HashKnownHosts yes\n")
    paths.config_file().write_text("[remote]\nsave_secrets = true\n")

    server = ssh_env.sshd(f"wired-{os.getpid()}", extra="KbdInteractiveAuthentication no", authorize=False)
    key = password_key(ssh_env.user, "127.0.0.1", server.port)
    (tmp_path / "rig").mkdir()
    rig = Rig(qtbot, tmp_path / "rig", ssh_env, task_runner, wired=True)
    try:
        rig.trust(server)  # the session's own connection (the rig's factory); the diagnostics one trusts nothing yet
        view = rig.connect(qtbot, server, key=False)
        qtbot.waitUntil(lambda: isinstance(view.dialog, SecretDialog), timeout=20_000)
        view.dialog.edit.setText(ssh_env.password)
        view.dialog.accept()
        qtbot.waitUntil(lambda: view.state == "connected", timeout=20_000)
        assert keyring.get_password(KEYRING_SERVICE, key) is None

        results: list[object] = []
        rig.diag.run_finished.connect(results.append)
        view.diagnose_button.click()
        qtbot.waitUntil(lambda: isinstance(view.dialog, HostKeyDialog), timeout=20_000)
        view.dialog.accept_button.click()
        qtbot.waitUntil(lambda: isinstance(view.dialog, SecretDialog) or bool(results), timeout=20_000)
        assert isinstance(view.dialog, SecretDialog), rig.diag.status_label.text()
        view.dialog.edit.setText(ssh_env.password)
        view.dialog.accept()
        qtbot.waitUntil(lambda: bool(results), timeout=90_000)
        report = results[0]
        assert isinstance(report, Report) and not report.cancelled, rig.diag.status_label.text()

        store = paths.known_hosts_store_path()  # Deskside's own store, read together with ~/.ssh/known_hosts
        lines = store.read_text().splitlines()
        assert len(lines) == 1 and lines[0].startswith("|1|") and "127.0.0.1" not in lines[0]
        kind, blob = server.host_pub_line.split()[:2]
        assert lines[0].split()[1:] == [kind, blob]
        found = subprocess.run(["ssh-keygen", "-F", f"[127.0.0.1]:{server.port}", "-f", str(store)],
                               capture_output=True, text=True)  # OpenSSH finds the host in the hashed line
        assert found.returncode == 0 and blob in found.stdout, found.stdout + found.stderr
        assert keyring.get_password(KEYRING_SERVICE, key) == ssh_env.password
        audit = [json.loads(line) for line in paths.audit_log_path().read_text().splitlines()]
        assert any("/etc/os-release" in e["command"] and e["port"] == server.port for e in audit)
    finally:
        rig.close()
        server.stop()
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(KEYRING_SERVICE, key)
