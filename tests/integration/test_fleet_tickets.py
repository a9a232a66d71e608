"""Compliance tickets reach a real Request Tracker: one per non-compliant host and rule, never a second one when
the same findings come back in a rescan."""

from __future__ import annotations

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


def _result(name: str, eol: str) -> object:
    p = Posture(host=name, collected_at="", platform="linux", managers=["apt"], checked=["apt"],
                pending=[PendingUpdate("openssl", "apt", "3.0.11-1", "3.0.13-1", "bookworm-security", security=True)],
                security_data={"apt": True},
                eol=EolStatus(os_id="debian", version="10", name="Debian 10", eol="2022-09-10", state=eol))
    p.recount()
    strict = pol.parse("[policy]\nmax_security_age_days = 0\n")
    r = evaluate(name, ["web"], HostEvidence(p), strict, now=dt.datetime.now(dt.UTC))
    r.target = f"admin@{name}"
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
