"""The common shape of log errors on every platform, and how they are summarised.

Every log parser (systemd journal, /var/log files, dmesg, Windows Event Log, macOS unified log) turns its input
into `LogEvent`s; `summarize()` turns those into the one structure the `logs` section holds, so the health rules
work the same on Linux, Windows and macOS:

    {
      "errors_total": int,               # error/critical events counted
      "groups": [                        # one per unit / program / provider, most errors first
        {"unit": str, "count": int, "first": iso|None, "last": iso|None,
         "sample": str, "worst_priority": int, "level": "critical"|"error"}
      ],
      "groups_omitted": int,             # groups beyond max_groups (their events are still in errors_total)
      "oom_kills": [{"time", "process", "pid", "message"}],
      "segfaults": [{"time", "process", "pid", "library", "message"}],
    }

Priorities follow syslog: 0 emerg, 1 alert, 2 crit, 3 err, 4 warning ... 7 debug.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from ..sections.logs import LogGroup, LogSummary, OomKill, Segfault

ERROR_MAX_PRIORITY = 3  # 0..3 are errors and worse
SAMPLE_CHARS = 300

_OOM_KILLED = re.compile(
    r"(?:Out of memory|Memory cgroup out of memory)(?: \([^)]*\))?: Kill(?:ed)? process (?P<pid>\d+) "
    r"\((?P<proc>[^)]*)\)"
)
_OOM_SUMMARY = re.compile(r"oom-kill:.*?\btask=(?P<proc>[^,]*),pid=(?P<pid>\d+)")
_SEGFAULT = re.compile(
    r"(?P<proc>[^\s\[\]]+)\[(?P<pid>\d+)\]: segfault at (?P<addr>[0-9a-fA-Fx]+)"
    r"(?:.*? in (?P<lib>[^\s\[]+)\[)?"
)


@dataclass
class LogEvent:
    time: dt.datetime | None  # timezone-aware; None when the source has no usable time
    source: str  # what the event is grouped by: systemd unit, program name, Windows provider, macOS process
    message: str
    priority: int = 3
    pid: int | None = None
    kernel: bool = False


def iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.astimezone()
    return t.astimezone(dt.UTC).isoformat(timespec="seconds")


def level_name(priority: int) -> str:
    return "critical" if priority <= 2 else "error" if priority == 3 else "warning" if priority == 4 else "info"


def _short(text: str, n: int = SAMPLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def kernel_oom_kill(message: str) -> tuple[str, int] | None:
    """(process, pid) when the message reports a kernel OOM kill, else None."""
    m = _OOM_KILLED.search(message)
    if m:
        return m["proc"], int(m["pid"])
    return None


def summarize(events: Iterable[LogEvent], *, max_groups: int = 50, max_items: int = 50) -> LogSummary:
    """Group error events by source and pick out OOM kills and segfaults (from events of any priority)."""
    groups: dict[str, dict[str, Any]] = {}
    ooms: dict[tuple[str, int], dict[str, Any]] = {}
    oom_summaries: dict[tuple[str, int], dict[str, Any]] = {}
    segfaults: list[dict[str, Any]] = []
    seen: set[tuple[str | None, str]] = set()
    total = 0
    for ev in events:
        if ev.time is not None:  # the same line from two queries (errors and kernel) counts once
            key = (ev.time.isoformat(), ev.message)
            if key in seen:
                continue
            seen.add(key)
        msg = ev.message
        if "egfault at" in msg:
            sm = _SEGFAULT.search(msg)
            if sm:
                segfaults.append({
                    "time": iso(ev.time), "process": sm["proc"], "pid": int(sm["pid"]),
                    "library": sm["lib"], "message": _short(msg),
                })
        if "emory" in msg or "oom-kill" in msg:
            om = kernel_oom_kill(msg)
            if om:
                ooms.setdefault((om[0], om[1]), {
                    "time": iso(ev.time), "process": om[0], "pid": om[1], "message": _short(msg)})
            else:
                sm2 = _OOM_SUMMARY.search(msg)
                if sm2:
                    oom_summaries.setdefault((sm2["proc"], int(sm2["pid"])), {
                        "time": iso(ev.time), "process": sm2["proc"], "pid": int(sm2["pid"]),
                        "message": _short(msg)})
        if ev.priority > ERROR_MAX_PRIORITY:
            continue
        total += 1
        name = ev.source or "unknown"
        g = groups.get(name)
        if g is None:
            g = groups[name] = {"unit": name, "count": 0, "first": None, "last": None, "sample": _short(msg),
                                "worst_priority": ev.priority, "_first": None, "_last": None}
        g["count"] += 1
        if ev.priority < g["worst_priority"]:
            g["worst_priority"] = ev.priority
        if ev.time is not None:
            if g["_first"] is None or ev.time < g["_first"]:
                g["_first"] = ev.time
            if g["_last"] is None or ev.time >= g["_last"]:
                g["_last"] = ev.time
                g["sample"] = _short(msg)  # the latest message is the most useful sample
    # A kill reported only by its oom-kill summary line (no "Killed process" line kept) still counts.
    for k, v in oom_summaries.items():
        ooms.setdefault(k, v)
    ordered = sorted(groups.values(), key=lambda g: (-g["count"], g["worst_priority"], g["unit"]))
    out_groups = []
    for g in ordered[:max_groups]:
        g["first"], g["last"] = iso(g.pop("_first")), iso(g.pop("_last"))
        g["level"] = level_name(g["worst_priority"])
        out_groups.append(g)
    oom_list = sorted(ooms.values(), key=lambda o: o["time"] or "", reverse=True)
    seg_list = sorted(segfaults, key=lambda o: o["time"] or "", reverse=True)
    # built as plain dicts above (a group carries working keys until the end); their shapes are the entries of
    # diagnostics.sections.logs, which the rules check before they read them
    return {
        "errors_total": total,
        "groups": cast(list[LogGroup], out_groups),
        "groups_omitted": max(0, len(ordered) - max_groups),
        "oom_kills": cast(list[OomKill], oom_list[:max_items]),
        "segfaults": cast(list[Segfault], seg_list[:max_items]),
    }


def parse_iso(text: str) -> dt.datetime | None:
    """ISO 8601 in the spellings logs use: 'T' or ' ', ',' or '.' before fractions, up to 9 fraction digits,
    'Z', '+0100' or '+01:00'. Naive times are taken as local time. None when it is not a time."""
    s = text.strip()
    if not s:
        return None
    s = s.replace(",", ".", 1) if re.match(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d,", s) else s
    m = re.match(
        r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?$", s
    )
    if not m:
        return None
    date, clock, frac, tz = m.groups()
    frac = (frac or "0")[:6].ljust(6, "0")
    tzs = ""
    if tz:
        tzs = "+00:00" if tz == "Z" else (tz if ":" in tz else tz[:3] + ":" + tz[3:])
    try:
        t = dt.datetime.fromisoformat(f"{date}T{clock}.{frac}{tzs}")
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.astimezone()
