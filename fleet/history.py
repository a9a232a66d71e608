"""Scan history in a local SQLite file: every scan's per-host results, when each pending update (and each required
reboot) was first seen, and when it went away, so that ages ("security updates within 14 days") and time to patch
can be measured, and a scan can be compared with the one before.

A damaged file is never overwritten: `HistoryError` says where it is and what to do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import statistics
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .evaluate import UNKNOWN, FleetTotals, HostResult, update_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    policy TEXT NOT NULL,
    engine TEXT NOT NULL,
    totals TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    host TEXT NOT NULL,
    status TEXT NOT NULL,
    score INTEGER,
    result TEXT NOT NULL,
    PRIMARY KEY (scan_id, host)
);
CREATE TABLE IF NOT EXISTS open_items (
    host TEXT NOT NULL,
    key TEXT NOT NULL,
    security INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    groups TEXT NOT NULL,
    PRIMARY KEY (host, key)
);
CREATE TABLE IF NOT EXISTS closed_items (
    host TEXT NOT NULL,
    key TEXT NOT NULL,
    security INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    fixed_at TEXT NOT NULL,
    groups TEXT NOT NULL
);
"""


class HistoryError(Exception):
    """The history file cannot be used; the message names it and says what to do."""


@dataclass
class Comparison:
    """This scan against the previous one, by (host, reason key)."""

    previous_scan: int | None
    newly_non_compliant: list[tuple[str, str]] = field(default_factory=list)
    fixed: list[tuple[str, str]] = field(default_factory=list)
    still_open: list[tuple[str, str]] = field(default_factory=list)


def _items(result: HostResult) -> dict[str, bool]:
    """The open items of a scanned host: each pending update (key -> is security) and a required reboot."""
    items: dict[str, bool] = {}
    data = result.updates or {}
    for u in data.get("pending", []):
        items[update_key(u.get("name", ""), u.get("candidate"))] = bool(u.get("security"))
    if (data.get("reboot") or {}).get("required") is True:
        items["reboot"] = False
    return items


class History:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Scan threads read first-seen dates while the scan runs: one connection, used under a lock.
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            ok = self._db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"the scan history {self.path} cannot be read ({exc}); it was left as it is: move it "
                               "aside (e.g. add .damaged to its name) and the next scan starts a new history") from None
        except OSError as exc:
            raise HistoryError(f"the scan history {self.path} cannot be opened: {exc.strerror or exc}") from None
        if not ok or ok[0] != "ok":
            self._db.close()
            raise HistoryError(f"the scan history {self.path} is damaged ({ok[0] if ok else 'no answer'}); it was "
                               "left as it is: move it aside and the next scan starts a new history")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- what rules need before scoring -------------------------------------------------------------------------
    def first_seen(self, host: str) -> dict[str, str]:
        with self._lock:
            rows = self._db.execute("SELECT key, first_seen FROM open_items WHERE host = ?", (host,)).fetchall()
        return {k: v for k, v in rows}

    # -- writing a scan -----------------------------------------------------------------------------------------
    def record(self, results: list[HostResult], totals: FleetTotals, *, started_at: str, policy: str,
               engine: str = "ssh", now: dt.datetime | None = None) -> int:
        """Store a finished (or cancelled, partial) scan; returns its id. Hosts that could not be scanned keep
        their open items as they were (an unreachable host has not been patched)."""
        stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        with self._tx() as db:
            cur = db.execute("INSERT INTO scans (started_at, finished_at, policy, engine, totals) VALUES (?,?,?,?,?)",
                             (started_at, stamp, policy, engine, json.dumps(totals.__dict__)))
            scan_id = int(cur.lastrowid or 0)
            for r in results:
                db.execute("INSERT INTO results (scan_id, host, status, score, result) VALUES (?,?,?,?,?)",
                           (scan_id, r.name, r.status, r.score, json.dumps(r.to_dict())))
                if r.status == UNKNOWN:
                    continue
                items = _items(r)
                groups = json.dumps(r.groups)
                known = {k: (sec, first) for k, sec, first in db.execute(
                    "SELECT key, security, first_seen FROM open_items WHERE host = ?", (r.name,))}
                for key, sec in items.items():
                    if key in known:
                        db.execute("UPDATE open_items SET last_seen = ?, groups = ? WHERE host = ? AND key = ?",
                                   (stamp, groups, r.name, key))
                    else:
                        db.execute("INSERT INTO open_items VALUES (?,?,?,?,?,?)",
                                   (r.name, key, int(sec), stamp, stamp, groups))
                for key, (sec, first) in known.items():
                    if key not in items:
                        db.execute("DELETE FROM open_items WHERE host = ? AND key = ?", (r.name, key))
                        db.execute("INSERT INTO closed_items VALUES (?,?,?,?,?,?)",
                                   (r.name, key, sec, first, stamp, groups))
        return scan_id

    # -- reading ------------------------------------------------------------------------------------------------
    def scans(self, limit: int = 50) -> list[tuple[int, str, dict[str, object]]]:
        rows = self._db.execute("SELECT id, finished_at, totals FROM scans ORDER BY id DESC LIMIT ?", (limit,))
        return [(i, when, json.loads(t)) for i, when, t in rows]

    def results(self, scan_id: int) -> dict[str, HostResult]:
        rows = self._db.execute("SELECT host, result FROM results WHERE scan_id = ?", (scan_id,))
        return {h: HostResult.from_dict(json.loads(r)) for h, r in rows}

    def previous_scan(self, scan_id: int) -> int | None:
        row = self._db.execute("SELECT MAX(id) FROM scans WHERE id < ?", (scan_id,)).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def compare(self, scan_id: int) -> Comparison:
        prev_id = self.previous_scan(scan_id)
        cur = self.results(scan_id)
        prev = self.results(prev_id) if prev_id is not None else {}
        out = Comparison(previous_scan=prev_id)
        for host, r in sorted(cur.items()):
            if r.status == UNKNOWN:
                continue
            now_keys = {x.key for x in r.reasons}
            before = prev.get(host)
            before_keys = {x.key for x in before.reasons} if before and before.status != UNKNOWN else set()
            out.newly_non_compliant += [(host, k) for k in sorted(now_keys - before_keys)]
            out.still_open += [(host, k) for k in sorted(now_keys & before_keys)]
            if before is not None and before.status != UNKNOWN:
                out.fixed += [(host, k) for k in sorted(before_keys - now_keys)]
        return out

    def time_to_patch(self, security_only: bool = True) -> dict[str, float]:
        """Median days from first seen to gone, per group ("(none)" for hosts without a group)."""
        rows = self._db.execute("SELECT first_seen, fixed_at, groups FROM closed_items WHERE key != 'reboot' "
                                "AND security >= ?", (1 if security_only else 0,))
        per: dict[str, list[float]] = {}
        for first, fixed, groups in rows:
            days = (dt.datetime.fromisoformat(fixed) - dt.datetime.fromisoformat(first)).total_seconds() / 86400
            for g in json.loads(groups) or ["(none)"]:
                per.setdefault(g, []).append(days)
        return {g: round(statistics.median(v), 2) for g, v in sorted(per.items())}
