"""`deskside ticket ...` and `deskside backend ...`: support tickets through the outbox.
(Long because: `ticket` and `backend` share the preview, the outbox report and the exit codes.)

Exit codes:
  0  sent (or, for outbox/backend commands, done)
  1  not sent because you said no at the confirmation, or cancelled
  2  bad input or configuration (the message says what to fix); nothing was sent
  3  saved in the outbox, not sent yet (no backend configured, or the backend is unreachable: retried later)
  4  the backend refused the ticket or the credentials (see the message; fix, then `ticket outbox retry ID`)
  5  uncertain: the backend may have the ticket already; check it, then retry or discard
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

from common.files import open_regular
from common.terminal import shown
from desktop import paths, settings
from desktop.wiring import run_diagnostics, ticket_service
from tickets.cancel import Cancelled
from tickets.errors import AuthError, ConfigError, RejectedError, SecretUnavailable, TicketError, TransientError
from tickets.outbox import OutboxEntry, OutboxError
from tickets.secrets import keyring_problem
from tickets.service import Draft, Preview, TicketService

EXIT_OK, EXIT_DECLINED, EXIT_USAGE, EXIT_QUEUED, EXIT_FAILED, EXIT_UNCERTAIN = 0, 1, 2, 3, 4, 5


def _err(msg: str) -> None:
    print(f"deskside: {shown(msg)}", file=sys.stderr)


def _progress(message: str, fraction: float | None = None) -> None:
    if sys.stderr.isatty():
        print(f"\r{message[:70]:<70}", end="", file=sys.stderr, flush=True)


def _service() -> TicketService:
    """The ticket service; if its outbox file was damaged and has just been repaired, say so first."""
    svc = ticket_service()
    if svc.outbox.repair is not None:
        print(f"note: {shown(svc.outbox.repair.message())}", file=sys.stderr)
    return svc


def _print_entry(e: OutboxEntry) -> None:
    print(f"  #{e.id:<4} {e.state:<10} {shown(e.backend or '-', True):<12} {shown(e.summary[:50], True)}")
    print(f"        {shown(e.describe_state(), True)}")


def _exit_for(e: OutboxEntry) -> int:
    return {"sent": EXIT_OK, "failed": EXIT_FAILED, "uncertain": EXIT_UNCERTAIN}.get(e.state, EXIT_QUEUED)


def _report_entry(e: OutboxEntry) -> int:
    if e.state == "sent":
        # Two numbers meet here: the helpdesk's (what its staff and web pages call the ticket) and the outbox's.
        print(shown(f"Sent: ticket {e.remote_id} (the helpdesk's number, backend {e.backend}; "
                    f"outbox #{e.id}) {e.remote_url}".rstrip(), True))
        if e.last_error:
            print(f"note: {shown(e.last_error)}")
    elif e.state == "held":
        print(f"No backend is configured, so the ticket was not sent. It waits in the outbox as #{e.id}.")
        if e.bundle_path:
            print(f"The support bundle was saved to {e.bundle_path}")
        print(f"Configure a backend ([backends.NAME] in {paths.config_file()}), then run "
              f"`deskside ticket outbox retry {e.id}`.")
    elif e.state == "retry":
        print(f"Not sent yet: {shown(e.last_error)}")
        from desktop.agent_units import TIMER, unit_dir

        who = ("by the background agent" if (unit_dir() / TIMER).exists() else
               "while the Deskside app is open, or by the background agent once you run `deskside agent install`")
        print(f"It waits in the outbox as #{e.id} and is retried automatically {who} "
              f"(or now: `deskside ticket outbox retry {e.id}`).")
    elif e.state == "sending":
        print(f"Ticket #{e.id} is being sent right now by another Deskside process; "
              f"`deskside ticket outbox show {e.id}` tells how it went.")
    else:
        _err(f"ticket #{e.id} {e.state}: {e.last_error}")
    return _exit_for(e)


def _show_preview(p: Preview, verbose: bool) -> None:
    """The preview on the terminal. Everything here may come from outside (log file names, values found in the
    logs, the user's own text): shown with its control characters escaped, never obeyed."""
    t = p.ticket
    print(f"Subject:   {shown(t.subject, True)}")
    print(f"Type:      {t.incident_type.value}")
    print(f"Impact:    {t.level_name(t.impact)}   Urgency: {t.level_name(t.urgency)}")
    print(f"Priority:  {t.priority_label}")
    if t.sla:
        print(f"SLA:       {t.sla.describe()}")
    if t.category:
        print(f"Category:  {shown(t.category, True)}")
    backend = shown(p.backend, True) if p.backend else "(none configured: the ticket will be saved in the outbox)"
    print(f"Backend:   {backend}")
    if p.bundle:
        names = ", ".join(shown(n, True) for n in sorted(p.bundle.files))
        print(f"Bundle:    {p.bundle.filename} ({p.bundle.size} bytes: {names})")
    print(f"Redaction: {p.redaction_summary()}")
    listed = p.items if verbose else p.items[:30]
    for item in listed:
        flag = "unmasked" if item.placeholder in p.disabled else "masked  "
        value = item.value.split("\n", 1)[0]
        value = value if item.kind not in ("secret",) else (value[:3] + "…" if len(value) > 3 else "…")
        where = item.occurrences[0].where if item.occurrences else ""
        more = f" (+{item.count - 1} more)" if item.count > 1 else ""
        print(f"  {flag} {item.placeholder:<12} {item.kind:<8} {shown(value[:40], True):<40} "
              f"{shown(where, True)}{more}")
    if len(p.items) > len(listed):
        print(f"  … {len(p.items) - len(listed)} more (use --show-all)")
    if p.items:
        print("  (leave a value unmasked with --unmask PLACEHOLDER)")


def message_text(p: Preview) -> str:
    """The ticket's message exactly as the backend receives it: the subject line, a blank line, the body."""
    return f"Subject: {p.ticket.subject}\n\n{p.ticket.body_text()}"


def _show_message(p: Preview) -> None:
    """What will leave, to read before saying yes: the message, and the bundle's text files (names and sizes of
    the others). Control characters escaped."""
    print("\n--- the message, as it will be sent " + "-" * 40)
    print(shown(message_text(p)).rstrip("\n"))
    print("--- end of the message " + "-" * 53)


def _save_preview(p: Preview, directory: Path) -> list[Path]:
    """`--save-preview DIR`: the message and the bundle, byte for byte as they would be sent."""
    directory.mkdir(parents=True, exist_ok=True)
    out = [directory / "message.txt"]
    out[0].write_bytes(message_text(p).encode())
    if p.bundle is not None:
        path = directory / p.bundle.filename
        path.write_bytes(p.bundle.data)
        out.append(path)
    return out


def _remote_report(args: argparse.Namespace, svc: TicketService | None) -> tuple[dict[str, Any], dict[str, str]]:
    """`--attach-diagnostics --host HOST`: diagnose HOST over SSH (the rules of `deskside diagnose --host`); the
    log excerpts its findings point to are read on HOST too, over the same connection."""
    from tickets.bundle import log_excerpts

    from .diagnose import connect_host

    host, _ = connect_host(args)  # prints why when it cannot connect
    if host is None:
        raise ConfigError(f"could not diagnose {args.host} (see the line above); nothing was saved or sent")
    try:
        print(f"Collecting diagnostics on {host.target}…", file=sys.stderr)
        data = run_diagnostics(host=host).to_dict()

        def read(path: str) -> str | None:
            raw = host.read_file(path, 8 * 1024 * 1024)
            return None if raw is None else raw.decode("utf-8", errors="replace")

        logs = log_excerpts(data, read=read)
    finally:
        host.conn.close()
    if svc is not None:  # the remote machine's names are masked like this machine's
        profile = host.conn.profile
        svc.hosts.extend(n for n in (host.name, profile.hostname if profile else "") if n and n != "localhost")
        if profile is not None:
            svc.users.append(profile.login_user)
    return data, logs


def _local_logs(report: dict[str, Any]) -> dict[str, str]:
    """Excerpts of the logs the findings point to, read on this machine: only for a report made on this machine
    (a report from another host names paths that here hold other, unrelated, data)."""
    from tickets.bundle import log_excerpts

    if str(report.get("host", "")) != socket.gethostname():  # what diagnostics' LocalHost records; no DNS lookup
        print(f"note: the report comes from {report.get('host', 'another machine')}, not this one; "
              "its log excerpts are not attached (they are on that machine)", file=sys.stderr)
        return {}
    return log_excerpts(report)


def _load_report(args: argparse.Namespace, svc: TicketService | None = None
                 ) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The report to attach and the log excerpts its findings point to."""
    if getattr(args, "host", None):
        if not args.attach_diagnostics:
            raise ConfigError("--host goes with --attach-diagnostics (diagnose that host and attach the report)")
        return _remote_report(args, svc)
    if args.report:
        path = Path(args.report)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"the report file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"the report file {path} is not a readable JSON report ({exc}); "
                              "write one with `deskside diagnose --json FILE`") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"the report file {path} does not hold a JSON object")
        return data, _local_logs(data)
    if args.attach_diagnostics:
        # desktop joins diagnostics and tickets: the report travels as a plain dict. The run is `deskside
        # diagnose`'s: the [diagnostics] settings and the collectors' cache.
        print("Collecting diagnostics…", file=sys.stderr)
        data = run_diagnostics().to_dict()
        return data, _local_logs(data)
    return None, {}


def _read_log_tail(path: Path) -> str:
    """A `--log FILE`: the whole file up to MAX_EXCERPT_BYTES, else its end (where the latest errors are)."""
    from tickets.bundle import MAX_EXCERPT_BYTES

    try:
        with open_regular(path) as fh:  # a FIFO or device would block for ever: refused with the reason
            size = fh.seek(0, 2)
            fh.seek(max(0, size - MAX_EXCERPT_BYTES))
            raw = fh.read(MAX_EXCERPT_BYTES)
    except OSError as exc:
        raise ConfigError(f"cannot read the log file {path}: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8", errors="replace")
    if size > MAX_EXCERPT_BYTES:
        nl = text.find("\n")
        if 0 <= nl < len(text.rstrip("\n")):
            text = text[nl + 1:]  # from the first whole line
        else:  # the last 256 KB are one long line: its end, cut, not nothing
            text = "[…cut] " + text
        print(f"note: {shown(path, True)} has {size // 1024} KB; its last {MAX_EXCERPT_BYTES // 1024} KB are "
              "attached", file=sys.stderr)
        return f"# the last {len(text.encode()) // 1024} KB of {path} ({size // 1024} KB in all)\n{text}"
    return text


def cmd_new(args: argparse.Namespace) -> int:
    try:
        svc = _service()
        report, logs = _load_report(args, svc)
        for lf in args.log or []:
            logs[f"logs/{Path(lf).name}"] = _read_log_tail(Path(lf))
        draft = Draft(summary=args.summary, description=args.description or "", incident_type=args.type,
                      impact=args.impact, urgency=args.urgency, category=args.category or "",
                      requester_name=args.requester_name or "", requester_email=args.requester_email or "",
                      since=args.since or "", affected=args.affected or "")
        if args.backend is None and svc.backend_names() and svc.default_backend() is None:
            raise ConfigError(f"several backends are configured ({', '.join(svc.backend_names())}); choose one "
                              "with --backend NAME or set backend = \"NAME\" under [tickets]")
        target = args.backend or svc.default_backend()
        if target is not None:  # a broken [backends.NAME] is refused now, before anything is saved
            svc.validate_backend(target)
        preview = svc.build_preview(draft, report=report, logs=logs, disabled=args.unmask or [],
                                    backend=args.backend, keywords=args.mask or [])
    except (ConfigError, ValueError, SecretUnavailable, OutboxError, settings.ConfigError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    _show_preview(preview, args.show_all)
    _show_message(preview)
    if args.save_preview:
        try:
            saved = _save_preview(preview, Path(args.save_preview))
        except OSError as exc:
            _err(f"cannot save the preview in {shown(args.save_preview, True)}: {exc.strerror or exc}")
            return EXIT_USAGE
        print("Saved exactly what would be sent: " + ", ".join(shown(str(f), True) for f in saved))
    if args.dry_run:
        print("Dry run: nothing was sent; only the preview files above were written." if args.save_preview
              else "Dry run: nothing was saved or sent.")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            _err("not sending without confirmation; add --yes to send from a script")
            return EXIT_DECLINED
        answer = input("Send this ticket? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("Not sent; nothing was saved.")
            return EXIT_DECLINED
    try:
        entry = svc.submit(preview, timeout=args.timeout, progress=_progress)
    except (Cancelled, KeyboardInterrupt):
        _err("cancelled; the ticket stays in the outbox (`deskside ticket outbox` shows it)")
        return EXIT_DECLINED
    except (TicketError, OutboxError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return _report_entry(entry)


def cmd_outbox(args: argparse.Namespace) -> int:
    try:
        svc = _service()
        action = args.action or "list"
        if action == "list":
            entries = svc.outbox_list(include_closed=args.all)
            if args.json:
                print(json.dumps([{**dataclasses.asdict(e), "status": e.describe_state()} for e in entries],
                                 indent=2))
                return EXIT_OK
            if not entries:
                print("The outbox is empty." if args.all else "No open tickets in the outbox (--all shows sent ones).")
                return EXIT_OK
            for e in entries:
                _print_entry(e)
            return EXIT_OK
        if action == "discard":
            if args.id is None:
                raise ConfigError("which ticket? `deskside ticket outbox discard ID` (IDs: `ticket outbox list`)")
            e = svc.discard(args.id)
            print(f"Discarded #{e.id} ({shown(e.summary, True)}).")
            return EXIT_OK
        if action == "retry":
            if args.id is None:
                return _retry_all(svc, args)
            e = svc.retry(args.id, backend=args.backend, timeout=args.timeout, progress=_progress)
            if sys.stderr.isatty():
                print(file=sys.stderr)
            return _report_entry(e)
        if action == "edit":
            if args.id is None:
                raise ConfigError("which ticket? `deskside ticket outbox edit ID --summary TEXT` "
                                  "(IDs: `ticket outbox list`)")
            if all(v is None for v in (args.summary, args.description, args.impact, args.urgency)):
                raise ConfigError("say what to change: --summary, --description, --impact and/or --urgency")
            e = svc.edit(args.id, summary=args.summary, description=args.description, impact=args.impact,
                         urgency=args.urgency)
            t = svc.outbox.ticket(e.id)
            print(f"Edited #{e.id} (redacted as always); it is now {e.state}:")
            print(f"Subject:   {shown(t.subject, True)}")
            print(f"Priority:  {t.priority_label}")
            print(f"Send it with `deskside ticket outbox retry {e.id}`.")
            return EXIT_OK
        if action == "show":
            if args.id is None:
                raise ConfigError("which ticket? `deskside ticket outbox show ID`")
            e = svc.outbox.get(args.id)
            _print_entry(e)
            for at, state, msg in svc.outbox.history(e.id):
                print(f"    {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(at))} {state:<10} {shown(msg, True)}")
            return EXIT_OK
    except Cancelled:
        _err("cancelled")
        return EXIT_DECLINED
    except (TicketError, OutboxError, settings.ConfigError, ValueError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    _err(f"unknown outbox action {args.action!r}; use list, retry, discard, show or edit")
    return EXIT_USAGE


def _retry_all(svc: TicketService, args: argparse.Namespace) -> int:
    """`outbox retry` without ID: every waiting ticket now, whatever its backoff says (the user knows the backend is
    back), held ones too when a backend is named or configured. With --wait keep going (sleeping until the next
    retry time) until no ticket waits for an automatic retry any more. Ctrl-C stops waiting; nothing is lost."""
    tried, left = svc.retry_open(args.backend, timeout=args.timeout, progress=_progress)
    if sys.stderr.isatty() and tried:
        print(file=sys.stderr)
    for e in tried:
        _print_entry(e)
    sent = sum(e.state == "sent" for e in tried)
    if tried:
        print(f"Retried {len(tried)} ticket(s) now: {sent} sent, {len(tried) - sent} not.")
    while args.wait:
        due_at = svc.next_due_at()
        if due_at is None:
            break
        wait = max(0.0, min(3600.0, due_at - time.time()))
        print(f"Waiting {int(wait)}s for the next retry (Ctrl-C stops; the tickets stay in the outbox)…",
              file=sys.stderr)
        try:
            time.sleep(wait)
        except KeyboardInterrupt:
            print("Stopped waiting.", file=sys.stderr)
            return EXIT_DECLINED
        for e in svc.process_due(timeout=args.timeout):
            _print_entry(e)
    open_entries = svc.outbox_list(include_closed=False)
    if not tried:
        print("Nothing to retry." + (f" {len(open_entries)} ticket(s) wait in the outbox "
                                     "(`deskside ticket outbox`)." if open_entries else ""))
    for e in left:
        if e.state == "held":
            print(f"#{e.id} is held: no backend is configured; name one with --backend NAME")
        elif e.state == "uncertain":
            print(f"#{e.id} is uncertain: check the helpdesk, then `deskside ticket outbox retry {e.id}` "
                  f"(send anyway) or `discard {e.id}`")
    return max((_exit_for(e) for e in open_entries), default=EXIT_OK)


def cmd_backend_test(args: argparse.Namespace) -> int:
    try:
        svc = _service()
        print(shown(svc.test_backend(args.name, timeout=args.timeout)))
        return EXIT_OK
    except (AuthError, RejectedError) as exc:
        _err(str(exc))
        return EXIT_FAILED
    except TransientError as exc:
        _err(str(exc))
        return EXIT_QUEUED
    except (TicketError, settings.ConfigError) as exc:
        _err(str(exc))
        return EXIT_USAGE


def cmd_backend_list(args: argparse.Namespace) -> int:
    try:
        svc = _service()
    except (TicketError, settings.ConfigError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    if not svc.backends:
        print(f"No backends configured. Add a [backends.NAME] table to {paths.config_file()}.")
        return EXIT_OK
    default = svc.default_backend()
    from .. import config_layers

    layered = config_layers.load()
    for name in svc.backend_names():
        cfg = svc.backends[name]
        secrets = ""
        try:
            svc.validate_backend(name)
            status = "ok"
            secrets = svc.secrets.status(name, svc.secret_fields(name))
        except TicketError as exc:
            status = f"invalid: {exc}"
        mark = "*" if name == default else " "
        org = {"system": "  (set by your organisation)", "user": ""}.get(layered.sources(f"backends.{name}")[0], "")
        if org and layered.is_locked(f"backends.{name}"):
            org = "  (set by your organisation, locked)"
        print(f"{mark} {shown(name, True):<16} {shown(cfg.get('type', '?'), True):<10} {shown(status, True)}{org}")
        if secrets:
            print(f"  {'':<16} secrets: {shown(secrets, True)}")
    problem = keyring_problem()
    print(f"System keyring: {'available' if problem is None else 'NOT available (' + problem + ')'}"
          f"{'' if problem is None else '; secrets can come from DESKSIDE_SECRET_<NAME>_<FIELD> variables'}")
    return EXIT_OK


def cmd_set_secret(args: argparse.Namespace) -> int:
    try:
        svc = _service()
        fields = svc.secret_fields(args.name)
        field = args.field or (fields[0] if fields else None)
        if field is None:
            print(f"backend {args.name!r} needs no secret with its current settings.")
            return EXIT_OK
        if fields and field not in fields:
            raise ConfigError(f"backend {args.name!r} uses the secret(s) {', '.join(fields)}, not {field!r}")
        if sys.stdin.isatty():
            value = getpass.getpass(f"{field} for backend {args.name}: ")
        else:
            value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise ConfigError("the secret is empty; nothing was stored")
        where = svc.secrets.set(args.name, field, value)
        print(f"Stored the {field} of backend {args.name!r} in {where}.")
        return EXIT_OK
    except (TicketError, settings.ConfigError, ValueError) as exc:
        _err(str(exc))
        return EXIT_USAGE


def register(subparsers: Any) -> None:
    pt = subparsers.add_parser("ticket", help="create support tickets and manage the outbox",
                               description="Create support tickets (redacted, previewed, sent through the outbox).")
    tsub = pt.add_subparsers(dest="ticket_command", metavar="ACTION")
    pt.set_defaults(func=lambda a: (pt.print_help(), EXIT_USAGE)[1])

    pn = tsub.add_parser("new", help="create a ticket", description="Create a ticket: shows priority, SLA and "
                         "what will be masked, asks, then sends it through the outbox.")
    pn.add_argument("--summary", required=True, help="one sentence: what went wrong")
    pn.add_argument("--description", help="more detail: what happened, since when, who is affected")
    pn.add_argument("--since", help="since when it happens, e.g. \"this morning\"")
    pn.add_argument("--affected", help="who is affected, e.g. \"only me\" or \"the whole floor\"")
    pn.add_argument("--type", default="technical failure",
                    help="security breach | technical failure | software problem | request")
    pn.add_argument("--impact", default="medium", help="high | medium | low (or 1-3; 1-5 with scale = 5)")
    pn.add_argument("--urgency", default="medium", help="high | medium | low (or 1-3; 1-5 with scale = 5)")
    pn.add_argument("--category", help="category / queue / help topic text")
    pn.add_argument("--requester-name")
    pn.add_argument("--requester-email")
    src = pn.add_mutually_exclusive_group()
    src.add_argument("--attach-diagnostics", action="store_true", help="run diagnostics now and attach them")
    src.add_argument("--report", metavar="FILE", help="attach a JSON report written by `deskside diagnose --json`")
    pn.add_argument("--log", action="append", metavar="FILE", help="also attach this log (redacted); repeatable")
    pn.add_argument("--backend", metavar="NAME", help="a [backends.NAME] from config.toml")
    pn.add_argument("--mask", action="append", metavar="WORD",
                    help="also mask this word or phrase (a project, customer...) in this ticket; repeatable")
    pn.add_argument("--unmask", action="append", metavar="PLACEHOLDER", help="leave this item unmasked, e.g. <host-1>")
    pn.add_argument("--show-all", action="store_true", help="list every masked item")
    pn.add_argument("--dry-run", action="store_true", help="show the preview only; send nothing")
    pn.add_argument("--save-preview", metavar="DIR",
                    help="write the message (message.txt) and the bundle (.zip) exactly as they would be sent")
    pn.add_argument("--yes", "-y", action="store_true", help="send without asking")
    pn.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    from .diagnose import add_host_options

    add_host_options(pn)  # --host HOST with --attach-diagnostics: diagnose that host over SSH
    pn.set_defaults(func=cmd_new)

    po = tsub.add_parser("outbox", help="list, retry or discard tickets waiting in the outbox")
    po.add_argument("action", nargs="?", choices=["list", "retry", "discard", "show", "edit"], default="list")
    po.add_argument("id", nargs="?", type=int,
                    help="ticket number in the outbox (retry without ID: every waiting ticket, now)")
    po.add_argument("--all", action="store_true", help="list also sent and discarded tickets")
    po.add_argument("--json", action="store_true", help="list as JSON")
    po.add_argument("--wait", action="store_true",
                    help="retry without ID: keep retrying until no ticket waits for a retry any more")
    po.add_argument("--backend", metavar="NAME",
                    help="retry with this backend (without ID: where the held tickets go)")
    po.add_argument("--timeout", type=float, default=30.0)
    po.add_argument("--summary", help="edit: the new summary (a failed ticket is then sent again by retry)")
    po.add_argument("--description", help="edit: the new description")
    po.add_argument("--impact", help="edit: the new impact")
    po.add_argument("--urgency", help="edit: the new urgency")
    po.set_defaults(func=cmd_outbox)
    from .ticket_follow import register_follow

    register_follow(tsub)  # list | show | reply | reopen | escalate: following sent tickets

    pb = subparsers.add_parser("backend", help="support backends: list, test, store credentials")
    bsub = pb.add_subparsers(dest="backend_command", metavar="ACTION")
    pb.set_defaults(func=lambda a: (pb.print_help(), EXIT_USAGE)[1])
    pbt = bsub.add_parser("test", help="check connection and credentials (creates nothing)")
    pbt.add_argument("name")
    pbt.add_argument("--timeout", type=float, default=15.0)
    pbt.set_defaults(func=cmd_backend_test)
    pbs = bsub.add_parser("set-secret", help="store the backend's token/password in the system keyring "
                          "(asked for, or read from stdin)")
    pbs.add_argument("name")
    pbs.add_argument("--field", help="which secret (default: the one the backend needs), e.g. token, password")
    pbs.set_defaults(func=cmd_set_secret)
    pbl = bsub.add_parser("list", help="the configured backends and whether their settings are valid")
    pbl.set_defaults(func=cmd_backend_list)

