"""Windows Event Log parsers, for errors and criticals of the System and Application logs.

Two inputs are understood:

* `Get-WinEvent -FilterHashtable @{LogName='System','Application'; Level=1,2} | ConvertTo-Json` — Windows
  PowerShell 5.1 writes `TimeCreated` as "/Date(<ms since epoch>)/", PowerShell 7 as an ISO 8601 string; a
  single event comes out as an object instead of an array;
* `wevtutil qe System /f:text` — `Event[n]:` blocks of `  Key: value` lines, with the message after
  `Description:` on the following lines.

Both give `LogEvent`s grouped by provider (the event source), and `summarize()`s structure via `summarize_*`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from common.text import CouldNotRead, clean_text

from ..sections.logs import LogSummary
from .logevents import LogEvent, parse_iso, summarize

# Event levels: 1 Critical, 2 Error, 3 Warning, 4 Information (0 LogAlways is informational too).
_LEVEL_PRIORITY = {1: 2, 2: 3, 3: 4, 4: 6, 0: 6, 5: 7}
_LEVEL_NAMES = {"critical": 2, "error": 3, "warning": 4, "information": 6, "verbose": 7,
                # a few localised names, since LevelDisplayName follows the display language
                "kritisch": 2, "fehler": 3, "critique": 2, "erreur": 3, "crítico": 2}
_MSDATE = re.compile(r"/Date\((?P<ms>-?\d+)(?P<tz>[+-]\d{4})?\)/")


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dict):  # ETS-decorated DateTime: {"value": "/Date(..)/", "DateTime": "..."}
        value = value.get("value") or value.get("DateTime")
    if not isinstance(value, str):
        return None
    m = _MSDATE.search(value)
    if m:  # milliseconds since the epoch, UTC; the optional offset only says which zone it was shown in
        try:
            return dt.datetime.fromtimestamp(int(m["ms"]) / 1000, dt.UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return parse_iso(value)


def _priority(level: Any, name: Any) -> int:
    if isinstance(level, int) and level in _LEVEL_PRIORITY:
        return _LEVEL_PRIORITY[level]
    if isinstance(name, str) and name.strip().lower() in _LEVEL_NAMES:
        return _LEVEL_NAMES[name.strip().lower()]
    return 3  # the query asked for levels 1 and 2 only


def _message(msg: Any, event_id: Any) -> str:
    if isinstance(msg, str) and msg.strip():
        return msg.strip()
    # The provider's message file is missing: Windows shows only the id.
    return f"Event {event_id} (no description available)"


def parse_get_winevent_json(text: str) -> list[LogEvent]:
    """`Get-WinEvent ... | ConvertTo-Json` output (an array, or one object for a single event)."""
    text = clean_text(text).lstrip("\ufeff").strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CouldNotRead(f"not Get-WinEvent JSON: {exc}") from None
    rows = data if isinstance(data, list) else [data]
    events: list[LogEvent] = []
    for row in rows:
        if not isinstance(row, dict):
            raise CouldNotRead(f"not Get-WinEvent JSON: an event is a {type(row).__name__}, not an object")
        provider = row.get("ProviderName") or row.get("Source") or row.get("LogName") or "unknown"
        events.append(LogEvent(
            time=_time(row.get("TimeCreated")),
            source=str(provider),
            message=_message(row.get("Message"), row.get("Id")),
            priority=_priority(row.get("Level"), row.get("LevelDisplayName")),
            pid=row.get("ProcessId") if isinstance(row.get("ProcessId"), int) else None,
        ))
    return events


# "Event[0]:" on most Windows versions, "Event[0]" without the colon on Windows Server 2022.
_EVENT_START = re.compile(r"^\s*Event\[\d+\]:?\s*$")
_KV = re.compile(r"^\s{2}(?P<key>[A-Za-z][A-Za-z ]*?):\s?(?P<value>.*)$")


def parse_wevtutil_text(text: str) -> list[LogEvent]:
    """`wevtutil qe <log> /f:text` output. Raises CouldNotRead when there is text but no `Event[n]` block."""
    events: list[LogEvent] = []
    block: dict[str, str] | None = None
    desc: list[str] = []
    in_desc = False

    def flush() -> None:
        if block is None:
            return
        eid = block.get("Event ID", "")
        description = "\n".join(desc).strip()
        events.append(LogEvent(
            time=parse_iso(block.get("Date", "")),
            source=block.get("Source") or block.get("Log Name") or "unknown",
            message=_message(description, eid),
            priority=_priority(None, block.get("Level")),
        ))

    text = clean_text(text).lstrip("\ufeff")
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if _EVENT_START.match(line):
            flush()
            block, desc, in_desc = {}, [], False
            continue
        if block is None:
            continue
        if in_desc:
            desc.append(line)
            continue
        kv = _KV.match(line)
        if kv:
            key, value = kv["key"].strip(), kv["value"].strip()
            if key == "Description":
                in_desc = True
                if value:
                    desc.append(value)
            else:
                block[key] = value
    flush()
    if not events and text.strip():
        first = text.strip().splitlines()[0].strip()
        raise CouldNotRead(f"wevtutil printed no `Event[n]` block, but {first[:120]!r}")
    return events


def summarize_get_winevent_json(text: str) -> LogSummary:
    return summarize(parse_get_winevent_json(text))


def summarize_wevtutil_text(text: str) -> LogSummary:
    return summarize(parse_wevtutil_text(text))
