"""The `deskside` command. With no subcommand: the GUI where there is a display, else `deskside diagnose`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import NoReturn

from diagnostics import __version__

# Each module in desktop/commands/ has `register(subparsers)`; its parser sets `func(args) -> int`.
_COMMAND_MODULES = ["diagnose", "gui", "remote", "tickets", "scan", "patch", "agent", "config"]
# Which module registers which command: running one command imports only its module, so `deskside diagnose`
# never pays for paramiko, httpx or keyring. Help and unknown commands import them all.
_COMMAND_OWNER = {
    "diagnose": "diagnose", "gui": "gui",
    "hosts": "remote", "ssh": "remote", "sftp": "remote", "forward": "remote",
    "ticket": "tickets", "backend": "tickets",
    "scan": "scan", "patch": "patch", "agent": "agent", "config": "config",
}


EXIT_USAGE = 64  # sysexits EX_USAGE; argparse's own 2 would read as "critical" for `diagnose`
EXIT_BUG = 70  # sysexits EX_SOFTWARE: an unexpected error, i.e. a bug in Deskside


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="deskside",
        description="Deskside: diagnose this machine, troubleshoot remote hosts over SSH, and send support tickets.",
    )
    parser.add_argument("--version", action="version", version=f"deskside {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    owner = _COMMAND_OWNER.get(command or "")
    for mod in [owner] if owner else _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"desktop.commands.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name == f"desktop.commands.{mod}":
                continue
            raise
        module.register(sub)
    return parser


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("win32", "darwin")


def _quiet_library_logs() -> None:
    """Libraries log at ERROR for things we already report in plain words (paramiko: "Secsh channel 3 open FAILED"
    when a server refuses an extra channel we retry). Without a handler Python would print them to stderr."""
    for name in ("paramiko",):
        lib = logging.getLogger(name)
        lib.addHandler(logging.NullHandler())
        lib.propagate = False


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["__scan-child__"]:  # the Compliance page's scan process (desktop/scan_process.py), not a command
        from .scan_process import child_main

        return child_main()
    _quiet_library_logs()
    command = next((a for a in argv if not a.startswith("-")), None)
    if command is None and not {"-h", "--help", "--version"} & set(argv):
        command = "gui" if has_display() else "diagnose"
        argv = [command, *argv]
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("deskside: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`deskside ... | head`): nothing to report
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail too
        except OSError:
            pass
        return 141  # 128 + SIGPIPE, as a shell reports it
    except Exception as exc:
        if os.environ.get("DESKSIDE_DEBUG"):
            raise
        return _report_bug(exc, argv)


def _command_for_log(argv: list[str]) -> str:
    """The command and its option names, never their values (`-- mysql -pSECRET`, a token, a path with a name)."""
    words = [argv[0]] if argv else []
    for a in argv[1:]:
        if a == "--":
            break
        if a.startswith("-"):
            words.append(a.split("=", 1)[0])
    return " ".join(words) + " (values not logged)"


def _report_bug(exc: Exception, argv: list[str]) -> int:
    """Last resort for an error no command expected: one plain line for the user, the traceback in a log file."""
    import datetime as dt
    import traceback

    from . import paths

    details = "".join(traceback.format_exception(exc))
    try:
        log = paths.ensure(paths.log_dir()) / "crash.log"
        with open(log, "a", encoding="utf-8", errors="replace") as fh:
            fh.write(f"--- {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} deskside {__version__}: "
                     f"{_command_for_log(argv)}\n{details}")
        where = f"the details are in {log}"
    except OSError:
        where = "the details follow"
    first = (str(exc).strip().splitlines() or [""])[0]
    print(f"deskside: unexpected error ({type(exc).__name__}{': ' + first if first else ''}). This is a bug in "
          f"Deskside: please report it; {where}.", file=sys.stderr)
    if where == "the details follow":
        print(details, file=sys.stderr, end="")
    return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
