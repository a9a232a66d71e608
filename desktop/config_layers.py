"""The organisation's config under the user's: the merged settings every part of Deskside reads, where each value
comes from, and the keys the organisation locked. Qt-free (the Settings page and `deskside config show` use it).

Layers, lowest first: the built-in defaults (each part's own), the system file (`paths.system_config_file()`:
/etc/deskside/config.toml, %PROGRAMDATA%\\Deskside\\config.toml, /Library/Application Support/Deskside/config.toml;
DESKSIDE_SYSTEM_CONFIG overrides), then the user's config.toml. The merge rules (docs/configuration.md):

* tables merge key by key at every depth (`[backends.NAME]` from both files; one name in both: key by key);
* any other value, a list included, from the user file replaces the system file's, except the redaction lists
  (`[tickets.redaction]` users, hosts, keywords, domains): those are the union, so a user adds words and never
  removes the organisation's;
* `[locks] keys = [...]` in the system file names dotted keys or whole tables; a user value at or under one is
  ignored, with a warning naming the key and the system file.

The system file is only read. A problem in it is a warning, never a stop: an unreadable or non-TOML file is left out,
a wrong value leaves out its top-level table, and the user keeps working. The user file's problems stay errors
(settings.ConfigError), as before.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import config_schema, paths, settings

Source = Literal["default", "system", "user"]
Key = tuple[str, ...]

# Lists that are the union of both files instead of the user's replacing the organisation's.
UNION_LISTS = frozenset(f"tickets.redaction.{k}" for k in ("users", "hosts", "keywords", "domains"))
_SECRET_NAMES = frozenset({"password", "passwd", "token", "api_key", "apikey", "api_token", "user_token", "app_token",
                           "secret", "client_secret", "passphrase", "private_key"})
HIDDEN = "(hidden: secrets belong in the keyring)"


class LockedError(settings.ConfigError):
    """A write to a key the organisation locked."""


@dataclass(frozen=True)
class Notice:
    """A warning about one of the files: a key Deskside does not know, a locked key set by the user, a problem in
    the system file. str() gives "FILE[:LINE]: message"."""

    file: Path
    message: str
    line: int | None = None
    key: str = ""

    def __str__(self) -> str:
        return f"{self.file}{':' + str(self.line) if self.line else ''}: {self.message}"


@dataclass(frozen=True)
class Entry:
    """One value as `deskside config show` prints it."""

    key: str
    value: Any  # the merged value; HIDDEN for a secret; None when only a lock names the key (the built-in default)
    sources: tuple[Source, ...]  # ("system",), ("user",), ("system", "user") for a union list, ("default",)
    locked: bool
    lock: str | None  # the lock that covers it ("backends" for backends.helpdesk.url)
    known: bool = True  # False: a key Deskside does not know (a typo, or a newer version's), ignored


def is_secret_key(key: str) -> bool:
    k = key.lower()
    return k in _SECRET_NAMES or k.endswith(("_password", "_token", "_secret", "_passphrase"))


def split(key: str | Key) -> Key:
    return tuple(key.split(".")) if isinstance(key, str) else tuple(key)


def _under(key: Key, prefix: Key) -> bool:
    return key[:len(prefix)] == prefix


def _leaves(value: Any, path: Key) -> Iterator[Key]:
    """The paths of the values under `value` (an empty table sets nothing)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, str(k)))
    else:
        yield path


def _get(data: Any, key: Key) -> tuple[bool, Any]:
    for part in key:
        if not isinstance(data, dict) or part not in data:
            return False, None
        data = data[part]
    return True, data


def line_of(text: str, key: Key) -> int | None:
    """The line of `text` (a TOML file) that sets `key` or opens its table; None when it cannot tell."""
    current: Key = ()
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", s)
        if m:
            current = tuple(p.strip().strip("\"'") for p in m.group(1).split("."))
            if _under(current, key):
                return n
            continue
        m = re.match(r"^([A-Za-z0-9_.\"' -]+?)\s*=", s)
        if m:
            here = (*current, *(p.strip().strip("\"'") for p in m.group(1).split(".")))
            if _under(here, key) or _under(key, here):
                return n
    return None


@dataclass
class LayeredConfig:
    system_path: Path
    user_path: Path
    system: dict[str, Any]  # the system file as used (tables with a problem left out)
    user: dict[str, Any]  # the user file as written
    merged: dict[str, Any]
    locks: tuple[str, ...] = ()
    notices: list[Notice] = field(default_factory=list)
    system_present: bool = False
    _system_leaves: set[Key] = field(default_factory=set)
    _user_leaves: set[Key] = field(default_factory=set)  # the user's values that count (locked ones left out)

    # -- reading ------------------------------------------------------------------------------------------------
    def value(self, key: str, default: Any = None) -> Any:
        """The merged value of a dotted key ("tickets.redaction.keywords"), or `default` when neither file sets
        it (the part that reads it then uses its built-in default)."""
        found, value = _get(self.merged, split(key))
        return copy.deepcopy(value) if found else default

    def user_value(self, key: str, default: Any = None) -> Any:
        found, value = _get(self.user, split(key))
        return copy.deepcopy(value) if found else default

    def system_value(self, key: str, default: Any = None) -> Any:
        found, value = _get(self.system, split(key))
        return copy.deepcopy(value) if found else default

    def sources(self, key: str) -> tuple[Source, ...]:
        """Every layer the value of `key` comes from: ("system", "user") for a redaction list both files add to
        or a table both fill; ("default",) when neither file sets it."""
        k = split(key)
        out: list[Source] = []
        for name, leaves in (("system", self._system_leaves), ("user", self._user_leaves)):
            if any(_under(leaf, k) or _under(k, leaf) for leaf in leaves):
                out.append(name)  # type: ignore[arg-type]
        if "user" in out and "system" in out and not self._user_adds_to_system(k):
            out.remove("system")  # the user's value replaced the organisation's
        return tuple(out) or ("default",)

    def _user_adds_to_system(self, k: Key) -> bool:
        if ".".join(k) in UNION_LISTS:
            return True
        found, value = _get(self.merged, k)
        return found and isinstance(value, dict)  # a table both files fill

    def source(self, key: str) -> Source:
        """Where the value of `key` comes from: "user" when the user file sets it (or anything in the table),
        else "system" when the organisation's file does, else "default"."""
        return self.sources(key)[-1]

    def lock_of(self, key: str) -> str | None:
        """The lock that covers `key` (itself or a table above it), None when the user may change it."""
        k = split(key)
        return next((lock for lock in self.locks if _under(k, split(lock))), None)

    def is_locked(self, key: str) -> bool:
        return self.lock_of(key) is not None

    def entries(self) -> list[Entry]:
        """Every value either file sets, and every locked key neither sets, in key order."""
        keys = self._system_leaves | self._user_leaves
        keys |= {split(lock) for lock in self.locks if not any(_under(k, split(lock)) for k in keys)}
        out = []
        for k in sorted(keys):
            dotted = ".".join(k)
            found, value = _get(self.merged, k)
            if found and isinstance(k[-1], str) and is_secret_key(k[-1]) and isinstance(value, str):
                value = HIDDEN
            out.append(Entry(dotted, copy.deepcopy(value) if found else None, self.sources(dotted),
                             self.is_locked(dotted), self.lock_of(dotted), config_schema.is_known(dotted)))
        return out

    # -- writing the user file ------------------------------------------------------------------------------------
    def set_user_value(self, key: str, value: Any) -> Path:
        """Write `value` for a dotted key into the user's config.toml (checked against the schema first; the file
        is read again so other changes in it are kept) and reload. LockedError for a locked key; ConfigError for a
        wrong value or an unreadable file (nothing is written then)."""
        self._refuse_locked(key)
        k = split(key)
        data = settings.load(self.user_path)
        table = data
        for part in k[:-1]:
            nxt = table.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise settings.ConfigError(f"{'.'.join(k[:k.index(part) + 1])} in {self.user_path} is not a table; "
                                           "fix the file first")
            table = nxt
        table[k[-1]] = copy.deepcopy(value)
        return self._save(data)

    def remove_user_value(self, key: str) -> Path:
        """Remove a dotted key from the user's config.toml (the organisation's value or the default applies
        again). LockedError for a locked key."""
        self._refuse_locked(key)
        k = split(key)
        data = settings.load(self.user_path)
        found, parent = _get(data, k[:-1])
        if not (found and isinstance(parent, dict) and k[-1] in parent):
            return self.user_path
        del parent[k[-1]]
        for depth in range(len(k) - 1, 0, -1):  # and the tables left empty
            _, table = _get(data, k[:depth])
            if table == {}:
                _, above = _get(data, k[:depth - 1])
                del above[k[depth - 1]]
        return self._save(data)

    def _refuse_locked(self, key: str) -> None:
        lock = self.lock_of(key)
        if lock is not None:
            raise LockedError(f"{key} is set by your organisation and locked in {self.system_path}"
                              f"{'' if lock == key else f' (lock {lock!r})'}; it cannot be changed here")

    def _save(self, data: dict[str, Any]) -> Path:
        path = settings.save(data, self.user_path)
        fresh = load(self.system_path, self.user_path)
        self.__dict__.update(fresh.__dict__)
        return path


def _read_system(path: Path, notices: list[Notice]) -> tuple[dict[str, Any], str, bool]:
    try:
        data, text = settings.read(path)
    except FileNotFoundError:
        return {}, "", False
    except settings.ConfigError as exc:
        notices.append(Notice(path, f"{exc}. The organisation's settings are left out until the file is fixed "
                                    "(tell your IT support); your own settings still apply"))
        return {}, "", True
    for top in list(data):
        found = config_schema.problems({top: data[top]})
        if found:
            notices.append(Notice(path, f"{'; '.join(found)}. The organisation's [{top}] settings are left out "
                                        "until the file is fixed (tell your IT support); your own settings still apply",
                                  line_of(text, (top,)), top))
            del data[top]
    return data, text, True


def _file_notices(path: Path, data: dict[str, Any], text: str, notices: list[Notice]) -> None:
    for key, suggestion in config_schema.unknown(data):
        dotted = ".".join(key)
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        notices.append(Notice(path, f"unknown setting {dotted}{hint} (Deskside ignores it)", line_of(text, key),
                              dotted))
    for key in (k for k in _leaves(data, ()) if k and is_secret_key(k[-1])):
        found, value = _get(data, key)
        if found and isinstance(value, str) and value:
            dotted = ".".join(key)
            notices.append(Notice(path, f"{dotted} looks like a secret: a config file is not a safe place for it, and "
                                        "Deskside does not read secrets from here; remove it and store it in the "
                                        "keyring (`deskside backend set-secret NAME`)", line_of(text, key), dotted))


def _merge(low: dict[str, Any], high: dict[str, Any], path: Key, locks: tuple[Key, ...], used: set[Key],
           ignored: list[Key]) -> dict[str, Any]:
    out = copy.deepcopy(low)
    for key, value in high.items():
        k = (*path, str(key))
        if any(_under(k, lock) for lock in locks):
            ignored.extend(_leaves(value, k))
            continue
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = _merge(current, value, k, locks, used, ignored)
        elif ".".join(k) in UNION_LISTS and isinstance(value, list) and isinstance(current, list):
            out[key] = current + [v for v in value if v not in current]
            used.add(k)
        else:
            out[key] = copy.deepcopy(value)
            used.update(_leaves(value, k))
    return out


def load(system_path: Path | None = None, user_path: Path | None = None) -> LayeredConfig:
    """Both files merged. settings.ConfigError when the user file cannot be read or holds a wrong value (as
    before); any problem of the system file is a Notice instead."""
    system_path = system_path or paths.system_config_file()
    user_path = user_path or paths.config_file()
    notices: list[Notice] = []
    system, system_text, present = _read_system(system_path, notices)
    try:
        user, user_text = settings.read(user_path)
    except FileNotFoundError:
        user, user_text = {}, ""
    settings.check(user, user_path)
    _file_notices(system_path, system, system_text, notices)
    _file_notices(user_path, user, user_text, notices)

    locks = tuple(system.get("locks", {}).get("keys", []))
    for lock in locks:
        if not config_schema.is_known(lock):
            close = config_schema.close_matches(lock, config_schema.known_keys(), n=1, cutoff=0.8)
            hint = f"; did you mean {close[0]}?" if close else ""
            notices.append(Notice(system_path, f"[locks] names {lock!r}, which is not a setting{hint}",
                                  line_of(system_text, ("locks", "keys")), "locks.keys"))
    if "locks" in user:
        notices.append(Notice(user_path, f"[locks] is ignored here: only the organisation's file ({system_path}) "
                                         "can lock settings", line_of(user_text, ("locks",)), "locks"))
    user_for_merge = {k: v for k, v in user.items() if k != "locks"}

    used: set[Key] = set()
    ignored: list[Key] = []
    merged = _merge(system, user_for_merge, (), tuple(split(lock) for lock in locks), used, ignored)
    for k in ignored:
        dotted = ".".join(k)
        lock = next(lock for lock in locks if _under(k, split(lock)))
        notices.append(Notice(user_path, f"{dotted} is locked by your organisation in {system_path}"
                                         f"{'' if lock == dotted else f' (lock {lock!r})'}: the value here is ignored",
                              line_of(user_text, k), dotted))
    return LayeredConfig(system_path, user_path, system, user, merged, locks, notices, present,
                         set(_leaves(system, ())), used)

