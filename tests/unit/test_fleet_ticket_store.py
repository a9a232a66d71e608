"""The fleet ticket store (which ticket is for which host and rule) and the evidence of a fixed rule; the ticket
flow itself is tested against a real Request Tracker (tests/integration/test_fleet_tickets.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.fleet_tickets import TicketStore, fixed_evidence
from fleet.evaluate import HostResult, Reason
from tickets.outbox import OutboxError


def test_store_keeps_each_hosts_open_tickets(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    store.put("u1", "web1", "security-updates", 1, "open")
    store.put("u2", "web1", "eol", 2, "resolved")
    store.put("u3", "web2", "reboot", 3, "open")
    assert store.open_for("web1") == [("u1", "security-updates", 1)]
    assert store.get("u2") == "resolved" and store.get("nope") is None
    store.put("u2", "web1", "eol", 2, "open")  # reopened
    assert [k for _u, k, _i in TicketStore(tmp_path).open_for("web1")] == ["eol", "security-updates"]


def test_a_damaged_store_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "compliance-tickets.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxError, match=r"compliance-tickets\.sqlite3 cannot be used"):
        TicketStore(tmp_path)


def test_fixed_evidence_says_what_the_rescan_saw() -> None:
    r = HostResult(name="web1", status="non-compliant", score=85,
                   reasons=[Reason("reboot", "warning", "a reboot has been required for 9 days")],
                   updates={"counts": {"security": 0, "pending": 3}, "reboot": {"required": True},
                            "eol": {"name": "Debian 12", "state": "supported"}})
    assert fixed_evidence(r, "security-updates") == ("0 security update(s) pending, within the policy; the host is "
                                                     "non-compliant (score 85), other open findings: reboot")
    assert fixed_evidence(r, "eol").startswith("Debian 12 is supported;")
    assert fixed_evidence(r, "forbidden-package:telnetd").startswith("telnetd is not installed")
    assert fixed_evidence(r, "check:firewall").startswith("the check 'firewall' passes")
