"""macOS unified log parsers, for errors and faults.

Two inputs are understood:

* `log show --style ndjson --predicate 'messageType == error or messageType == fault' --last 24h` — one JSON
  object per line with `timestamp` ("2026-11-24 17:02:03.123456+0100"), `messageType` ("Error"/"Fault"),
  `processImagePath`, `subsystem`, `eventMessage`; `log` ends with a `{"count":..,"finished":1}` line;
* `log show --style syslog` — "2026-11-24 17:02:03.123456+0100  host process[pid]: (library) [subsystem:category]
  message" after a "Filtering the log data ..." line and a header line.

Events are grouped by process name (the last part of `processImagePath`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from common.text import CouldNotRead, clean_text

from ..sections.logs import LogSummary
from .logevents import LogEvent, parse_iso, summarize

_TYPE_PRIORITY = {"fault": 2, "error": 3, "default": 5, "info": 6, "debug": 7}


def _process(path: Any) -> str:
    if not isinstance(path, str) or not path:
        return "unknown"
    return path.rstrip("/").rsplit("/", 1)[-1] or path


def parse_ndjson(text: str) -> list[LogEvent]:
    text = clean_text(text)
    events: list[LogEvent] = []
    unknown: list[str] = []
    recognised = False
    for line in text.splitlines():
        line = line.strip()
        if not line or _CHATTER.match(line):
            continue
        if not line.startswith("{"):
            unknown.append(line)
            continue  # a line cut off by the output cap
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            unknown.append(line)
            continue
        if not isinstance(row, dict):
            unknown.append(line)
            continue
        recognised = True
        if "eventMessage" not in row:
            continue  # the closing {"count": N, "finished": 1}
        mtype = str(row.get("messageType") or "").lower()
        pid = row.get("processID")
        events.append(LogEvent(
            time=parse_iso(str(row.get("timestamp") or "")),
            source=_process(row.get("processImagePath")),
            message=str(row.get("eventMessage") or ""),
            priority=_TYPE_PRIORITY.get(mtype, 3),
            pid=pid if isinstance(pid, int) else None,
            kernel=_process(row.get("processImagePath")) == "kernel",
        ))
    if not recognised and unknown:
        raise CouldNotRead(f"log show printed {len(unknown)} line(s) that are not JSON, e.g. {unknown[0][:120]!r}")
    return events


# What `log show` prints around the events.
_CHATTER = re.compile(r"^(Filtering the log data|Skipping|Timestamp\s|Log\s+-\s+Default|-{3,}|={3,})",
                      re.IGNORECASE)


_SYSLOG_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4})\s+(?P<host>\S+)\s+"
    r"(?P<proc>.+?)\[(?P<pid>\d+)\]:\s?(?:<(?P<type>[A-Za-z]+)>:?\s*)?(?P<msg>.*)$"
)
_PREFIXES = re.compile(r"^(?:\([^)]*\)\s+)?(?:\[[^\]\s]+\]\s+)?")


def parse_syslog_style(text: str) -> list[LogEvent]:
    text = clean_text(text)
    events: list[LogEvent] = []
    unknown: list[str] = []
    cur: LogEvent | None = None
    for line in text.splitlines():
        m = _SYSLOG_LINE.match(line)
        if not m:
            # continuation of a multi-line message (but not the header lines before the first event)
            if cur is not None and line.strip():
                cur.message += "\n" + line.rstrip()
            elif line.strip() and not _CHATTER.match(line.strip()):
                unknown.append(line.strip())
            continue
        proc = m["proc"]
        cur = LogEvent(
            time=parse_iso(m["ts"]),
            source=_process(proc),
            message=_PREFIXES.sub("", m["msg"], count=1),
            priority=_TYPE_PRIORITY.get((m["type"] or "error").lower(), 3),
            pid=int(m["pid"]),
            kernel=proc == "kernel",
        )
        events.append(cur)
    if not events and unknown:
        raise CouldNotRead(f"log show printed {len(unknown)} line(s) that are not log lines, "
                           f"e.g. {unknown[0][:120]!r}")
    return events


def summarize_ndjson(text: str) -> LogSummary:
    return summarize(parse_ndjson(text))


def summarize_syslog_style(text: str) -> LogSummary:
    return summarize(parse_syslog_style(text))
