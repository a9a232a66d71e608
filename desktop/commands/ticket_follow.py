"""`deskside ticket list | show ID | reply ID | reopen ID | escalate ID`: follow sent tickets (state, the helpdesk's
replies, the SLA clock), answer, reopen and escalate. Registered by `tickets.register`; exit codes as there."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop import settings
from desktop.wiring import ticket_service
from tickets.errors import AuthError, ConfigError, RejectedError, SecretUnavailable, TicketError, TransientError
from tickets.follow import Followed, TicketFollower
from tickets.lifecycle import NoStatus
from tickets.outbox import OutboxError
from tickets.service import Preview

from .remote import shown
from .tickets import EXIT_DECLINED, EXIT_FAILED, EXIT_OK, EXIT_QUEUED, EXIT_USAGE, _err, _load_report, _read_log_tail


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _state(v: Followed) -> str:
    if v.status is None:
        return "?"
    return v.status.state.value


def _sla_short(v: Followed) -> str:
    return "" if v.clock is None else f"SLA: {v.clock.summary().replace('overdue', 'OVERDUE')}"


def _as_json(v: Followed) -> dict[str, Any]:
    s, c = v.status, v.clock
    return {
        "id": v.entry.id, "summary": v.entry.summary, "backend": v.entry.backend, "remote_id": v.entry.remote_id,
        "url": v.entry.remote_url, "state": s.state.value if s else None,
        "backend_state": s.backend_state if s else None,
        "problem": v.problem or None, "priority": v.ticket.priority,
        "replies": [{"author": r.author, "at": r.at, "text": r.text, "ours": r.ours} for r in (s.replies if s else ())],
        "sla": None if c is None else {"response_due": c.response_due, "responded_at": c.responded_at,
                                       "response_overdue": c.response_overdue, "resolution_due": c.resolution_due,
                                       "resolved_at": c.resolved_at, "resolution_overdue": c.resolution_overdue},
        "new": [{"kind": ch.kind, "text": ch.text} for ch in v.changes],
    }


def _notify(views: list[Followed]) -> None:
    from desktop.notify import notify_changes

    problem = notify_changes([ch for v in views for ch in v.changes])
    if problem:
        _err(f"no desktop notification: {problem}")


def cmd_list(args: argparse.Namespace) -> int:
    try:
        follower = TicketFollower(ticket_service())
        views = follower.refresh_all(timeout=args.timeout)
    except (TicketError, OutboxError, settings.ConfigError) as exc:
        _err(shown(str(exc)))
        return EXIT_USAGE
    if args.notify:
        _notify(views)
    if args.json:
        print(json.dumps([_as_json(v) for v in views], indent=2))
        return EXIT_OK
    if not views:
        print("No sent tickets yet (`deskside ticket outbox` lists those still waiting).")
        return EXIT_OK
    for v in views:
        e = v.entry
        print(f"  #{e.id:<4} {_state(v):<9} {shown(e.backend or '-', True):<12} "
              f"ticket {shown(e.remote_id, True):<8} {shown(e.summary[:50], True)}")
        if v.problem:
            print(f"        {shown(v.problem, True)}")
            continue
        n = len(v.status.helpdesk_replies()) if v.status else 0
        new = f", {len(v.changes)} new" if v.changes else ""
        replies = f"{n} repl{'y' if n == 1 else 'ies'} from the helpdesk{new}"
        print(f"        P{v.ticket.priority}, {replies}; {_sla_short(v)}")
    print("(#N is Deskside's outbox number, used by `ticket show N`; the helpdesk's own number follows the backend)")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    try:
        v = TicketFollower(ticket_service()).refresh(args.id, timeout=args.timeout)
    except (TicketError, OutboxError, settings.ConfigError) as exc:
        _err(shown(str(exc)))
        return EXIT_USAGE
    e, t = v.entry, v.ticket
    print(f"Ticket #{e.id}: {shown(e.summary, True)}")
    print(f"Backend:  {shown(e.backend or '-', True)}, ticket {shown(e.remote_id, True)} {shown(e.remote_url, True)}")
    print(f"Priority: {t.priority_label} (impact {t.level_name(t.impact)}, urgency {t.level_name(t.urgency)})")
    for at, p, reason in v.escalations:
        print(f"          escalated {_when(at)} to P{p}: {shown(reason, True)}")
    if v.status is None:
        print(f"State:    {shown(v.problem, True)}")
        return EXIT_OK
    s = v.status
    print(f"State:    {s.state.value} ({shown(s.backend_state, True)} in {shown(e.backend or '', True)})")
    if v.clock is not None and t.sla is not None:
        print(f"SLA:      {t.sla.describe()}")
        for line in v.clock.lines():
            print(f"          {line}")
    if not s.replies:
        print("Replies:  none yet")
    new_ids = {ch.text for ch in v.changes if ch.kind == "reply"}
    for r in s.replies:
        who = "you" if r.ours else (r.author or "helpdesk")
        fresh = " NEW" if f"{r.author or 'the helpdesk'}: {r.text}" in new_ids and not r.ours else ""
        print(f"--- {_when(r.at)} {shown(who, True)}{fresh}")
        for line in shown(r.text).splitlines() or [""]:
            print(f"    {line}")
    return EXIT_OK


def _show_reply_preview(p: Preview) -> None:
    print("Reply (as it will be sent):")
    for line in p.ticket.description.splitlines():
        print(f"    {shown(line)}")
    if p.bundle:
        print(f"Bundle:    {p.bundle.filename} ({p.bundle.size} bytes: {', '.join(sorted(p.bundle.files))})")
    print(f"Redaction: {p.redaction_summary()}")
    for item in p.items[:30]:
        flag = "unmasked" if item.placeholder in p.disabled else "masked  "
        value = item.value.split("\n", 1)[0] if item.kind != "secret" else "…"
        print(f"  {flag} {item.placeholder:<12} {item.kind:<8} {shown(value[:40], True)}")


def _reply_text(args: argparse.Namespace) -> str:
    if args.message is not None:
        return str(args.message)
    if sys.stdin.isatty():
        print("Type the reply; end with Ctrl-D on an empty line:", file=sys.stderr)
    return sys.stdin.read()


def _backend_error(exc: TicketError) -> int:
    _err(shown(str(exc).replace("the ticket waits in the outbox and is retried", "nothing was changed; try again")))
    if isinstance(exc, (AuthError, RejectedError, NoStatus)):
        return EXIT_FAILED
    return EXIT_QUEUED if isinstance(exc, TransientError) else EXIT_USAGE


def cmd_reply(args: argparse.Namespace) -> int:
    try:
        svc = ticket_service()
        follower = TicketFollower(svc)
        follower.entry(args.id)
        report, logs = _load_report(args, svc)
        for lf in args.log or []:
            logs[f"logs/{Path(lf).name}"] = _read_log_tail(Path(lf))
        preview = follower.reply_preview(args.id, _reply_text(args), report=report, logs=logs,
                                         disabled=tuple(args.unmask or ()))
    except (ConfigError, ValueError, SecretUnavailable, OutboxError, settings.ConfigError) as exc:
        _err(shown(str(exc)))
        return EXIT_USAGE
    except TicketError as exc:
        return _backend_error(exc)
    _show_reply_preview(preview)
    if args.dry_run:
        print("Dry run: nothing was sent.")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            _err("not sending without confirmation; add --yes to send from a script")
            return EXIT_DECLINED
        if input("Send this reply? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Not sent.")
            return EXIT_DECLINED
    try:
        follower.send_reply(args.id, preview, timeout=args.timeout)
    except TicketError as exc:
        return _backend_error(exc)
    print(f"Reply sent to ticket #{args.id}.")
    return EXIT_OK


def _follow(action: Callable[[TicketFollower], Any]) -> tuple[Any, int | None]:
    """Run one follower action: (its result, None), or (None, the exit code) after saying what went wrong."""
    try:
        return action(TicketFollower(ticket_service())), None
    except (ValueError, settings.ConfigError, OutboxError, ConfigError) as exc:
        _err(shown(str(exc)))
        return None, EXIT_USAGE
    except TicketError as exc:
        return None, _backend_error(exc)


def cmd_reopen(args: argparse.Namespace) -> int:
    _, failed = _follow(lambda f: f.reopen(args.id, args.reason or "", timeout=args.timeout))
    if failed is not None:
        return failed
    print(f"Ticket #{args.id} reopened.")
    return EXIT_OK


def cmd_escalate(args: argparse.Namespace) -> int:
    esc, failed = _follow(lambda f: f.escalate(args.id, impact=args.impact, urgency=args.urgency,
                                                reason=args.reason or "", timeout=args.timeout))
    if failed is not None:
        return failed
    t = esc.ticket
    print(f"Ticket #{args.id} escalated: P{esc.old_priority} -> {t.priority_label}; "
          f"SLA now {t.sla.describe() if t.sla else '-'}.")
    print("The helpdesk got the reason as a reply.")
    return EXIT_OK


def register_follow(tsub: Any) -> None:
    pl = tsub.add_parser("list", help="your sent tickets: state, replies, SLA (asks each backend)")
    pl.add_argument("--json", action="store_true")
    pl.add_argument("--notify", action="store_true", help="also raise a desktop notification for what is new")
    pl.add_argument("--timeout", type=float, default=30.0)
    pl.set_defaults(func=cmd_list)

    ps = tsub.add_parser("show", help="one sent ticket: state, the helpdesk's replies, SLA clock")
    ps.add_argument("id", type=int, help="Deskside's number (`ticket list`)")
    ps.add_argument("--timeout", type=float, default=30.0)
    ps.set_defaults(func=cmd_show)

    pr = tsub.add_parser("reply", help="answer the helpdesk (redacted; optionally with a fresh bundle)")
    pr.add_argument("id", type=int)
    pr.add_argument("--message", "-m", help="the reply (default: read from stdin)")
    src = pr.add_mutually_exclusive_group()
    src.add_argument("--attach-diagnostics", action="store_true", help="run diagnostics now and attach them")
    src.add_argument("--report", metavar="FILE", help="attach a JSON report written by `deskside diagnose --json`")
    pr.add_argument("--log", action="append", metavar="FILE", help="also attach this log (redacted); repeatable")
    pr.add_argument("--unmask", action="append", metavar="PLACEHOLDER", help="leave this item unmasked")
    pr.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    pr.add_argument("--yes", "-y", action="store_true", help="send without asking")
    pr.add_argument("--timeout", type=float, default=30.0)
    pr.set_defaults(func=cmd_reply, host=None)

    po = tsub.add_parser("reopen", help="reopen a resolved ticket")
    po.add_argument("id", type=int)
    po.add_argument("--reason", help="sent to the helpdesk as a reply")
    po.add_argument("--timeout", type=float, default=30.0)
    po.set_defaults(func=cmd_reopen)

    pe = tsub.add_parser("escalate", help="raise impact or urgency: the priority is recomputed and set at the backend")
    pe.add_argument("id", type=int)
    pe.add_argument("--impact", help="the new impact (high | medium | low, or a number)")
    pe.add_argument("--urgency", help="the new urgency")
    pe.add_argument("--reason", required=True, help="why it is more urgent now (sent to the helpdesk)")
    pe.add_argument("--timeout", type=float, default=30.0)
    pe.set_defaults(func=cmd_escalate)
