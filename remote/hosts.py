"""Host profiles, the address book (a TOML file) and turning what a user types into a profile.

The address book file holds one `[[hosts]]` table per host; it never holds a secret (passwords and passphrases
live in the keyring). A malformed file is reported with its path and never overwritten.
"""

from __future__ import annotations

import contextlib
import copy
import getpass
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from .options import CONNECT_KEYS, SshOptions, validate_line
from .ssh_config import HONOURED, SshConfig
from .ssh_config_tokens import TokenContext, TokenError, expand_for


class HostsError(Exception):
    """A problem with the address book or a host the user typed; the message says what to do."""


@dataclass
class HostProfile:
    name: str
    hostname: str
    user: str = ""
    port: int = 22
    identity_files: list[str] = field(default_factory=list)
    proxy_jump: list[str] = field(default_factory=list)
    group: str = ""
    tags: list[str] = field(default_factory=list)
    keepalive_interval: int = 0
    keepalive_count_max: int = 3
    notes: str = ""
    # ssh_config lines honoured at connect time ("Ciphers +aes128-cbc", "StrictHostKeyChecking yes"; remote/options.py)
    ssh_options: list[str] = field(default_factory=list)
    # ~/.ssh/config settings for this host that Deskside does not honour (named at connect time; never saved)
    ignored_settings: list[str] = field(default_factory=list)

    def options(self) -> SshOptions:
        """The parsed ssh_options (raises OptionError for a value OpenSSH would reject)."""
        return SshOptions.from_lines(self.ssh_options)

    @property
    def login_user(self) -> str:
        return self.user or getpass.getuser()

    def display(self) -> str:
        port = f":{self.port}" if self.port != 22 else ""
        return f"{self.login_user}@{self.hostname}{port}"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", [], None) and k not in _NOT_SAVED}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> HostProfile:
        known = {f.name for f in fields(cls)} - _NOT_SAVED
        unknown = set(data) - known
        if unknown:
            raise HostsError(
                f"{where}: unknown field(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})"
            )
        if not data.get("name") or not data.get("hostname"):
            raise HostsError(f"{where}: every host needs a name and a hostname")
        for key, value in data.items():
            kind = _FIELD_KINDS[key]
            if kind is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
                want = "a whole number, e.g. port = 22"
            elif kind is list:
                ok = isinstance(value, list) and all(isinstance(x, str) for x in value)
                want = f'a list of strings, e.g. {key} = ["{_LIST_EXAMPLES.get(key, "text")}"]'
            else:
                ok = isinstance(value, str)
                want = 'a string in quotes, e.g. user = "admin"'
            if not ok:
                raise HostsError(f"{where}: {key} = {value!r} is not valid: it must be {want}")
        p = cls(**data)
        try:
            validate_profile(p)
        except HostsError as exc:
            raise HostsError(f"{where}: {exc}") from None
        return p


_FIELD_KINDS: dict[str, type] = {
    "name": str, "hostname": str, "user": str, "port": int, "identity_files": list, "proxy_jump": list, "group": str,
    "tags": list, "keepalive_interval": int, "keepalive_count_max": int, "notes": str, "ssh_options": list,
}
_NOT_SAVED = {"ignored_settings"}
_LIST_EXAMPLES = {"identity_files": "~/.ssh/id_ed25519", "proxy_jump": "jumphost", "tags": "web",
                  "ssh_options": "Ciphers +aes128-cbc"}


_NAME_RE = re.compile(r"^[^\s\[\]@]+$")


def validate_profile(p: HostProfile) -> None:
    if not _NAME_RE.match(p.name or ""):
        raise HostsError(f"host name {p.name!r} is not valid: use letters, digits, dots, dashes; no spaces or '@'")
    if not p.hostname or any(c.isspace() for c in p.hostname):
        raise HostsError(f"host {p.name!r}: hostname {p.hostname!r} is not valid")
    if not 0 < p.port < 65536:
        raise HostsError(f"host {p.name!r}: port {p.port} is out of range 1-65535")
    if p.keepalive_interval < 0 or p.keepalive_count_max < 1:
        raise HostsError(f"host {p.name!r}: keepalive interval must be >= 0 and count >= 1")
    for line in p.ssh_options:
        problem = validate_line(line)
        if problem:
            raise HostsError(f"host {p.name!r}: ssh_options {problem}")


class AddressBook:
    """The address book file (TOML). Call load() first; changes are written by save()."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._hosts: dict[str, HostProfile] = {}

    def load(self) -> AddressBook:
        self._hosts = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self
        except (OSError, UnicodeDecodeError) as exc:
            raise HostsError(f"cannot read the address book {self.path}: {exc}") from exc
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise HostsError(
                f"the address book {self.path} is not valid TOML ({exc}); fix it or move it away "
                "(Deskside left it as it is)"
            ) from exc
        entries = data.get("hosts", [])
        if not isinstance(entries, list):
            raise HostsError(f"{self.path}: 'hosts' must be an array of tables ([[hosts]])")
        for i, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise HostsError(f"{self.path}: hosts entry {i} is not a table")
            p = HostProfile.from_dict(entry, where=f"{self.path}, host entry {i}")
            self._hosts[p.name] = p
        return self

    def save(self) -> Path:
        doc = {"hosts": [p.to_dict() for p in self._hosts.values()]}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp.write_text(
                "# Deskside address book. Secrets are never stored here (they live in the keyring).\n"
                + tomli_w.dumps(doc),
                encoding="utf-8",
            )
            tmp.chmod(0o600)
            tmp.replace(self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise HostsError(
                f"cannot write the address book {self.path}: {exc.strerror or exc}. It was left as it was; check "
                "that its folder is writable"
            ) from exc
        return self.path

    def add(self, profile: HostProfile, replace: bool = False) -> None:
        validate_profile(profile)
        if profile.name in self._hosts and not replace:
            raise HostsError(f"a host named {profile.name!r} already exists; remove it first or pick another name")
        self._hosts[profile.name] = profile

    def remove(self, name: str) -> HostProfile:
        try:
            return self._hosts.pop(name)
        except KeyError:
            raise HostsError(f"no host named {name!r} in the address book") from None

    def get(self, name: str) -> HostProfile | None:
        return self._hosts.get(name)

    def search(self, text: str) -> list[HostProfile]:
        """Hosts whose name, hostname, user, group, tags or notes contain every word of `text` (any case)."""
        words = text.lower().split()
        out = []
        for p in self._hosts.values():
            hay = " ".join([p.name, p.hostname, p.user, p.group, " ".join(p.tags), p.notes]).lower()
            if all(w in hay for w in words):
                out.append(p)
        return out

    def all(self) -> list[HostProfile]:
        return sorted(self._hosts.values(), key=lambda p: (p.group, p.name))

    def __contains__(self, name: object) -> bool:
        return name in self._hosts

    def __len__(self) -> int:
        return len(self._hosts)


# -- ~/.ssh/config ------------------------------------------------------------------------------------------
_KEYWORDS = {"hostname": "HostName", "user": "User", "port": "Port", "proxyjump": "ProxyJump",
             "serveraliveinterval": "ServerAliveInterval", "serveralivecountmax": "ServerAliveCountMax"}


def profile_from_ssh_config(cfg: SshConfig, alias: str, name: str | None = None,
                            user: str | None = None) -> HostProfile:
    """The profile ssh would use for `alias` (`user`: one given on the command line, which Match user sees). A
    value ssh would reject (Port abc, an empty HostName, extra words) raises HostsError naming the file and line; it
    is never replaced by a default."""
    opts = cfg.lookup_options(alias, user=user or None)
    if alias in cfg.refused:
        raise HostsError(f"{cfg.refused[alias]}: ssh would not connect to {alias!r} either")

    def first(key: str, default: str = "") -> str:
        vals = opts.get(key)
        if not vals:
            return default
        if vals[0].error:
            raise HostsError(f"{vals[0].where}: {_KEYWORDS.get(key, key)} {vals[0].value!r}: {vals[0].error} "
                             f"(host {alias!r}); fix the ssh config file")
        if not vals[0].value.strip():
            raise HostsError(f"{vals[0].where}: {_KEYWORDS.get(key, key)} has no value (host {alias!r}); fix "
                             "the ssh config file")
        return vals[0].value

    def number(key: str, default: int, low: int, high: int) -> int:
        text = first(key, str(default))
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            where = opts[key][0].where
            raise HostsError(f"{where}: {_KEYWORDS[key]} {text!r} is not valid (host {alias!r}): give a whole number "
                             f"from {low} to {high}")
        return value

    hostname = first("hostname", alias.lower())
    user = first("user")
    port = number("port", 22, 1, 65535)
    login = user or getpass.getuser()
    ctx = TokenContext(host=alias, hostname=hostname, user=login, port=port)
    idents = []
    for o in opts.get("identityfile", []):
        if o.error:
            raise HostsError(f"{o.where}: IdentityFile {o.value!r}: {o.error} (host {alias!r}); fix the ssh config "
                             "file (quote a path with spaces)")
        try:
            idents.append(expand_for("identityfile", o.value, ctx))
        except TokenError as exc:
            raise HostsError(f"{o.where}: IdentityFile {exc} (host {alias!r})") from None
    jump_raw = first("proxyjump")
    jumps = [] if not jump_raw or jump_raw.lower() == "none" else [j.strip() for j in jump_raw.split(",") if j.strip()]
    order = list(opts)
    if "proxycommand" in opts and "proxyjump" in opts:  # as OpenSSH: the first one obtained wins
        if jump_raw.lower() != "none" and order.index("proxyjump") < order.index("proxycommand"):
            del opts["proxycommand"]
        else:
            jumps = []
    ssh_options = [f"{CONNECT_KEYS[k]} {vals[0].value}" for k, vals in opts.items() if k in CONNECT_KEYS and vals]
    ignored = [k for k, vals in opts.items() if k not in HONOURED and vals]
    try:
        SshOptions.from_lines(ssh_options)
    except ValueError as exc:
        where = next((opts[k][0].where for k in opts if k in CONNECT_KEYS and str(exc).startswith(CONNECT_KEYS[k])),
                     str(cfg.path))
        raise HostsError(f"{where}: {exc} (host {alias!r}); fix the ssh config file") from None
    interval = number("serveraliveinterval", 0, 0, 2**31 - 1)
    count = number("serveralivecountmax", 3, 0, 2**31 - 1)
    return HostProfile(
        name=name or alias,
        hostname=hostname,
        user=user,
        port=port,
        identity_files=idents,
        proxy_jump=jumps,
        keepalive_interval=interval,
        keepalive_count_max=max(1, count),
        group="ssh-config",
        ssh_options=ssh_options,
        ignored_settings=ignored,
    )


def import_ssh_config(path: Path | str, *, allow_exec: bool | None = None) -> tuple[list[HostProfile], list[str]]:
    """Profiles for each concrete alias in the file (and its Includes), plus what Deskside does not honour (a host
    with a value ssh would reject is left out and named there too)."""
    cfg = SshConfig(path, allow_exec=match_exec_allowed(allow_exec))
    profiles: list[HostProfile] = []
    problems: list[str] = []
    for alias in cfg.aliases():
        try:
            profile = profile_from_ssh_config(cfg, alias)
            validate_profile(profile)
        except HostsError as exc:
            problems.append(f"host {alias!r} not imported: {exc}")
            continue
        profiles.append(profile)
    return profiles, list(cfg.not_honoured) + problems


MATCH_EXEC_ENV = "DESKSIDE_SSH_MATCH_EXEC"


def match_exec_allowed(allow: bool | None = None) -> bool:
    """`Match exec` runs a command on this machine for every lookup: only when the caller says so, or when the
    environment variable DESKSIDE_SSH_MATCH_EXEC is `yes` (or 1)."""
    if allow is not None:
        return allow
    return os.environ.get(MATCH_EXEC_ENV, "").strip().lower() in ("1", "yes", "true")


# -- what the user typed -------------------------------------------------------------------------------------
_TARGET_RE = re.compile(r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]]+\]|[^:\s@\[\]]+)(?::(?P<port>\d+))?$")


def parse_target(text: str) -> tuple[str, str, int | None]:
    """Split `[user@]host[:port]` (IPv6 as `[addr]:port` or a bare address) into (user, host, port)."""
    text = text.strip()
    if text.count(":") > 1 and not text.rsplit("@", 1)[-1].startswith("["):
        user, _, host = text.rpartition("@")
        return user, host, None  # bare IPv6 address
    m = _TARGET_RE.match(text)
    if not m:
        raise HostsError(
            f"{text!r} is not a host: write an address-book name, an ssh config alias or [user@]host[:port]"
        )
    host = m.group("host").strip("[]")
    port = int(m.group("port")) if m.group("port") else None
    if port is not None and not 0 < port < 65536:
        raise HostsError(f"port {port} in {text!r} is out of range 1-65535")
    return m.group("user") or "", host, port


def resolve_target(text: str, book: AddressBook | None, ssh_config_path: Path | str | None, *,
                   allow_exec: bool | None = None) -> HostProfile:
    """An address-book name, else an ~/.ssh/config alias, else `[user@]host[:port]` (config still applies)."""
    if book is not None:
        p = book.get(text)
        if p is not None:
            return p
    user, host, port = parse_target(text)
    if book is not None and (user or port is not None):
        p = book.get(host)
        if p is not None:
            p = copy.deepcopy(p)
            p.user = user or p.user
            p.port = port or p.port
            return p
    cfg = SshConfig(ssh_config_path or None, allow_exec=match_exec_allowed(allow_exec))
    profile = profile_from_ssh_config(cfg, host, name=host, user=user)
    profile.group = "ssh-config" if cfg.has_alias(host) else ""
    if user:
        profile.user = user
    if port is not None:
        profile.port = port
    validate_profile(profile)
    return profile
