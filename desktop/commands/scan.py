"""`deskside scan`: the patch compliance of many hosts over SSH, scored against a policy.

Exit codes (worst first, as Nagios): 2 some host has a critical finding, 3 some host could not be scanned,
1 some host has warnings only, 0 every host compliant; 64 bad usage or input, 130 cancelled (partial results shown).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
from pathlib import Path
from typing import Any

EXIT_USAGE, EXIT_CANCELLED = 64, 130


def register(sub: Any) -> None:
    p = sub.add_parser("scan", help="patch compliance of many hosts (pending security updates, reboot, end of life)",
                       description="Scan hosts over SSH and score their patch posture against a policy. Hosts: names "
                                   "or globs, @GROUP, or all hosts of the inventory (default: the address book and "
                                   "~/.ssh/config).")
    p.add_argument("targets", nargs="*", metavar="HOST|@GROUP", help="hosts to scan (default: every host)")
    p.add_argument("-i", "--inventory", type=Path, help="Ansible INI/YAML inventory or CSV file")
    p.add_argument("--policy", type=Path, help="policy TOML file (default: [compliance] policy in config.toml, "
                   "e.g. set by your organisation, else the built-in policy)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the results as JSON (schema deskside-scan 1.x)")
    p.add_argument("--csv", type=Path, metavar="FILE", help="also write a CSV file")
    p.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML report")
    p.add_argument("-j", "--concurrency", type=int, default=8, metavar="N", help="hosts at a time (default 8)")
    p.add_argument("--timeout", type=float, default=180.0, metavar="S", help="per-host time limit (default 180 s)")
    p.add_argument("--connect-timeout", type=float, default=20.0, metavar="S", help="SSH connect timeout")
    p.add_argument("--accept-new", action="store_true",
                   help="trust hosts whose key is not known yet (a changed key is always refused)")
    p.add_argument("--no-history", action="store_true", help="do not read or write the scan history")
    p.add_argument("--fresh", action="store_true",
                   help="run apt list on every host, even where nothing it depends on has changed since the last "
                        "scan (by default that host's last answer is reused)")
    p.add_argument("--ticket", action="store_true",
                   help="file a ticket per non-compliant host and rule (never twice for the same host and rule)")
    p.add_argument("--backend", metavar="NAME", help="the support backend for --ticket (default: [tickets] backend)")
    p.add_argument("--engine", choices=["ssh", "ansible"], default="ssh",
                   help="how hosts are reached: Deskside's own SSH client (default) or ansible-playbook with the "
                        "inventory (-i) and your Ansible settings; the same script, policy, history and exports")
    p.add_argument("--no-ansible", action="store_true",
                   help="read the inventory with the built-in reader even where ansible-inventory is installed")
    p.set_defaults(func=run)


class _Progress:
    """One status line on a terminal's stderr; nothing when stderr is not a terminal."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.active = total, 0, 0
        self.lock = threading.Lock()
        self.tty = sys.stderr.isatty()

    def __call__(self, name: str, state: str, result: Any) -> None:
        from .remote import shown

        with self.lock:
            if state == "connecting":
                self.active += 1
            elif state == "done":
                self.done += 1
                self.active -= 1
            if self.tty:
                width = 30
                filled = int(width * self.done / self.total) if self.total else width
                line = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} hosts, " \
                       f"{self.active} running; {state} {shown(name, one_line=True)[:40]}"
                sys.stderr.write("\r\x1b[K" + line)
                sys.stderr.flush()

    def clear(self) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _table(scan: Any) -> str:
    from .remote import shown

    lines = [f"{'HOST':<24} {'STATUS':<14} {'SCORE':>5}  REASONS"]
    for r in scan.results:
        why = [f"{x.severity}: {x.evidence}" for x in r.reasons] or ([r.error] if r.error else [])
        first = shown(why[0], one_line=True) if why else ""
        lines.append(f"{shown(r.name, one_line=True)[:24]:<24} {r.status:<14} "
                     f"{'-' if r.score is None else r.score:>5}  {first}")
        lines += [f"{'':<46}{shown(w, one_line=True)}" for w in why[1:]]
    t = scan.totals
    score = "n/a" if t.score is None else f"{t.score}"
    lines.append(f"\n{t.hosts} hosts: {t.compliant} compliant, {t.non_compliant} non-compliant, {t.unknown} unknown; "
                 f"fleet score {score}" + (" (cancelled: partial results)" if scan.cancelled else ""))
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from common.cancel import CancelToken
    from fleet import export
    from fleet.history import History, HistoryError
    from fleet.scan import scan

    from .. import wiring
    from .remote import err, shown

    if args.concurrency < 1 or args.timeout <= 0:
        err("--concurrency must be at least 1 and --timeout above 0")
        return EXIT_USAGE
    if args.engine == "ansible":
        from fleet.ansible_engine import AnsibleError, ansible_playbook

        if args.inventory is None:
            err("--engine ansible needs an inventory (-i FILE: Ansible INI/YAML, or CSV)")
            return EXIT_USAGE
        try:
            ansible_playbook()
        except AnsibleError as exc:
            err(str(exc))
            return EXIT_USAGE
    loaded = policy_and_hosts(args)
    if isinstance(loaded, int):
        return loaded
    policy, hosts = loaded
    if not hosts:
        err("no hosts to scan: give an inventory (-i FILE) or add hosts to the address book (deskside hosts add)")
        return EXIT_USAGE
    history = None
    if not args.no_history:
        try:
            history = History(wiring.fleet_history_path())
        except HistoryError as exc:
            err(f"{exc}; scanning without history")
    cancel = CancelToken()
    progress = _Progress(len(hosts))
    box: dict[str, Any] = {}
    done = threading.Event()
    first_seen = history.first_seen if history else None
    if args.engine == "ansible":
        engine = wiring.fleet_ansible_engine(accept_new=args.accept_new, connect_timeout=args.connect_timeout)
    else:
        connector = wiring.fleet_connector(accept_new=args.accept_new, connect_timeout=args.connect_timeout)
        answers = wiring.fleet_apt_answers(reuse=not args.fresh)

    def work() -> None:
        try:
            if args.engine == "ansible":
                box["scan"] = engine.scan(hosts, policy, args.inventory, concurrency=args.concurrency,
                                          host_timeout=args.timeout, cancel=cancel, first_seen=first_seen,
                                          progress=progress)
            else:
                box["scan"] = scan(hosts, policy, connector, concurrency=args.concurrency, host_timeout=args.timeout,
                                   cancel=cancel, first_seen=first_seen, progress=progress, answers=answers)
        except BaseException as exc:  # handed to the main thread, which reports it
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="scan", daemon=True).start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            if interrupted:
                progress.clear()
                return EXIT_CANCELLED
            interrupted = True
            cancel.cancel()
            sys.stderr.write("\rcancelling: the hosts being scanned stop, finished ones are kept (Ctrl-C again to "
                             "quit at once)\n")
    progress.clear()
    if "error" in box:
        raise box["error"]
    result = box["scan"]
    comparison = None
    if history is not None:
        try:
            scan_id = history.record(result.results, result.totals, started_at=result.started_at,
                                     policy=policy.source, now=dt.datetime.now(dt.UTC))
            comparison = history.compare(scan_id)
            box["time_to_patch"] = history.time_to_patch()
        except Exception as exc:  # the results are still shown; only the history misses this scan
            err(f"the scan history could not be written ({exc})")
        finally:
            history.close()
    failed = False
    for path, text in ((args.csv, lambda: export.to_csv(result)),
                       (args.html, lambda: export.to_html(result, policy.source,
                                                          _trend(wiring.fleet_history_path(), args.no_history)))):
        if path is None:
            continue
        try:
            from diagnostics.render.files import write_atomic

            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text())
        except OSError as exc:
            err(f"cannot write {path}: {exc.strerror or exc}")
            failed = True
    if args.json:
        # Indented for a person at a terminal; compact into a pipe or a file (a 100-host scan's JSON is megabytes).
        sys.stdout.write(export.to_json(result, policy.source, comparison, indent=2 if sys.stdout.isatty() else None))
    else:
        sys.stdout.write(_table(result))
        if comparison is not None and comparison.previous_scan is not None:
            print(f"Since the last scan: {len(comparison.newly_non_compliant)} new, {len(comparison.fixed)} fixed, "
                  f"{len(comparison.still_open)} still open.")
        if box.get("time_to_patch"):
            print("Time to patch security updates (median days, by group): "
                  + ", ".join(f"{shown(g, one_line=True)} {d:g}" for g, d in box["time_to_patch"].items()))
    if args.ticket and not result.cancelled:
        failed = not _tickets(result, args.backend) or failed
    if result.cancelled:
        return EXIT_CANCELLED
    return 3 if failed and result.totals.exit_code == 0 else result.totals.exit_code


def policy_and_hosts(args: argparse.Namespace) -> tuple[Any, list[Any]] | int:
    """The policy (--policy or the built-in one) and the selected hosts of the inventory, or the exit code after
    saying what is wrong with them (the file and line)."""
    from fleet import policy as pol
    from fleet.inventory import InventoryError, select

    from .. import settings, wiring
    from .remote import err

    try:
        policy = pol.load(args.policy) if args.policy else wiring.compliance_policy()
        return policy, select(wiring.fleet_inventory(args.inventory, use_ansible=not args.no_ansible), args.targets)
    except (InventoryError, pol.PolicyError, settings.ConfigError) as exc:
        err(str(exc))
    except KeyError as exc:
        err(str(exc.args[0]))
    return EXIT_USAGE


def _tickets(result: Any, backend: str | None) -> bool:
    """File the compliance tickets and say what happened; False when they could not be made at all."""
    from tickets.errors import TicketError

    from .. import settings, wiring
    from ..fleet_tickets import file_tickets
    from .remote import err, shown

    try:
        outcomes = file_tickets(wiring.ticket_service(), result.results, backend=backend)
    except (TicketError, settings.ConfigError, ValueError) as exc:
        err(f"no compliance ticket was made: {exc}")
        return False
    for o in outcomes:
        print(f"ticket {o.reference} {o.state}: {shown(o.host, one_line=True)} {o.key}"
              + (f" ({shown(o.detail, one_line=True)})" if o.detail else ""))
    if not outcomes:
        print("No compliance ticket needed: no host is non-compliant.")
    return True


def _trend(path: Path, disabled: bool) -> list[tuple[str, dict[str, Any]]] | None:
    if disabled:
        return None
    from fleet.history import History, HistoryError

    try:
        with History(path) as h:
            return [(when, totals) for _id, when, totals in h.scans(30)]
    except HistoryError:
        return None
