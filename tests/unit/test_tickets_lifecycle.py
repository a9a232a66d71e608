"""The SLA clock and the common model's helpers (tickets/lifecycle.py)."""

from __future__ import annotations

from tickets.lifecycle import Reply, SlaClock, State, TicketStatus, html_to_text, parse_time, sla_clock
from tickets.model import SlaTarget

T0 = 1_767_600_000.0  # the ticket's creation
P2 = SlaTarget(60, 8 * 60)


def status(state: State = State.OPEN, replies: tuple[Reply, ...] = (), resolved: float | None = None) -> TicketStatus:
    return TicketStatus("1", state, state.value, replies, created=T0, resolved_at=resolved)


def test_due_times_come_from_the_target_and_the_creation_time() -> None:
    c = sla_clock(P2, status(), created=T0 - 999, now=T0 + 30 * 60)
    assert c.response_due == T0 + 3600 and c.resolution_due == T0 + 8 * 3600
    assert not c.response_overdue and not c.resolution_overdue
    assert "(in 30 min)" in c.lines()[0]


def test_no_answer_after_the_response_target_is_overdue() -> None:
    c = sla_clock(P2, status(), created=T0, now=T0 + 2 * 3600 + 5 * 60)
    assert c.response_overdue and not c.resolution_overdue
    assert c.lines()[0].endswith("OVERDUE by 1 h 05 min")
    assert c.summary() == "response overdue"


def test_only_the_helpdesk_answer_counts_as_the_response() -> None:
    mine = Reply("1", "ann", T0 + 60, "any news?", ours=True)
    theirs = Reply("2", "bob", T0 + 90 * 60, "looking")
    c = sla_clock(P2, status(replies=(mine, theirs)), created=T0, now=T0 + 3 * 3600)
    assert c.responded_at == T0 + 90 * 60 and c.response_overdue
    assert "answered" in c.lines()[0] and "30 min late (SLA missed)" in c.lines()[0]


def test_resolved_in_time_is_met_and_a_reopened_ticket_runs_again() -> None:
    done = sla_clock(P2, status(State.RESOLVED, resolved=T0 + 3600), created=T0, now=T0 + 48 * 3600)
    assert not done.resolution_overdue and done.lines()[1].endswith("(met)")
    reopened = sla_clock(P2, status(State.OPEN, resolved=T0 + 3600), created=T0, now=T0 + 48 * 3600)
    assert reopened.resolved_at is None and reopened.resolution_overdue


def test_clock_without_backend_creation_time_starts_at_ours() -> None:
    s = TicketStatus("1", State.NEW, "new")
    assert SlaClock(P2, T0, None, None, T0).response_due == sla_clock(P2, s, created=T0, now=T0).response_due


def test_time_and_html_helpers() -> None:
    assert parse_time("2026-01-05T09:00:00Z") == parse_time("2026-01-05 09:00:00") == parse_time(1767603600)
    assert parse_time("1970-01-01T00:00:00Z") is None and parse_time("soon") is None and parse_time(None) is None
    assert html_to_text("&lt;p&gt;a &amp;amp; b&lt;/p&gt;&lt;p&gt;c&lt;br /&gt;d&lt;/p&gt;") == "a & b\nc\nd"
    assert html_to_text("<script>x</script>plain") == "xplain"
