"""The background agent (`deskside agent run`): headless, no Qt. One run does three things and exits (a systemd user
timer starts it again; see desktop/agent_units.py):

1. sends the outbox tickets whose retry time has come (TicketService.process_due: the outbox's backoff);
2. refreshes the followed tickets (`refresh_followed`: the hook for the ticket follower);
3. runs the proactive checks when they are due (`[agent] check_every_hours`, default 24, and at login): the
   diagnostics, quietly; a warning or critical finding that was not there at the previous check raises a desktop
   notification with the finding and its fix. With `[agent] ticket_for_critical = true` a new critical finding also
   becomes a ticket (redacted as always; the message and bundle are kept in <data>/agent/previews/ to read later).

State (when the last check ran, which findings were reported) is in <data>/agent/state.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import paths, settings

if TYPE_CHECKING:
    from diagnostics.model import Finding, Report
    from tickets.service import TicketService

DEFAULTS: dict[str, Any] = {"check_every_hours": 24.0, "check_at_login": True, "ticket_for_critical": False,
                            "notify": True}
NOTIFY_SEVERITIES = ("warning", "critical")


def agent_dir() -> Path:
    return paths.data_dir() / "agent"


def options(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """`[agent]` from config.toml with the defaults; settings.ConfigError on a wrong type."""
    cfg = settings.load() if config is None else config
    table = cfg.get("agent", {})
    if not isinstance(table, dict):
        raise settings.ConfigError("[agent] in config.toml must be a table")
    out = dict(DEFAULTS)
    for key, value in table.items():
        if key not in DEFAULTS:  # an unknown key: settings.load() warned with its file, line and "did you mean"
            continue
        want = type(DEFAULTS[key])
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want):
            raise settings.ConfigError(f"[agent] {key} must be a {want.__name__}, not {value!r}")
        out[key] = value
    if out["check_every_hours"] <= 0:
        raise settings.ConfigError("[agent] check_every_hours must be more than 0")
    return out


# ---- state ------------------------------------------------------------------------------------------------------
@dataclass
class State:
    last_check: float = 0.0
    last_result: str = ""
    reported: dict[str, float] = field(default_factory=dict)  # finding key -> when it was first reported

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            return cls()  # unreadable: start afresh (at worst a finding is reported once more)
        if not isinstance(data, dict):
            return cls()
        reported = data.get("reported", {})
        return cls(float(data.get("last_check", 0.0)), str(data.get("last_result", "")),
                   {str(k): float(v) for k, v in reported.items()} if isinstance(reported, dict) else {})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"last_check": self.last_check, "last_result": self.last_result,
                                   "reported": self.reported}, indent=1), encoding="utf-8")
        tmp.replace(path)


def finding_key(f: Finding) -> str:
    """A finding is "the same" while its rule and severity are: a warning that turns critical is new again."""
    return f"{f.id}|{f.severity.label}"


# ---- one run ----------------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    sent: int = 0
    waiting: int = 0
    checked: bool = False
    new_findings: list[Finding] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)  # outbox ids of tickets made for critical findings
    notes: list[str] = field(default_factory=list)  # what could not be done, and why

    def lines(self) -> list[str]:
        out = [f"Outbox: {self.sent} sent, {self.waiting} waiting."]
        if self.checked:
            out.append(f"Checks: {len(self.new_findings)} new finding(s)"
                       + ("" if not self.new_findings else ": " + "; ".join(f.title for f in self.new_findings)))
        else:
            out.append("Checks: not due.")
        out += [f"Ticket #{t} made for a critical finding." for t in self.tickets]
        return out + [f"note: {n}" for n in self.notes]


Notify = Callable[[str, str, int], None]  # summary, body, urgency (0 low, 1 normal, 2 critical)


def refresh_followed(svc: TicketService, notify: Notify | None) -> str | None:
    """Ask the backends about the sent tickets (tickets/follow.py); a new helpdesk reply or state is notified.
    Returns a note when a notification could not be shown; None when all went well."""
    from tickets.follow import TicketFollower

    from .notify import change_notifications

    changes = [ch for v in TicketFollower(svc).refresh_all() for ch in v.changes]
    if notify is None:
        return None
    for summary, body in change_notifications(changes):
        try:
            notify(summary, body, 1)
        except Exception as exc:  # no session bus, no notification server: the run goes on
            return f"no notification shown ({exc})"
    return None


def send_due(svc: TicketService, result: RunResult) -> None:
    for e in svc.process_due():
        result.sent += e.state == "sent"
    result.waiting = len(svc.outbox_list(include_closed=False))


def checks_due(state: State, opts: dict[str, Any], now: float, at_login: bool) -> bool:
    if at_login and opts["check_at_login"]:
        return True
    return now - state.last_check >= opts["check_every_hours"] * 3600.0


def new_findings(report: Report, state: State, now: float) -> list[Finding]:
    """The warning/critical findings not reported at the previous check; `state.reported` becomes this check's
    findings (one that went away and comes back is new again)."""
    current = [f for f in report.sorted_findings() if f.severity.label in NOTIFY_SEVERITIES]
    fresh = [f for f in current if finding_key(f) not in state.reported]
    state.reported = {finding_key(f): state.reported.get(finding_key(f), now) for f in current}
    return fresh


def notification_text(f: Finding) -> tuple[str, str, int]:
    body = "\n".join([*(f.evidence[:2]), f"Fix: {f.fix}" if f.fix else ""]).strip()
    return f"Deskside: {f.title}", body, 2 if f.severity.label == "critical" else 1


def ticket_for(svc: TicketService, f: Finding, report: Report, previews: Path) -> int:
    """A ticket for a critical finding: redacted like every ticket, the preview (message and bundle, exactly as
    sent) kept in `previews/<uid>/` for the user to read later; then sent through the outbox."""
    from tickets.service import Draft

    draft = Draft(summary=f"Deskside found: {f.title}"[:250], impact="medium", urgency="high",
                  incident_type=f.incident_type,
                  description="\n".join(["Found by Deskside's scheduled check (no one asked for this ticket).",
                                         *f.evidence, f"Suggested fix: {f.fix}" if f.fix else ""]).strip())
    preview = svc.build_preview(draft, report=report.to_dict())
    where = previews / preview.ticket.uid
    where.mkdir(parents=True, exist_ok=True)
    (where / "message.txt").write_text(f"Subject: {preview.ticket.subject}\n\n{preview.ticket.body_text()}",
                                       encoding="utf-8")
    if preview.bundle is not None:
        (where / preview.bundle.filename).write_bytes(preview.bundle.data)
    return svc.submit(preview).id


def run(
    *,
    svc: TicketService | None,
    diagnose: Callable[[], Report],
    notify: Notify | None,
    opts: dict[str, Any],
    state_path: Path,
    at_login: bool = False,
    force_check: bool = False,
    clock: Callable[[], float] = time.time,
) -> RunResult:
    """One agent run (see the module docstring). `svc` None: no outbox work (its config could not be read)."""
    result = RunResult()
    if svc is not None:
        send_due(svc, result)
        try:
            note = refresh_followed(svc, notify if opts["notify"] else None)
        except Exception as exc:  # a helpdesk that fails to answer must not stop the checks below
            note = f"the followed tickets were not refreshed ({type(exc).__name__}: {exc})"
        if note:
            result.notes.append(note)
    state = State.load(state_path)
    now = clock()
    if not (force_check or checks_due(state, opts, now, at_login)):
        return result
    report = diagnose()
    result.checked = True
    result.new_findings = new_findings(report, state, now)
    state.last_check, state.last_result = now, f"{len(state.reported)} warning/critical finding(s)"
    state.save(state_path)
    if notify is not None and opts["notify"]:
        for f in result.new_findings:
            try:
                notify(*notification_text(f))
            except Exception as exc:  # no session bus, no notification server: the run goes on
                result.notes.append(f"no notification shown ({exc})")
                break
    if opts["ticket_for_critical"] and svc is not None:
        for f in result.new_findings:
            if f.severity.label == "critical":
                result.tickets.append(ticket_for(svc, f, report, state_path.parent / "previews"))
    return result


def desktop_notify(summary: str, body: str, urgency: int) -> None:
    from .notify import Notifier

    with Notifier() as n:
        n.notify(summary, body, urgency=urgency)

