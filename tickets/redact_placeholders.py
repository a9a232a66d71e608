"""Placeholders: which placeholder stands for which value (`PlaceholderMap`), and where those mappings are kept on
this machine (`PlaceholderStore`).

The same value always gets the same placeholder (``<host-1>``, ``<secret-2>``...), within a ticket and, through the
store, from one ticket to the next. The mapping placeholder -> value never leaves the machine: it is written only to
private files (mode 0600 in a 0700 folder) in the data dir.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from .redact_patterns import KINDS

_NUMBERED = re.compile(r"<([a-z0-9]+)-(\d+)>")


def normalize(kind: str, value: str) -> str:
    """The form two occurrences of one value share (host names and e-mail addresses ignore case; secrets don't; a
    MAC address is one value whether written 3c:22:fb:..., 3C-22-FB-... or 3c22.fb9a.107e)."""
    if kind in ("secret", "serial"):
        return value
    low = value.lower()
    if kind == "mac":
        digits = re.sub(r"[^0-9a-f]", "", low)
        if len(digits) == 12:
            return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
    return low


class PlaceholderMap:
    """placeholder <-> value for one ticket, numbering on from the placeholders given out earlier."""

    def __init__(self, earlier: Mapping[str, str] | None = None) -> None:
        """`earlier`: placeholder -> value from this machine's earlier tickets, so that a value keeps its
        placeholder from one ticket to the next. Entries that are not placeholders of a known kind are ignored."""
        self._placeholders: dict[tuple[str, str], str] = {}  # (kind, normalized) -> placeholder
        self._values: dict[str, str] = {}  # placeholder -> original value
        self._counters: dict[str, int] = {}
        self._used: set[str] = set()  # placeholders given out for this ticket (the rest came from `earlier`)
        for ph, value in (earlier or {}).items():
            m = _NUMBERED.fullmatch(ph)
            if m is None or m.group(1) not in KINDS or not isinstance(value, str):
                continue
            kind, n = m.group(1), int(m.group(2))
            key = (kind, normalize(kind, value))
            if key in self._placeholders:
                continue
            self._placeholders[key] = ph
            self._values[ph] = value
            self._counters[kind] = max(self._counters.get(kind, 0), n)

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder of `value` (a new one the first time), marked as used by this ticket."""
        key = (kind, normalize(kind, value))
        ph = self._placeholders.get(key)
        if ph is None:
            n = self._counters.get(kind, 0) + 1
            self._counters[kind] = n
            ph = f"<{kind}-{n}>"
            self._placeholders[key] = ph
            self._values[ph] = value
        self._used.add(ph)
        return ph

    def value(self, placeholder: str) -> str:
        """The value first seen for `placeholder`."""
        return self._values[placeholder]

    def used(self) -> dict[str, str]:
        """placeholder -> original value of the placeholders this ticket used."""
        return {ph: v for ph, v in self._values.items() if ph in self._used}


class PlaceholderStore:
    """The mappings kept in `<data dir>/redaction-maps/`: `placeholders.json` (every placeholder given out on this
    machine) and `<ticket uid>.json` (one ticket's mapping, to read a technician's answer back)."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "redaction-maps"

    @property
    def _all_file(self) -> Path:
        return self.directory / "placeholders.json"

    def earlier(self) -> dict[str, str]:
        """placeholder -> value given out in this machine's earlier tickets (the same value keeps its placeholder
        across tickets). A missing or unreadable file just starts the numbering afresh."""
        try:
            data = json.loads(self._all_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def remember(self, mapping: Mapping[str, str]) -> None:
        """Add a ticket's placeholders to the machine-wide list."""
        known = self.earlier()
        taken = set(known)
        for ph, value in mapping.items():
            if ph not in taken:  # a placeholder another process gave out meanwhile keeps its first value
                known[ph] = value
        self._write_private(self._all_file, known)

    def save_ticket(self, uid: str, mapping: Mapping[str, str]) -> Path:
        """Keep one ticket's mapping (placeholder -> value) next to the others."""
        path = self.directory / f"{uid}.json"
        self._write_private(path, mapping)
        return path

    @staticmethod
    def _write_private(path: Path, data: Mapping[str, str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(dict(data), fh, indent=1)
        tmp.replace(path)
