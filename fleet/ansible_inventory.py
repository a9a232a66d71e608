"""Ansible inventories, read the way Ansible reads them: INI and YAML files with groups, `children`, group and host
variables and host ranges; and, where `ansible-inventory` is installed, its `--list` output (the truth).

Variable precedence as Ansible: `all` < parent groups < child groups (deeper wins, then by name) < host variables.
"""

from __future__ import annotations

import ast
import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .inventory import _RANGE, ALL, UNGROUPED, InventoryError, InventoryHost, expand_pattern, host_from_vars


def _ancestors(parents: dict[str, set[str]], name: str) -> set[str]:
    """Every group above `name` (parents, their parents, ...)."""
    out: set[str] = set()
    todo = list(parents.get(name, ()))
    while todo:
        p = todo.pop()
        if p not in out:
            out.add(p)
            todo.extend(parents.get(p, ()))
    return out


@dataclass
class _Group:
    name: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Inventory:
    path: Path
    groups: dict[str, _Group] = field(default_factory=dict)
    host_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    host_line: dict[str, int | None] = field(default_factory=dict)

    def group(self, name: str) -> _Group:
        return self.groups.setdefault(name, _Group(name))

    def add_host(self, group: str, name: str, variables: dict[str, Any], line: int | None) -> None:
        g = self.group(group)
        if name not in g.hosts:
            g.hosts.append(name)
        self.host_vars.setdefault(name, {}).update(variables)
        self.host_line.setdefault(name, line)

    def build(self) -> list[InventoryHost]:
        parents: dict[str, set[str]] = {}
        for g in self.groups.values():
            for child in g.children:
                parents.setdefault(child, set()).add(g.name)
        self._check_cycles()

        def ancestors(name: str) -> set[str]:
            return _ancestors(parents, name)

        def depth(name: str) -> int:
            return 0 if name == ALL else 1 + max((depth(p) for p in parents.get(name, ()) if p != name), default=0)

        hosts: list[InventoryHost] = []
        for name in self.host_vars:
            direct = {g.name for g in self.groups.values() if name in g.hosts}
            member = set(direct)
            for d in direct:
                member |= ancestors(d)
            member.discard(ALL)
            if not member:
                member = {UNGROUPED}
            merged: dict[str, Any] = dict(self.groups[ALL].vars) if ALL in self.groups else {}
            for gname in sorted(member, key=lambda n: (depth(n), n)):
                merged.update(self.groups[gname].vars if gname in self.groups else {})
            merged.update(self.host_vars[name])
            hosts.append(host_from_vars(name, merged, member, self.path, self.host_line.get(name)))
        return hosts

    def _check_cycles(self) -> None:
        state: dict[str, int] = {}

        def visit(name: str, trail: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise InventoryError(self.path, None, f"the groups contain each other: {' -> '.join([*trail, name])}")
            state[name] = 1
            for child in self.groups.get(name, _Group(name)).children:
                visit(child, [*trail, name])
            state[name] = 2

        for n in list(self.groups):
            visit(n, [])


def _split_host(entry: str, path: Path, line: int | None) -> tuple[list[str], int | None]:
    """`host`, `host:port`, `web[01:10]:2222` -> the expanded names and the port (IPv6 addresses kept whole)."""
    port: int | None = None
    name = entry
    if _RANGE.sub("r", entry).count(":") == 1:  # an IPv6 address has several colons: kept whole
        name, _, port_text = entry.rpartition(":")
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise InventoryError(path, line, f"{entry!r}: {port_text!r} is not a port number")
        port = int(port_text)
    try:
        return expand_pattern(name), port
    except ValueError as exc:
        raise InventoryError(path, line, f"{entry!r}: {exc}") from None


def _ini_value(text: str, literal: bool) -> Any:
    """Inline host variables are Python literals in Ansible's INI (2222 is an int); `:vars` values are strings."""
    if not literal:
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _key_values(tokens: list[str], path: Path, line: int, literal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tok in tokens:
        key, sep, value = tok.partition("=")
        if not sep or not key:
            raise InventoryError(path, line, f"{tok!r} is not key=value (host variables are written "
                                 "ansible_port=2222 after the host name)")
        out[key] = _ini_value(value, literal)
    return out


def read_ini(path: str | Path, text: str) -> list[InventoryHost]:
    p = Path(path)
    inv = _Inventory(p)
    inv.group(ALL)
    section, kind = UNGROUPED, "hosts"
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise InventoryError(p, lineno, f"{line!r}: a section header must end with ']'")
            header = line[1:-1].strip()
            section, _, kind = header.partition(":")
            kind = kind or "hosts"
            if not section or kind not in ("hosts", "vars", "children"):
                raise InventoryError(p, lineno, f"{line!r} is not [group], [group:vars] or [group:children]")
            inv.group(section)
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError as exc:
            raise InventoryError(p, lineno, f"{exc} (an unclosed quote?)") from None
        if not tokens:
            continue
        if kind == "vars":
            kv = line.split("=", 1)
            if len(kv) != 2 or not kv[0].strip():
                raise InventoryError(p, lineno, f"{line!r} is not key=value in [{section}:vars]")
            value = kv[1].strip()
            try:
                value = " ".join(shlex.split(value, comments=True)) if value else ""
            except ValueError:
                pass
            inv.group(section).vars[kv[0].strip()] = value
        elif kind == "children":
            if len(tokens) != 1:
                raise InventoryError(p, lineno, f"{line!r}: one group name per line in [{section}:children]")
            if tokens[0] == section:
                raise InventoryError(p, lineno, f"the group {section} cannot contain itself")
            if tokens[0] not in inv.group(section).children:
                inv.group(section).children.append(tokens[0])
            inv.group(tokens[0])
        else:
            names, port = _split_host(tokens[0], p, lineno)
            variables = _key_values(tokens[1:], p, lineno, literal=True)
            if port is not None:
                variables.setdefault("ansible_port", port)
            for n in names:
                inv.add_host(section, n, variables, lineno)
    _link_all(inv)
    return inv.build()


def _link_all(inv: _Inventory) -> None:
    """Every group without a parent is a child of `all`, as in Ansible."""
    has_parent = {c for g in inv.groups.values() for c in g.children}
    top = inv.group(ALL)
    for name in inv.groups:
        if name != ALL and name not in has_parent and name not in top.children:
            top.children.append(name)


# ---- YAML -------------------------------------------------------------------------------------------------------

def read_yaml(path: str | Path, text: str) -> list[InventoryHost]:
    import yaml

    p = Path(path)
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InventoryError(p, mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(p, None, f"not valid YAML: {exc}") from None
    inv = _Inventory(p)
    inv.group(ALL)
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise InventoryError(p, root.start_mark.line + 1, "the top level must be a mapping of groups (all: ...)")
    for key, value, _line in _pairs(root, p):
        _yaml_group(inv, key, value, p)
    _link_all(inv)
    return inv.build()


def _pairs(node: Any, p: Path) -> list[tuple[str, Any, int]]:
    """(key, value node, the key's line) for each entry of a mapping node."""
    import yaml

    out = []
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise InventoryError(p, k.start_mark.line + 1, "a key must be a plain name")
        out.append((str(k.value), v, int(k.start_mark.line) + 1))
    return out


def _plain(node: Any) -> Any:
    import yaml

    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _yaml_group(inv: _Inventory, name: str, node: Any, p: Path) -> None:
    import yaml

    group = inv.group(name)
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
        return
    if not isinstance(node, yaml.MappingNode):
        raise InventoryError(p, node.start_mark.line + 1, f"the group {name} must be a mapping with hosts, vars "
                             "or children")
    for key, value, key_line in _pairs(node, p):
        line = value.start_mark.line + 1
        empty = isinstance(value, yaml.ScalarNode) and value.value in ("", "~", "null")
        if key == "vars":
            data = {} if empty else _plain(value)
            if not isinstance(data, dict):
                raise InventoryError(p, line, f"vars of {name} must be a mapping")
            group.vars.update(data)
        elif key == "hosts":
            if empty:
                continue
            if not isinstance(value, yaml.MappingNode):
                raise InventoryError(p, line, f"hosts of {name} must be a mapping (host: or host: {{vars}}), "
                                     "not a list")
            for host_key, host_node, _hl in _pairs(value, p):
                hline = host_node.start_mark.line + 1
                data = _plain(host_node) or {}
                if not isinstance(data, dict):
                    raise InventoryError(p, hline, f"the variables of host {host_key} must be a mapping")
                names, port = _split_host(host_key, p, hline)
                if port is not None:
                    data.setdefault("ansible_port", port)
                for n in names:
                    inv.add_host(name, n, data, hline)
        elif key == "children":
            if empty:
                continue
            if not isinstance(value, yaml.MappingNode):
                raise InventoryError(p, line, f"children of {name} must be a mapping of groups")
            for child, child_node, _cl in _pairs(value, p):
                if child == name:
                    raise InventoryError(p, line, f"the group {name} cannot contain itself")
                if child not in group.children:
                    group.children.append(child)
                _yaml_group(inv, child, child_node, p)
        else:
            raise InventoryError(p, key_line, f"{key!r} in group {name}: a group holds only hosts, vars "
                                 "and children")


# ---- ansible-inventory --list -----------------------------------------------------------------------------------

def from_list_output(data: dict[str, Any], source: str = "ansible-inventory") -> list[InventoryHost]:
    """Hosts from `ansible-inventory --list` JSON: groups with hosts/children, `_meta.hostvars` merged already."""
    hostvars: dict[str, dict[str, Any]] = data.get("_meta", {}).get("hostvars", {})
    groups = {k: v for k, v in data.items() if k != "_meta" and isinstance(v, dict)}
    parents: dict[str, set[str]] = {}
    for g, body in groups.items():
        for child in body.get("children", []):
            parents.setdefault(child, set()).add(g)
    direct: dict[str, set[str]] = {}
    for g, body in groups.items():
        for h in body.get("hosts", []):
            direct.setdefault(h, set()).add(g)

    def ancestors(name: str) -> set[str]:
        return _ancestors(parents, name)

    names = list(dict.fromkeys([*hostvars, *direct]))
    hosts = []
    for h in names:
        member = set(direct.get(h, ()))
        for g in list(member):
            member |= ancestors(g)
        member.discard(ALL)
        hosts.append(host_from_vars(h, hostvars.get(h, {}), member or {UNGROUPED}, source, None))
    return hosts


def ansible_inventory_available() -> str | None:
    """ansible-inventory on PATH, or beside this Python (a virtualenv that is not activated)."""
    import sys

    beside = Path(sys.executable).parent / "ansible-inventory"
    return shutil.which("ansible-inventory") or (str(beside) if beside.is_file() else None)


def run_ansible_inventory(path: str | Path, timeout: float = 60.0) -> list[InventoryHost]:
    """Ask Ansible itself (`ansible-inventory -i PATH --list`). Raises InventoryError with Ansible's own words."""
    exe = ansible_inventory_available()
    if exe is None:
        raise InventoryError(path, None, "ansible-inventory is not installed")
    try:
        res = subprocess.run([exe, "-i", str(path), "--list"], capture_output=True, text=True, timeout=timeout,
                             check=False, env=_ansible_env())
    except subprocess.TimeoutExpired:
        raise InventoryError(path, None, f"ansible-inventory did not finish within {timeout:.0f} s") from None
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["no message"])[-1]
        raise InventoryError(path, None, f"ansible-inventory failed: {tail}")
    try:
        return from_list_output(json.loads(res.stdout), source=str(path))
    except (json.JSONDecodeError, AttributeError) as exc:
        raise InventoryError(path, None, f"ansible-inventory printed something that is not its JSON: {exc}") from None


def _ansible_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    # No warnings on stderr about an unparsed inventory: a failure must be a failure, not an empty list.
    env.setdefault("ANSIBLE_INVENTORY_UNPARSED_FAILED", "true")
    env.setdefault("ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", "true")
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    return env
