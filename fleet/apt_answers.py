"""Each host's last `apt list --upgradable` answer, kept so that the next scan can spare the host that command (most of
a second of CPU on every host) when nothing it depends on has changed.

The posture script already stats everything the answer depends on (dpkg's status and journal, apt's lists, sources,
pinning and configuration). The next scan sends that stat output with the script; the host runs apt only when its
stat differs, and says so otherwise (`diagnostics.updates.snapshot.Reuse`). The parsers then read the kept answer
as if apt had just printed it, so the posture is the same; it is marked `from_cache`.

One JSON file per host (inventory name and user@host:port) in the cache folder, written atomically and private
(0600). An entry older than MAX_AGE_S (counted from the apt run that made it), damaged, unreadable or of another
format is ignored: the host is asked afresh. It holds package names and versions, never a secret. Deleting the
folder is always safe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from diagnostics.host import CommandResult
from diagnostics.updates.cache import write_private_json
from diagnostics.updates.snapshot import Reuse, Snapshot, reusable_key

FORMAT = 1
MAX_AGE_S = 12 * 3600


class AptAnswers:
    """`offer(target)` before a host's scan, `keep(target, snapshot)` after it. With `reuse=False` (scan --fresh)
    nothing is offered, so every host runs apt, and the fresh answers are still kept for the next scan."""

    def __init__(self, folder: Path | None, *, reuse: bool = True, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.reuse = reuse
        self.clock = clock

    def _file(self, target: str) -> Path | None:
        if self.folder is None:
            return None
        safe = re.sub(r"[^A-Za-z0-9_.@-]", "_", target)[:60]
        return self.folder / f"{safe}-{hashlib.sha256(target.encode()).hexdigest()[:12]}.json"

    def offer(self, target: str) -> Reuse | None:
        path = self._file(target)
        if path is None or not self.reuse:
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT or doc.get("target") != target:
                return None
            if not 0 <= self.clock() - float(doc["saved_at"]) <= MAX_AGE_S:
                return None
            results = {str(k): CommandResult(**v) for k, v in doc["results"].items()}
            return Reuse(stat_out=str(doc["stat_out"]), results=results)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, damaged or from another version: the host is asked afresh

    def keep(self, target: str, snap: Snapshot) -> None:
        """Keep the answers apt gave afresh in `snap` (not those it reused: their age counts from their own run)."""
        path = self._file(target)
        stat = snap.runs.get(snap.stat_key)
        if path is None or stat is None or not stat.ok:
            return
        fresh = {key: dataclasses.asdict(res) for key, res in snap.runs.items()
                 if key not in snap.reused and res.ok and not res.truncated and reusable_key(key)}
        if not fresh:
            return
        write_private_json(path, {"format": FORMAT, "target": target, "saved_at": self.clock(),
                                  "stat_out": stat.stdout, "results": fresh})
