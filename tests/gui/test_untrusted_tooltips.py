"""Text that comes from outside Deskside (a backend's error, a ticket summary, a finding's evidence, a document name,
a config value quoted in a validation error) is shown in tooltips as it is: Qt would render it as rich text when it
merely looks like HTML (markup, images, links)."""

from __future__ import annotations

import time
from typing import Any

from desktop import paths
from desktop.tasks import TaskRunner
from desktop.tickets_hub import TicketsHub
from diagnostics.model import Finding, Report, Section, Severity
from tickets.model import Ticket
from tickets.outbox import OutboxEntry
from tickets.redact import Occurrence, RedactionItem
from tickets.service import Preview
from ui.backends_settings import BackendsPanel
from ui.get_help_page import GetHelpPage
from ui.outbox_view import COL_DETAILS, COL_SUMMARY, OutboxView
from ui.redaction_preview import COL_WHERE, RedactionPreview

MARKUP = '<b>boom</b><img src="file:///etc/passwd">'


def shown_as_text(tip: str) -> bool:
    """The tooltip shows the markup as characters (escaped), not as a bold word and an image."""
    return "<b>" not in tip and "<img" not in tip and "&lt;b&gt;boom&lt;/b&gt;" in tip


def test_outbox_tooltips_show_an_error_and_a_summary_as_text(qtbot: Any, task_runner: TaskRunner) -> None:
    view = OutboxView(TicketsHub(), task_runner)
    qtbot.addWidget(view)
    now = time.time()
    entry = OutboxEntry(id=1, uid="u1", summary=f"VPN {MARKUP}", backend="rt", state="failed", attempts=1,
                        maybe_sent=False, next_attempt=None, last_error=f"HTTP 400: {MARKUP}", remote_id="",
                        remote_url="", bundle_path="", created=now, updated=now)
    view.set_entries([entry])
    row = view.tree.topLevelItem(0)
    assert row is not None
    assert shown_as_text(row.toolTip(COL_SUMMARY)), row.toolTip(COL_SUMMARY)
    assert MARKUP in entry.describe_state()  # (the state text carries the backend's answer)
    assert shown_as_text(row.toolTip(COL_DETAILS)), row.toolTip(COL_DETAILS)


def test_redaction_preview_shows_where_a_value_was_found_as_text(qtbot: Any) -> None:
    view = RedactionPreview()
    qtbot.addWidget(view)
    item = RedactionItem("<host-1>", "host", "pc-17", [Occurrence(f"logs/{MARKUP}.txt", 3, "seen «pc-17»")])
    view.set_preview(Preview(ticket=Ticket("x", "pc-17"), items=[item], disabled=frozenset(), bundle=None,
                             backend=None))
    row = view.items_view.topLevelItem(0)
    assert row is not None
    assert shown_as_text(row.toolTip(COL_WHERE)), row.toolTip(COL_WHERE)


def test_get_help_finding_tooltip_shows_a_title_from_the_machine_as_text(qtbot: Any, task_runner: TaskRunner) -> None:
    page = GetHelpPage(TicketsHub(), task_runner)
    qtbot.addWidget(page)
    report = Report(host="pc-17", generated_at="2026-11-24T09:13:00Z", platform="linux",
                    sections={"system": Section("system", "System", data={})},
                    findings=[Finding("x.y", Severity.WARNING, f"Disk {MARKUP} nearly full", ["92 % used"],
                                      "Free some space", "system")])
    page.set_report(report)
    item = page.report_box.findings_list.item(0)
    assert item is not None
    assert shown_as_text(item.toolTip()), item.toolTip()


def test_backend_problem_tooltip_shows_a_quoted_config_value_as_text(qtbot: Any, task_runner: TaskRunner) -> None:
    paths.ensure(paths.config_dir())
    paths.config_file().write_text(f'[backends.hook]\ntype = "webhook"\nurl = \'{MARKUP}\'\n', encoding="utf-8")
    d = BackendsPanel(TicketsHub(), task_runner)
    qtbot.addWidget(d)
    d.reload()
    qtbot.waitUntil(lambda: d.info is not None, timeout=10_000)
    row = d.tree.topLevelItem(0)
    assert row is not None
    assert "boom" in row.text(4), row.text(4)  # the problem quotes the value
    assert shown_as_text(row.toolTip(4)), row.toolTip(4)
