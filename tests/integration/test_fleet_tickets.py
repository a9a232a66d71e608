"""Compliance tickets reach a real Request Tracker: one per non-compliant host and rule, never a second one when
the same findings come back in a rescan; a rescan that finds the rule met comments on and resolves the ticket, and
the same ticket is reopened when the finding comes back (state and comments read back from RT's REST2 API)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from pathlib import Path

import pytest

from desktop.fleet_tickets import file_tickets, ticket_uid
from diagnostics.updates.posture import EolStatus, PendingUpdate, Posture
from fleet import policy as pol
from fleet.evaluate import HostEvidence, evaluate, unknown
from tests.integration.rt_server import RT, rt_or_skip
from tickets.service import TicketService

pytestmark = pytest.mark.integration
T = 180.0  # seconds per request: the shared test RT can be slow on a loaded machine


def _result(name: str, eol: str, pending: bool = True) -> object:
    update = PendingUpdate("openssl", "apt", "3.0.11-1", "3.0.13-1", "bookworm-security", security=True)
    p = Posture(host=name, collected_at="", platform="linux", managers=["apt"], checked=["apt"],
                pending=[update] if pending else [],
                security_data={"apt": True},
                eol=EolStatus(os_id="debian", version="10", name="Debian 10", eol="2022-09-10", state=eol))
    p.recount()
    strict = pol.parse("[policy]\nmax_security_age_days = 0\n")
    r = evaluate(name, ["web"], HostEvidence(p), strict, now=dt.datetime.now(dt.UTC))
    r.target = f"admin@{name}"
    r.scanned_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return r


def test_one_ticket_per_host_and_rule_across_rescans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt: RT = rt_or_skip()
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", rt.token)
    svc = TicketService(backends={"helpdesk": {"type": "rt", "url": rt.url, "queue": "General"}},
                        data_dir=tmp_path / "data")
    run = secrets.token_hex(3)  # RT keeps the tickets of earlier runs: names of this run only
    web7, web8 = f"web7-{run}", f"web8-{run}"
    results = [_result(web7, "ended"), _result(web8, "supported"), unknown("web9", ["web"], "unreachable")]
    first = file_tickets(svc, results, backend="helpdesk")  # type: ignore[arg-type]
    assert sorted((o.host, o.key, o.state) for o in first) == [
        (web7, "eol", "sent"), (web7, "security-updates", "sent"), (web8, "security-updates", "sent")]
    for o in first:
        found = rt.search_marker(ticket_uid(o.host, o.key))
        assert len(found) == 1, (o, found)
        t = rt.ticket(found[0])
        assert t["Subject"].startswith(f"Patch compliance: {o.host}: ")
    text = rt.everything_text(rt.search_marker(ticket_uid(web7, "security-updates"))[0])
    assert "openssl 3.0.11-1 -> 3.0.13-1" in text and "Rule: security-updates (critical)" in text
    # The rescan finds the same problems: nothing new is filed, in the outbox or in RT.
    again = file_tickets(svc, results, backend="helpdesk")  # type: ignore[arg-type]
    assert {o.state for o in again} == {"already open"}
    for o in first:
        assert len(rt.search_marker(ticket_uid(o.host, o.key))) == 1
    assert len(svc.outbox_list()) == 3


def _comments(rt: RT, tid: str) -> str:
    """The texts of the ticket's public comments (Correspond transactions), read from RT's REST2 API in two calls."""
    tx = {str(t["id"]) for t in rt.get(f"ticket/{tid}/history", fields="Type", per_page="100")["items"]
          if t.get("Type") == "Correspond"}
    items = rt.get(f"ticket/{tid}/attachments", fields="TransactionId,Content,ContentType", per_page="100")["items"]
    out = []
    for a in items:
        ref = a.get("TransactionId")
        if str(ref.get("id") if isinstance(ref, dict) else ref) in tx:
            content = str(a.get("Content") or "")
            try:
                content = base64.b64decode(content, validate=True).decode("utf-8", "replace")
            except ValueError:
                pass
            out.append(content)
    return "\n".join(out)


def test_a_fixed_host_and_rule_is_commented_and_resolved_then_reopened(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rt: RT = rt_or_skip()
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", rt.token)
    svc = TicketService(backends={"helpdesk": {"type": "rt", "url": rt.url, "queue": "General"}},
                        data_dir=tmp_path / "data")
    host = f"db3-{secrets.token_hex(3)}"
    first = file_tickets(svc, [_result(host, "ended")], backend="helpdesk", timeout=T)  # type: ignore[list-item]
    assert sorted((o.key, o.state) for o in first) == [("eol", "sent"), ("security-updates", "sent")]
    sec = rt.search_marker(ticket_uid(host, "security-updates"))[0]
    eol = rt.search_marker(ticket_uid(host, "eol"))[0]
    assert rt.ticket(sec)["Status"] == "new"

    # The security update was installed; the OS is still past its end of life.
    fixed = _result(host, "ended", pending=False)
    second = file_tickets(svc, [fixed], backend="helpdesk", timeout=T)  # type: ignore[list-item]
    assert sorted((o.key, o.state) for o in second) == [("eol", "already open"), ("security-updates", "resolved")]
    assert rt.ticket(sec)["Status"] == "resolved"
    assert rt.ticket(eol)["Status"] == "new"
    text = _comments(rt, sec)
    assert f"Fixed: the rescan at {fixed.scanned_at} found security-updates compliant on {host}." in text  # type: ignore[attr-defined]
    assert "Evidence: 0 security update(s) pending, within the policy; the host is non-compliant" in text
    # Once resolved, a rescan that still finds it fixed does nothing more.
    third = file_tickets(svc, [fixed], backend="helpdesk", timeout=T)  # type: ignore[list-item]
    assert [(o.key, o.state) for o in third] == [("eol", "already open")]

    # The finding comes back: the same ticket is reopened with the new evidence, no second one is filed.
    again = _result(host, "ended")
    fourth = file_tickets(svc, [again], backend="helpdesk", timeout=T)  # type: ignore[list-item]
    assert sorted((o.key, o.state) for o in fourth) == [("eol", "already open"), ("security-updates", "reopened")]
    assert rt.search_marker(ticket_uid(host, "security-updates")) == [sec]
    assert rt.ticket(sec)["Status"] == "open"
    assert "Non-compliant again: the rescan at" in _comments(rt, sec)
    assert len(svc.outbox_list()) == 2
