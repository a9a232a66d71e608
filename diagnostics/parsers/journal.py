"""Linux log parsers: `journalctl -o json`, classic syslog files (/var/log/syslog, messages, kern.log), `dmesg -x`.

Pure functions over text; they never raise on odd input (a line they cannot read is skipped).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any

from common.text import CouldNotRead, clean_text

from .logevents import LogEvent, parse_iso

# --- systemd journal ---------------------------------------------------------------------------------------------

_GENERIC_UNITS = ("init.scope",)


def _field(entry: dict[str, Any], name: str) -> str:
    v = entry.get(name)
    if v is None:
        return ""
    if isinstance(v, list):  # journald emits non-UTF-8 fields as byte arrays (or a field repeated: list of str)
        if all(isinstance(x, int) for x in v):
            return bytes(x & 0xFF for x in v).decode("utf-8", errors="replace")
        return str(v[0]) if v else ""
    return str(v)


def journal_source(entry: dict[str, Any]) -> str:
    """What a journal entry is grouped by: its service unit, else the unit systemd talks about, else the program."""
    unit = _field(entry, "_SYSTEMD_UNIT")
    if unit.endswith(".service") and not unit.startswith("user@"):
        return unit
    about = _field(entry, "UNIT") or _field(entry, "USER_UNIT")
    if about:
        return about
    ident = _field(entry, "SYSLOG_IDENTIFIER") or _field(entry, "_COMM")
    if ident:
        return ident
    if _field(entry, "_TRANSPORT") == "kernel":
        return "kernel"
    if unit and unit not in _GENERIC_UNITS:
        return unit
    return "unknown"


def parse_journal_json(text: str) -> list[LogEvent]:
    """`journalctl -o json` output: one JSON object per line. Raises CouldNotRead when there are lines but not
    one is a journal entry."""
    text = clean_text(text)
    events: list[LogEvent] = []
    unknown: list[str] = []
    recognised = False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("-- "):  # "-- No entries --"
            continue
        try:
            entry = json.loads(line) if line.startswith("{") else None
        except (ValueError, RecursionError):
            entry = None  # a line cut off by the output cap
        if not isinstance(entry, dict):
            unknown.append(line)
            continue
        recognised = True
        t: dt.datetime | None = None
        ts = _field(entry, "__REALTIME_TIMESTAMP")
        if ts.isdigit() and len(ts) < 20:
            with contextlib.suppress(ValueError, OverflowError, OSError):
                t = dt.datetime.fromtimestamp(int(ts) / 1_000_000, dt.UTC)
        prio = _field(entry, "PRIORITY")
        pid = _field(entry, "_PID") or _field(entry, "SYSLOG_PID")
        events.append(LogEvent(
            time=t,
            source=journal_source(entry),
            message=_field(entry, "MESSAGE"),
            priority=int(prio) if prio.isdigit() and len(prio) < 3 else 6,
            pid=int(pid) if pid.isdigit() and len(pid) < 12 else None,
            kernel=_field(entry, "_TRANSPORT") == "kernel",
        ))
    if not recognised and unknown:
        raise CouldNotRead(f"journalctl printed {len(unknown)} line(s) that are not JSON entries, "
                           f"e.g. {unknown[0][:120]!r}")
    return events


def parse_short_iso_lines(text: str, limit: int = 5) -> list[str]:
    """The log lines of `journalctl -o short-iso`, without journalctl's own '-- ... --' notices."""
    text = clean_text(text)
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.startswith("-- ")]
    return lines[-limit:]


# --- syslog text files -------------------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+(?P<host>\S+)\s+(?P<rest>.*)$"
)
_BSD = re.compile(r"^(?P<ts>[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d)\s+(?P<host>\S+)\s+(?P<rest>.*)$")
_TAG = re.compile(r"^(?P<tag>[^\s:\[]+)(?:\[(?P<pid>\d+)\])?:\s?(?P<msg>.*)$")
_KTIME = re.compile(r"^\[\s*\d+\.\d+\]\s?")
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}

_NOT_ERROR = re.compile(r"\b(?:no|0|zero|without) (?:errors?|failures?)\b", re.I)
_LEVEL_WORDS: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(r"\b(?:emerg|emergency|kernel panic)\b", re.I)),
    (1, re.compile(r"\balert\b", re.I)),
    (2, re.compile(r"\b(?:crit|critical|fatal)\b", re.I)),
    (3, re.compile(r"\b(?:err|error|errors|failed|failure|out of memory)\b", re.I)),
]
_CANDIDATE = re.compile(
    r"emerg|panic|alert|crit|fatal|err|fail|out of memory|oom-kill|segfault", re.I
)


def text_priority(message: str) -> int | None:
    """A syslog priority guessed from the words of a plain-text log line (files carry no priority);
    None when the line does not look like a problem. Segfault lines are informational (as the kernel logs
    them); they are reported separately."""
    if "segfault at" in message:
        return 6
    if _NOT_ERROR.search(message):
        return None
    for prio, rx in _LEVEL_WORDS:
        if rx.search(message):
            return prio
    return None


def _bsd_time(stamp: str, now: dt.datetime) -> dt.datetime | None:
    parts = stamp.split()
    try:
        month = _MONTHS[parts[0]]
        day = int(parts[1])
        hh, mm, ss = (int(x) for x in parts[2].split(":"))
        local_now = now.astimezone()
        t = dt.datetime(local_now.year, month, day, hh, mm, ss).astimezone()
    except (KeyError, ValueError, IndexError):
        return None
    if t > local_now + dt.timedelta(days=1):  # a December line read in January
        t = t.replace(year=t.year - 1)
    return t


def parse_syslog_text(text: str, now: dt.datetime | None = None,
                      since: dt.datetime | None = None) -> list[LogEvent]:
    """Error-looking, OOM and segfault lines of a syslog-style file (RFC 3339 or classic 'Nov 24 18:00:01'
    time stamps). Lines older than `since` are dropped; classic stamps are read as local time of this year."""
    text = clean_text(text)
    now = now or dt.datetime.now(dt.UTC)
    _require_syslog(text)
    events: list[LogEvent] = []
    for line in text.splitlines():
        if not _CANDIDATE.search(line):
            continue
        m = _RFC3339.match(line)
        t: dt.datetime | None
        if m:
            t = parse_iso(m["ts"])
        else:
            m = _BSD.match(line)
            if not m:
                continue
            t = _bsd_time(m["ts"], now)
        if since is not None and t is not None and t < since:
            continue
        tm = _TAG.match(m["rest"])
        if tm:
            tag, pid, msg = tm["tag"], tm["pid"], tm["msg"]
        else:
            tag, pid, msg = "unknown", None, m["rest"]
        if tag == "kernel":
            msg = _KTIME.sub("", msg)
        prio = text_priority(msg)
        if prio is None:
            continue
        events.append(LogEvent(time=t, source=tag, message=msg, priority=prio,
                               pid=int(pid) if pid else None, kernel=tag == "kernel"))
    return events


def _require_syslog(text: str) -> None:
    """CouldNotRead unless some line has a syslog time stamp (the scan stops at the first one)."""
    first = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if _RFC3339.match(line) or _BSD.match(line):
            return
        first = first or line.strip()
    if first is not None:
        raise CouldNotRead(f"no line has a syslog time stamp (RFC 3339 or 'Nov 24 18:00:01'), e.g. {first[:120]!r}")


# --- dmesg -------------------------------------------------------------------------------------------------------

_DMESG_LEVELS = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warn": 4, "notice": 5, "info": 6, "debug": 7}
_DMESG_X = re.compile(r"^(?P<fac>[a-z]+)\s*:(?P<lvl>[a-z]+)\s*:\s?(?P<rest>.*)$")
_DMESG_ISO = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[,.]\d+(?:Z|[+-]\d\d:?\d\d))\s(?P<msg>.*)$")


def parse_dmesg(text: str, since: dt.datetime | None = None) -> list[LogEvent]:
    """`dmesg -x --time-format=iso` (or plain `dmesg -x` / `dmesg`) output: kernel events with priorities.
    Plain output has times relative to boot, which are kept as None."""
    text = clean_text(text)
    events: list[LogEvent] = []
    if text.strip() and not any(_DMESG_X.match(ln) or _DMESG_ISO.match(ln) or _KTIME.match(ln)
                                for ln in text.splitlines()):
        first = text.strip().splitlines()[0].strip()
        raise CouldNotRead(f"dmesg printed no kernel message line, but {first[:120]!r}")
    for line in text.splitlines():
        prio = 6
        rest = line
        xm = _DMESG_X.match(line)
        if xm and xm["lvl"] in _DMESG_LEVELS:
            prio = _DMESG_LEVELS[xm["lvl"]]
            rest = xm["rest"]
        t: dt.datetime | None = None
        im = _DMESG_ISO.match(rest)
        if im:
            t = parse_iso(im["ts"])
            rest = im["msg"]
        else:
            rest = _KTIME.sub("", rest)
        if since is not None and t is not None and t < since:
            continue
        if not rest.strip():
            continue
        if not xm:  # no level given: guess it from the words
            guessed = text_priority(rest)
            prio = guessed if guessed is not None else 6
        events.append(LogEvent(time=t, source="kernel", message=rest, priority=prio, kernel=True))
    return events
