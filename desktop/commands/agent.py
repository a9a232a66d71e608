"""`deskside agent`: the background agent (headless; never imports Qt).

  deskside agent run [--at-login] [--check-now]   one run: due tickets, followed tickets, the checks when due
  deskside agent install [--interval 15min]       a systemd user service + timer (and a run at login)
  deskside agent uninstall                        disable and remove them
  deskside agent status                           last check, tickets waiting, the units

Exit codes: 0 done; 2 bad configuration; 3 installed but systemd could not enable it (the message says why).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from common.terminal import shown

EXIT_OK, EXIT_USAGE, EXIT_NOT_ENABLED = 0, 2, 3


def _err(msg: str) -> None:
    print(f"deskside: {shown(msg)}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from desktop import agent, settings
    from desktop.wiring import run_diagnostics, ticket_service
    from tickets.errors import TicketError
    from tickets.outbox import OutboxError

    try:
        config = settings.load()
        opts = agent.options(config)
    except settings.ConfigError as exc:
        _err(str(exc))
        return EXIT_USAGE
    notes = []
    svc = None
    try:
        svc = ticket_service(config)
    except (TicketError, OutboxError, settings.ConfigError) as exc:
        notes.append(f"the outbox was not processed: {exc}")
    try:
        result = agent.run(svc=svc, diagnose=run_diagnostics, notify=None if args.no_notify else agent.desktop_notify,
                           opts=opts, state_path=agent.agent_dir() / "state.json", at_login=args.at_login,
                           force_check=args.check_now)
    except (TicketError, OutboxError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    result.notes[:0] = notes
    for line in result.lines():
        print(shown(line))
    return EXIT_OK


def cmd_install(args: argparse.Namespace) -> int:
    from desktop import agent_units

    try:
        files, problem = agent_units.install(args.interval, enable=not args.no_enable)
    except OSError as exc:
        _err(f"cannot write the unit files to {agent_units.unit_dir()}: {exc.strerror or exc}")
        return EXIT_USAGE
    print("Wrote " + ", ".join(str(f) for f in files))
    if problem:
        _err(f"{problem}. The units are written; when a systemd user session runs, enable them with "
             f"`systemctl --user daemon-reload && systemctl --user enable --now {agent_units.TIMER} "
             f"&& systemctl --user enable {agent_units.LOGIN}`")
        return EXIT_NOT_ENABLED
    if not args.no_enable:
        print(f"Enabled: the agent runs every {args.interval}, and at login. "
              "`deskside agent uninstall` removes it.")
    return EXIT_OK


def cmd_uninstall(args: argparse.Namespace) -> int:
    from desktop import agent_units

    removed, problem = agent_units.uninstall(disable=not args.no_enable)
    print("Removed " + ", ".join(str(f) for f in removed) if removed else "The agent was not installed.")
    if problem:
        _err(problem)
        return EXIT_NOT_ENABLED
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from desktop import agent, agent_units
    from desktop.wiring import ticket_service

    state = agent.State.load(agent.agent_dir() / "state.json")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(state.last_check)) if state.last_check else "never"
    print(f"Last check: {when}{' (' + state.last_result + ')' if state.last_result else ''}")
    try:
        print(f"Tickets waiting in the outbox: {len(ticket_service().outbox_list(include_closed=False))}")
    except Exception as exc:  # the status line must show even when the outbox cannot be read
        print(f"Tickets waiting in the outbox: unknown ({shown(str(exc))})")
    installed = [u for u in agent_units.UNITS if (agent_units.unit_dir() / u).exists()]
    print(f"Installed: {'yes (' + str(agent_units.unit_dir()) + ')' if installed else 'no'}")
    return EXIT_OK


def register(subparsers: Any) -> None:
    pa = subparsers.add_parser("agent", help="the background agent: sends waiting tickets, runs checks",
                               description="The background agent: sends waiting tickets with backoff, follows "
                               "sent tickets, and runs the diagnostics on a schedule (notifying new findings).")
    asub = pa.add_subparsers(dest="agent_command", metavar="ACTION")
    pa.set_defaults(func=lambda a: (pa.print_help(), EXIT_USAGE)[1])
    pr = asub.add_parser("run", help="one run (what the systemd timer starts)")
    pr.add_argument("--at-login", action="store_true", help="the run at login (checks then, when check_at_login)")
    pr.add_argument("--check-now", action="store_true", help="run the checks now, whatever the schedule says")
    pr.add_argument("--no-notify", action="store_true", help="no desktop notifications (print only)")
    pr.set_defaults(func=cmd_run)
    pi = asub.add_parser("install", help="set the agent up as a systemd user service with a timer")
    pi.add_argument("--interval", default="15min", help="how often it runs (systemd time span; default 15min)")
    pi.add_argument("--no-enable", action="store_true", help="only write the unit files")
    pi.set_defaults(func=cmd_install)
    pu = asub.add_parser("uninstall", help="disable and remove the systemd user units")
    pu.add_argument("--no-enable", action="store_true", help="only remove the files (do not call systemctl)")
    pu.set_defaults(func=cmd_uninstall)
    ps = asub.add_parser("status", help="last check, tickets waiting, whether it is installed")
    ps.set_defaults(func=cmd_status)
