"""Following sent tickets ("My tickets"): state, public replies and SLA clock read from the backend; reply, reopen
and escalate; what changed since the last look (for notifications).

    follower = TicketFollower(svc)                 # svc: the TicketService (outbox, backends, redaction, SLA)
    views = follower.refresh_all()                 # every sent ticket, each with .status/.clock/.changes/.problem
    preview = follower.reply_preview(entry_id, "It happens again", report=...)   # redacted, nothing sent yet
    follower.send_reply(entry_id, preview)
    follower.reopen(entry_id, "Still broken")
    follower.escalate(entry_id, impact="high", reason="the whole floor is down now")

What was seen (state, reply ids), the replies sent from here and the escalations are kept in follow.sqlite3 next to
the outbox; the ticket as sent stays in the outbox untouched.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ConfigError, TicketError
from .lifecycle import NoStatus, SlaClock, TicketStatus, sla_clock
from .model import PRIORITY_NAMES, Ticket, parse_level, priority_of
from .outbox import OutboxEntry, OutboxError
from .service import Draft, Preview, TicketService

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (entry_id INTEGER PRIMARY KEY, state TEXT NOT NULL, replies TEXT NOT NULL,
                                 checked REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sent_replies (entry_id INTEGER NOT NULL, digest TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS escalations (entry_id INTEGER NOT NULL, at REAL NOT NULL, impact INTEGER NOT NULL,
                                        urgency INTEGER NOT NULL, priority INTEGER NOT NULL, reason TEXT NOT NULL);
"""


def _digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    """Something the user has not seen yet: a helpdesk reply, or a new state."""

    entry_id: int
    summary: str
    kind: str  # "reply" | "state"
    text: str


@dataclass
class Followed:
    entry: OutboxEntry
    ticket: Ticket  # as sent, with the escalations applied (impact, urgency, priority, SLA)
    status: TicketStatus | None = None
    problem: str = ""  # why there is no status: "no status available", or the backend's error
    clock: SlaClock | None = None
    changes: list[Change] = field(default_factory=list)
    escalations: list[tuple[float, int, str]] = field(default_factory=list)  # (at, priority, reason)


@dataclass(frozen=True)
class Escalation:
    old_priority: int
    new_priority: int
    ticket: Ticket
    message: str  # the comment sent to the helpdesk (redacted)


class TicketFollower:
    def __init__(self, svc: TicketService) -> None:
        self.svc = svc
        self.path = svc.data_dir / "follow.sqlite3"
        try:
            with self._conn() as db:
                db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise OutboxError(f"{self.path} cannot be opened ({exc}); move it away to start afresh (only what was "
                              "already seen is forgotten)") from exc

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # ---- reading ------------------------------------------------------------------------------------------------
    def sent(self) -> list[OutboxEntry]:
        return [e for e in self.svc.outbox_list(include_closed=True) if e.state == "sent" and e.remote_id]

    def entry(self, entry_id: int) -> OutboxEntry:
        e = self.svc.outbox.get(entry_id)
        if e.state != "sent" or not e.remote_id:
            raise ConfigError(f"ticket #{entry_id} has not been sent yet ({e.state}); `deskside ticket outbox show "
                              f"{entry_id}` tells why")
        return e

    def ticket(self, entry_id: int) -> Ticket:
        """The ticket as sent, with the latest escalation's impact and urgency and their priority's SLA."""
        t = self.svc.outbox.ticket(entry_id)
        with self._conn() as db:
            row = db.execute("SELECT impact, urgency FROM escalations WHERE entry_id = ? ORDER BY at DESC LIMIT 1",
                             (entry_id,)).fetchone()
        if row is not None:
            t.impact, t.urgency = int(row["impact"]), int(row["urgency"])
            t.sla = self.svc.sla[t.priority]
        return t

    def refresh(self, entry_id: int, *, timeout: float = 30.0) -> Followed:
        """Ask the backend; record what is now seen and return what changed since the last look."""
        e = self.entry(entry_id)
        view = Followed(e, self.ticket(entry_id), escalations=self._escalations(entry_id))
        try:
            conn = self.svc.connector(e.backend or "")
            status = conn.follow(e.remote_id, timeout=timeout)
        except NoStatus as exc:
            view.problem = str(exc)
            return view
        except TicketError as exc:
            view.problem = str(exc).replace("the ticket waits in the outbox and is retried",
                                            "the state shown is the last one seen")
            return view
        ours = self._ours(entry_id)
        status = replace(status, replies=tuple(replace(r, ours=r.ours or _digest(r.text) in ours)
                                               for r in status.replies))
        view.status = status
        assert view.ticket.sla is not None
        view.clock = sla_clock(view.ticket.sla, status, e.created)
        view.changes = self._record(e, status)
        return view

    def refresh_all(self, *, timeout: float = 30.0) -> list[Followed]:
        return [self.refresh(e.id, timeout=timeout) for e in self.sent()]

    def _ours(self, entry_id: int) -> set[str]:
        with self._conn() as db:
            return {r["digest"] for r in db.execute("SELECT digest FROM sent_replies WHERE entry_id = ?", (entry_id,))}

    def _escalations(self, entry_id: int) -> list[tuple[float, int, str]]:
        with self._conn() as db:
            rows = db.execute("SELECT at, priority, reason FROM escalations WHERE entry_id = ? ORDER BY at",
                              (entry_id,)).fetchall()
        return [(r["at"], r["priority"], r["reason"]) for r in rows]

    def _record(self, e: OutboxEntry, status: TicketStatus) -> list[Change]:
        with self._conn() as db:
            row = db.execute("SELECT state, replies FROM seen WHERE entry_id = ?", (e.id,)).fetchone()
            seen = set(json.loads(row["replies"])) if row else set()
            changes = [Change(e.id, e.summary, "reply", f"{r.author or 'the helpdesk'}: {r.text}")
                       for r in status.helpdesk_replies() if r.id not in seen]
            if row is not None and row["state"] != status.state.value:
                text = f"{status.state.value}, was {row['state']} ({status.backend_state} at the helpdesk)"
                changes.insert(0, Change(e.id, e.summary, "state", text))
            ids = sorted(seen | {r.id for r in status.replies})
            db.execute("INSERT OR REPLACE INTO seen (entry_id, state, replies, checked) VALUES (?, ?, ?, ?)",
                       (e.id, status.state.value, json.dumps(ids), time.time()))
        return changes

    # ---- acting -------------------------------------------------------------------------------------------------
    def reply_preview(self, entry_id: int, text: str, report: Mapping[str, Any] | None = None,
                      logs: Mapping[str, str] | None = None, disabled: tuple[str, ...] = ()) -> Preview:
        """The reply redacted like a new ticket (and a fresh bundle if a report or logs are given); nothing is
        sent. Show `preview.items` and `preview.bundle`, then `send_reply`."""
        if not text.strip():
            raise ValueError("the reply is empty; write what you want the helpdesk to know")
        e = self.entry(entry_id)
        return self.svc.build_preview(Draft(summary=e.summary, description=text), report=report, logs=logs,
                                      disabled=disabled, backend=e.backend, uid=e.uid)

    def send_reply(self, entry_id: int, preview: Preview, *, timeout: float = 30.0) -> None:
        e = self.entry(entry_id)
        text = preview.ticket.description
        self.svc.connector(e.backend or "").reply(e.remote_id, text, preview.ticket.attachments, timeout=timeout)
        self.svc.placeholders.remember(preview.mapping)
        with self._conn() as db:
            db.execute("INSERT INTO sent_replies (entry_id, digest, at) VALUES (?, ?, ?)",
                       (entry_id, _digest(text), time.time()))

    def _redacted(self, entry: OutboxEntry, text: str) -> str:
        return self.svc.build_preview(Draft(summary=entry.summary, description=text), uid=entry.uid).ticket.description

    def reopen(self, entry_id: int, reason: str = "", *, timeout: float = 30.0) -> None:
        """Reopen at the backend; the reason (if any) goes with it as a reply."""
        e = self.entry(entry_id)
        conn = self.svc.connector(e.backend or "")
        conn.reopen(e.remote_id, timeout=timeout)
        if reason.strip():
            self.send_reply(entry_id, self.reply_preview(entry_id, f"Reopened: {reason.strip()}"), timeout=timeout)

    def resolve(self, entry_id: int, *, timeout: float = 30.0) -> None:
        """Resolve at the backend (NoStatus where it cannot be told)."""
        e = self.entry(entry_id)
        self.svc.connector(e.backend or "").resolve(e.remote_id, timeout=timeout)

    def escalate(self, entry_id: int, *, impact: str | int | None = None, urgency: str | int | None = None,
                 reason: str, timeout: float = 30.0) -> Escalation:
        """Raise impact and/or urgency (never lower them) with a reason: the priority is recomputed, set at the
        backend, and the reason goes to the helpdesk as a reply (redacted)."""
        if not reason.strip():
            raise ValueError("say why it is more urgent now (--reason); the helpdesk reads it")
        if impact is None and urgency is None:
            raise ValueError("raise the impact or the urgency (or both), e.g. --impact high")
        e = self.entry(entry_id)
        t = self.ticket(entry_id)
        new_i = parse_level(impact, t.scale) if impact is not None else t.impact
        new_u = parse_level(urgency, t.scale) if urgency is not None else t.urgency
        if new_i > t.impact or new_u > t.urgency:
            raise ValueError(f"an escalation raises impact or urgency; it is impact {t.level_name(t.impact)}, "
                             f"urgency {t.level_name(t.urgency)} now (to lower them, ask the helpdesk)")
        if (new_i, new_u) == (t.impact, t.urgency):
            raise ValueError(f"impact {t.level_name(t.impact)} and urgency {t.level_name(t.urgency)} are already "
                             "that; nothing to escalate")
        old_p = t.priority
        new = replace(t, impact=new_i, urgency=new_u, attachments=[])
        new_p = priority_of(new_i, new_u, t.scale)
        new.sla = self.svc.sla[new_p]
        conn = self.svc.connector(e.backend or "")
        status = conn.follow(e.remote_id, timeout=timeout)
        conn.set_priority(e.remote_id, new_p, status, timeout=timeout)
        message = self._redacted(e, (
            f"Escalated by the requester: impact {t.level_name(t.impact)} -> {new.level_name(new_i)}, urgency "
            f"{t.level_name(t.urgency)} -> {new.level_name(new_u)}; priority P{old_p} -> {new.priority_label}.\n"
            f"SLA: {new.sla.describe()}\nReason: {reason.strip()}"))
        conn.reply(e.remote_id, message, timeout=timeout)
        with self._conn() as db:
            db.execute("INSERT INTO escalations (entry_id, at, impact, urgency, priority, reason) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (entry_id, time.time(), new_i, new_u, new_p, reason.strip()))
            db.execute("INSERT INTO sent_replies (entry_id, digest, at) VALUES (?, ?, ?)",
                       (entry_id, _digest(message), time.time()))
        return Escalation(old_p, new_p, new, message)


def priority_text(p: int) -> str:
    return f"P{p} {PRIORITY_NAMES[p]}"
