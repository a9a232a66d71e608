"""A damaged outbox file: found, moved aside, and what can be read of it carried into a new one.

A damaged data page or a damaged header (a bad disk sector, a copy cut short, another program writing into it) must
not block every command nor lose the held tickets. `repair_if_damaged()` runs before the outbox is used:

1. `PRAGMA quick_check` on the file, read-only. A healthy file is left alone (that is the cost on every open: a
   read of a small file).
2. A damaged one is renamed `outbox.sqlite3.damaged-<time>` (with its -wal/-shm files), never deleted.
3. Rows are read back from it one by one, stepping over the damaged pages. A damaged header (the first 100 bytes)
   is rebuilt on a copy, so the rest of the file becomes readable again.
4. Tickets whose rows are lost but whose support bundle is in `bundles/` are made again from the bundle (the
   bundle's ticket.txt holds the redacted subject, description and classification), as "uncertain": they may have
   been sent already, and a retry looks for them by their marker first.
5. The new outbox gets every salvaged row with its id, state and history. The caller shows `Repair.message()`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import struct
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bundle import BUNDLE_CONTENT_TYPE
from .model import LEVEL_NAMES_3, LEVEL_NAMES_5

_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_MAGIC = b"SQLite format 3\x00"
_MAX_MISSES = 2000  # rowids probed past a damaged page before giving up on a table


@dataclass
class Repair:
    """What was found and done; `message()` is what the user reads."""

    path: Path
    damaged_copy: Path
    problem: str
    salvaged: list[int] = field(default_factory=list)  # ticket ids read back from the damaged file
    from_bundles: list[int] = field(default_factory=list)  # ticket ids made again from bundles on disk
    lost_attachments: int = 0

    def message(self, see: str = "`deskside ticket outbox list --all` shows what the outbox holds now.") -> str:
        """What happened and what was saved; `see` says where to look at the outbox now (the GUI names its tab)."""
        got = len(self.salvaged) + len(self.from_bundles)
        parts = [f"The outbox {self.path} was damaged ({self.problem}). It was moved aside to {self.damaged_copy} "
                 f"and a new outbox was made."]
        if got:
            parts.append(f"{got} ticket(s) were saved into it: {len(self.salvaged)} read back from the damaged file"
                         + (f", {len(self.from_bundles)} made again from their support bundles "
                            "(marked uncertain: check the backend, then retry or discard them)"
                            if self.from_bundles else "") + ".")
        else:
            parts.append("No ticket could be read back from it.")
        if self.lost_attachments:
            parts.append(f"{self.lost_attachments} attachment(s) could not be read back.")
        parts.append(see)
        return " ".join(parts)


def is_corruption(exc: BaseException) -> bool:
    """SQLite says the file is damaged or is not a database (as opposed to locked, read-only, full...)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _open_ro(path: Path) -> sqlite3.Connection:
    # immutable=1: no -shm is needed, so a read-only folder works too; only used on a file nobody writes now.
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, isolation_level=None)
    con.row_factory = sqlite3.Row
    return con


def check(path: Path) -> str | None:
    """None when the outbox file is healthy (or absent/empty); else what is wrong, in SQLite's words."""
    try:
        if path.stat().st_size == 0:
            return None
    except OSError:
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            rows = [r[0] for r in con.execute("PRAGMA quick_check(5)").fetchall()]
    except sqlite3.DatabaseError as exc:
        return str(exc) if is_corruption(exc) else None  # locked, read-only, no -shm: not damage
    return None if rows == ["ok"] else "; ".join(str(r) for r in rows)[:300]


def _rebuild_header(src: Path, dst: Path) -> bool:
    """Copy `src` to `dst` with a plausible SQLite header in place of a damaged one. True if `dst` then opens."""
    size = src.stat().st_size
    data = bytearray(src.read_bytes())
    for page_size in (4096, 1024, 2048, 8192, 16384, 32768, 65536):
        if size < page_size or size % page_size:
            continue
        header = bytearray(100)
        header[0:16] = _MAGIC
        header[16:18] = struct.pack(">H", 1 if page_size == 65536 else page_size)
        header[18:20] = b"\x01\x01"  # rollback journal: a WAL mode would need a -wal file we may not have
        header[20:24] = bytes([0, 64, 32, 32])
        header[24:28] = struct.pack(">I", 1)
        header[28:32] = struct.pack(">I", size // page_size)
        header[40:44] = struct.pack(">I", 1)  # schema cookie
        header[44:48] = struct.pack(">I", 4)  # schema format
        header[56:60] = struct.pack(">I", 1)  # UTF-8
        header[92:96] = struct.pack(">I", 1)
        header[96:100] = struct.pack(">I", sqlite3.sqlite_version_info[0] * 1000000
                                     + sqlite3.sqlite_version_info[1] * 1000 + sqlite3.sqlite_version_info[2])
        data[0:100] = header
        dst.write_bytes(bytes(data))
        try:
            with contextlib.closing(_open_ro(dst)) as con:
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
                con.execute("SELECT 1 FROM tickets LIMIT 1").fetchall()
            return True
        except sqlite3.DatabaseError:
            continue
    return False


def _rows(con: sqlite3.Connection, table: str) -> Iterator[dict[str, Any]]:
    """Every readable row of `table`, stepping over damaged pages."""
    last = 0
    misses = 0
    while misses < _MAX_MISSES:
        try:
            for row in con.execute(f"SELECT rowid AS _rowid_, * FROM {table} WHERE rowid > ? ORDER BY rowid",  # noqa: S608
                                   (last,)):
                last = int(row["_rowid_"])
                misses = 0
                yield dict(row)
            return
        except sqlite3.DatabaseError:
            last += 1
            misses += 1
            with contextlib.suppress(sqlite3.DatabaseError):
                row = con.execute(f"SELECT rowid AS _rowid_, * FROM {table} WHERE rowid = ?",  # noqa: S608
                                  (last,)).fetchone()
                if row is not None:
                    misses = 0
                    yield dict(row)


def _salvage(path: Path, work: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Tickets, attachments and events that can be read from the damaged file."""
    readable = path
    try:
        with contextlib.closing(_open_ro(path)) as con:
            con.execute("SELECT 1 FROM tickets LIMIT 1").fetchall()
    except sqlite3.DatabaseError:
        fixed = work / "header-rebuilt.sqlite3"
        if not _rebuild_header(path, fixed):
            return [], [], []
        readable = fixed
    out: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] = ([], [], [])
    with contextlib.closing(_open_ro(readable)) as con:
        for i, table in enumerate(("tickets", "attachments", "events")):
            with contextlib.suppress(sqlite3.DatabaseError):
                out[i].extend(_rows(con, table))
    tickets = [t for t in out[0] if _plausible_ticket(t)]
    return tickets, out[1], out[2]


def _plausible_ticket(row: dict[str, Any]) -> bool:
    return all(isinstance(row.get(k), str) for k in ("uid", "summary", "ticket_json", "state")) and \
        isinstance(row.get("id"), int)


_MARKER = re.compile(r"\[deskside:(?P<uid>[0-9a-fA-F-]{8,64})\]")
_LEVEL = re.compile(r"^(?P<key>Impact|Urgency): .*\((?P<n>\d+)/(?P<scale>\d+)\)$", re.MULTILINE)  # older bundles
_LEVEL_NAME = re.compile(r"^(?P<key>Impact|Urgency): (?P<name>[a-z]+) — ", re.MULTILINE)  # "low — affects only..."
_TYPE = re.compile(r"^Incident type: (?P<t>.+)$", re.MULTILINE)


def ticket_from_bundle(bundle: Path) -> dict[str, Any] | None:
    """The ticket (as Ticket.to_dict() would give) a saved support bundle was made for, from its ticket.txt."""
    try:
        with zipfile.ZipFile(bundle) as zf:
            text = zf.read("ticket.txt").decode("utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return None
    subject, _, body = text.partition("\n\n")
    m = _MARKER.search(subject)
    if m is None:
        return None
    summary = subject.replace(m.group(0), "").strip() or "(recovered ticket)"
    head, sep, _fields = body.partition("Incident type:")
    d: dict[str, Any] = {"summary": summary[:250], "uid": m["uid"],
                         "description": head.strip() if sep else body.strip()}
    t = _TYPE.search(body)
    if t:
        d["incident_type"] = t["t"].strip()
    for lv in _LEVEL.finditer(body):
        d[lv["key"].lower()] = int(lv["n"])
        d["scale"] = int(lv["scale"])
    for named in _LEVEL_NAME.finditer(body):
        for scale, names in ((3, LEVEL_NAMES_3), (5, LEVEL_NAMES_5)):
            level = next((n for n, name in names.items() if name == named["name"]), None)
            if level is not None:
                d[named["key"].lower()] = level
                d["scale"] = scale
                break
    return d


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """One repair at a time (two commands started together must not both move the file)."""
    lock_path = directory / ".outbox-repair.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # Windows: the rename below fails for a second process instead
            pass
        yield
    finally:
        os.close(fd)


def repair_if_damaged(path: Path, bundles_dir: Path | None = None,
                      create: Any = None) -> Repair | None:
    """Check the outbox file; if damaged, move it aside and salvage it into a new outbox made by
    `create(path)` (a callable that makes an empty outbox with the current schema and returns nothing).
    Returns what was done, or None for a healthy file."""
    problem = check(path)
    if problem is None:
        return None
    with _lock(path.parent):
        problem = check(path)  # another process may have repaired it while we waited
        if problem is None:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        damaged = path.with_name(f"{path.name}.damaged-{stamp}")
        n = 1
        while damaged.exists():
            damaged = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
            n += 1
        os.replace(path, damaged)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, damaged.with_name(damaged.name + suffix))
        repair = Repair(path, damaged, problem)
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".outbox-salvage-") as work:
            # Salvage from a copy: reading must not change the evidence.
            copy = Path(work) / "copy.sqlite3"
            shutil.copyfile(damaged, copy)
            tickets, attachments, events = _salvage(copy, Path(work))
        if create is not None:
            create(path)
        _write_salvage(path, tickets, attachments, events, repair)
        if bundles_dir is not None:
            _from_bundles(path, bundles_dir, {str(t.get("bundle_path") or "") for t in tickets},
                          {str(t["uid"]) for t in tickets}, repair)
        with _done_lock:
            _done.append(repair)
        return repair


_done: list[Repair] = []  # every repair made by this process (whoever opened the outbox: tray, page, agent)
_done_lock = threading.Lock()


def repairs_done() -> list[Repair]:
    """The repairs this process made, oldest first: the app shows them whichever part opened the outbox first."""
    with _done_lock:
        return list(_done)


def _write_salvage(path: Path, tickets: list[dict[str, Any]], attachments: list[dict[str, Any]],
                   events: list[dict[str, Any]], repair: Repair) -> None:
    ids = {int(t["id"]) for t in tickets}
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        cols = [r[1] for r in db.execute("PRAGMA table_info(tickets)")]
        db.execute("BEGIN IMMEDIATE")
        for t in tickets:
            keep = {k: t.get(k) for k in cols if k in t}
            db.execute(f"INSERT OR IGNORE INTO tickets ({','.join(keep)}) VALUES ({','.join('?' * len(keep))})",  # noqa: S608
                       tuple(keep.values()))
            repair.salvaged.append(int(t["id"]))
        got = set()
        for a in attachments:
            if a.get("ticket_id") in ids and isinstance(a.get("data"), bytes | bytearray):
                db.execute("INSERT OR IGNORE INTO attachments VALUES (?,?,?,?,?)",
                           (a["ticket_id"], a.get("seq", 0), str(a.get("filename", "")),
                            str(a.get("content_type", "")), a["data"]))
                got.add((a["ticket_id"], a.get("seq")))
        for e in events:
            if e.get("ticket_id") in ids:
                db.execute("INSERT INTO events VALUES (?,?,?,?)",
                           (e["ticket_id"], e.get("at") or 0.0, str(e.get("state", "")), str(e.get("message", ""))))
        now = time.time()
        for tid in ids:
            db.execute("INSERT INTO events VALUES (?,?,?,?)",
                       (tid, now, "repaired", f"read back from the damaged outbox {repair.damaged_copy.name}"))
        db.execute("COMMIT")
    # Attachments a ticket's JSON does not list cannot be counted; count the bundles whose row is gone instead.
    for t in tickets:
        bp = str(t.get("bundle_path") or "")
        if bp and not any(k[0] == t["id"] for k in got) and not Path(bp).exists():
            repair.lost_attachments += 1


def _from_bundles(path: Path, bundles_dir: Path, known_paths: set[str], known_uids: set[str],
                  repair: Repair) -> None:
    import json

    try:
        bundles = sorted(bundles_dir.glob("*.zip"))
    except OSError:
        return
    now = time.time()
    msg = ("made again from its support bundle after the outbox was damaged: it may have been sent already; "
           "check the backend, then retry (a retry looks for it first where the backend can be searched) or discard")
    for b in bundles:
        if str(b) in known_paths:
            continue
        d = ticket_from_bundle(b)
        if d is None or d["uid"] in known_uids:
            continue
        try:
            data = b.read_bytes()
        except OSError:
            continue
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(
                "INSERT OR IGNORE INTO tickets (uid, summary, backend, ticket_json, state, maybe_sent, last_error, "
                "bundle_path, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (d["uid"], d["summary"], None, json.dumps(d), "uncertain", 1, msg, str(b), now, now))
            if cur.rowcount:
                tid = int(cur.lastrowid or 0)
                db.execute("INSERT INTO attachments VALUES (?,?,?,?,?)",
                           (tid, 0, b.name, BUNDLE_CONTENT_TYPE, sqlite3.Binary(data)))
                db.execute("INSERT INTO events VALUES (?,?,?,?)", (tid, now, "uncertain", msg))
                repair.from_bundles.append(tid)
                known_uids.add(d["uid"])
            db.execute("COMMIT")
