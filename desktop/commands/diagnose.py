"""`deskside diagnose`: what is wrong with this machine, findings first.

Exit codes (the Nagios/monitoring convention IT staff already script against):
  0  no problem (only info findings)      1  worst finding is a warning
  2  worst finding is critical            3  the run could not complete (config error, unwritable file;
                                             with --host: host unreachable, host key refused, login failed)
  64 usage error (unknown option)         130 cancelled with Ctrl-C (the partial report is still printed)
  70 an unexpected error (a bug; details in crash.log in the log folder)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

from common.deadline import start, wait_for
from common.terminal import shown

from .ssh_flags import add_connect_flags

EXIT = {"ok": 0, "info": 0, "warning": 1, "critical": 2}
EXIT_UNKNOWN = 3
EXIT_CANCELLED = 130


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "diagnose",
        help="diagnose this machine (or --host HOST over SSH): findings with fixes, then a summary",
        description="Collect diagnostics of this machine, or of HOST over SSH with --host, and print the findings "
        "(worst first) with a fix for each, then a compact summary. "
        "Exit code: 0 no problem, 1 warning, 2 critical, 3 could not run, 130 cancelled.",
    )
    p.add_argument("--json", action="store_true", help="print the full report as JSON (schema in diagnostics/schema)")
    p.add_argument("--html", metavar="FILE", type=Path, help="also write a self-contained HTML report to FILE")
    p.add_argument("--output", "-o", metavar="FILE", type=Path, help="write the JSON report to FILE")
    p.add_argument("--only", metavar="NAMES", help="comma-separated collectors to run (see --list-collectors)")
    p.add_argument("--skip", metavar="NAMES", help="comma-separated collectors not to run")
    p.add_argument("--network", action="store_true",
                   help="also run the connectivity checks (they send traffic to the configured endpoints)")
    p.add_argument("--list-collectors", action="store_true", help="list the collectors and exit")
    p.add_argument("--no-progress", action="store_true", help="never show progress on stderr")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    add_host_options(p)
    p.set_defaults(func=run)


def add_host_options(p: argparse.ArgumentParser) -> None:
    """`--host` and the connection flags of `deskside ssh` (same names and meaning; a test keeps them in step).
    Declared here so that a local run never imports the SSH modules."""
    g = p.add_argument_group("remote host (over SSH, with the trust and login rules of `deskside ssh`)")
    g.add_argument("--host", metavar="HOST",
                   help="diagnose HOST over SSH: an address-book name, ~/.ssh/config alias, or [user@]host[:port]")
    add_connect_flags(g)


def connect_host(args: argparse.Namespace) -> tuple[Any, int]:
    """(SshHost, 0) for --host, or (None, exit code) after printing why it could not connect. Imports the SSH
    modules only here, so a local run never pays for paramiko."""
    from desktop.remote_host import RemoteHostError, SshHost

    from .remote import open_connection, run_guarded

    box: dict[str, Any] = {}

    def connect(a: argparse.Namespace) -> int:
        conn = open_connection(a)
        try:
            box["host"] = SshHost(conn)
        except BaseException:
            conn.close()
            raise
        return 0

    try:
        rc = run_guarded(connect, args)
    except RemoteHostError as exc:
        print(f"deskside: {shown(exc)}", file=sys.stderr)
        return None, EXIT_UNKNOWN
    if rc != 0:
        return None, EXIT_CANCELLED if rc == 130 else EXIT_UNKNOWN
    return box["host"], 0


def _names(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


def _list_collectors() -> int:
    from diagnostics.collectors import all_collectors

    print(f"{'NAME':<14} {'DEFAULT':<8} {'TIMEOUT':<8} {'PLATFORMS':<22} TITLE")
    for c in all_collectors():
        plats = ",".join(sorted(c.platforms))
        print(f"{c.name:<14} {'yes' if c.default else 'no':<8} {c.timeout_s:<8g} {plats:<22} {c.title}"
              + ("  (some items need admin rights)" if c.needs_admin else ""))
    return 0


class _Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.running: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, name: str, state: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self.lock:
            if state == "running":
                self.running.add(name)
            else:
                self.running.discard(name)
            waiting = ", ".join(sorted(self.running))[:60]
            sys.stderr.write(f"\r\033[K[{done}/{total}] collecting… {waiting}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    if args.list_collectors:
        return _list_collectors()
    if args.only is not None and not _names(args.only):  # `--only ""` must not quietly mean "everything"
        print("deskside: --only needs at least one collector name (see --list-collectors)", file=sys.stderr)
        return EXIT_UNKNOWN
    from diagnostics.cancel import CancelToken
    from diagnostics.model import Report
    from diagnostics.render.text import render_text

    from .. import settings
    from ..wiring import diagnostics_options, run_diagnostics

    try:
        config = settings.load()
    except settings.ConfigError as exc:
        print(f"deskside: {shown(exc)}", file=sys.stderr)
        return EXIT_UNKNOWN

    cancel = CancelToken()
    progress = _Progress(sys.stderr.isatty() and not args.no_progress)
    result: dict[str, Any] = {}
    host: Any = None
    if getattr(args, "host", None):
        host, rc = connect_host(args)
        if host is None:
            return rc

    def work() -> None:
        try:
            result["report"] = run_diagnostics(
                only=_names(args.only), skip=_names(args.skip), include_connectivity=args.network,
                cancel=cancel, progress=progress, options=diagnostics_options(config), host=host,
            )
        except ValueError as exc:
            result["error"] = str(exc)
        except Exception as exc:  # the connection died before any collector could record it
            result["error"] = f"diagnosing {host.target if host else 'this machine'} failed: {exc}"
        finally:
            if host is not None:
                host.conn.close()

    # Waiting on the future, not Thread.join: a Ctrl-C that interrupts join() can leave the thread marked as stopped.
    worker = start(work, name="diagnose")
    interrupted = False
    while not worker.done():
        try:
            wait_for(worker)
        except KeyboardInterrupt:
            if interrupted:
                progress.clear()
                return EXIT_CANCELLED  # second Ctrl-C: leave at once
            interrupted = True
            cancel.cancel()
            sys.stderr.write("\rcancelling… (Ctrl-C again to quit at once)\n")
    progress.clear()
    if "error" in result:
        print(f"deskside: {shown(result['error'])}", file=sys.stderr)
        return EXIT_UNKNOWN
    report: Report = result["report"]

    from diagnostics.render.json import dumps

    written: list[tuple[str, Path]] = []
    failed: list[str] = []
    for what, path in (("JSON report", args.output), ("HTML report", args.html)):
        if not path:
            continue
        try:
            if what == "HTML report":
                from diagnostics.render.html import render_html

                _write(path, render_html(report))
            else:
                _write(path, dumps(report))
            written.append((what, path))
        except OSError as exc:
            failed.append(f"deskside: cannot write the {what} to {path}: {exc.strerror or exc}; choose another file "
                          "or folder, or free some space (the report itself is printed)")
    if args.json:
        sys.stdout.write(dumps(report) + "\n")
    else:
        colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty()
                                             and not os.environ.get("NO_COLOR"))
        width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 120) if sys.stdout.isatty() else 100
        sys.stdout.write(render_text(report, colour=colour, width=width))
        for what, path in written:
            print(f"{what} written to {path}")
    if failed:
        sys.stdout.flush()
        print("\n".join(failed), file=sys.stderr)
        return EXIT_UNKNOWN
    if report.cancelled:
        return EXIT_CANCELLED
    return EXIT[report.worst.label]


def _write(path: Path, text: str) -> None:
    from diagnostics.render.files import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
