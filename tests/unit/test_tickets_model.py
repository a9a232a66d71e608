"""Ticket model: the ITIL priority matrix, SLA targets, validation."""

from __future__ import annotations

import pytest

from tickets.errors import ConfigError
from tickets.model import DEFAULT_SLA, IncidentType, Ticket, parse_level, priority_of, sla_policy


def test_3x3_matrix() -> None:
    rows = [[priority_of(i, u) for u in (1, 2, 3)] for i in (1, 2, 3)]
    assert rows == [[1, 2, 3], [2, 3, 4], [3, 4, 5]]


def test_5x5_matrix_corners_and_symmetry() -> None:
    assert priority_of(1, 1, 5) == 1 and priority_of(5, 5, 5) == 5 and priority_of(3, 3, 5) == 3
    assert priority_of(1, 5, 5) == priority_of(5, 1, 5) == 3
    assert all(1 <= priority_of(i, u, 5) <= 5 for i in range(1, 6) for u in range(1, 6))


def test_levels_and_types_parse_with_clear_errors() -> None:
    assert parse_level("High") == 1 and parse_level("low") == 3 and parse_level("2") == 2
    assert parse_level("minimal", 5) == 5
    with pytest.raises(ValueError, match="use high, medium, low"):
        parse_level("huge")
    with pytest.raises(ValueError, match="out of range"):
        parse_level(4)
    assert IncidentType.parse("Security-Breach") is IncidentType.SECURITY_BREACH
    with pytest.raises(ValueError, match="'request'"):
        IncidentType.parse("complaint")


def test_ticket_priority_sla_and_text() -> None:
    t = Ticket("Mail down", impact=1, urgency=1)
    assert t.priority == 1 and t.priority_label == "P1 critical"
    assert t.sla == DEFAULT_SLA[1]
    assert "response within 15 min, resolution within 4 hours" in t.body_text()
    assert t.subject == f"Mail down [deskside:{t.uid}]"
    again = Ticket.from_dict(t.to_dict())
    assert again.to_dict() == t.to_dict()


def test_ticket_rejects_empty_or_long_summary() -> None:
    with pytest.raises(ValueError, match="summary is empty"):
        Ticket("  ")
    with pytest.raises(ValueError, match="longer than 250"):
        Ticket("x" * 251)


def test_sla_configurable() -> None:
    pol = sla_policy({"P1": {"response_minutes": 5}, "3": {"resolution_minutes": 600}})
    assert pol[1].response_minutes == 5 and pol[1].resolution_minutes == DEFAULT_SLA[1].resolution_minutes
    assert pol[3].resolution_minutes == 600
    with pytest.raises(ConfigError, match=r"P1\.\.P5"):
        sla_policy({"P9": {}})
    with pytest.raises(ConfigError, match="resolution >= response"):
        sla_policy({"P2": {"response_minutes": 100, "resolution_minutes": 50}})


def test_summary_is_one_line_and_requester_must_be_an_address() -> None:
    """A newline in the summary became a mail header (injection: 'Bcc: ...') or an outbox ticket retried
    forever on 'unexpected error'; a requester that is not an address went into Reply-To/Requestor."""
    from tickets.connectors.email import EmailConnector

    t = Ticket("Printer jams\r\nBcc: victim@example.org\n  again")
    assert t.summary == "Printer jams Bcc: victim@example.org again"
    conn = EmailConnector("mail", {"type": "email", "host": "127.0.0.1", "from": "desk@example.org",
                                   "to": ["help@example.org"]})
    msg = conn.message(t)
    assert msg["Subject"] == t.subject and msg["Bcc"] is None
    assert Ticket("x", requester_email=" ann@example.org ").requester_email == "ann@example.org"
    for bad in ("ann", "ann@example.org\nBcc: x@example.org", "a@b@example.org", "Ann <ann@example.org>"):
        with pytest.raises(ValueError, match="is not an e-mail address"):
            Ticket("x", requester_email=bad)
