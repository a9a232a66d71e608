"""Compliance findings as tickets, through the ticket service's outbox (redacted, durable, retried).

One ticket per non-compliant host and rule; a rescan never makes a second one: the ticket's reference (uid) is derived
from the host and the rule's key, so the outbox (UNIQUE uid) and the backend's marker search both recognise it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fleet.evaluate import NON_COMPLIANT, HostResult, Reason

SECURITY_RULES = {"security-updates", "eol", "forbidden-package"}


def ticket_uid(host: str, key: str) -> str:
    """The same host and rule always give the same reference."""
    return "compliance-" + hashlib.sha256(f"{host}\x00{key}".encode()).hexdigest()[:24]


@dataclass
class TicketOutcome:
    host: str
    key: str
    state: str  # the outbox state ("sent", "queued", "retry", "held", ...) or "already open"
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


def file_tickets(service: Any, results: list[HostResult], backend: str | None = None,
                 timeout: float = 30.0) -> list[TicketOutcome]:
    """Queue (and try to send) a ticket per non-compliant host and rule that has none yet."""
    existing = {e.uid: e for e in service.outbox_list(include_closed=True)}
    out: list[TicketOutcome] = []
    for r in results:
        if r.status != NON_COMPLIANT:
            continue
        for reason in r.reasons:
            uid = ticket_uid(r.name, reason.key)
            if uid in existing:
                e = existing[uid]
                out.append(TicketOutcome(r.name, reason.key, "already open", f"#{e.id}",
                                         e.remote_url or e.remote_id or e.state))
                continue
            draft = draft_for(r, reason)
            preview = service.build_preview(draft, backend=backend, uid=uid)
            # The host is what the ticket is about: its inventory name and login stay readable (as if the user
            # switched those items off in the preview); every other value found is still masked.
            own = {r.name, r.target, r.target.rpartition("@")[2].rsplit(":", 1)[0]} - {""}
            shown = [i.placeholder for i in preview.items if i.value in own]
            if shown:
                preview = service.build_preview(draft, backend=backend, uid=uid, disabled=shown)
            entry = service.submit(preview, timeout=timeout)
            out.append(TicketOutcome(r.name, reason.key, entry.state, f"#{entry.id}",
                                     entry.remote_url or entry.last_error or ""))
    return out
