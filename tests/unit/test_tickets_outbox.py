"""The outbox's own logic with a scripted connector (the real backends are in tests/integration)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tickets.connectors.base import Connector, Submitted
from tickets.errors import AuthError, TransientError
from tickets.model import Attachment, Ticket
from tickets.outbox import BACKOFF_MAX, STALE_SENDING, Outbox, OutboxError, backoff


class Scripted(Connector):
    """Creates tickets in a list; each submit runs the next scripted step first."""

    type = "scripted"
    title = "Scripted"
    schema: dict[str, Any] = {"properties": {}}

    def __init__(self, steps: list[Callable[[], None]] | None = None, *, searchable: bool = True,
                 idempotent: bool = False) -> None:
        super().__init__("scripted", {})
        self.steps = list(steps or [])
        self.created: list[str] = []
        self.submits = 0
        self.searchable = searchable  # type: ignore[misc]
        self.idempotent = idempotent  # type: ignore[misc]

    def submit(self, ticket: Ticket, **kw: Any) -> Submitted:
        self.submits += 1
        if self.steps:
            self.steps.pop(0)()
        if self.idempotent and ticket.uid in self.created:
            return Submitted(str(self.created.index(ticket.uid) + 1), "u")
        self.created.append(ticket.uid)
        return Submitted(str(len(self.created)), f"https://desk.example/{len(self.created)}")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        if ticket.uid in self.created:
            n = self.created.index(ticket.uid) + 1
            return Submitted(str(n), f"https://desk.example/{n}")
        return None


def refused() -> None:
    raise TransientError("connection refused", maybe_sent=False)


def cut_off(c: Scripted, t: Ticket) -> Callable[[], None]:
    def step() -> None:
        c.created.append(t.uid)  # the backend did create it ...
        raise TransientError("timed out", maybe_sent=True)  # ... but the answer was lost

    return step


@pytest.fixture
def clock() -> list[float]:
    return [1_000_000.0]


@pytest.fixture
def box(tmp_path: Path, clock: list[float]) -> Outbox:
    return Outbox(tmp_path / "outbox.sqlite3", clock=lambda: clock[0])


def test_written_before_sending_and_survives_restart(box: Outbox, tmp_path: Path, clock: list[float]) -> None:
    t = Ticket("x", attachments=[Attachment("b.zip", "application/zip", b"\x00\x01zip")])
    c = Scripted([refused])
    e = box.add(t, "desk")
    assert e.state == "queued"
    e = box.attempt(e.id, c)
    assert e.state == "retry" and e.attempts == 1 and "connection refused" in e.last_error
    again = Outbox(tmp_path / "outbox.sqlite3", clock=lambda: clock[0])
    assert [x.uid for x in again.entries()] == [t.uid]
    assert again.ticket(e.id).attachments[0].data == b"\x00\x01zip"
    assert again.due() == []  # backing off
    clock[0] += 60
    (due,) = again.due()
    assert again.attempt(due.id, c).state == "sent" and c.created == [t.uid]


def test_cut_off_attempt_adopts_the_existing_ticket(box: Outbox) -> None:
    t = Ticket("x")
    c = Scripted()
    c.steps = [cut_off(c, t)]
    e = box.add(t, "desk")
    e = box.attempt(e.id, c)
    assert e.state == "retry" and e.maybe_sent
    e = box.attempt(e.id, c, force=True)
    assert e.state == "sent" and e.remote_id == "1"
    assert c.created == [t.uid] and c.submits == 1
    assert any("marker search" in m for _a, _s, m in box.history(e.id))


def test_not_searchable_and_cut_off_becomes_uncertain_until_the_user_decides(box: Outbox) -> None:
    t = Ticket("x")
    c = Scripted(searchable=False)
    c.steps = [cut_off(c, t)]
    e = box.attempt(box.add(t, "desk").id, c)
    assert e.state == "uncertain" and "may have been created" in e.last_error
    assert box.due() == []  # never retried automatically
    e = box.attempt(e.id, c)  # not forced: stays
    assert e.state == "uncertain" and c.submits == 1
    e = box.attempt(e.id, c, force=True)  # the user says: send anyway
    assert e.state == "sent" and c.submits == 2


def test_idempotent_backend_is_simply_resent(box: Outbox) -> None:
    t = Ticket("x")
    c = Scripted(searchable=False, idempotent=True)
    c.steps = [cut_off(c, t)]
    e = box.attempt(box.add(t, "desk").id, c)
    assert e.state == "retry"
    e = box.attempt(e.id, c, force=True)
    assert e.state == "sent" and c.created == [t.uid]


def test_rejected_fails_and_user_retry_after_fixing(box: Outbox) -> None:
    def bad_token() -> None:
        raise AuthError("refused the credentials")

    c = Scripted([bad_token])
    e = box.attempt(box.add(Ticket("x"), "desk").id, c)
    assert e.state == "failed" and "refused the credentials" in e.last_error
    assert box.due() == [] and box.attempt(e.id, c).state == "failed"  # no automatic retry
    assert box.attempt(e.id, c, force=True).state == "sent"


def test_held_without_backend_then_sent(box: Outbox) -> None:
    e = box.add(Ticket("x"), None, bundle_path="/data/bundles/b.zip")
    assert e.state == "held" and "waiting for a backend" in e.describe_state()
    assert box.due() == []
    assert box.attempt(e.id, Scripted(), force=True).state == "sent"


def test_discard(box: Outbox) -> None:
    e = box.add(Ticket("x"), "desk")
    assert box.discard(e.id).state == "discarded"
    assert box.entries(include_closed=False) == []
    sent = box.attempt(box.add(Ticket("y"), "desk").id, Scripted())
    with pytest.raises(OutboxError, match="already sent"):
        box.discard(sent.id)
    with pytest.raises(OutboxError, match="no ticket 999"):
        box.discard(999)


def test_crash_mid_send_is_treated_as_maybe_sent(box: Outbox, tmp_path: Path, clock: list[float]) -> None:
    t = Ticket("x")
    c = Scripted()
    e = box.add(t, "desk")
    # Simulate a process that claimed the ticket, reached the backend and died.
    c.created.append(t.uid)
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as db:
        db.execute("UPDATE tickets SET state='sending', updated=? WHERE id=?", (clock[0], e.id))
    assert box.due() == []
    clock[0] += STALE_SENDING + 1
    (due,) = box.due()
    e = box.attempt(due.id, c)
    assert e.state == "sent" and c.submits == 0  # found by marker, not sent again


def test_backoff_doubles_and_caps() -> None:
    assert 27 <= backoff(1) <= 33 and 54 <= backoff(2) <= 66
    assert backoff(30) <= BACKOFF_MAX * 1.1


def test_corrupt_outbox_file_is_moved_aside_and_reported(tmp_path: Path) -> None:
    p = tmp_path / "outbox.sqlite3"
    p.write_bytes(b"this is not sqlite" * 100)
    box = Outbox(p)
    assert box.repair is not None and box.repair.damaged_copy.read_bytes() == b"this is not sqlite" * 100
    assert "was damaged" in box.repair.message() and "No ticket could be read back" in box.repair.message()
    assert box.entries() == []


def test_lagging_search_is_not_trusted_right_away(box: Outbox, clock: list[float]) -> None:
    t = Ticket("x")
    c = Scripted()
    c.search_lag = 120.0  # type: ignore[misc]
    invisible: list[str] = []

    def lost_answer() -> None:
        invisible.append(t.uid)  # created, but the search index does not show it yet
        raise TransientError("timed out", maybe_sent=True)

    c.steps = [lost_answer]
    e = box.attempt(box.add(t, "desk").id, c)
    assert e.state == "retry"
    e = box.attempt(e.id, c, force=True)  # right away: search says nothing, but that is not trusted
    assert e.state == "retry" and "search may not show" in e.last_error and c.submits == 1
    clock[0] += 60
    e = box.attempt(e.id, c, force=True)
    assert e.state == "retry" and c.submits == 1
    c.created.extend(invisible)  # the index caught up
    clock[0] += 61
    (due,) = box.due()
    e = box.attempt(due.id, c)
    assert e.state == "sent" and c.submits == 1


def test_lagging_search_waits_once_then_sends(box: Outbox, clock: list[float]) -> None:
    """If the cut-off attempt did not create anything, the ticket is sent after the lag, not deferred forever."""
    c = Scripted([lambda: (_ for _ in ()).throw(TransientError("timed out", maybe_sent=True))])
    c.search_lag = 120.0  # type: ignore[misc]
    e = box.attempt(box.add(Ticket("x"), "desk").id, c)
    clock[0] += 30
    assert box.attempt(e.id, c, force=True).state == "retry"
    clock[0] += 91
    assert box.attempt(e.id, c).state == "sent" and c.submits == 2


def test_cancel_keeps_the_ticket_and_remembers_it_may_have_gone_out(box: Outbox) -> None:
    from tickets.cancel import Cancelled

    def cancel() -> None:
        raise Cancelled("cancelled by the user")

    c = Scripted([cancel])
    e = box.add(Ticket("x"), "desk")
    with pytest.raises(Cancelled):
        box.attempt(e.id, c)
    e = box.get(e.id)
    assert e.state == "queued" and e.maybe_sent and "cancelled" in e.last_error


def test_a_sender_that_was_killed_is_recovered_at_once_and_checked_first(box: Outbox, tmp_path: Path) -> None:
    """A real process claims the ticket and is killed mid-send: the row must not stay `sending` (refusing retry
    and discard for 15 minutes); it becomes a retry that looks for the ticket before sending again."""
    import signal
    import subprocess
    import sys
    import textwrap

    t = Ticket("killed mid-send")
    e = box.add(t, "desk")
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from tests.unit.test_tickets_outbox import Scripted
        from tickets.outbox import Outbox
        box = Outbox(__import__("pathlib").Path({str(tmp_path / "outbox.sqlite3")!r}))
        c = Scripted([lambda: (print("sending", flush=True), time.sleep(600))])
        box.attempt({e.id}, c)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "sending"
        assert box.get(e.id).state == "sending"  # the sender is alive: leave it alone
        with pytest.raises(OutboxError, match="being sent right now"):
            box.discard(e.id)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    got = box.get(e.id)
    assert got.state == "retry" and got.maybe_sent and "interrupted" in got.last_error
    assert [d.id for d in box.due()] == [e.id]
    c = Scripted()
    c.created.append(t.uid)  # the backend did get it before the sender died
    assert box.attempt(e.id, c).state == "sent" and c.submits == 0  # adopted, not sent twice


def test_an_attempt_running_in_this_process_is_not_taken_for_dead(box: Outbox, tmp_path: Path) -> None:
    import os

    e = box.add(Ticket("x"), "desk")
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as db:
        db.execute("UPDATE tickets SET state='sending', claimed_pid=? WHERE id=?", (os.getpid(), e.id))
    assert box.get(e.id).state == "sending" and box.due() == []
