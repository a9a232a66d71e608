"""Crash report parsers: apport `.crash` headers, `coredumpctl list` (JSON and text), systemd-coredump file names."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from common.text import CouldNotRead, clean_text

from .logevents import iso

SIGNALS = {4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV", 24: "SIGXCPU",
           25: "SIGXFSZ", 31: "SIGSYS", 3: "SIGQUIT"}


def signal_name(value: Any) -> str:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        n = int(value)
        return SIGNALS.get(n, f"signal {n}")
    return str(value or "")


def parse_apport_header(text: str) -> dict[str, str]:
    """The single-line `Key: value` fields of an apport report (multi-line values such as CoreDump are skipped).
    Apport writes `Key: value` at line start; continuation lines start with a space."""
    text = clean_text(text)
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line[0].isspace():
            continue
        key, sep, value = line.partition(": ")
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", key):
            fields[key] = value.strip()
        elif line.endswith(":") and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*:", line):
            fields[line[:-1]] = ""  # a multi-line value (base64 CoreDump, ProcMaps ...) follows
    return fields


def apport_time(date: str) -> dt.datetime | None:
    """Apport's `Date:` is ctime() in the machine's local time, e.g. 'Tue Nov 24 17:02:03 2026'."""
    try:
        return dt.datetime.strptime(" ".join(date.split()), "%a %b %d %H:%M:%S %Y").astimezone()
    except ValueError:
        return None


def apport_executable_from_name(filename: str) -> str:
    """'_usr_bin_nautilus.1000.crash' -> '/usr/bin/nautilus' (a guess when the report itself is unreadable)."""
    base = filename.rsplit("/", 1)[-1]
    base = re.sub(r"(\.\d+)?\.crash$", "", base)
    return base.replace("_", "/") if base.startswith("_") else base


def apport_report(path: str, text: str | None, mtime: dt.datetime | None) -> dict[str, Any]:
    """One crash record from an apport file (header text may be None when unreadable)."""
    fields = parse_apport_header(text) if text else {}
    t = apport_time(fields.get("Date", "")) or mtime
    sig = fields.get("Signal", "")
    return {
        "time": iso(t),
        "executable": fields.get("ExecutablePath") or apport_executable_from_name(path),
        "problem_type": fields.get("ProblemType", ""),
        "signal": signal_name(sig) if sig else "",
        "package": fields.get("Package", ""),
        "source": "apport",
        "path": path,
        "readable": text is not None,
    }


def _usec_time(value: Any) -> dt.datetime | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return dt.datetime.fromtimestamp(n / 1_000_000, dt.UTC)


def parse_coredumpctl_json(text: str) -> list[dict[str, Any]] | None:
    """`coredumpctl list --json=short`; None when the text is not that JSON."""
    text = clean_text(text)
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, list):
        return None
    out = []
    for row in data:
        if not isinstance(row, dict) or not row.get("exe"):
            continue
        t = _usec_time(row.get("time"))
        out.append({
            "time": iso(t), "executable": str(row["exe"]), "pid": row.get("pid"),
            "signal": signal_name(row.get("sig")), "corefile": str(row.get("corefile", "")),
            "source": "coredump",
        })
    return out


_CD_LINE = re.compile(
    r"^\s*(?:\w{3}\s+)?(?P<date>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\s+(?P<tz>[A-Z]{2,5}|[+-]\d{2,4}))?\s+"
    r"(?P<pid>\d+)\s+(?P<uid>\d+)\s+(?P<gid>\d+)\s+(?P<sig>\S+)\s+(?:(?P<core>present|missing|none|error|"
    r"truncated|inaccessible|journal|-)\s+)?(?P<exe>\S+)"
)


def parse_coredumpctl_text(text: str) -> list[dict[str, Any]]:
    """`coredumpctl list --no-legend` text (TIME PID UID GID SIG COREFILE EXE SIZE; old versions lack COREFILE
    and print the signal number). Times are taken as UTC when the zone is UTC/GMT, else as local time."""
    text = clean_text(text)
    out = []
    unknown: list[str] = []
    for line in text.splitlines():
        m = _CD_LINE.match(line)
        if not m:
            if line.strip() and "no coredumps found" not in line.lower() and not line.startswith("TIME "):
                unknown.append(line.strip())
            continue
        try:
            t = dt.datetime.strptime(m["date"], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        tz = m["tz"] or ""
        aware = t.replace(tzinfo=dt.UTC) if tz in ("UTC", "GMT") else t.astimezone()
        out.append({
            "time": iso(aware), "executable": m["exe"], "pid": int(m["pid"]),
            "signal": signal_name(m["sig"]), "corefile": m["core"] or "", "source": "coredump",
        })
    if not out and unknown:
        raise CouldNotRead(f"coredumpctl printed {len(unknown)} line(s) that are not crash lines, "
                           f"e.g. {unknown[0][:120]!r}")
    return out


_CORE_FILE = re.compile(
    r"^core\.(?P<comm>.+)\.(?P<uid>\d+)\.(?P<boot>[0-9a-f]{32})\.(?P<pid>\d+)\.(?P<usec>\d+)(?:\.\w+)?$"
)


def parse_coredump_filename(name: str) -> dict[str, Any] | None:
    """'core.bash.1000.<boot id>.1234.1700000000000000.zst' -> a crash record; None for other files."""
    base = name.rsplit("/", 1)[-1]
    m = _CORE_FILE.match(base)
    if not m:
        return None
    comm = re.sub(r"\\x([0-9a-fA-F]{2})", lambda x: chr(int(x[1], 16)), m["comm"])
    return {
        "time": iso(_usec_time(m["usec"])), "executable": comm, "pid": int(m["pid"]), "signal": "",
        "corefile": "present", "source": "coredump-file", "path": name,
    }
