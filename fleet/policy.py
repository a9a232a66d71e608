"""The compliance policy: what a host must satisfy, as a TOML file with a built-in default and per-group overrides.

```toml
[policy]
max_security_updates = 0        # pending security updates allowed at all (older than the age below)
max_security_age_days = 14      # how long a security update may wait before it counts
max_pending_updates = -1        # every pending update; -1: no limit
reboot_grace_days = 7           # a required reboot may wait this long
allow_eol = false               # an OS past its end of life is non-compliant
allow_extended_support = true   # LTS / ESM counts as supported
max_cache_age_days = 7          # the package lists must be this fresh (else the pending list is a guess)
required_packages = []
forbidden_packages = ["telnetd", "rsh-server"]

[[policy.check]]                # read-only commands run on every host
name = "ssh root login disabled"
command = "sshd -T 2>/dev/null | grep -i '^permitrootlogin no'"
expect_exit = 0                 # and/or expect_output = "regex"
severity = "warning"            # or "critical"

[groups.web]                    # hosts in the group `web` get these values instead
max_security_age_days = 3
```
Errors (`PolicyError`) name the file and line.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

SEVERITIES = ("warning", "critical")


class PolicyError(Exception):
    def __init__(self, path: str | Path | None, line: int | None, message: str) -> None:
        where = f"{path or 'policy'}" + (f":{line}" if line else "")
        super().__init__(f"{where}: {message}")
        self.line = line


@dataclass(frozen=True)
class CommandCheck:
    name: str
    command: str
    expect_exit: int | None = 0
    expect_output: str | None = None  # a regular expression searched in the output
    severity: str = "warning"
    timeout_s: float = 20.0


@dataclass(frozen=True)
class Rules:
    max_security_updates: int = 0
    max_security_age_days: int = 14
    max_pending_updates: int = -1
    reboot_grace_days: int = 7
    allow_eol: bool = False
    allow_extended_support: bool = True
    max_cache_age_days: int = 7
    required_packages: tuple[str, ...] = ()
    forbidden_packages: tuple[str, ...] = ()


@dataclass
class Policy:
    rules: Rules = field(default_factory=Rules)
    checks: tuple[CommandCheck, ...] = ()
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> the settings it overrides
    source: str = "built-in default"

    def for_groups(self, groups: list[str]) -> Rules:
        """The rules for a host in `groups`: each group's overrides applied in name order (for a setting two of
        its groups override, the later name wins)."""
        rules = self.rules
        for g in sorted(groups):
            if g in self.groups:
                rules = replace(rules, **self.groups[g])
        return rules


_RULE_TYPES: dict[str, type] = {f.name: (tuple if "tuple" in str(f.type) else
                                         bool if "bool" in str(f.type) else int) for f in fields(Rules)}


def _line_of(text: str, table: str, key: str | None, index: int = 0) -> int | None:
    """The line of `key` inside `[table]` (the `index`-th `[[table]]` for arrays of tables), for messages."""
    current, seen = None, -1
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if m:
            current = m.group(1).replace('"', "")
            if current == table:
                seen += 1
                if key is None and seen == index:
                    return n
            continue
        if current == table and seen == index and key is not None and re.match(rf"^\"?{re.escape(key)}\"?\s*=", line):
            return n
    return None


def _overrides(table: dict[str, Any], text: str, where: str, path: str | Path | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        line = _line_of(text, where, key)
        kind = _RULE_TYPES.get(key)
        if kind is None:
            known = ", ".join(sorted(_RULE_TYPES))
            raise PolicyError(path, line, f"unknown setting {key!r} in [{where}] (known: {known})")
        if kind is bool:
            if not isinstance(value, bool):
                raise PolicyError(path, line, f"{key} must be true or false (without quotes)")
        elif kind is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise PolicyError(path, line, f"{key} must be a whole number, e.g. {key} = 7")
            if value < -1:
                raise PolicyError(path, line, f"{key} = {value}: use -1 for no limit, or a number from 0")
        else:
            if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
                raise PolicyError(path, line, f'{key} must be a list of package names, e.g. {key} = ["openssh-server"]')
            value = tuple(value)
        values[key] = value
    return values


def _check(item: Any, index: int, text: str, path: str | Path | None) -> CommandCheck:
    line = _line_of(text, "policy.check", None, index)
    if not isinstance(item, dict):
        raise PolicyError(path, line, "each [[policy.check]] must be a table")
    allowed = {f.name for f in fields(CommandCheck)}
    unknown = set(item) - allowed
    if unknown:
        raise PolicyError(path, line, f"unknown key(s) {', '.join(sorted(unknown))} in [[policy.check]] "
                          f"(known: {', '.join(sorted(allowed))})")
    for key in ("name", "command"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise PolicyError(path, line, f"[[policy.check]] needs a {key} (a non-empty string)")
    exit_code = item.get("expect_exit", 0 if "expect_output" not in item else None)
    if exit_code is not None and (not isinstance(exit_code, int) or isinstance(exit_code, bool)):
        raise PolicyError(path, _line_of(text, "policy.check", "expect_exit", index) or line,
                          "expect_exit must be a whole number")
    pattern = item.get("expect_output")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise PolicyError(path, _line_of(text, "policy.check", "expect_output", index) or line,
                              f"expect_output is not a regular expression: {exc}") from None
    severity = item.get("severity", "warning")
    if severity not in SEVERITIES:
        raise PolicyError(path, _line_of(text, "policy.check", "severity", index) or line,
                          f"severity must be one of {', '.join(SEVERITIES)}")
    timeout = item.get("timeout_s", 20.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise PolicyError(path, line, "timeout_s must be a positive number of seconds")
    return CommandCheck(name=item["name"].strip(), command=item["command"], expect_exit=exit_code,
                        expect_output=pattern, severity=severity, timeout_s=float(timeout))


def parse(text: str, path: str | Path | None = None) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise PolicyError(path, int(m.group(1)) if m else None, f"not valid TOML: {exc}") from None
    return from_data(data, path, text)


def from_data(data: dict[str, Any], path: str | Path | None = None, text: str = "") -> Policy:
    """A policy from already parsed TOML ({"policy": ..., "groups": ...}), e.g. the `[compliance]` table of the
    organisation's config.toml; `text` (when known) gives the error messages their line."""
    data = copy.deepcopy(data)
    unknown = set(data) - {"policy", "groups"}
    if unknown:
        key = sorted(unknown)[0]
        raise PolicyError(path, _line_of(text, key, None) or _top_line(text, key),
                          f"unknown table [{key}] (a policy has [policy], [[policy.check]] and [groups.NAME])")
    top = data.get("policy", {})
    if not isinstance(top, dict):
        raise PolicyError(path, None, "policy must be a table: [policy]")
    checks_raw = top.pop("check", [])
    if not isinstance(checks_raw, list):
        raise PolicyError(path, _line_of(text, "policy", "check"), "checks are written as [[policy.check]] tables")
    rules = replace(Rules(), **_overrides(top, text, "policy", path))
    checks = tuple(_check(item, i, text, path) for i, item in enumerate(checks_raw))
    names = [c.name for c in checks]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise PolicyError(path, None, f"two checks are named {dup!r}: names must differ (tickets are keyed on them)")
    groups: dict[str, dict[str, Any]] = {}
    raw_groups = data.get("groups", {})
    if not isinstance(raw_groups, dict):
        raise PolicyError(path, _top_line(text, "groups"), "groups must be tables: [groups.NAME]")
    for name, table in raw_groups.items():
        if not isinstance(table, dict):
            raise PolicyError(path, None, f"groups.{name} must be a table: [groups.{name}]")
        groups[name] = _overrides(table, text, f"groups.{name}", path)
    return Policy(rules=rules, checks=checks, groups=groups, source=str(path) if path else "inline")


def _top_line(text: str, key: str) -> int | None:
    for n, raw in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*\[?\[?\s*{re.escape(key)}\b", raw):
            return n
    return None


def load(path: str | Path) -> Policy:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise PolicyError(p, None, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError(p, None, "is not UTF-8 text") from None
    return parse(text, p)


DEFAULT = Policy()
