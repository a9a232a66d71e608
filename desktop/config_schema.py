"""The one schema of config.toml: every known key's type and range, checked when the file is read.

`settings.load()` calls `problems()` on every read, so each reader (diagnostics, tickets, the GUI, remote) sees
only well-typed values: `resolution_minutes = 1e400` (TOML's inf), `crash_dir = 5` or `paths = "string"` are
refused with the key's full name and a line to write instead. Unknown keys are not errors (a newer version's keys
must not break an older one): `unknown()` lists them so the loader can warn with a "did you mean"; an open table
(a backend's, whose keys its connector validates) has no unknown keys.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Check = Callable[[str, str, Any], str | None]  # (where, key, value) -> problem or None


def _show(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    text = json.dumps(value, default=str) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def boolean(example: bool = False) -> Check:
    def check(where: str, key: str, value: Any) -> str | None:
        if isinstance(value, bool):
            return None
        return (f"{where} {key} must be true or false (without quotes), e.g. {key} = {str(example).lower()}; "
                f"it is {_show(value)}")
    return check


def number(lo: float, hi: float, *, integer: bool = False, example: float | None = None, unit: str = "") -> Check:
    def check(where: str, key: str, value: Any) -> str | None:
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if (ok_type and not isinstance(value, bool) and math.isfinite(value) and lo <= value <= hi):
            return None
        kind = "a whole number" if integer else "a number"
        ex = example if example is not None else lo
        shown_ex = int(ex) if integer or float(ex).is_integer() else ex
        return (f"{where} {key} must be {kind}{' of ' + unit if unit else ''} from {_num(lo)} to {_num(hi)}, e.g. "
                f"{key} = {shown_ex}; it is {_show(value)}")
    return check


def text(example: str, *, what: str = "text in quotes", nonempty: bool = False, message: str | None = None) -> Check:
    def check(where: str, key: str, value: Any) -> str | None:
        if isinstance(value, str) and (value.strip() or not nonempty):
            return None
        if message:
            return f"{where} {key} {message}"
        return f"{where} {key} must be {what}, e.g. {key} = {json.dumps(example)}; it is {_show(value)}"
    return check


def choice(*options: Any, message: str | None = None) -> Check:
    def check(where: str, key: str, value: Any) -> str | None:
        if any(value == o and type(value) is type(o) for o in options):
            return None
        if message:
            return f"{where} {key} {message}"
        listed = ", ".join(json.dumps(o) for o in options)
        return f"{where} {key} must be one of {listed}, e.g. {key} = {json.dumps(options[0])}; it is {_show(value)}"
    return check


def words(example: str) -> Check:
    def check(where: str, key: str, value: Any) -> str | None:
        if isinstance(value, str):
            return f"{where} {key} must be a list: write {key} = [{json.dumps(value)}]"
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return (f"{where} {key} must be a list of strings, e.g. {key} = [{json.dumps(example)}]; "
                f"it is {_show(value)}")
    return check


@dataclass
class Table:
    keys: dict[str, Check | Table | Tables] = field(default_factory=dict)
    open: bool = False  # other keys are someone else's to check (a backend's connector): never "unknown"


@dataclass
class Tables:
    """A table of tables with free names: [backends.NAME], [tickets.sla.P1]."""

    each: Table
    name: re.Pattern[str] | None = None
    name_hint: str = ""


def _policy_value(where: str, key: str, value: Any) -> str | None:
    if isinstance(value, dict) or (isinstance(value, str) and value.strip()):
        return None
    return (f"{where} {key} must be the path of a policy file in quotes, e.g. {key} = \"/etc/deskside/policy.toml\", "
            f"or a [compliance.policy] table; it is {_show(value)}")


def _policy_groups(where: str, key: str, value: Any) -> str | None:
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return None
    return f"{where} {key} must hold [compliance.groups.NAME] tables; it is {_show(value)}"


MINUTES_MAX = 10 * 366 * 24 * 60  # ten years
_SLA = Table({
    "response_minutes": number(1, MINUTES_MAX, integer=True, example=30, unit="minutes"),
    "resolution_minutes": number(1, MINUTES_MAX, integer=True, example=240, unit="minutes"),
})
_SECONDS = number(0.001, 10, example=2, unit="seconds")

SCHEMA = Table({
    "diagnostics": Table({
        "logs": Table({
            "since_hours": number(0, 1e6, example=24, unit="hours"),
            "max_lines": number(1, 1e6, integer=True, example=5000),
            "source": choice("auto", "journal", "files"),
            "paths": words("/var/log/syslog"),
            "tail_mib": number(0.001, 1024, example=4, unit="MiB"),
        }),
        "services": Table({
            "log_lines": number(1, 1000, integer=True, example=5),
            "max_units": number(0, 1e6, integer=True, example=20),
            "restart_threshold": number(1, 1e6, integer=True, example=3),
        }),
        "crashes": Table({
            "since_days": number(0, 1e6, example=7, unit="days"),
            "crash_dir": text("/var/crash", what="a folder path in quotes", nonempty=True),
            "coredump_dir": text("/var/lib/systemd/coredump", what="a folder path in quotes", nonempty=True),
            "max_reports": number(0, 1e6, integer=True, example=50),
        }),
        "updates": Table({"allow_network": boolean()}),
        "connectivity": Table({
            **{k: text(v) for k, v in {"dns_name": "example.com", "gateway": "192.0.2.1",
                                        "internet_url": "http://intranet.example/health", "ip_endpoint": "1.1.1.1:443",
                                        "tls_url": "https://intranet.example/", "ca_file": "/etc/ssl/corp-ca.pem",
                                        "ntp_server": "pool.ntp.org", "proxy": "auto"}.items()},
            "dns_servers": words("192.0.2.53"),
            "gateway_port": number(1, 65535, integer=True, example=53),
            "timeout": _SECONDS,
            **{f"{c}_timeout": _SECONDS for c in ("dns", "gateway", "internet", "ip", "tls", "ntp", "proxy")},
        }),
    }),
    "agent": Table({"check_every_hours": number(0.01, 24 * 366, example=24, unit="hours"),
                    "check_at_login": boolean(True), "ticket_for_critical": boolean(), "notify": boolean(True)}),
    "gui": Table({"test_connection": boolean(), "theme": choice("system", "light", "dark")}),
    "remote": Table({"save_secrets": boolean()}),
    "secrets": Table({"plaintext_fallback": boolean()}),
    "tickets": Table({
        "backend": text("helpdesk", message="must be the name of a [backends.NAME] table, e.g. backend = \"helpdesk\""),
        "scale": choice(3, 5, message="must be 3 or 5 (the size of the impact x urgency matrix)"),
        "sla": Tables(_SLA, re.compile(r"[Pp]?[1-5]"), "P1 to P5"),
        "redaction": Table({k: words(ex) for k, ex in (("users", "alice"), ("hosts", "fs01"),
                                                        ("keywords", "Project Falcon"), ("domains", "corp.example"))}),
    }),
    "backends": Tables(Table({"type": text("rt", nonempty=True)}, open=True)),
    # the compliance policy for `deskside scan` and the Compliance page: a policy file, or the policy inline
    # ([compliance.policy], [[compliance.policy.check]], [compliance.groups.NAME]; fleet/policy.py checks it)
    "compliance": Table({"policy": _policy_value, "groups": _policy_groups}),
    # only in the organisation's (system) file: dotted keys or whole sections users cannot change
    "locks": Table({"keys": words("tickets.redaction")}),
})


def _table_problem(where: str, key: str, value: Any) -> str:
    return f"{where} must be a table ({where} with key = value lines below it), not {key} = {_show(value)}"


def _walk(spec: Table, data: dict[str, Any], path: list[str], out: list[str]) -> None:
    where = "[" + ".".join(path) + "]" if path else ""
    for key, value in data.items():
        rule = spec.keys.get(key)
        if rule is None:
            continue
        sub = [*path, key]
        if isinstance(rule, Table | Tables):
            if not isinstance(value, dict):
                out.append(_table_problem("[" + ".".join(sub) + "]", key, value))
                continue
            if isinstance(rule, Table):
                _walk(rule, value, sub, out)
                continue
            for name, inner in value.items():
                inner_where = "[" + ".".join([*sub, str(name)]) + "]"
                if rule.name is not None and not rule.name.fullmatch(str(name)):
                    out.append(f"[{'.'.join(sub)}] {name} is not a valid name here; use {rule.name_hint}")
                    continue
                if not isinstance(inner, dict):
                    out.append(_table_problem(inner_where, str(name), inner))
                    continue
                _walk(rule.each, inner, [*sub, str(name)], out)
            continue
        problem = rule(where, key, value)
        if problem:
            out.append(problem)


def _compliance_problem(config: dict[str, Any]) -> str | None:
    table = config.get("compliance")
    if not isinstance(table, dict):
        return None
    inline = {k: table[k] for k in ("policy", "groups") if isinstance(table.get(k), dict)}
    if not inline:
        return None
    from fleet import policy as pol

    try:
        pol.from_data(inline, "[compliance]")
    except pol.PolicyError as exc:
        return str(exc).replace("[compliance]: policy", "[compliance.policy]", 1)
    return None


def unknown(config: dict[str, Any], spec: Table = SCHEMA, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...],
                                                                                                   str | None]]:
    """Every key of `config` the schema does not know, as (its path, a "did you mean" suggestion or None)."""
    out: list[tuple[tuple[str, ...], str | None]] = []
    for key, value in config.items():
        rule = spec.keys.get(key)
        sub = (*path, key)
        if rule is None:
            if not spec.open:
                out.append((sub, _suggest(spec, path, key)))
            continue
        if isinstance(rule, Table) and isinstance(value, dict):
            out.extend(unknown(value, rule, sub))
        elif isinstance(rule, Tables) and isinstance(value, dict):
            for name, inner in value.items():
                if isinstance(inner, dict):
                    out.extend(unknown(inner, rule.each, (*sub, str(name))))
    return out


def _suggest(spec: Table, path: tuple[str, ...], key: str) -> str | None:
    close = close_matches(key, list(spec.keys), n=1, cutoff=0.6)
    if close:
        return ".".join((*path, close[0]))
    elsewhere = [p for p in known_keys() if p.rsplit(".", 1)[-1] == key]  # the right key in the wrong table
    if not elsewhere:
        by_leaf = {p.rsplit(".", 1)[-1]: p for p in known_keys()}
        leaf = close_matches(key, list(by_leaf), n=1, cutoff=0.8)
        elsewhere = [by_leaf[leaf[0]]] if leaf else []
    return elsewhere[0] if elsewhere else None


def known_keys(spec: Table = SCHEMA, path: tuple[str, ...] = ()) -> list[str]:
    """Every key the schema names, dotted ("diagnostics.logs.since_hours"); a table of tables as "backends.NAME"."""
    out: list[str] = []
    for key, rule in spec.keys.items():
        sub = (*path, key)
        out.append(".".join(sub))
        if isinstance(rule, Table):
            out.extend(known_keys(rule, sub))
        elif isinstance(rule, Tables):
            out.extend(known_keys(rule.each, (*sub, "NAME")))
    return out


def is_known(dotted: str) -> bool:
    """Whether `dotted` names a key or table of the schema (any name for a table of tables, any key in an open
    table)."""
    spec: Check | Table | Tables = SCHEMA
    for part in dotted.split("."):
        if isinstance(spec, Tables):
            spec = spec.each
            continue
        if not isinstance(spec, Table):
            return False  # below a plain value (an inline policy's keys are fleet/policy.py's)
        if part not in spec.keys:
            return spec.open
        spec = spec.keys[part]
    return True


def problems(config: dict[str, Any]) -> list[str]:
    """Every value of `config` (a parsed config.toml) that breaks the schema, each as a sentence naming the key and
    what to write instead. Empty when all is well."""
    out: list[str] = []
    _walk(SCHEMA, config, [], out)
    sla = config.get("tickets", {}).get("sla") if isinstance(config.get("tickets"), dict) else None
    if isinstance(sla, dict):
        for name, t in sla.items():
            if isinstance(t, dict):
                resp, res = t.get("response_minutes"), t.get("resolution_minutes")
                if (isinstance(resp, int) and isinstance(res, int) and not isinstance(resp, bool)
                        and not isinstance(res, bool) and res < resp):
                    out.append(f"[tickets.sla.{name}] resolution_minutes ({res}) must not be less than "
                               f"response_minutes ({resp})")
    if not any(p.startswith("[compliance]") for p in out):
        policy_problem = _compliance_problem(config)
        if policy_problem:
            out.append(policy_problem)
    return out


def close_matches(word: str, candidates: list[str], n: int, cutoff: float) -> list[str]:
    """difflib's suggestions, imported only when a key is unknown (not on every start)."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)
