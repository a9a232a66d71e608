"""The durable outbox: a SQLite file in the user data dir. Every ticket is written here first, then sent.

Long because: one state machine (the states below) and the SQLite rows that make each transition durable, kept
together so a transition and its write are read in one place.

States:
  held       no backend configured yet; the bundle was saved; waits until a backend exists (then `retry`)
  queued     written, not tried yet
  sending    an attempt is running (a stale `sending` after a crash is treated as "may have been sent")
  retry      a transient failure; tried again after a backoff (30 s doubling up to 1 h, no limit)
  uncertain  the backend may have created it, and it can neither be searched nor takes an idempotency key:
             check the backend, then `retry` (send anyway) or `discard`
  failed     the backend refused it (credentials, unknown queue...): fix the settings, then `retry`
  sent       created; remote id and URL recorded
  discarded  the user gave up on it (kept for the record)

A retry never creates a second ticket: with an idempotency key the backend deduplicates; otherwise, whenever an
earlier attempt may have reached the backend, the marker is looked up first and an existing ticket is adopted.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .cancel import Cancelled, CancelToken, Progress
from .connectors.base import Connector
from .errors import AuthError, ConfigError, RejectedError, TicketError, TransientError
from .model import Attachment, Ticket
from .outbox_repair import Repair, check, is_corruption, repair_if_damaged

STATES = ("held", "queued", "sending", "retry", "uncertain", "failed", "sent", "discarded")
OPEN_STATES = ("held", "queued", "sending", "retry", "uncertain", "failed")
EDITABLE_STATES = ("failed", "held", "queued", "retry")  # not sent, not being sent, not perhaps sent (uncertain)
BACKOFF_BASE = 30.0
BACKOFF_MAX = 3600.0
STALE_SENDING = 15 * 60.0  # a `sending` row older than this belongs to a process that died

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uid TEXT UNIQUE NOT NULL,
  summary TEXT NOT NULL,
  backend TEXT,
  ticket_json TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  maybe_sent INTEGER NOT NULL DEFAULT 0,
  next_attempt REAL,
  last_error TEXT NOT NULL DEFAULT '',
  remote_id TEXT NOT NULL DEFAULT '',
  remote_url TEXT NOT NULL DEFAULT '',
  bundle_path TEXT NOT NULL DEFAULT '',
  created REAL NOT NULL,
  updated REAL NOT NULL,
  claimed REAL,
  last_sent REAL,
  claimed_pid INTEGER
);
CREATE TABLE IF NOT EXISTS attachments (
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  seq INTEGER NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (ticket_id, seq)
);
CREATE TABLE IF NOT EXISTS events (
  ticket_id INTEGER NOT NULL,
  at REAL NOT NULL,
  state TEXT NOT NULL,
  message TEXT NOT NULL
);
"""


class OutboxError(TicketError):
    pass


@dataclass
class OutboxEntry:
    id: int
    uid: str
    summary: str
    backend: str | None
    state: str
    attempts: int
    maybe_sent: bool
    next_attempt: float | None
    last_error: str
    remote_id: str
    remote_url: str
    bundle_path: str
    created: float
    updated: float
    last_sent: float | None = None  # when a request last went out (the ticket may exist since then)

    @property
    def marker(self) -> str:
        return f"[deskside:{self.uid}]"

    def describe_state(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.state == "sent":
            return f"sent as #{self.remote_id} {self.remote_url}".strip()
        if self.state == "retry" and self.next_attempt:
            wait = max(0, int(self.next_attempt - now))
            return f"will retry in {wait}s (attempt {self.attempts + 1}): {self.last_error}"
        if self.state == "held":
            where = f" (bundle: {self.bundle_path})" if self.bundle_path else ""
            return f"waiting for a backend to be configured{where}"
        if self.last_error:
            return f"{self.state}: {self.last_error}"
        return self.state


def backoff(attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt: 30 s, 60 s, 2 min ... capped at 1 h, +-10% jitter."""
    base = min(BACKOFF_MAX, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return base * random.uniform(0.9, 1.1)


class Outbox:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 bundles_dir: Path | None = None) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self.readonly = False  # the file exists but may not be written: reading works, changes are refused
        self.repair: Repair | None = None  # set when a damaged file was found, moved aside and salvaged
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created 0600 before SQLite opens it: its -wal and -shm files then get the same mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            if self.path.is_file() and os.access(self.path, os.R_OK):
                self.readonly = True  # a read-only folder or file: `outbox list` still works
            else:
                raise OutboxError(f"the outbox {self.path} cannot be created ({exc.strerror or exc}); make its "
                                  "folder writable, or set DESKSIDE_DATA_DIR to a folder that is; nothing was "
                                  "sent") from exc
        if not self.readonly:
            try:
                self.repair = repair_if_damaged(self.path, bundles_dir, create=self._create)
            except (OSError, sqlite3.Error) as exc:
                raise OutboxError(f"the outbox {self.path} is damaged and could not be repaired "
                                  f"({write_problem(exc)}); it was left as it is") from exc
        elif (problem := check(self.path)) is not None:
            raise OutboxError(f"the outbox {self.path} is damaged ({problem}) and its folder is read-only, so it "
                              "cannot be repaired here; make the folder writable and run the command again")
        if self.readonly:
            return
        self._create(self.path)

    def _create(self, path: Path) -> None:
        """Make (or bring up to date) the tables of an outbox file."""
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            with self._conn(path) as db:
                db.executescript(_SCHEMA)
                cols = {r["name"] for r in db.execute("PRAGMA table_info(tickets)")}
                if "claimed_pid" not in cols:  # an outbox written by an earlier version
                    db.execute("ALTER TABLE tickets ADD COLUMN claimed_pid INTEGER")
        except (OSError, sqlite3.OperationalError) as exc:  # disk full, read-only, locked: the file itself is fine
            raise OutboxError(f"the outbox {path} cannot be written ({write_problem(exc)}). Free some space or fix "
                              "the permissions, then try again (the tickets in it are kept); nothing was sent"
                              ) from exc
        except sqlite3.DatabaseError as exc:
            raise OutboxError(f"the outbox {path} cannot be opened ({exc}); run the command again to have it "
                              "checked and repaired") from exc
        path.chmod(0o600)

    @contextmanager
    def _conn(self, path: Path | None = None) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, timeout=30, isolation_level=None)
        else:
            db = sqlite3.connect(path or self.path, timeout=30, isolation_level=None)
        try:
            if not self.readonly:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
            db.row_factory = sqlite3.Row
            yield db
        except sqlite3.DatabaseError as exc:
            if is_corruption(exc):
                raise OutboxError(f"the outbox {self.path} is damaged ({exc}); run the command again: Deskside then "
                                  "moves the damaged file aside and saves what can be read of it") from exc
            if isinstance(exc, sqlite3.OperationalError) and path is None:
                raise OutboxError(f"the outbox {self.path} cannot be written ({write_problem(exc)}); nothing was "
                                  "changed") from exc
            raise
        finally:
            db.close()

    def check_writable(self) -> None:
        if self.readonly:
            raise OutboxError(f"the outbox {self.path} is read-only (its folder or file may not be written): it can "
                              "be listed and shown, but nothing can be sent, retried or discarded until it is "
                              "writable")

    # ---- writing --------------------------------------------------------------------------------------------
    def add(self, ticket: Ticket, backend: str | None, bundle_path: str = "") -> OutboxEntry:
        """Store the ticket (with its attachments) durably before anything is sent."""
        self.check_writable()
        now = self._clock()
        state = "queued" if backend else "held"
        with self._lock, self._conn() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                cur = db.execute(
                    "INSERT INTO tickets (uid, summary, backend, ticket_json, state, next_attempt, bundle_path, "
                    "created, updated) VALUES (?,?,?,?,?,?,?,?,?)",
                    (ticket.uid, ticket.summary, backend, json.dumps(ticket.to_dict()), state, now, bundle_path,
                     now, now),
                )
                tid = int(cur.lastrowid or 0)
                for i, a in enumerate(ticket.attachments):
                    db.execute("INSERT INTO attachments VALUES (?,?,?,?,?)",
                               (tid, i, a.filename, a.content_type, sqlite3.Binary(a.data)))
                db.execute("INSERT INTO events VALUES (?,?,?,?)", (tid, now, state, "written to the outbox"))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite already rolled back on a full disk ("cannot rollback" otherwise)
                    db.execute("ROLLBACK")
                raise
        return self.get(tid)

    def _update(self, entry_id: int, message: str, **fields: object) -> None:
        self.check_writable()
        now = self._clock()
        fields["updated"] = now
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._lock, self._conn() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"UPDATE tickets SET {cols} WHERE id = ?", (*fields.values(), entry_id))  # noqa: S608
            if "state" in fields:
                db.execute("INSERT INTO events VALUES (?,?,?,?)", (entry_id, now, fields["state"], message))
            db.execute("COMMIT")

    # ---- interrupted attempts ---------------------------------------------------------------------------------
    def _stale(self, row: sqlite3.Row, now: float) -> bool:
        """A `sending` row whose attempt cannot still be running: its process is gone, or it is too old."""
        if row["state"] != "sending":
            return False
        return now - row["updated"] > STALE_SENDING or not _process_alive(row["claimed_pid"])

    def recover_interrupted(self) -> int:
        """Turn `sending` rows left by a process that died (killed, crashed, power cut) into `retry` rows that
        remember the ticket may have arrived, so the next try looks for it first. Returns how many."""
        now = self._clock()
        with self._conn() as db:
            rows = db.execute("SELECT id, state, updated, claimed_pid FROM tickets WHERE state = 'sending'").fetchall()
        stale = [r["id"] for r in rows if self._stale(r, now)]
        if not stale or self.readonly:
            return 0
        msg = ("interrupted: the program sending it stopped before the answer came; it may have arrived, so the "
               "next try looks for it first")
        with self._lock, self._conn() as db:
            db.execute("BEGIN IMMEDIATE")
            for tid in stale:
                cur = db.execute("UPDATE tickets SET state='retry', maybe_sent=1, next_attempt=?, last_error=?, "
                                 "updated=?, claimed_pid=NULL WHERE id=? AND state='sending'", (now, msg, now, tid))
                if cur.rowcount:
                    db.execute("INSERT INTO events VALUES (?,?,?,?)", (tid, now, "retry", msg))
            db.execute("COMMIT")
        return len(stale)

    # ---- reading --------------------------------------------------------------------------------------------
    def get(self, entry_id: int) -> OutboxEntry:
        self.recover_interrupted()
        with self._conn() as db:
            row = db.execute("SELECT * FROM tickets WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise OutboxError(f"there is no ticket {entry_id} in the outbox; `deskside ticket outbox list` shows them")
        return _entry(row)

    def entries(self, include_closed: bool = True) -> list[OutboxEntry]:
        self.recover_interrupted()
        q = "SELECT * FROM tickets"
        if not include_closed:
            q += " WHERE state IN (" + ",".join("?" * len(OPEN_STATES)) + ")"
        q += " ORDER BY id"
        with self._conn() as db:
            rows = db.execute(q, () if include_closed else OPEN_STATES).fetchall()
        return [_entry(r) for r in rows]

    def history(self, entry_id: int) -> list[tuple[float, str, str]]:
        with self._conn() as db:
            rows = db.execute("SELECT at, state, message FROM events WHERE ticket_id = ? ORDER BY rowid",
                              (entry_id,)).fetchall()
        return [(r["at"], r["state"], r["message"]) for r in rows]

    def ticket(self, entry_id: int) -> Ticket:
        with self._conn() as db:
            row = db.execute("SELECT ticket_json FROM tickets WHERE id = ?", (entry_id,)).fetchone()
            atts = db.execute("SELECT filename, content_type, data FROM attachments WHERE ticket_id = ? ORDER BY seq",
                              (entry_id,)).fetchall()
        if row is None:
            raise OutboxError(f"there is no ticket {entry_id} in the outbox")
        return Ticket.from_dict(json.loads(row["ticket_json"]),
                                [Attachment(a["filename"], a["content_type"], bytes(a["data"])) for a in atts])

    def due(self) -> list[OutboxEntry]:
        """Entries to try now: queued, and retry whose time has come (a `sending` row left behind by a dead
        process has become a retry: see recover_interrupted)."""
        now = self._clock()
        return [e for e in self.entries(include_closed=False)
                if e.state in ("queued", "retry") and (e.next_attempt or 0) <= now]

    # ---- user actions ---------------------------------------------------------------------------------------
    def discard(self, entry_id: int) -> OutboxEntry:
        e = self.get(entry_id)
        if e.state == "sent":
            raise OutboxError(f"ticket {entry_id} was already sent (#{e.remote_id}); there is nothing to discard")
        if e.state == "sending":
            raise OutboxError(f"ticket {entry_id} is being sent right now; wait for the attempt to finish")
        self._update(entry_id, "discarded by the user", state="discarded")
        return self.get(entry_id)

    def mark_failed(self, entry_id: int, message: str) -> OutboxEntry:
        """Record a problem found before sending (bad config, no secret): the user fixes it, then retries."""
        self._update(entry_id, message, state="failed", last_error=message)
        return self.get(entry_id)

    def replace_ticket(self, entry_id: int, ticket: Ticket, message: str) -> OutboxEntry:
        """The user edited a ticket that was not sent (a refused summary, a typo): its text is replaced, the
        attachments and the uid (the marker a retry searches for) stay. A failed ticket becomes queued again."""
        e = self.get(entry_id)
        if e.state not in EDITABLE_STATES:
            raise OutboxError(f"ticket {entry_id} is {e.state}; only a ticket that is not sent or being sent can be "
                              f"edited ({', '.join(EDITABLE_STATES)})")
        state = "queued" if e.state == "failed" else e.state
        self._update(entry_id, message, ticket_json=json.dumps(ticket.to_dict()), summary=ticket.summary,
                     state=state, last_error="", next_attempt=self._clock())
        return self.get(entry_id)

    def set_backend(self, entry_id: int, backend: str) -> None:
        self._update(entry_id, f"backend set to {backend}", backend=backend)

    # ---- sending --------------------------------------------------------------------------------------------
    def _claim(self, entry_id: int, force: bool) -> OutboxEntry | None:
        self.check_writable()
        now = self._clock()
        allowed = ["queued", "retry"] + (["failed", "uncertain", "held"] if force else [])
        with self._lock, self._conn() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT * FROM tickets WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                db.execute("ROLLBACK")
                raise OutboxError(f"there is no ticket {entry_id} in the outbox")
            stale = self._stale(row, now)
            if row["state"] not in allowed and not stale:
                db.execute("ROLLBACK")
                return None
            # A stale `sending` row: the process died mid-send, so the ticket may exist.
            maybe = 1 if stale else row["maybe_sent"]
            db.execute("UPDATE tickets SET state='sending', claimed=?, updated=?, maybe_sent=?, claimed_pid=? "
                       "WHERE id=?", (now, now, maybe, os.getpid(), entry_id))
            db.execute("COMMIT")
        return _entry(row)

    def attempt(
        self,
        entry_id: int,
        connector: Connector,
        *,
        force: bool = False,
        timeout: float = 30.0,
        cancel: CancelToken | None = None,
        progress: Progress | None = None,
    ) -> OutboxEntry:
        """Try to send one ticket. `force` (the user's retry) also sends failed/uncertain/held tickets.

        Returns the entry in its new state; never raises for backend errors (they are recorded in the entry).
        """
        before = self._claim(entry_id, force)
        if before is None:
            return self.get(entry_id)
        prev_state = before.state
        maybe_sent = before.maybe_sent or prev_state == "sending"
        ticket = self.ticket(entry_id)
        backend = connector.name
        reached_backend = False
        try:
            if maybe_sent and connector.searchable:
                found = connector.find_existing(ticket, timeout=timeout)
                if found is not None:
                    self._update(entry_id, f"found already created as #{found.id} (marker search)", state="sent",
                                 remote_id=found.id, remote_url=found.url, last_error="", backend=backend)
                    return self.get(entry_id)
                settle = (before.last_sent or before.updated) + connector.search_lag
                if connector.search_lag and self._clock() < settle and not connector.idempotent:
                    msg = (f"{connector.title}'s search may not show a ticket created moments ago; "
                           "looking again shortly before sending")
                    self._update(entry_id, msg, state="retry", last_error=msg, next_attempt=settle)
                    return self.get(entry_id)
            elif maybe_sent and not connector.idempotent and not (force and prev_state == "uncertain"):
                msg = (f"{connector.title} may already have this ticket (an earlier attempt was cut off) and it "
                       f"cannot be searched for our marker {ticket.marker}: check the backend, then "
                       f"`deskside ticket outbox retry {entry_id}` to send it anyway, or `discard {entry_id}`")
                self._update(entry_id, msg, state="uncertain", last_error=msg, backend=backend)
                return self.get(entry_id)
            # From here on the request may reach the backend: record that durably first.
            self._update(entry_id, "sending", maybe_sent=1, backend=backend, last_sent=self._clock())
            reached_backend = True
            result = connector.submit(ticket, timeout=timeout, cancel=cancel, progress=progress)
        except (Cancelled, KeyboardInterrupt):
            self._update(entry_id, "cancelled by the user", state="retry" if before.attempts else "queued",
                         maybe_sent=int(maybe_sent or reached_backend), next_attempt=self._clock() + BACKOFF_BASE,
                         last_error="cancelled by the user")
            raise
        except TransientError as exc:
            n = before.attempts + 1
            sent = maybe_sent or exc.maybe_sent
            if sent and not connector.searchable and not connector.idempotent:
                state, wait = "uncertain", 0.0
                msg = (f"{exc}. The ticket may have been created and {connector.title} cannot be searched for our "
                       f"marker: check the backend, then `deskside ticket outbox retry {entry_id}` or "
                       f"`discard {entry_id}`")
            else:
                state = "retry"
                wait = exc.retry_after if exc.retry_after is not None else backoff(n)
                msg = str(exc)
            self._update(entry_id, msg, state=state, attempts=n, maybe_sent=int(sent), last_error=msg,
                         next_attempt=self._clock() + wait)
            return self.get(entry_id)
        except (AuthError, RejectedError, ConfigError) as exc:
            self._update(entry_id, str(exc), state="failed", attempts=before.attempts + 1,
                         maybe_sent=int(maybe_sent), last_error=str(exc))
            return self.get(entry_id)
        except Exception as exc:
            # A bug or an unexpected answer: keep the ticket, assume it may have been sent, retry later.
            msg = f"unexpected error: {type(exc).__name__}: {exc}"
            n = before.attempts + 1
            self._update(entry_id, msg, state="retry", attempts=n, maybe_sent=1, last_error=msg,
                         next_attempt=self._clock() + backoff(n))
            return self.get(entry_id)
        self._update(entry_id, f"created as #{result.id}", state="sent", attempts=before.attempts + 1,
                     remote_id=result.id, remote_url=result.url, last_error=result.warning)
        return self.get(entry_id)


def write_problem(exc: BaseException) -> str:
    """Why a write failed, in the user's words (not SQLite's "cannot rollback - no transaction is active")."""
    import errno

    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or "disk is full" in text or "full" in text:
        return "the disk is full, or a size limit was reached"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text:
        return "the folder or the file is read-only"
    if "locked" in text or "busy" in text:
        return "another Deskside is using it; try again in a moment"
    if "disk i/o" in text or code == errno.EIO:
        return "the write failed: disk full, a file size limit, or a failing disk"
    return getattr(exc, "strerror", None) or "it could not be written"


def _process_alive(pid: int | None) -> bool:
    """Whether the process that claimed a row still runs (on this machine). Unknown (no pid recorded, or a
    platform where signal 0 is not a harmless probe) counts as alive: then only the age rule applies."""
    if pid is None or pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would terminate it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"], uid=row["uid"], summary=row["summary"], backend=row["backend"], state=row["state"],
        attempts=row["attempts"], maybe_sent=bool(row["maybe_sent"]), next_attempt=row["next_attempt"],
        last_error=row["last_error"], remote_id=row["remote_id"], remote_url=row["remote_url"],
        bundle_path=row["bundle_path"], created=row["created"], updated=row["updated"],
        last_sent=row["last_sent"],
    )
