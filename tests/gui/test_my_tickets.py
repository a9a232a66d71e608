"""The Get Help page's "My tickets" (pytest-qt, headless) with the real ticket service, task runner and the real
Request Tracker: a reply made in RT shows up as plain text with the state and SLA, and raises a desktop
notification (real session D-Bus, tests/notification_server.py); Reply and Escalate from the page reach RT."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.tasks import TaskRunner
from desktop.tickets_hub import TicketsHub
from tests.gui.test_get_help import HOST, make_page, report, write_config
from tests.integration.rt_server import rt_or_skip
from tests.integration.test_tickets_follow_rt import rt_call
from tests.notification_server import NotificationServer, notification_server  # noqa: F401 (fixture)
from tickets.service import Draft
from ui.my_tickets_view import COL_REPLIES, COL_STATE

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("notification_server", [True], indirect=True, ids=["markup"])
def test_my_tickets_follow_reply_and_escalate(qtbot: Any, task_runner: TaskRunner, monkeypatch: pytest.MonkeyPatch,
                                             notification_server: NotificationServer) -> None:  # noqa: F811
    rt = rt_or_skip()
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", rt.token)
    write_config(f'[backends.helpdesk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n')
    hub = TicketsHub()
    svc = hub.service()
    entry = svc.submit(svc.build_preview(Draft(summary="GUI follow: scanner offline", impact="low", urgency="low")),
                       timeout=30)
    assert entry.state == "sent", entry.last_error
    rt_call(rt, "POST", f"ticket/{entry.remote_id}/correspond",
            {"Content": "<img src=x> Is it plugged in?", "ContentType": "text/plain"})
    page = make_page(qtbot, task_runner, hub, last_report=report)
    view = page.my_tickets
    with qtbot.waitSignal(view.changed, timeout=75_000):
        page.tabs.setCurrentWidget(view)
    item = view.tree.topLevelItem(0)
    assert item is not None and item.text(COL_STATE) == "open" and item.text(COL_REPLIES) == "1 (1 new)"
    assert "<img src=x> Is it plugged in?" in view.detail.toPlainText()
    assert "response due" in view.detail.toPlainText()
    (note,) = notification_server.received
    assert "Is it plugged in?" in note.body and "<img" not in note.body

    view.ask_reply = lambda: f"Yes, and the light is off on {HOST}."
    shown: list[Any] = []
    view.confirm_reply = lambda preview: shown.append(preview) is None
    view.attach_report.setChecked(True)  # a fresh bundle from the page's report goes with the reply
    with qtbot.waitSignal(view.changed, timeout=75_000):
        qtbot.mouseClick(view.reply_button, Qt.MouseButton.LeftButton)
    (preview,) = shown
    text = rt.everything_text(entry.remote_id)
    assert "Yes, and the light is off on <host-" in text and HOST not in text
    assert rt.file(entry.remote_id, preview.bundle.filename) == preview.bundle.data
    assert "— " in view.detail.toPlainText() and "you:" in view.detail.toPlainText()

    view.ask_escalation = lambda v: (1, 3, "the whole office needs it today")
    with qtbot.waitSignal(view.changed, timeout=75_000):
        qtbot.mouseClick(view.escalate_button, Qt.MouseButton.LeftButton)
    assert int(rt.ticket(entry.remote_id)["Priority"]) == 50  # P5 -> P3
    assert "P3 medium (impact high, urgency low)" in view.detail.toPlainText()
