"""Following a sent ticket against the real Request Tracker (tests/servers/rt.start.sh): a reply made in RT shows up
(in `deskside ticket show` too), a reply from Deskside arrives in RT, a state change made in RT is seen, an escalation
changes the priority in RT, and a reopen reopens it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.rt_server import RT, rt_or_skip
from tickets.follow import TicketFollower
from tickets.lifecycle import State
from tickets.service import Draft, TicketService

pytestmark = pytest.mark.integration
T = 180.0  # seconds per request: the shared test RT can be slow on a loaded machine


@pytest.fixture
def rt() -> RT:
    return rt_or_skip()


def rt_call(rt: RT, method: str, path: str, body: dict[str, Any]) -> Any:
    """What a helpdesk agent does in RT, through RT's own REST2 API."""
    r = httpx.request(method, f"{rt.url}/REST/2.0/{path}", headers=rt.headers, json=body, timeout=T)
    r.raise_for_status()
    return r.json()


def sent_ticket(rt: RT, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, summary: str,
                **draft: Any) -> tuple[TicketService, TicketFollower, int, str]:
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", rt.token)
    svc = TicketService(backends={"helpdesk": {"type": "rt", "url": rt.url, "queue": "General"}},
                        data_dir=tmp_path / "data", users=["jdoe"])
    entry = svc.submit(svc.build_preview(Draft(summary=summary, **draft)), timeout=T)
    assert entry.state == "sent", entry.last_error
    return svc, TicketFollower(svc), entry.id, entry.remote_id


def test_a_reply_and_a_state_change_made_in_rt_are_seen_once(rt: RT, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _, follower, eid, tid = sent_ticket(rt, tmp_path, monkeypatch, "Follow: printer jams")
    first = follower.refresh(eid, timeout=T)
    assert first.status is not None, first.problem
    assert first.status.state is State.NEW and first.status.replies == ()
    assert first.changes == [] and first.clock is not None and not first.clock.response_overdue
    rt_call(rt, "POST", f"ticket/{tid}/correspond", {"Content": "Please restart the printer.",
                                                     "ContentType": "text/plain"})
    rt_call(rt, "PUT", f"ticket/{tid}", {"Status": "stalled"})
    view = follower.refresh(eid, timeout=T)
    assert view.status is not None and view.status.state is State.WAITING and view.status.backend_state == "stalled"
    assert [r.text for r in view.status.helpdesk_replies()] == ["Please restart the printer."]
    assert [c.kind for c in view.changes] == ["state", "reply"]
    assert view.changes[0].text == "waiting, was new (stalled at the helpdesk)"
    assert view.clock is not None and view.clock.responded_at is not None
    assert follower.refresh(eid, timeout=T).changes == []  # seen: not reported again
    rt_call(rt, "PUT", f"ticket/{tid}", {"Status": "resolved"})
    done = follower.refresh(eid, timeout=T)
    assert done.status is not None and done.status.state is State.RESOLVED
    assert done.clock is not None and done.clock.resolved_at is not None
    assert [c.kind for c in done.changes] == ["state"]


def test_a_reply_from_deskside_arrives_redacted_with_a_fresh_bundle(rt: RT, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _, follower, eid, tid = sent_ticket(rt, tmp_path, monkeypatch, "Follow: VPN drops")
    preview = follower.reply_preview(eid, "It dropped again for jdoe at 10:02.", logs={"logs/vpn.log": "jdoe: lost\n"})
    assert "jdoe" not in preview.ticket.description and preview.bundle is not None
    follower.send_reply(eid, preview, timeout=T)
    text = rt.everything_text(tid)
    assert "It dropped again for <user-1> at 10:02." in text and "jdoe" not in text
    assert rt.file(tid, preview.bundle.filename) == preview.bundle.data
    view = follower.refresh(eid, timeout=T)
    assert view.status is not None
    (mine,) = view.status.replies
    assert mine.ours and view.status.helpdesk_replies() == [] and view.changes == []


def test_an_escalation_changes_the_priority_in_rt_and_says_why(rt: RT, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, follower, eid, tid = sent_ticket(rt, tmp_path, monkeypatch, "Follow: mail slow", impact="low", urgency="low")
    assert int(rt.ticket(tid)["Priority"]) == 10  # P5
    esc = follower.escalate(eid, impact="high", reason="now nobody can send mail", timeout=T)
    assert (esc.old_priority, esc.new_priority) == (5, 3)
    assert int(rt.ticket(tid)["Priority"]) == 50  # P3 in the default RT map
    assert "Reason: now nobody can send mail" in rt.everything_text(tid)
    view = follower.refresh(eid, timeout=T)
    assert view.ticket.priority == 3 and view.ticket.sla == follower.svc.sla[3]
    with pytest.raises(ValueError, match="already"):
        follower.escalate(eid, impact="high", reason="again", timeout=T)


def test_reopen_a_resolved_ticket(rt: RT, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, follower, eid, tid = sent_ticket(rt, tmp_path, monkeypatch, "Follow: disk full")
    rt_call(rt, "PUT", f"ticket/{tid}", {"Status": "resolved"})
    follower.reopen(eid, "it is full again", timeout=T)
    assert rt.ticket(tid)["Status"] == "open"
    assert "Reopened: it is full again" in rt.everything_text(tid)


def test_ticket_show_prints_the_reply_made_in_rt(rt: RT, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import main

    monkeypatch.setenv("DESKSIDE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "config.toml").write_text(f'[backends.helpdesk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n')
    monkeypatch.setenv("DESKSIDE_CONFIG_DIR", str(tmp_path))
    _, _, eid, tid = sent_ticket(rt, tmp_path, monkeypatch, "Follow: CLI show")
    rt_call(rt, "POST", f"ticket/{tid}/correspond", {"Content": "Fixed \x1b[31mon our side.",
                                                     "ContentType": "text/plain"})
    assert main(["ticket", "show", str(eid), "--timeout", "180"]) == 0
    out = capsys.readouterr().out
    assert "Fixed \\x1b[31mon our side." in out and "\x1b" not in out
    assert "State:" in out and "open" in out and "response due" in out
    assert main(["ticket", "list", "--json", "--timeout", "180"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [eid] and rows[0]["state"] == "open"
