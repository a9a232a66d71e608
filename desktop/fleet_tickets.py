"""Compliance findings as tickets, through the ticket service's outbox (redacted, durable, retried).

One ticket per non-compliant host and rule; a rescan never makes a second one: the ticket's reference (uid) is derived
from the host and the rule's key, so the outbox (UNIQUE uid) and the backend's marker search both recognise it.

The fleet ticket store (compliance-tickets.sqlite3 next to the outbox) remembers which host and rule each ticket is
for. When a rescan finds that host and rule compliant, the ticket gets a comment ("Fixed: ...", redacted like the
ticket) where the backend takes replies, and is resolved where the backend can resolve (Request Tracker); where it
cannot, the outcome says so. When the same host and rule fail again later, the SAME ticket is reopened with a comment
(one ticket per host and rule, its whole story in one place), not a second one filed.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet.evaluate import NON_COMPLIANT, UNKNOWN, HostResult, Reason

SECURITY_RULES = {"security-updates", "eol", "forbidden-package"}


def ticket_uid(host: str, key: str) -> str:
    """The same host and rule always give the same reference."""
    return "compliance-" + hashlib.sha256(f"{host}\x00{key}".encode()).hexdigest()[:24]


@dataclass
class TicketOutcome:
    host: str
    key: str
    state: str  # the outbox state ("sent", "queued", "retry", "held", ...), "already open", "reopened";
    # for a fixed host and rule: "resolved", "commented" (the backend cannot resolve), "fixed" (it cannot be told)
    reference: str
    detail: str = ""


def draft_for(result: HostResult, reason: Reason) -> Any:
    from tickets.service import Draft

    critical = reason.severity == "critical"
    lines = [f"Host: {result.name} ({result.target})" if result.target else f"Host: {result.name}",
             f"Groups: {', '.join(result.groups) or '(none)'}",
             f"Rule: {reason.rule} ({reason.severity})", "", reason.evidence]
    if result.notes:
        lines += ["", "Could not be told:", *[f"- {n}" for n in result.notes]]
    pending = [p for p in (result.updates or {}).get("pending", []) if p.get("security")]
    if reason.rule == "security-updates" and pending:
        lines += ["", "Pending security updates:"]
        lines += [f"- {p.get('name')} {p.get('installed') or ''} -> {p.get('candidate') or ''}" for p in pending[:50]]
    lines += ["", f"Found by deskside scan at {result.scanned_at}. Fix it, then rescan: the ticket is not duplicated."]
    # Short: the backend's subject also carries the marker (RT keeps 200 characters of a subject).
    summary = f"Patch compliance: {result.name}: {reason.evidence}"
    if len(summary) > 120:
        summary = summary[:117] + "..."
    return Draft(summary=summary, description="\n".join(lines),
                 incident_type="security" if reason.rule in SECURITY_RULES else "technical failure",
                 impact="high" if critical else "medium", urgency="high" if critical else "medium",
                 category="Patch compliance")


class TicketStore:
    """Which outbox entry is the ticket of which host and rule, and whether Deskside resolved it: "open" (filed, or
    reopened), "resolved" (resolved at the backend by a rescan), "fixed" (fixed, but the backend could not be told)."""

    def __init__(self, data_dir: Path) -> None:
        from tickets.outbox import OutboxError

        self.path = Path(data_dir) / "compliance-tickets.sqlite3"
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
                db.execute("CREATE TABLE IF NOT EXISTS tickets (uid TEXT PRIMARY KEY, host TEXT NOT NULL, key TEXT "
                           "NOT NULL, entry_id INTEGER NOT NULL, state TEXT NOT NULL)")
        except sqlite3.Error as exc:
            raise OutboxError(f"{self.path} cannot be used ({exc}); move it away to start afresh (only which "
                              "ticket belongs to which host and rule is forgotten)") from exc

    def get(self, uid: str) -> str | None:
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            row = db.execute("SELECT state FROM tickets WHERE uid = ?", (uid,)).fetchone()
        return str(row[0]) if row else None

    def put(self, uid: str, host: str, key: str, entry_id: int, state: str) -> None:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            db.execute("INSERT OR REPLACE INTO tickets VALUES (?,?,?,?,?)", (uid, host, key, entry_id, state))

    def open_for(self, host: str) -> list[tuple[str, str, int]]:
        """(uid, key, outbox entry id) of the host's tickets that are open."""
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            rows = db.execute("SELECT uid, key, entry_id FROM tickets WHERE host = ? AND state = 'open' ORDER BY key",
                              (host,)).fetchall()
        return [(str(u), str(k), int(i)) for u, k, i in rows]


def _own(result: HostResult) -> set[str]:
    """The host's own names: what the ticket is about stays readable (every other value found is still masked)."""
    return {result.name, result.target, result.target.rpartition("@")[2].rsplit(":", 1)[0]} - {""}


def _comment(follower: Any, entry_id: int, result: HostResult, text: str, timeout: float) -> None:
    preview = follower.reply_preview(entry_id, text)
    shown = [i.placeholder for i in preview.items if i.value in _own(result)]
    if shown:
        preview = follower.reply_preview(entry_id, text, disabled=tuple(shown))
    follower.send_reply(entry_id, preview, timeout=timeout)


def fixed_evidence(result: HostResult, key: str) -> str:
    """What the rescan saw that shows the rule met, in plain words."""
    u = result.updates or {}
    counts = u.get("counts") or {}
    rule = key.split(":", 1)[0]
    reboot = (u.get("reboot") or {}).get("required")
    eol = u.get("eol") or {}
    seen = {"security-updates": f"{counts.get('security', 0)} security update(s) pending, within the policy",
            "pending-updates": f"{counts.get('pending', 0)} update(s) pending, within the policy",
            "reboot": "no reboot required" if reboot is False else "a required reboot is within the policy's grace",
            "eol": f"{eol.get('name') or eol.get('os_id') or 'the OS'} is "
                   + {"extended": "on extended support"}.get(eol.get("state") or "", eol.get("state") or "unknown"),
            "cache-age": "the package lists are fresh enough",
            "required-package": f"{key.partition(':')[2]} is installed",
            "forbidden-package": f"{key.partition(':')[2]} is not installed",
            "check": f"the check {key.partition(':')[2]!r} passes"}.get(rule, "the rule is met")
    rest = sorted({r.key for r in result.reasons})
    return (f"{seen}; the host is {result.status} (score {result.score})"
            + (f", other open findings: {', '.join(rest)}" if rest else ""))


def _follow_up_fixed(service: Any, store: TicketStore, r: HostResult, timeout: float) -> list[TicketOutcome]:
    """Comment on and resolve the tickets of `r`'s host whose rule the rescan found met."""
    from tickets.errors import TicketError
    from tickets.follow import TicketFollower
    from tickets.lifecycle import NoStatus

    out: list[TicketOutcome] = []
    failing = {x.key for x in r.reasons}
    for uid, key, entry_id in store.open_for(r.name):
        if key in failing:
            continue
        e = service.outbox.get(entry_id)
        ref = f"#{e.id}"
        if e.state != "sent" or not e.remote_id:
            store.put(uid, r.name, key, entry_id, "fixed")
            out.append(TicketOutcome(r.name, key, "fixed", ref, f"the ticket was never sent ({e.state}); discard "
                                     f"it from the outbox (deskside ticket outbox discard {e.id})"))
            continue
        follower = TicketFollower(service)
        text = (f"Fixed: the rescan at {r.scanned_at} found {key} compliant on {r.name}.\n"
                f"Evidence: {fixed_evidence(r, key)}.\n"
                "(Written by deskside scan. If the finding comes back, this ticket is reopened.)")
        commented = resolved = False
        try:
            try:
                _comment(follower, entry_id, r, text, timeout)
                commented = True
            except NoStatus:
                pass
            try:
                follower.resolve(entry_id, timeout=timeout)
                resolved = True
            except NoStatus:
                pass
        except TicketError as exc:  # kept open: the next rescan tries again
            out.append(TicketOutcome(r.name, key, "fixed, not told", ref, f"{exc}; the next scan tries again"))
            continue
        where = e.remote_url or e.remote_id
        if resolved:
            store.put(uid, r.name, key, entry_id, "resolved")
            out.append(TicketOutcome(r.name, key, "resolved", ref, f"{where}: commented and resolved"))
        else:
            store.put(uid, r.name, key, entry_id, "fixed")
            title = service.connector(e.backend or "").title
            how = (f"commented; {title} cannot resolve a ticket from Deskside: resolve it at the helpdesk"
                   if commented else f"{title} cannot be told about a ticket after sending it: close it at the "
                   "helpdesk")
            out.append(TicketOutcome(r.name, key, "commented" if commented else "fixed", ref, f"{where}: {how}"))
    return out


def _reopen(service: Any, entry: Any, r: HostResult, reason: Reason, timeout: float) -> TicketOutcome:
    """The host and rule fail again after the ticket was resolved: reopen it, with the new evidence."""
    from tickets.errors import TicketError
    from tickets.follow import TicketFollower

    follower = TicketFollower(service)
    try:
        follower.reopen(entry.id, timeout=timeout)
        _comment(follower, entry.id, r, f"Non-compliant again: the rescan at {r.scanned_at} found {reason.rule} "
                 f"({reason.severity}) on {r.name}: {reason.evidence}", timeout)
    except TicketError as exc:
        return TicketOutcome(r.name, reason.key, "not reopened", f"#{entry.id}", str(exc))
    return TicketOutcome(r.name, reason.key, "reopened", f"#{entry.id}", entry.remote_url or entry.remote_id)


def file_tickets(service: Any, results: list[HostResult], backend: str | None = None,
                 timeout: float = 30.0) -> list[TicketOutcome]:
    """Queue (and try to send) a ticket per non-compliant host and rule that has none yet; reopen the ticket of a
    host and rule that fails again after a rescan resolved it; comment on and resolve (where the backend can) the
    tickets of hosts and rules found compliant now. Unknown hosts are left alone."""
    existing = {e.uid: e for e in service.outbox_list(include_closed=True)}
    store = TicketStore(service.data_dir)
    out: list[TicketOutcome] = []
    for r in results:
        if r.status == UNKNOWN:
            continue
        out += _follow_up_fixed(service, store, r, timeout)
        if r.status != NON_COMPLIANT:
            continue
        for reason in r.reasons:
            uid = ticket_uid(r.name, reason.key)
            if uid in existing:
                e = existing[uid]
                was = store.get(uid)
                if was == "resolved" and e.state == "sent" and e.remote_id:
                    o = _reopen(service, e, r, reason, timeout)
                else:
                    o = TicketOutcome(r.name, reason.key, "already open", f"#{e.id}",
                                      e.remote_url or e.remote_id or e.state)
                if o.state != "not reopened":
                    store.put(uid, r.name, reason.key, e.id, "open")
                out.append(o)
                continue
            draft = draft_for(r, reason)
            preview = service.build_preview(draft, backend=backend, uid=uid)
            # The host is what the ticket is about: its inventory name and login stay readable (as if the user
            # switched those items off in the preview); every other value found is still masked.
            shown = [i.placeholder for i in preview.items if i.value in _own(r)]
            if shown:
                preview = service.build_preview(draft, backend=backend, uid=uid, disabled=shown)
            entry = service.submit(preview, timeout=timeout)
            store.put(uid, r.name, reason.key, entry.id, "open")
            out.append(TicketOutcome(r.name, reason.key, entry.state, f"#{entry.id}",
                                     entry.remote_url or entry.last_error or ""))
    return out
