"""Desktop notifications for followed tickets, on the real session D-Bus with a notification server that records
what it was sent (tests/notification_server.py): a helpdesk reply made in the real RT, then a state change, each
raise one notification; hostile text stays text."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.notify import Notifier, notify_changes
from tests.integration.rt_server import RT, rt_or_skip
from tests.integration.test_tickets_follow_rt import T, rt_call, sent_ticket
from tests.notification_server import NotificationServer, notification_server  # noqa: F401 (fixture)
from tickets.follow import Change

pytestmark = pytest.mark.integration


def test_a_reply_and_a_state_change_in_rt_each_raise_one_notification(
        notification_server: NotificationServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    rt: RT = rt_or_skip()
    _, follower, eid, tid = sent_ticket(rt, tmp_path, monkeypatch, "Notify: screen flickers")
    assert notify_changes(follower.refresh(eid, timeout=T).changes) is None
    assert notification_server.received == []  # nothing new yet
    rt_call(rt, "POST", f"ticket/{tid}/correspond", {"Content": "Try another cable <b>please</b> & tell us.",
                                                     "ContentType": "text/plain"})
    assert notify_changes(follower.refresh(eid, timeout=T).changes) is None
    (got,) = notification_server.received
    # RT opens a new ticket when the helpdesk answers: one notification says both.
    assert got.app == "Deskside"
    assert got.summary == f"Ticket #{eid} (new reply and state changed): Notify: screen flickers"
    assert "State: open, was new (open at the helpdesk)" in got.body
    text = "Try another cable <b>please</b> & tell us."
    if notification_server.markup:
        assert "&lt;b&gt;please&lt;/b&gt; &amp; tell us." in got.body
    else:
        assert text in got.body
    rt_call(rt, "PUT", f"ticket/{tid}", {"Status": "resolved"})
    assert notify_changes(follower.refresh(eid, timeout=T).changes) is None
    assert len(notification_server.received) == 2
    assert "(state changed)" in notification_server.received[1].summary
    assert "State: resolved, was open" in notification_server.received[1].body


def test_control_characters_and_long_texts_are_tamed(notification_server: NotificationServer) -> None:  # noqa: F811
    with Notifier() as n:
        n.notify("x\x1b]0;title\x07", "a\x00b" + "z" * 2000)
    (got,) = notification_server.received
    assert "\x1b" not in got.summary and "\x00" not in got.body and len(got.body) <= 400


def test_without_a_notification_server_it_says_why() -> None:
    problem = notify_changes([Change(1, "s", "reply", "t")])
    assert problem is not None and "notification server" in problem
