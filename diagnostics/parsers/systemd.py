"""Parsers for `systemctl` output: failed units (JSON and plain text) and `systemctl show` property blocks."""

from __future__ import annotations

import json

from common.text import CouldNotRead, clean_text

from ..sections.services import FailedUnit, RestartLoop

_NOT_BOOTED_MARKERS = (
    "System has not been booted with systemd",
    "Failed to connect to bus",
    "Host is down",
    "Running in chroot, ignoring",
)


def systemd_not_running(output: str) -> bool:
    """True when systemctl says there is no systemd (PID 1 is something else, or no bus to talk to)."""
    return any(m in output for m in _NOT_BOOTED_MARKERS)


def _unit(name: str, load: str, active: str, sub: str, description: str) -> FailedUnit:
    return {"unit": name, "load": load, "active": active, "sub": sub, "description": description}


def parse_failed_units_json(text: str) -> list[FailedUnit] | None:
    """`systemctl list-units --failed --output=json`; None when the text is not that JSON (older systemd)."""
    try:
        data = json.loads(clean_text(text))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, list):
        return None
    out: list[FailedUnit] = []
    for row in data:
        if not isinstance(row, dict) or not row.get("unit"):
            continue
        out.append(_unit(str(row["unit"]), str(row.get("load", "")), str(row.get("active", "")),
                         str(row.get("sub", "")), str(row.get("description", ""))))
    return out


def parse_failed_units_text(text: str) -> list[FailedUnit]:
    """`systemctl list-units --failed --no-legend --plain` (also tolerates the bullet and legend of the
    default format)."""
    out: list[FailedUnit] = []
    unknown: list[str] = []
    for raw in clean_text(text).splitlines():
        line = raw.strip()
        if not line or line.startswith(("UNIT ", "LOAD ", "ACTIVE ", "SUB ")) or "loaded units listed" in line:
            continue
        if line.startswith(("●", "*", "\u25cf")):
            line = line[1:].strip()
        parts = line.split(None, 4)
        if len(parts) < 4 or "." not in parts[0]:
            if not line.lower().startswith(("legend:", "to show all", "pass --all", "0 loaded units", "lines ")):
                unknown.append(line)
            continue
        out.append(_unit(parts[0], parts[1], parts[2], parts[3], parts[4] if len(parts) > 4 else ""))
    if not out and unknown:
        raise CouldNotRead(f"`systemctl --failed` printed {len(unknown)} line(s) that are not units, "
                           f"e.g. {unknown[0][:120]!r}")
    return out


def parse_show(text: str) -> list[dict[str, str]]:
    """`systemctl show -p A,B unit...`: KEY=VALUE blocks separated by blank lines."""
    blocks: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    for line in clean_text(text).splitlines():
        if not line.strip():
            if cur:
                blocks.append(cur)
                cur = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            cur[key.strip()] = value.strip()
    if cur:
        blocks.append(cur)
    return blocks


def restart_loops(blocks: list[dict[str, str]], threshold: int = 3) -> list[RestartLoop]:
    """Services that systemd restarted at least `threshold` times, or that are waiting to be restarted now."""
    out: list[RestartLoop] = []
    for b in blocks:
        unit = b.get("Id", "")
        if not unit:
            continue
        try:
            n = int(b.get("NRestarts", "0") or 0)
        except ValueError:
            n = 0
        sub = b.get("SubState", "")
        if n >= threshold or sub == "auto-restart":
            out.append({"unit": unit, "restarts": n, "active": b.get("ActiveState", ""), "sub": sub,
                        "result": b.get("Result", "")})
    return sorted(out, key=lambda r: (-r["restarts"], r["unit"]))
