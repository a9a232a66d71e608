"""A sent ticket's life at the helpdesk, in one model for every backend: its state, the public replies, and the
SLA clock (response and resolution due, computed from the ticket's SlaTarget and its creation time).

Each connector that has an API for it maps its own states onto `State` (see `state_of` and the tables in the
connectors); e-mail and webhook backends cannot say anything about a ticket after sending it (`NoStatus`).
"""

from __future__ import annotations

import enum
import html
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import TicketError
from .model import SlaTarget


class NoStatus(TicketError):
    """The backend cannot tell a ticket's state or replies (e-mail, webhook), or cannot reply/reopen/escalate."""


class State(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"  # the helpdesk waits (for the requester, a third party): RT stalled, Zammad pending...
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def finished(self) -> bool:
        return self in (State.RESOLVED, State.CLOSED)


def state_of(backend_state: str, table: Mapping[str, State], default: State = State.OPEN) -> State:
    """The common state for a backend's state name (case-insensitive); unknown names count as `default`."""
    return table.get(str(backend_state).strip().lower(), default)


@dataclass(frozen=True)
class Reply:
    id: str
    author: str
    at: float  # epoch seconds
    text: str
    ours: bool = False  # written by the requester (from Deskside or the portal), not by the helpdesk


@dataclass(frozen=True)
class TicketStatus:
    remote_id: str
    state: State
    backend_state: str  # the backend's own word ("stalled", "pending reminder", ...)
    replies: tuple[Reply, ...] = ()
    created: float | None = None
    resolved_at: float | None = None
    priority: str = ""  # the backend's own priority value, as text
    labels: tuple[str, ...] = ()  # GitHub/GitLab labels (the priority is a label there)
    url: str = ""

    def helpdesk_replies(self) -> list[Reply]:
        return [r for r in self.replies if not r.ours]


def parse_time(value: object) -> float | None:
    """ISO 8601 (with Z or an offset, or naive = UTC) or epoch seconds -> epoch seconds; None if absent/unknown.
    RT writes 1970-01-01T00:00:00Z for 'not set'."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    text = str(value).strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ts = dt.timestamp()
    return ts if ts > 0 else None


@dataclass(frozen=True)
class SlaClock:
    """Response and resolution due times and whether they were met; `overdue` lists what is late now."""

    target: SlaTarget
    start: float
    responded_at: float | None
    resolved_at: float | None
    now: float = field(default_factory=time.time)

    @property
    def response_due(self) -> float:
        return self.start + self.target.response_minutes * 60

    @property
    def resolution_due(self) -> float:
        return self.start + self.target.resolution_minutes * 60

    @property
    def response_overdue(self) -> bool:
        done = self.responded_at if self.responded_at is not None else self.now
        return done > self.response_due

    @property
    def resolution_overdue(self) -> bool:
        done = self.resolved_at if self.resolved_at is not None else self.now
        return done > self.resolution_due

    def summary(self) -> str:
        """"on time", or what is overdue ("response and resolution overdue")."""
        late = [w for w, flag in (("response", self.response_overdue), ("resolution", self.resolution_overdue))
                if flag]
        return f"{' and '.join(late)} overdue" if late else "on time"

    def lines(self) -> list[str]:
        return [self._line("response", self.response_due, self.responded_at, "answered"),
                self._line("resolution", self.resolution_due, self.resolved_at, "resolved")]

    def _line(self, what: str, due: float, done: float | None, verb: str) -> str:
        head = f"{what} due {_when(due)}"
        if done is not None:
            late = done - due
            return f"{head}: {verb} {_when(done)}" + (f", {_span(late)} late (SLA missed)" if late > 0 else " (met)")
        if self.now > due:
            return f"{head}: OVERDUE by {_span(self.now - due)}"
        return f"{head} (in {_span(due - self.now)})"


def sla_clock(target: SlaTarget, status: TicketStatus, created: float, now: float | None = None) -> SlaClock:
    """The clock starts when the backend created the ticket (else when Deskside did); the response is the first
    public helpdesk reply; the resolution is when the backend resolved it (or the state says so)."""
    start = status.created or created
    first = min((r.at for r in status.helpdesk_replies()), default=None)
    resolved = status.resolved_at if status.state.finished else None
    return SlaClock(target, start, first, resolved, time.time() if now is None else now)


def html_to_text(value: str) -> str:
    """A reply some backends keep as HTML (GLPI, escaped once more) as plain text: tags dropped, entities read."""
    text = html.unescape(value) if "&lt;" in value else value
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>", "\n", text)
    text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
    return f"{hours // 24} days {hours % 24} h"
