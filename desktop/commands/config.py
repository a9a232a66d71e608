"""`deskside config show [--json]`: the settings in effect (the organisation's system file merged under the user's
config.toml) and where each value comes from. Secrets are never shown (they live in the keyring)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from common.terminal import shown

from .. import config_layers, settings

EXIT_OK = 0
EXIT_CONFIG = 2  # the user's config.toml cannot be read or holds a wrong value

_LABEL = {"default": "built-in default", "system": "system file", "user": "user file"}


def _value(value: Any) -> str:
    if value == config_layers.HIDDEN:
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _where(entry: config_layers.Entry) -> str:
    parts = " + ".join(_LABEL[s] for s in entry.sources)
    if not entry.known:
        parts += ", unknown: ignored"
    if entry.locked:
        parts += ", locked" if entry.lock == entry.key else f", locked ({entry.lock})"
    return parts


def cmd_show(args: argparse.Namespace) -> int:
    try:
        layered = config_layers.load()
    except settings.ConfigError as exc:
        print(f"deskside: {shown(exc, one_line=True)}", file=sys.stderr)
        return EXIT_CONFIG
    entries = layered.entries()
    if args.json:
        doc = {
            "system_file": str(layered.system_path),
            "system_file_present": layered.system_present,
            "user_file": str(layered.user_path),
            "locks": list(layered.locks),
            "values": [{"key": e.key, "value": e.value, "source": e.sources[-1], "sources": list(e.sources),
                        "locked": e.locked, "lock": e.lock, "known": e.known} for e in entries],
            "warnings": [{"file": str(n.file), "line": n.line, "key": n.key, "message": n.message}
                         for n in layered.notices],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
    else:
        present = "" if layered.system_present else " (not present)"
        print(f"System file: {shown(layered.system_path, True)}{present}")
        print(f"User file:   {shown(layered.user_path, True)}"
              f"{'' if layered.user_path.exists() else ' (not present)'}")
        if not entries:
            print("\nNo settings in either file: every value is the built-in default.")
        else:
            print()
            lines = [(e.key + (" = " + _value(e.value) if e.value is not None or "default" not in e.sources
                                else " (built-in default)"), _where(e)) for e in entries]
            width = min(max(len(left) for left, _ in lines), 70)
            for left, where in lines:
                print(f"{shown(left, True):<{width}}  # {where}")
    for notice in layered.notices:  # on stderr, so --json stays parseable
        print(f"deskside: warning: {shown(notice, one_line=True)}", file=sys.stderr)
    return EXIT_OK


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("config", help="show the settings in effect and where each comes from",
                              description="The settings in effect: the organisation's system file merged under "
                                          "your config.toml, with where each value comes from.")
    sub = p.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    show = sub.add_parser("show", help="print the merged settings and the source of each value",
                          description="Print the merged settings and, for each value, where it comes from "
                                      "(built-in default, system file, user file) and whether it is locked. "
                                      "Secrets are never shown: they live in the keyring.")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(func=cmd_show)
    p.set_defaults(func=lambda args: (p.print_help(), EXIT_OK)[1])
