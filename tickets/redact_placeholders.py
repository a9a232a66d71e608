"""Placeholders: which placeholder stands for which value (`PlaceholderMap`), and what this machine keeps of them
(`PlaceholderStore`).

The same value always gets the same placeholder (``<host-1>``, ``<secret-2>``...), within a ticket and, through the
store, from one ticket to the next. The store keeps no value, only a keyed hash of it (HMAC-SHA256 with a random
per-install key in its own file): enough to give a value its placeholder again, useless to read a password back.
A store written by an older version (placeholder -> plain value) is converted on first load, and the secrets are
dropped from the per-ticket maps. Tickets made at the same time agree on the numbers: `PlaceholderStore.commit`
runs under a file lock and renumbers a ticket whose new placeholders another ticket took meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from .redact_patterns import KINDS

_NUMBERED = re.compile(r"<([a-z0-9]+)-(\d+)>")
FORMAT = 2  # placeholders.json: {"format": 2, "placeholders": {placeholder: keyed hash}}

Digest = Callable[[str, str], str]


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


def kind_of(placeholder: str) -> str | None:
    m = _NUMBERED.fullmatch(placeholder)
    return m.group(1) if m is not None and m.group(1) in KINDS else None


class PlaceholderMap:
    """placeholder <-> value for one ticket, numbering on from the placeholders given out earlier."""

    def __init__(self, earlier: Mapping[str, str] | None = None, digest: Digest | None = None) -> None:
        """`earlier`: placeholder -> value from this machine's earlier tickets, so that a value keeps its
        placeholder from one ticket to the next; with `digest` (see `PlaceholderStore.digest`), placeholder ->
        keyed hash of the value instead. Entries that are not placeholders of a known kind are ignored."""
        self._placeholders: dict[tuple[str, str], str] = {}  # (kind, normalized) -> placeholder
        self._values: dict[str, str] = {}  # placeholder -> original value (this ticket's only; in memory)
        self._counters: dict[str, int] = {}
        self._used: set[str] = set()  # placeholders given out for this ticket (the rest came from `earlier`)
        self._digest = digest
        self._hashed: dict[str, str] = {}  # keyed hash -> placeholder (from `earlier`, with `digest`)
        for ph, value in (earlier or {}).items():
            m = _NUMBERED.fullmatch(ph)
            if m is None or m.group(1) not in KINDS or not isinstance(value, str):
                continue
            kind, n = m.group(1), int(m.group(2))
            self._counters[kind] = max(self._counters.get(kind, 0), n)
            if digest is not None:
                self._hashed.setdefault(value, ph)
                continue
            key = (kind, normalize(kind, value))
            if key in self._placeholders:
                continue
            self._placeholders[key] = ph
            self._values[ph] = value

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder of `value` (a new one the first time), marked as used by this ticket."""
        key = (kind, normalize(kind, value))
        ph = self._placeholders.get(key)
        if ph is None and self._digest is not None:
            ph = self._hashed.get(self._digest(kind, value))
            if ph is not None:
                self._placeholders[key] = ph
                self._values[ph] = value
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
    """What this machine keeps in `<data dir>/redaction-maps/`: `placeholders.json` (every placeholder given out
    here, with a keyed hash of its value, never the value) and `<ticket uid>.json` (one ticket's mapping without its
    secrets, to read a technician's answer back). The hash key is `<data dir>/redaction-key` (random, 0600)."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "redaction-maps"
        self.key_file = data_dir / "redaction-key"
        self._key: bytes | None = None

    @property
    def _all_file(self) -> Path:
        return self.directory / "placeholders.json"

    # ---- the key and the hash -----------------------------------------------------------------------------
    def _load_key(self) -> bytes:
        """The per-install key; made once, atomically (written aside, then linked into place: a process starting
        at the same moment reads the whole key or makes its own attempt fail, never an empty file)."""
        if self._key is None:
            self.key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.key_file.exists():
                tmp = self.key_file.with_name(f".{self.key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
                try:
                    os.link(tmp, self.key_file)  # fails if another process linked its key first: use that one
                except FileExistsError:
                    pass
                finally:
                    tmp.unlink()
            self._key = bytes.fromhex(self.key_file.read_text(encoding="ascii").strip())
        return self._key

    def digest(self, kind: str, value: str) -> str:
        """The keyed hash that stands for `value` in the store (the same for every spelling of one value)."""
        msg = f"{kind}\0{normalize(kind, value)}".encode()
        return hmac.new(self._load_key(), msg, hashlib.sha256).hexdigest()[:32]

    # ---- reading --------------------------------------------------------------------------------------------
    def earlier(self) -> dict[str, str]:
        """placeholder -> keyed hash of the placeholders given out in this machine's earlier tickets (pass with
        `digest=self.digest` to `PlaceholderMap`/`Redactor`). A missing or unreadable file starts afresh; a file of
        an older version (plain values) is converted first."""
        try:
            with self._locked():
                return self._read()
        except OSError:  # a read-only data folder: no lock file can be made; read as it is (nothing is written)
            return self._read()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self._all_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        if data.get("format") == FORMAT and isinstance(data.get("placeholders"), dict):
            return {str(k): str(v) for k, v in data["placeholders"].items()}
        return self._migrate(data)

    def _migrate(self, plain: Mapping[str, object]) -> dict[str, str]:
        """An older store kept the values themselves: keep their hashes, drop the values (also the secrets in
        the per-ticket maps)."""
        hashed = {str(ph): self.digest(kind, str(v)) for ph, v in plain.items()
                  if (kind := kind_of(str(ph))) is not None and isinstance(v, str)}
        self._write_all(hashed)
        for f in self.directory.glob("*.json"):
            if f == self._all_file:
                continue
            try:
                one = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(one, dict) and any(kind_of(str(k)) == "secret" for k in one):
                self._write_private(f, {str(k): str(v) for k, v in one.items() if kind_of(str(k)) != "secret"})
        return hashed

    # ---- writing --------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time, across threads and processes (flock on a lock file of its own)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def commit(self, mapping: Mapping[str, str]) -> dict[str, str]:
        """Record a ticket's placeholders (placeholder -> value, in memory) under the lock. Returns the renames
        {old: new} the ticket needs when another ticket took one of its numbers for another value meanwhile, or
        already has this value under another number (empty in the usual case)."""
        with self._locked():
            known = self._read()
            by_hash = {(kind_of(ph), h): ph for ph, h in known.items()}
            top: dict[str, int] = {}
            for ph in [*known, *mapping]:
                m = _NUMBERED.fullmatch(ph)
                if m is not None:
                    top[m.group(1)] = max(top.get(m.group(1), 0), int(m.group(2)))
            renames: dict[str, str] = {}
            for ph, value in mapping.items():
                kind = kind_of(ph)
                if kind is None:
                    continue
                h = self.digest(kind, value)
                same = by_hash.get((kind, h))
                if same is not None:
                    if same != ph:
                        renames[ph] = same
                    continue
                if ph in known:  # taken by another value meanwhile: the next free number
                    top[kind] += 1
                    new = f"<{kind}-{top[kind]}>"
                    renames[ph] = new
                    ph = new
                known[ph] = h
                by_hash[(kind, h)] = ph
            self._write_all(known)
            return renames

    def remember(self, mapping: Mapping[str, str]) -> None:
        """Add a ticket's placeholders to the machine-wide list (see `commit`)."""
        self.commit(mapping)

    def save_ticket(self, uid: str, mapping: Mapping[str, str]) -> Path:
        """Keep one ticket's mapping (placeholder -> value) next to the others, without its secrets: a technician
        never needs a password read back, and a secret is never copied into a file of ours."""
        path = self.directory / f"{uid}.json"
        self._write_private(path, {ph: v for ph, v in mapping.items() if kind_of(ph) != "secret"})
        return path

    def _write_all(self, hashed: Mapping[str, str]) -> None:
        self._write_private(self._all_file, {"format": FORMAT, "placeholders": dict(hashed)})

    @staticmethod
    def _write_private(path: Path, data: Mapping[str, object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(dict(data), fh, indent=1)
        tmp.replace(path)


def renumber(text: str, renames: Mapping[str, str]) -> str:
    """`text` with placeholders renamed at once (<ipv4-1> -> <ipv4-2> and <ipv4-2> -> <ipv4-1> swap), also in
    their HTML-escaped (&lt;ipv4-1&gt;) and file-name (ipv4-1) forms."""
    if not renames:
        return text
    bare = {k[1:-1]: v[1:-1] for k, v in renames.items()}
    rx = re.compile(r"(?<![a-z0-9-])(" + "|".join(re.escape(b) for b in sorted(bare, key=len, reverse=True))
                    + r")(?![0-9])")
    return rx.sub(lambda m: bare[m.group(1)], text)
