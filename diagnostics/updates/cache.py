"""Deskside's own cache of the package managers' answers, keyed on everything those answers depend on.

`apt list --upgradable` takes most of a second; when nothing it depends on has changed (dpkg status, the package
lists, apt's binary caches, sources and pinning, os-release, the running kernel...) the previous answer is
reused. The key is a hash of those files' mtimes and sizes, so reading the cache costs a few stat calls and one
small JSON file. Entries also expire after MAX_AGE_S as a safety net.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from .common import SourceResult, Stat

FORMAT = 1
MAX_AGE_S = 12 * 3600


def make_key(parts: dict[str, Any], stats: dict[str, Stat]) -> str:
    """The key is the canonical JSON of what the answer depends on (compared whole: a few KB, no hashing)."""
    doc = {"format": FORMAT, "parts": parts, "stats": sorted((k, v[0], v[1]) for k, v in stats.items())}
    return json.dumps(doc, sort_keys=True, default=str, separators=(",", ":"))


def cache_file(cache_dir: Path, host_name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", host_name)[:80] or "host"
    return cache_dir / f"updates-{safe}.json"


def load(cache_dir: Path | None, host_name: str, key: str, now: float | None = None) -> list[SourceResult] | None:
    if cache_dir is None:
        return None
    try:
        doc = json.loads(cache_file(cache_dir, host_name).read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT or doc.get("key") != key:
            return None
        if (now or time.time()) - float(doc.get("saved_at", 0)) > MAX_AGE_S:
            return None
        return [SourceResult.from_dict(r) for r in doc["results"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, corrupt or from another version: collect afresh


def save(cache_dir: Path | None, host_name: str, key: str, results: list[SourceResult]) -> None:
    """Write atomically (a parallel run never reads half a file); a cache that cannot be written is ignored."""
    if cache_dir is None:
        return
    doc = {"format": FORMAT, "key": key, "saved_at": time.time(), "results": [r.to_dict() for r in results]}
    write_private_json(cache_file(cache_dir, host_name), doc)


def write_private_json(target: Path, doc: Any) -> None:
    """Write `doc` as JSON to `target` (0600) through a new file beside it, then rename it into place: a parallel run
    never reads half a file. A cache that cannot be written only costs time, so a failure is ignored."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
