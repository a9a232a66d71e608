"""The Get Help page (pytest-qt, headless) with the real ticket service, outbox and task runner: the form and its
live priority/SLA, the redaction preview and its switches, sending with no backend (bundle saved, outbox), sending
to a real JSON webhook server and to a real Request Tracker, Retry and Discard in the outbox."""

from __future__ import annotations

import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop import paths
from desktop.tasks import TaskRunner
from desktop.tickets_hub import TicketsHub
from diagnostics.model import Finding, Report, Section, Severity
from ui.get_help_page import STEP_RESULT, GetHelpPage
from ui.outbox_view import COL_ATTEMPTS, COL_DETAILS, COL_LINK, COL_STATE
from ui.redaction_preview import MESSAGE_DOC

HOST = "wks-alice-07"
EMAIL = "alice.smith@corp.example"
IP = "192.168.44.17"


def report() -> Report:
    return Report(
        host=HOST, generated_at="2026-11-24T09:13:00Z", platform="linux",
        sections={"system": Section("system", "System", data={"hostname": HOST, "owner_email": EMAIL,
                                                                "address": IP})},
        findings=[Finding("network.dns_failing", Severity.WARNING, "Name resolution fails",
                          [f"resolver timed out from {IP}"], "Check the DNS server", "system")],
    )


def write_config(text: str) -> None:
    paths.ensure(paths.config_dir())
    paths.config_file().write_text(text, encoding="utf-8")


def make_page(qtbot: Any, tasks: TaskRunner, hub: TicketsHub | None = None, **kw: Any) -> GetHelpPage:
    page = GetHelpPage(hub or TicketsHub(), tasks, **kw)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.service is not None or bool(page.service_error), timeout=20_000)
    assert page.service is not None, page.service_error
    return page


def fill(page: GetHelpPage, summary: str = f"The VPN drops on {HOST}") -> None:
    page.form.summary.setText(summary)
    page.form.details.setPlainText(f"Mail me at {EMAIL}; my address is {IP}.")
    page.form.affected.buttons["my team"].click()
    page.form.urgency.buttons["high"].click()
    page.form.requester_name.setText("Ann Example")
    page.form.requester_email.setText("ann@example.org")


def preview(qtbot: Any, page: GetHelpPage) -> None:
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        page.show_preview()


def send(qtbot: Any, page: GetHelpPage) -> Any:
    with qtbot.waitSignal(page.send_finished, timeout=90_000) as blocker:
        qtbot.mouseClick(page.preview_step.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def outbox_rows(page: GetHelpPage) -> list[list[str]]:
    tree = page.outbox.tree
    rows = []
    for i in range(tree.topLevelItemCount()):
        it = tree.topLevelItem(i)
        assert it is not None
        rows.append([it.text(c) for c in range(tree.columnCount())])
    return rows


# ------------------------------------------------------------------------------------------------ the form
def test_priority_and_sla_follow_the_answers(qtbot: Any, task_runner: TaskRunner) -> None:
    write_config("[tickets.sla.P1]\nresponse_minutes = 30\nresolution_minutes = 120\n")
    page = make_page(qtbot, task_runner)
    form = page.form
    # defaults: just me (low impact) x medium urgency -> P4
    assert form.priority_label.text() == "P4 low"
    assert form.sla_label.text().startswith("Response within 8 hours, resolution within 5 days")
    form.affected.buttons["everyone"].click()
    form.urgency.buttons["high"].click()
    assert form.priority_label.text() == "P1 critical"
    # the configured SLA of P1, not the default one
    assert form.sla_label.text().startswith("Response within 30 min, resolution within 2 hours")
    form.affected.buttons["my team"].click()
    assert form.priority_label.text() == "P2 high"
    assert form.sla_label.text().startswith("Response within 1 hour, resolution within 8 hours")
    form.urgency.buttons["low"].click()
    assert form.priority_label.text() == "P4 low"
    # Preview needs the one-sentence summary
    assert not page.preview_button.isEnabled()
    form.summary.setText("Printer jams")
    assert page.preview_button.isEnabled()
    d = form.draft()
    assert (d.impact, d.urgency, d.summary) == (2, 3, "Printer jams")
    assert "Who is affected: my team" in d.description


def test_findings_are_listed_and_run_now_link_when_there_are_none(qtbot: Any, task_runner: TaskRunner) -> None:
    runs: list[int] = []
    page = make_page(qtbot, task_runner, run_diagnostics=lambda: runs.append(1))
    assert "No diagnostics have been run yet" in page.report_box.report_label.text()
    assert 'href="run"' in page.report_box.report_label.text()
    assert not page.report_box.include_box.isEnabled()
    page.report_box.report_label.linkActivated.emit("run")
    assert runs == [1]
    assert "running" in page.report_box.report_label.text()
    page.set_report(report())
    assert HOST in page.report_box.report_label.text() and "1 finding" in page.report_box.report_label.text()
    assert page.report_box.findings_list.count() == 1
    assert page.report_box.findings_list.item(0).text() == "Name resolution fails"
    assert page.report_box.include_box.isEnabled() and page.report_box.include_box.isChecked()


# ------------------------------------------------------------------------------------------------ the preview
def test_preview_shows_masked_items_and_unticking_one_changes_what_is_sent(qtbot: Any,
                                                                            task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner)
    page.set_report(report())
    fill(page)
    preview(qtbot, page)
    p = page.preview
    assert p is not None
    by_value = {i.value: i for i in p.items}
    assert by_value[HOST].kind == "host" and by_value[EMAIL].kind == "email" and by_value[IP].kind == "ipv4"
    host_ph = by_value[HOST].placeholder
    rows = page.preview_step.redaction.rows()
    assert set(rows) >= {by_value[v].placeholder for v in (HOST, EMAIL, IP)}
    row = rows[host_ph]
    assert row.text(1) == "host name" and row.text(2) == HOST and row.checkState(0) == Qt.CheckState.Checked
    assert row.text(3)  # where it occurs
    message = page.preview_step.redaction.document_text(MESSAGE_DOC)
    assert HOST not in message and EMAIL not in message and IP not in message
    assert host_ph in message and "Priority: P2 high" in message
    everything = page.preview_step.redaction.all_text()
    assert HOST not in everything and EMAIL not in everything  # the bundle's files too
    assert "P2 high" in page.preview_step.preview_header.text()

    # untick the host name: it is sent as it is, the others stay masked
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        page.preview_step.redaction.set_masked(host_ph, False)
    message = page.preview_step.redaction.document_text(MESSAGE_DOC)
    assert HOST in message and host_ph not in message
    assert EMAIL not in message and IP not in message
    assert page.preview is not None and page.preview.ticket.uid == p.ticket.uid  # same ticket reference
    report_json = next(v for k, v in page.preview_step.redaction._docs.items() if k.endswith("report.json"))
    assert HOST in report_json
    assert page.preview_step.redaction.rows()[host_ph].checkState(0) == Qt.CheckState.Unchecked

    # the user's own word is masked too
    page.preview_step.redaction.keywords_edit.setText("VPN")
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        page.preview_step.redaction.keywords_button.click()
    message = page.preview_step.redaction.document_text(MESSAGE_DOC)
    assert "VPN" not in message and "<keyword-1>" in message
    assert any(r.text(1) == "your word" for r in page.preview_step.redaction.rows().values())


def test_without_the_report_nothing_is_attached(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner)
    page.set_report(report())
    fill(page)
    page.report_box.include_box.setChecked(False)
    preview(qtbot, page)
    assert page.preview is not None and page.preview.bundle is None
    assert "Nothing attached" in page.preview_step.redaction.attachment_label.text()


# ------------------------------------------------------------------------------------------------ sending
def test_send_with_no_backend_saves_the_bundle_and_the_ticket_waits_in_the_outbox(qtbot: Any,
                                                                                  task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner)
    assert "wait in the outbox" in page.destination_label.text()
    page.set_report(report())
    fill(page)
    preview(qtbot, page)
    bundle = page.preview.bundle  # type: ignore[union-attr]
    assert bundle is not None
    entry = send(qtbot, page)
    assert entry is not None and entry.state == "held"
    assert page.steps.currentIndex() == STEP_RESULT
    assert page.result_step.result_title.text() == "Saved — waiting in the outbox"
    path = Path(entry.bundle_path)
    assert path.is_file() and path.read_bytes() == bundle.data
    assert str(path) in page.result_step.result_text.text()
    assert f"#{entry.id}" in page.result_step.result_text.text()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        saved = zf.read("report.json").decode()
    assert HOST not in saved and EMAIL not in saved
    qtbot.waitUntil(lambda: bool(outbox_rows(page)), timeout=10_000)
    (row,) = outbox_rows(page)
    assert row[COL_STATE] == "waiting for a backend" and str(path) in row[COL_DETAILS]
    assert page.tabs.tabText(1) == "Outbox (1 waiting)"
    # Retry without a backend says what to do, nothing is lost
    page.outbox.select(entry.id)
    page.outbox.retry_selected()
    qtbot.waitUntil(lambda: "no backend is configured" in page.outbox.last_message, timeout=10_000)
    assert outbox_rows(page)[0][COL_STATE] == "waiting for a backend"


class _Webhook:
    """A real HTTP receiver on 127.0.0.1 that creates "tickets" (records each POST, answers id and url)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.posts: list[tuple[dict[str, str], dict[str, Any]]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self.send_response(200)
                self.end_headers()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.posts.append((dict(self.headers), body))
                n = len(hook.posts)
                out = json.dumps({"id": f"WH-{n}", "url": f"http://127.0.0.1:{hook.port}/t/WH-{n}"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *_a: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def webhook_port() -> Iterator[int]:
    port = _free_port()
    write_config(f'[backends.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:{port}/tickets"\n')
    yield port


def test_send_to_a_real_webhook_shows_the_ticket_id_and_link(qtbot: Any, task_runner: TaskRunner,
                                                            webhook_port: int) -> None:
    hook = _Webhook(webhook_port)
    try:
        page = make_page(qtbot, task_runner)
        assert page.selected_backend() == "hook"
        fill(page)
        preview(qtbot, page)
        uid = page.preview.ticket.uid  # type: ignore[union-attr]
        entry = send(qtbot, page)
    finally:
        hook.close()
    assert entry.state == "sent" and entry.remote_id == "WH-1"
    assert page.result_step.result_title.text() == "Ticket WH-1 created"
    url = f"http://127.0.0.1:{webhook_port}/t/WH-1"
    assert f'href="{url}"' in page.result_step.result_text.text()
    (headers, body), = hook.posts
    assert headers["Idempotency-Key"] == uid and body["priority_label"] == "P2 high"
    assert EMAIL not in json.dumps(body) and IP not in json.dumps(body)
    qtbot.waitUntil(lambda: bool(outbox_rows(page)) and outbox_rows(page)[0][COL_STATE] == "sent", timeout=10_000)
    assert outbox_rows(page)[0][COL_LINK] == url
    assert url in page.outbox.detail.text() and not page.outbox.retry_button.isEnabled()


def test_backend_down_then_retry_sends_exactly_once_and_discard_gives_up(qtbot: Any, task_runner: TaskRunner,
                                                                        webhook_port: int) -> None:
    page = make_page(qtbot, task_runner)
    fill(page, "First ticket")
    preview(qtbot, page)
    first = send(qtbot, page)
    assert first.state == "retry"
    assert page.result_step.result_title.text() == "Not sent yet — waiting in the outbox"
    assert "cannot be reached" in page.result_step.result_text.text()
    page.new_ticket()
    fill(page, "Second ticket")
    preview(qtbot, page)
    second = send(qtbot, page)
    assert second.state == "retry"
    qtbot.waitUntil(lambda: len(outbox_rows(page)) == 2, timeout=10_000)
    states = {r[1]: (r[COL_STATE], r[COL_ATTEMPTS]) for r in outbox_rows(page)}
    assert states == {"First ticket": ("will retry", "1"), "Second ticket": ("will retry", "1")}

    hook = _Webhook(webhook_port)  # the backend is back
    try:
        page.outbox.select(first.id)
        assert page.outbox.retry_button.isEnabled()
        page.outbox.retry_button.click()
        qtbot.waitUntil(lambda: {r[1]: r[COL_STATE] for r in outbox_rows(page)}.get("First ticket") == "sent",
                        timeout=20_000)
        assert len(hook.posts) == 1 and hook.posts[0][1]["summary"] == "First ticket"
        page.outbox.select(second.id)
        page.outbox.discard_button.click()
        qtbot.waitUntil(lambda: {r[1]: r[COL_STATE] for r in outbox_rows(page)}.get("Second ticket")
                        == "discarded", timeout=20_000)
        page.outbox.select(second.id)
        assert not page.outbox.retry_button.isEnabled() and not page.outbox.discard_button.isEnabled()
        page.process_due()  # the automatic retry leaves a discarded ticket alone
        due = page._due_task
        if due is not None:  # wait for the retry job to finish, not for a guessed time
            qtbot.waitUntil(lambda: not due.running, timeout=20_000)
        assert len(hook.posts) == 1
    finally:
        hook.close()
    assert page.tabs.tabText(1) == "Outbox"


@pytest.mark.integration
def test_send_to_a_real_request_tracker(qtbot: Any, task_runner: TaskRunner,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.rt_server import rt_or_skip

    rt = rt_or_skip()
    write_config(f'[backends.helpdesk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n')
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", rt.token)
    page = make_page(qtbot, task_runner)
    page.set_report(report())
    fill(page, "Get Help page: the VPN drops")
    preview(qtbot, page)
    p = page.preview
    assert p is not None and p.bundle is not None
    entry = send(qtbot, page)
    assert entry.state == "sent", entry.last_error
    assert page.result_step.result_title.text() == f"Ticket {entry.remote_id} created"
    url = f"{rt.url}/Ticket/Display.html?id={entry.remote_id}"
    assert f'href="{url}"' in page.result_step.result_text.text()
    t = rt.ticket(entry.remote_id)
    assert t["Subject"] == f"Get Help page: the VPN drops [deskside:{p.ticket.uid}]"
    assert int(t["Priority"]) == 70  # P2
    assert rt.file(entry.remote_id, p.bundle.filename) == p.bundle.data
    text = rt.everything_text(entry.remote_id)
    assert HOST not in text and EMAIL not in text
    qtbot.waitUntil(lambda: bool(outbox_rows(page)) and outbox_rows(page)[0][COL_STATE] == "sent", timeout=10_000)
    assert outbox_rows(page)[0][COL_LINK] == url


def test_send_by_mail_to_a_real_smtp_server(qtbot: Any, task_runner: TaskRunner) -> None:
    import email
    import email.policy

    from tests.conftest import need

    try:
        from aiosmtpd.controller import Controller
    except ImportError:  # pragma: no cover - the dev extra installs it
        Controller = None
    need(Controller is not None, "the aiosmtpd package (dev extra)")
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(bytes(envelope.content))
            return "250 OK"

    port = _free_port()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        write_config(f'[backends.mail]\ntype = "email"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                     'from = "deskside@desk.example"\nto = ["helpdesk@desk.example"]\n')
        page = make_page(qtbot, task_runner)
        page.set_report(report())
        fill(page, "Mail from the Get Help page")
        preview(qtbot, page)
        p = page.preview
        assert p is not None and p.bundle is not None
        entry = send(qtbot, page)
    finally:
        ctl.stop()
    assert entry.state == "sent", entry.last_error
    assert page.result_step.result_title.text() == "Ticket sent"
    assert "mail (E-mail (SMTP))" in page.result_step.result_text.text()
    (raw,) = received
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == f"Mail from the Get Help page [deskside:{p.ticket.uid}]"
    (att,) = list(msg.iter_attachments())  # type: ignore[attr-defined]
    assert att.get_filename() == p.bundle.filename and att.get_content() == p.bundle.data
    assert HOST not in raw.decode(errors="replace") and EMAIL not in raw.decode(errors="replace")
    qtbot.waitUntil(lambda: bool(outbox_rows(page)) and outbox_rows(page)[0][COL_STATE] == "sent", timeout=10_000)


def test_a_broken_config_file_is_named_and_nothing_can_be_sent(qtbot: Any, task_runner: TaskRunner) -> None:
    write_config("[backends.helpdesk\ntype = 'rt'\n")
    page = GetHelpPage(TicketsHub(), task_runner)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: bool(page.service_error), timeout=20_000)
    assert "is not valid TOML" in page.service_error and str(paths.config_file()) in page.service_error
    assert page.destination_label.text().startswith("The ticket settings cannot be used: the config file ")
    page.form.summary.setText("Something broke")
    assert not page.preview_button.isEnabled()
    assert paths.config_file().read_text() == "[backends.helpdesk\ntype = 'rt'\n"  # left as it was
    page.open_settings()
    assert page.settings_dialog is not None
    d = page.settings_dialog.panel
    qtbot.waitUntil(lambda: d.info is not None, timeout=10_000)
    assert "is not valid TOML" in d.keyring_label.text() and not d.add_button.isEnabled()
    page.settings_dialog.close()


def test_a_wrongly_shaped_config_is_named_and_settings_still_open(qtbot: Any, task_runner: TaskRunner) -> None:
    write_config("backends = 3\n")
    page = GetHelpPage(TicketsHub(), task_runner)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: bool(page.service_error), timeout=20_000)
    assert "[backends] must be a table" in page.service_error
    assert "Traceback" not in page.service_error and "AttributeError" not in page.service_error
    page.form.summary.setText("Something broke")
    assert not page.preview_button.isEnabled()
    page.open_settings()
    assert page.settings_dialog is not None
    d = page.settings_dialog.panel
    qtbot.waitUntil(lambda: d.info is not None, timeout=10_000)
    assert "[backends] must be a table" in d.keyring_label.text() and not d.add_button.isEnabled()
    page.settings_dialog.close()


def test_a_remote_hosts_report_goes_without_this_machines_log_excerpts(tmp_path: Path) -> None:
    from ui.get_help_services import prepare_material

    log = tmp_path / "app.log"
    log.write_text("boot\nLOCAL failure\n")
    data = {"host": "web-01", "generated_at": "2026-11-24T09:00:00Z", "platform": "linux", "sections": {},
            "findings": [{"id": "x", "severity": "warning", "title": "t", "evidence": [f"see {log} line 2"],
                          "fix": ""}]}
    assert prepare_material(Report.from_dict(data), this_machine="my-laptop").logs == {}
    local = prepare_material(Report.from_dict(data), this_machine="web-01").logs
    assert any("LOCAL failure" in text for text in local.values())


def test_a_requester_address_that_is_not_one_is_named_and_nothing_is_built(qtbot: Any,
                                                                          task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner)
    page.form.summary.setText("Printer jams")
    page.form.requester_name.setText("Ann")
    page.form.requester_email.setText("ann at example")
    page.show_preview()
    # said next to the field, at once; no preview is built
    assert page.form.email_error.isVisible()
    assert page.form.email_error.text() == "“ann at example” is not an e-mail address; write it as name@example.org."
    assert page.steps.currentIndex() == 0
    assert page.preview is None and not page.preview_step.send_button.isEnabled()


def test_open_ticket_opens_only_web_pages(qtbot: Any, task_runner: TaskRunner, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A ticket URL comes from the backend's answer: a file: URL must never reach the desktop's opener."""
    import sqlite3

    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda u: opened.append(u.toString()) or True)
    page = make_page(qtbot, task_runner)
    fill(page, "Link test")
    preview(qtbot, page)
    entry = send(qtbot, page)  # no backend: held
    db_path = paths.data_dir() / "outbox.sqlite3"
    for url, allowed in (("file:///tmp/evil.desktop", False), ("https://desk.example.org/T-1", True)):
        with sqlite3.connect(db_path) as db:
            db.execute("UPDATE tickets SET state='sent', remote_id='T-1', remote_url=? WHERE id=?", (url, entry.id))

        def shows(u: str) -> bool:
            page.outbox.refresh()  # (skipped while an earlier refresh still runs: so ask until it shows)
            return any(e.remote_url == u for e in page.outbox.entries)

        qtbot.waitUntil(lambda u=url: shows(u), timeout=10_000)
        page.outbox.select(entry.id)
        assert page.outbox.link_button.isEnabled() == allowed
        page.outbox.open_link()
        page.outbox._open_url(url)  # the detail label's link, too
    assert opened == ["https://desk.example.org/T-1", "https://desk.example.org/T-1"]
