"""Support backend Settings (pytest-qt, headless): the configured backends, add/edit with credentials going to a
real keyring (never config.toml), no keyring -> a clear message and nothing written, and "Test connection" on a
worker: a backend that hangs or is down gives a clear error while the event loop keeps running; a real Request
Tracker answers."""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail

from desktop import app as desktop_app
from desktop import paths
from desktop.tasks import TaskRunner
from desktop.tickets_hub import TicketsHub
from tests.conftest import need
from tickets.secrets import SecretStore, keyring_problem
from ui.backends_settings import BackendEditor, BackendsPanel
from ui.get_help_page import GetHelpPage


def write_config(text: str) -> None:
    paths.ensure(paths.config_dir())
    paths.config_file().write_text(text, encoding="utf-8")


def read_config() -> dict[str, Any]:
    return tomllib.loads(paths.config_file().read_text(encoding="utf-8"))


def dialog(qtbot: Any, tasks: TaskRunner, hub: TicketsHub | None = None, timeout: float = 15.0) -> BackendsPanel:
    d = BackendsPanel(hub or TicketsHub(), tasks, test_timeout=timeout)
    qtbot.addWidget(d)
    d.show()
    d.reload()
    qtbot.waitUntil(lambda: d.info is not None, timeout=10_000)
    return d


def rows(d: BackendsPanel) -> list[list[str]]:
    out = []
    for i in range(d.tree.topLevelItemCount()):
        it = d.tree.topLevelItem(i)
        assert it is not None
        out.append([it.text(c) for c in range(d.tree.columnCount())])
    return out


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A TCP port that accepts connections (the kernel completes the handshake) and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield int(s.getsockname()[1])
    s.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_lists_configured_backends_with_their_state(qtbot: Any, task_runner: TaskRunner) -> None:
    write_config('[tickets]\nbackend = "helpdesk"\n\n'
                 '[backends.helpdesk]\ntype = "rt"\nurl = "http://127.0.0.1:9/"\nqueue = "General"\n\n'
                 '[backends.broken]\ntype = "rt"\nurl = "ftp://example.invalid"\n')
    d = dialog(qtbot, task_runner)
    table = {r[0]: r for r in rows(d)}
    assert set(table) == {"helpdesk", "broken"}
    assert table["helpdesk"][1:] == ["Request Tracker", "✔", "API token missing", "ok"]
    assert "queue" in table["broken"][4] and table["broken"][2] == ""
    assert str(paths.config_file()) in d.keyring_label.text()


def test_a_token_given_in_the_environment_is_not_shown_missing(qtbot: Any, task_runner: TaskRunner,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Headless set-ups give the token as DESKSIDE_SECRET_<NAME>_TOKEN (used before the keyring, and sending
    works): the list said 'token MISSING', also when no keyring exists at all."""
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", "from-env")
    write_config('[backends.helpdesk]\ntype = "rt"\nurl = "http://127.0.0.1:9/"\nqueue = "General"\n'
                 '[backends.other]\ntype = "rt"\nurl = "http://127.0.0.1:9/"\nqueue = "General"\n')
    d = dialog(qtbot, task_runner, TicketsHub(secrets=SecretStore(backend=fail.Keyring())))
    table = {r[0]: r for r in rows(d)}
    assert table["helpdesk"][3] == "API token from the environment"
    assert table["other"][3] == "API token missing"


def test_test_connection_to_a_hanging_backend_fails_clearly_without_freezing(qtbot: Any, task_runner: TaskRunner,
                                                                             hung_port: int) -> None:
    d = dialog(qtbot, task_runner, timeout=2.0)
    ed = d.add_backend()
    assert isinstance(ed, BackendEditor)
    ed.name_edit.setText("helpdesk")
    ed.type_combo.setCurrentIndex(ed.type_combo.findData("rt"))
    ed.fields["url"].widget.setText(f"http://127.0.0.1:{hung_port}")  # type: ignore[attr-defined]
    ed.fields["queue"].widget.setText("General")  # type: ignore[attr-defined]
    assert list(ed.secret_edits) == ["token"]
    ed.secret_edits["token"].setText("1-2-abc")
    ticks: list[int] = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    with qtbot.waitSignal(ed.tester.finished, timeout=30_000) as blocker:
        ed.test_button.click()
        assert ed.result_label.text().startswith("Testing helpdesk")
    timer.stop()
    ok, message = blocker.args
    assert not ok
    assert message == (f"http://127.0.0.1:{hung_port} did not answer within 2 seconds. Check the address, and that "
                       "the server can be reached from this network (a proxy or VPN may be needed).")
    assert ed.result_label.text() == f"✘ Connection test failed: {message}"
    assert len(ticks) >= 10  # the event loop kept running for the ~2 s the test took
    assert not paths.config_file().exists()  # testing saves nothing


def test_test_connection_to_a_stopped_backend_says_it_cannot_be_reached(qtbot: Any,
                                                                         task_runner: TaskRunner) -> None:
    port = _closed_port()
    write_config(f'[backends.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:{port}/in"\n')
    d = dialog(qtbot, task_runner)
    assert d.selected() == "hook" and d.test_button.isEnabled()
    with qtbot.waitSignal(d.tester.finished, timeout=30_000) as blocker:
        d.test_button.click()
    assert blocker.args[0] is False
    shown = d.result_label.text()
    assert shown == (f"✘ Connection test failed: Nothing answers at http://127.0.0.1:{port}/in: the connection was "
                     "refused. Check the address and the port, and that the helpdesk server is running.")
    assert "Errno" not in shown and "outbox" not in shown  # a test sends no ticket


def test_test_connection_without_a_keyring_says_so_in_words(qtbot: Any, task_runner: TaskRunner) -> None:
    """The token of a saved backend cannot be read without a keyring (the real 'fail' backend): the test says that,
    not "the ticket was not accepted", and never names the keyring backend's class."""
    write_config('[backends.helpdesk]\ntype = "rt"\nurl = "http://127.0.0.1:18080"\nqueue = "General"\n')
    d = dialog(qtbot, task_runner, TicketsHub(secrets=SecretStore(backend=fail.Keyring())))
    assert "no system keyring is available in this session" in d.keyring_label.text()
    assert "keyring.backends" not in d.keyring_label.text()
    with qtbot.waitSignal(d.tester.finished, timeout=30_000) as blocker:
        d.test_button.click()
    assert blocker.args[0] is False
    shown = d.result_label.text()
    assert shown.startswith("✘ Connection test failed: The password or token could not be read because no system "
                            "keyring is available in this session. Start GNOME Keyring or KWallet")
    assert "keyring.backends" not in shown and "not accepted" not in shown and "outbox" not in shown


@pytest.mark.integration
def test_test_connection_to_a_real_request_tracker(qtbot: Any, task_runner: TaskRunner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.rt_server import rt_or_skip

    rt = rt_or_skip()
    write_config(f'[backends.helpdesk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n')
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", rt.token)
    d = dialog(qtbot, task_runner, timeout=45.0)  # a shared RT under load may take seconds per request
    with qtbot.waitSignal(d.tester.finished, timeout=120_000) as blocker:
        d.test_button.click()
    assert blocker.args[0] is True, blocker.args[1]
    assert d.result_label.text() == (f"✔ Connected to Request Tracker at {rt.url} as user {rt.user}; the queue "
                                     "'General' exists")
    # a wrong queue, tested from the editor before saving
    ed = d.edit_selected()
    assert ed is not None
    ed.fields["queue"].widget.setText("No Such Queue")  # type: ignore[attr-defined]
    with qtbot.waitSignal(ed.tester.finished, timeout=120_000) as blocker:
        ed.test_button.click()
    assert blocker.args[0] is False
    assert "queue 'No Such Queue' does not exist" in ed.result_label.text()
    # a wrong token: the sign-in is refused, and the message says what to check
    ed.fields["queue"].widget.setText("General")  # type: ignore[attr-defined]
    ed.secret_edits["token"].setText("1-14-00000000000000000000000000000000")
    with qtbot.waitSignal(ed.tester.finished, timeout=120_000) as blocker:
        ed.test_button.click()
    assert blocker.args[0] is False
    shown = ed.result_label.text()
    assert shown.startswith("✘ Connection test failed: Request Tracker (helpdesk) refused the credentials (HTTP 401")
    assert shown.endswith("Check the user name and the password or token under Credentials, then test again.")
    assert "set-secret" not in shown and "outbox" not in shown


def test_saving_with_a_real_keyring_puts_the_token_there_and_not_in_the_config(qtbot: Any,
                                                                               task_runner: TaskRunner) -> None:
    need(keyring_problem() is None, "a Secret Service keyring (make test runs gnome-keyring in a D-Bus session)")
    store = SecretStore()
    page = GetHelpPage(TicketsHub(), task_runner)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    assert page.selected_backend() is None
    page.open_settings()
    assert page.settings_dialog is not None
    d = page.settings_dialog.panel
    qtbot.waitUntil(lambda: d.info is not None, timeout=10_000)
    ed = d.add_backend()
    ed.name_edit.setText("hook")
    ed.type_combo.setCurrentIndex(ed.type_combo.findData("webhook"))
    ed.fields["url"].widget.setText("http://127.0.0.1:8999/in")  # type: ignore[attr-defined]
    assert ed.secret_edits == {}
    ed.fields["use_token"].widget.setChecked(True)  # type: ignore[attr-defined]
    assert list(ed.secret_edits) == ["token"]
    secret = f"tok-{os.getpid()}-s3cret"
    ed.secret_edits["token"].setText(secret)
    try:
        with qtbot.waitSignal(page.service_ready, timeout=20_000):
            with qtbot.waitSignal(d.settings_changed, timeout=20_000):
                ed.save()
        text = paths.config_file().read_text()
        assert secret not in text
        assert read_config()["backends"]["hook"] == {"type": "webhook", "url": "http://127.0.0.1:8999/in",
                                                     "use_token": True}
        assert read_config()["tickets"]["backend"] == "hook"
        assert store.get("hook", "token") == secret
        assert "stored the token in the system keyring" in d.result_label.text()
        qtbot.waitUntil(lambda: bool(rows(d)) and rows(d)[0][3] == "API token stored", timeout=10_000)
        assert page.selected_backend() == "hook"  # the page picked the new backend up
        # removing it removes its token too
        d.remove_selected()
        qtbot.waitUntil(lambda: rows(d) == [], timeout=10_000)
        assert "hook" not in read_config().get("backends", {})
        assert store.get("hook", "token") is None
    finally:
        store.delete("hook", "token")


def test_without_a_keyring_saving_a_token_says_so_and_writes_nothing(qtbot: Any, task_runner: TaskRunner) -> None:
    hub = TicketsHub(secrets=SecretStore(backend=fail.Keyring()))
    d = dialog(qtbot, task_runner, hub)
    assert "Passwords and tokens cannot be stored" in d.keyring_label.text()
    ed = d.add_backend()
    ed.name_edit.setText("hook")
    ed.type_combo.setCurrentIndex(ed.type_combo.findData("webhook"))
    ed.fields["url"].widget.setText("http://127.0.0.1:8999/in")  # type: ignore[attr-defined]
    ed.fields["use_token"].widget.setChecked(True)  # type: ignore[attr-defined]
    ed.secret_edits["token"].setText("never-in-a-file")
    ed.save()
    qtbot.waitUntil(lambda: ed.error_label.text() != "", timeout=10_000)
    assert ed.error_label.text().startswith("Not saved: no usable system keyring was found")
    assert "plaintext_fallback" in ed.error_label.text()  # says what to do
    assert ed.isVisible() and ed.secret_edits["token"].text() == "never-in-a-file"  # nothing the user typed is lost
    assert not paths.config_file().exists()


def test_invalid_settings_are_refused_with_the_reason(qtbot: Any, task_runner: TaskRunner) -> None:
    d = dialog(qtbot, task_runner)
    ed = d.add_backend()
    ed.name_edit.setText("mail")
    ed.type_combo.setCurrentIndex(ed.type_combo.findData("email"))
    ed.fields["host"].widget.setText("127.0.0.1")  # type: ignore[attr-defined]
    ed.fields["from"].widget.setText("not-an-address")  # type: ignore[attr-defined]
    ed.fields["to"].widget.setText("help@example.org")  # type: ignore[attr-defined]
    ed.save()
    qtbot.waitUntil(lambda: ed.error_label.text() != "", timeout=10_000)
    assert "'not-an-address' is not an e-mail address" in ed.error_label.text()
    assert not paths.config_file().exists()
    ed.fields["from"].widget.setText("deskside@example.org")  # type: ignore[attr-defined]
    with qtbot.waitSignal(d.settings_changed, timeout=10_000):
        ed.save()
    assert read_config()["backends"]["mail"] == {"type": "email", "host": "127.0.0.1",
                                                 "from": "deskside@example.org", "to": ["help@example.org"]}


def test_the_file_menu_opens_backend_settings_and_get_help_gets_the_last_report(qtbot: Any,
                                                                                task_runner: TaskRunner) -> None:
    from diagnostics.model import Report

    ctx = desktop_app.AppContext(tasks=task_runner, collector_names=["system"])
    window = desktop_app.build_window(ctx)
    qtbot.addWidget(window)
    window.show()
    page = window.page("help")
    assert isinstance(page, GetHelpPage)
    labels = [a.text() for a in window.file_menu.actions()]
    assert labels[0] == "Support &backends…"
    window.file_menu.actions()[0].trigger()
    assert window.current_page_key() == "settings"
    assert window.page("settings").current_section() == "backends"  # type: ignore[attr-defined]
    diag = window.page("diagnostics")
    diag.run_finished.emit(Report(host="reported-host", generated_at="2026-11-24T10:00:00Z",  # type: ignore[attr-defined]
                                  platform="linux"))
    assert "reported-host" in page.report_box.report_label.text()
    assert 'href="run"' in page.report_box.report_label.text()  # "Run again" goes to the Diagnostics page's run


def test_test_connection_names_an_untrusted_certificate_and_a_port_without_tls(qtbot: Any, task_runner: TaskRunner,
                                                                              tmp_path: Path) -> None:
    """Real TLS servers on 127.0.0.1: one whose certificate comes from a CA this computer does not trust (the test
    says so and points to the CA certificate file; with that file chosen it connects), and a plain HTTP port asked
    for https."""
    from tests.integration.test_connectivity import _make_ca, _serve, _server_cert, _tls_context

    ca_key, ca_cert = _make_ca("Deskside Settings Test CA")
    from cryptography.hazmat.primitives import serialization

    ca_pem = tmp_path / "corp-ca.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert, key = _server_cert(ca_key, ca_cert, tmp_path, "server")
    tls = _serve(_tls_context(cert, key))
    plain = _serve()
    tls_port, plain_port = next(tls), next(plain)
    try:
        d = dialog(qtbot, task_runner, timeout=10.0)
        ed = d.add_backend()
        ed.name_edit.setText("hook")
        ed.type_combo.setCurrentIndex(ed.type_combo.findData("webhook"))
        ed.fields["url"].widget.setText(f"https://127.0.0.1:{tls_port}/in")  # type: ignore[attr-defined]
        with qtbot.waitSignal(ed.tester.finished, timeout=60_000) as blocker:
            ed.test_button.click()
        assert blocker.args[0] is False
        shown = ed.result_label.text()
        assert shown.startswith("✘ Connection test failed: The certificate of 127.0.0.1 is not trusted (")
        assert "choose its certificate under 'CA certificate file'" in shown and "SSL" not in shown
        ed.fields["ca_file"].widget.setText(str(ca_pem))  # type: ignore[attr-defined]
        with qtbot.waitSignal(ed.tester.finished, timeout=60_000) as blocker:
            ed.test_button.click()
        assert blocker.args[0] is True, blocker.args[1]
        assert ed.result_label.text().startswith(f"✔ Connected: webhook https://127.0.0.1:{tls_port}/in answers")
        ed.fields["ca_file"].widget.setText("")  # type: ignore[attr-defined]
        ed.fields["url"].widget.setText(f"https://127.0.0.1:{plain_port}/in")  # type: ignore[attr-defined]
        with qtbot.waitSignal(ed.tester.finished, timeout=60_000) as blocker:
            ed.test_button.click()
        assert blocker.args[0] is False
        assert ed.result_label.text() == (
            f"✘ Connection test failed: A secure (TLS) connection to https://127.0.0.1:{plain_port}/in could not be "
            "set up. Check that the address starts with https:// only if the server speaks HTTPS on that port (and "
            "http:// otherwise), and the port.")
        ed.close()
    finally:
        for server in (tls, plain):
            server.close()
