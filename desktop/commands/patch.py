"""`deskside patch`: install pending updates on hosts over SSH, with a dry run first, sudo asked once, a reboot only
when required and allowed, and a rescan. Exit: 0 every host patched or up to date, 1 some host failed or could
not be reached, 64 bad usage, 130 cancelled."""

from __future__ import annotations

import argparse
import getpass
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

EXIT_USAGE, EXIT_CANCELLED = 64, 130


def register(sub: Any) -> None:
    p = sub.add_parser("patch", help="install pending updates on hosts (dry run, sudo, reboot if required, rescan)",
                       description="Patch hosts over SSH. Shows what would change with --dry-run; otherwise asks "
                                   "to go ahead (or --yes), installs with sudo and rescans.")
    p.add_argument("targets", nargs="+", metavar="HOST|@GROUP")
    p.add_argument("-i", "--inventory", type=Path, help="Ansible INI/YAML inventory or CSV file")
    p.add_argument("--policy", type=Path, help="policy for the rescan (default: the built-in policy)")
    p.add_argument("--security-only", action="store_true", help="install security updates only")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--reboot-if-required", action="store_true",
                   help="reboot a host that needs it after the upgrade, wait for it, rescan")
    p.add_argument("--reboot-wait", type=float, default=600.0, metavar="S",
                   help="how long to wait for a rebooted host to come back (default 600 s)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask before changing the hosts")
    p.add_argument("-j", "--concurrency", type=int, default=4, metavar="N")
    p.add_argument("--accept-new", action="store_true", help="trust hosts whose key is not known yet")
    p.add_argument("--no-ansible", action="store_true")
    p.set_defaults(func=run)


def _ask_password(prompt: str) -> str | None:
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt) or None
    except (EOFError, KeyboardInterrupt):
        return None


def run(args: argparse.Namespace) -> int:
    from common.cancel import CancelToken
    from remote.auth import KeyringSecrets

    from .. import wiring
    from ..fleet_patch import PasswordSource, patch_host
    from .remote import err, shown
    from .scan import policy_and_hosts

    loaded = policy_and_hosts(args)
    if isinstance(loaded, int):
        return loaded
    policy, hosts = loaded
    if not args.dry_run and not args.yes:
        if not sys.stdin.isatty():
            err("patching changes the hosts: run with --dry-run first, then again with --yes")
            return EXIT_USAGE
        names = ", ".join(shown(h.name, one_line=True) for h in hosts[:10]) + (" ..." if len(hosts) > 10 else "")
        answer = input(f"Install {'security ' if args.security_only else ''}updates on {len(hosts)} host(s) "
                       f"({names}) with sudo? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("Nothing was changed.")
            return 0
    connector = wiring.fleet_connector(accept_new=args.accept_new)
    passwords = PasswordSource(KeyringSecrets(), _ask_password)
    cancel = CancelToken()
    lock = threading.Lock()

    def progress(name: str, step: str) -> None:
        if sys.stderr.isatty():
            with lock:
                sys.stderr.write(f"\r\x1b[K{shown(name, one_line=True)[:40]}: {step}")
                sys.stderr.flush()

    outcomes: dict[str, Any] = {}

    def one(h: Any) -> None:
        outcomes[h.name] = patch_host(h, policy, connector, passwords, security_only=args.security_only,
                                      dry_run=args.dry_run, reboot_if_required=args.reboot_if_required,
                                      cancel=cancel, progress=progress, reboot_wait=args.reboot_wait)

    pool = ThreadPoolExecutor(max_workers=max(1, args.concurrency), thread_name_prefix="patch")
    futures = [pool.submit(one, h) for h in hosts]
    try:
        for f in futures:
            while not f.done():
                try:
                    f.result(timeout=0.2)
                except TimeoutError:
                    continue
    except KeyboardInterrupt:
        cancel.cancel()
        sys.stderr.write("\rcancelling: running commands are stopped where they are\n")
    finally:
        pool.shutdown(wait=True)
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    bad = False
    for h in hosts:
        o = outcomes.get(h.name)
        if o is None:
            continue
        after = f"; now {o.after.status}" if o.after is not None and o.state in ("patched", "rebooted") else ""
        after = f", rebooted{after}" if o.rebooted and o.state == "patched" else after
        print(f"{shown(h.name, one_line=True)}: {o.state}{after}" + (f": {shown(o.detail, one_line=True)}"
                                                                      if o.detail else ""))
        for c in o.changes:
            print(f"    {shown(c, one_line=True)}")
        bad = bad or o.state in ("failed", "unknown")
    if cancel.cancelled:
        return EXIT_CANCELLED
    return 1 if bad else 0
