"""The hosts a compliance scan visits: one `InventoryHost` record per host, whatever the source.

Sources: Ansible inventories (INI and YAML, see `fleet.ansible_inventory`), CSV files (this module), and, joined in
`desktop` because `fleet` never imports `remote`, the address book and `~/.ssh/config`. Every reader reports a
problem as an `InventoryError` naming the file and the line.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALL = "all"
UNGROUPED = "ungrouped"


class InventoryError(Exception):
    """An inventory that cannot be read; the message names the file and line and says what to change."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class InventoryHost:
    """One host to scan. `name` is what the user sees and selects; `hostname` is where to connect."""

    name: str
    hostname: str = ""
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None
    groups: list[str] = field(default_factory=list)  # every group it belongs to, parents included, never "all"
    vars: dict[str, Any] = field(default_factory=dict)  # variables from the inventory (other than the above)
    source: str = ""  # "file:line" or "address book" / "ssh config"

    @property
    def address(self) -> str:
        return self.hostname or self.name

    def target(self) -> str:
        """`user@host:port` for messages (the defaults left out)."""
        text = self.address
        if self.user:
            text = f"{self.user}@{text}"
        if self.port and self.port != 22:
            text = f"{text}:{self.port}"
        return text


_RANGE = re.compile(r"\[([^\[\]:]+):([^\[\]:]+)(?::(\d+))?\]")


def expand_pattern(pattern: str) -> list[str]:
    """Ansible host ranges: `web[01:03]` -> web01 web02 web03; `db-[a:c]`; `[1:9:2]` with a stride.

    Raises ValueError with the reason for a range it cannot expand."""
    m = _RANGE.search(pattern)
    if not m:
        return [pattern]
    start, end, stride_text = m.group(1), m.group(2), m.group(3)
    stride = int(stride_text) if stride_text else 1
    if stride < 1:
        raise ValueError(f"the range {m.group(0)} has a stride below 1")
    head, tail = pattern[: m.start()], pattern[m.end():]
    if start.isdigit() and end.isdigit():
        lo, hi = int(start), int(end)
        if lo > hi:
            raise ValueError(f"the range {m.group(0)} starts after it ends")
        width = len(start) if start.startswith("0") and len(start) > 1 else 0
        items = [str(i).zfill(width) for i in range(lo, hi + 1, stride)]
    elif len(start) == 1 and len(end) == 1 and start.isalpha() and end.isalpha():
        if start > end:
            raise ValueError(f"the range {m.group(0)} starts after it ends")
        items = [chr(c) for c in range(ord(start), ord(end) + 1, stride)]
    else:
        raise ValueError(f"{m.group(0)} is not a range: write [01:20] (numbers) or [a:f] (single letters)")
    if len(items) > 100_000:
        raise ValueError(f"the range {m.group(0)} makes {len(items)} hosts, more than 100000")
    return [name for item in items for name in expand_pattern(f"{head}{item}{tail}")]


def _port(value: Any, path: str | Path, line: int | None, key: str) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        raise InventoryError(path, line, f"{key}={value!r} is not a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise InventoryError(path, line, f"{key}={port} is not a port number (1-65535)")
    return port


def host_from_vars(name: str, variables: dict[str, Any], groups: Iterable[str], path: str | Path,
                   line: int | None) -> InventoryHost:
    """An InventoryHost from Ansible's connection variables (ansible_host, ansible_port, ansible_user,
    ansible_ssh_private_key_file; the older ansible_ssh_host/ansible_ssh_port/ansible_ssh_user too)."""
    v = dict(variables)

    def take(*keys: str) -> Any:
        found = None
        for k in keys:
            if k in v:
                value = v.pop(k)
                if found is None:
                    found = value
        return found

    hostname = take("ansible_host", "ansible_ssh_host")
    port = take("ansible_port", "ansible_ssh_port")
    user = take("ansible_user", "ansible_ssh_user", "ansible_remote_user")
    key = take("ansible_ssh_private_key_file", "ansible_private_key_file")
    return InventoryHost(
        name=name,
        hostname=str(hostname) if hostname not in (None, "") else name,
        port=_port(port, path, line, "ansible_port") if port not in (None, "") else None,
        user=str(user) if user not in (None, "") else None,
        identity_file=str(key) if key not in (None, "") else None,
        groups=sorted(g for g in set(groups) if g not in (ALL,)),
        vars=v,
        source=f"{path}:{line}" if line else str(path),
    )


CSV_COLUMNS = ("name", "hostname", "port", "user", "identity_file", "groups")


def read_csv(path: str | Path, text: str | None = None) -> list[InventoryHost]:
    """A CSV inventory with a header row: `name` (required), then any of hostname, port, user, identity_file,
    groups (separated by spaces or semicolons); other columns become variables."""
    if text is None:
        text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:  # a lone carriage return in a field, a NUL...
        raise InventoryError(path, reader.line_num or None, f"is not CSV: {exc}") from None
    if not rows:
        raise InventoryError(path, None, "the file is empty: the first line must name the columns, e.g. "
                             "name,hostname,port,user,groups")
    header = [h.strip().lower() for h in rows[0]]
    if "name" not in header:
        raise InventoryError(path, 1, f"no 'name' column (found: {', '.join(header) or 'nothing'}); the first line "
                             "must name the columns, e.g. name,hostname,port,user,groups")
    dupes = {h for h in header if header.count(h) > 1}
    if dupes:
        raise InventoryError(path, 1, f"the column {sorted(dupes)[0]!r} appears twice")
    hosts: list[InventoryHost] = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) > len(header):
            raise InventoryError(path, lineno, f"{len(row)} values but only {len(header)} columns")
        record = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        name = record.pop("name")
        if not name:
            raise InventoryError(path, lineno, "the name is empty")
        if name in seen:
            raise InventoryError(path, lineno, f"{name!r} is already on line {seen[name]}")
        seen[name] = lineno
        groups = [g for g in re.split(r"[;\s]+", record.pop("groups", "")) if g]
        port_text = record.pop("port", "")
        host = InventoryHost(
            name=name,
            hostname=record.pop("hostname", "") or name,
            port=_port(port_text, path, lineno, "port") if port_text else None,
            user=record.pop("user", "") or None,
            identity_file=record.pop("identity_file", "") or None,
            groups=sorted(set(groups)),
            vars={k: v for k, v in record.items() if v},
            source=f"{path}:{lineno}",
        )
        hosts.append(host)
    return hosts


def _read_text(path: str | Path) -> str:
    p = Path(path)
    try:
        if not p.is_file():
            raise InventoryError(p, None, "not a regular file" if p.exists() else "no such file")
        data = p.read_bytes()
    except OSError as exc:
        raise InventoryError(p, None, f"cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InventoryError(p, line, "is not UTF-8 text") from None


def load(path: str | Path) -> list[InventoryHost]:
    """Read an inventory file by its kind: .csv, .yml/.yaml (Ansible YAML), anything else Ansible INI."""
    from . import ansible_inventory

    p = Path(path)
    text = _read_text(p)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return read_csv(p, text)
    if suffix in (".yml", ".yaml") or (suffix == ".json"):
        return ansible_inventory.read_yaml(p, text)
    return ansible_inventory.read_ini(p, text)


def select(hosts: list[InventoryHost], patterns: list[str]) -> list[InventoryHost]:
    """The hosts that match any of `patterns`: `NAME`, a glob (`web*`), `@GROUP`, or `all`. No pattern: all hosts.
    Raises KeyError naming a pattern that matches nothing (a typo must not scan zero hosts and say "compliant")."""
    if not patterns:
        return list(hosts)
    chosen: dict[str, InventoryHost] = {}
    for pat in patterns:
        if pat in (ALL, "@all"):
            matched = list(hosts)
        elif pat.startswith("@"):
            group = pat[1:]
            matched = [h for h in hosts if group in h.groups or (group == UNGROUPED and not h.groups)]
        else:
            matched = [h for h in hosts if fnmatch.fnmatchcase(h.name, pat)]
        if not matched:
            known = sorted({g for h in hosts for g in h.groups})
            hint = f" (groups: {', '.join('@' + g for g in known[:20])})" if pat.startswith("@") and known else ""
            raise KeyError(f"{pat!r} matches no host in the inventory{hint}")
        for h in matched:
            chosen.setdefault(h.name, h)
    return list(chosen.values())
