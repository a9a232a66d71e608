"""Score one host's evidence against the policy: a status, the reasons (rule, severity, evidence) and a score.

A host is `unknown` when its posture could not be read (unreachable, refused key, failed login, unsupported OS);
never `compliant` by default. Scores: 100, minus 40 per critical and 15 per warning reason, at least 0.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from diagnostics.updates.posture import PendingUpdate, Posture, plain

from .policy import CommandCheck, Policy, Rules

COMPLIANT, NON_COMPLIANT, UNKNOWN = "compliant", "non-compliant", "unknown"
PENALTY = {"critical": 40, "warning": 15}
MAX_LISTED = 5  # updates named in one reason's evidence


@dataclass
class CheckOutcome:
    """What a policy command check returned on a host; `error` when it could not run at all."""

    exit_code: int | None = None
    output: str = ""
    error: str | None = None


@dataclass
class HostEvidence:
    posture: Posture
    installed: list[str] | None = None  # installed package names; None: could not tell
    reboot_since: str | None = None  # ISO time the host first said a reboot is required, where it shows it
    checks: dict[str, CheckOutcome] = field(default_factory=dict)


@dataclass
class Reason:
    rule: str  # stable id: security-updates, pending-updates, reboot, eol, cache-age, required-package, ...
    severity: str  # "warning" or "critical"
    evidence: str  # plain language, with the facts
    key: str = ""  # what a ticket is keyed on with the host: the rule, plus the check or package name

    def __post_init__(self) -> None:
        self.key = self.key or self.rule


@dataclass
class HostResult:
    name: str
    target: str = ""
    groups: list[str] = field(default_factory=list)
    status: str = UNKNOWN
    reasons: list[Reason] = field(default_factory=list)
    score: int | None = None
    notes: list[str] = field(default_factory=list)  # what could not be told, without being a violation
    error: str | None = None  # why the host is unknown
    updates: dict[str, Any] | None = None  # the posture, as `diagnose --only updates --json` gives it
    scanned_at: str = ""
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = plain(self)  # asdict's deep copy of `updates` was most of a host's CPU
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HostResult:
        data = dict(d)
        data["reasons"] = [Reason(**r) for r in data.get("reasons", [])]
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def worst(self) -> str | None:
        sev = {r.severity for r in self.reasons}
        return "critical" if "critical" in sev else "warning" if sev else None


def update_key(name: str, candidate: str | None) -> str:
    """How history recognises one pending update across scans."""
    return f"{name}@{candidate or ''}"


def _age_days(first_seen: str | None, now: dt.datetime) -> float:
    if not first_seen:
        return 0.0
    try:
        when = dt.datetime.fromisoformat(first_seen)
    except ValueError:
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (now - when).total_seconds() / 86400)


def security_age(u: PendingUpdate, first_seen: dict[str, str], now: dt.datetime) -> tuple[float, str]:
    """How long the update has been pending, from the earliest evidence: a scan's first sighting (history) or the
    date by which its archive published it (`published`, where the host shows one). Returns (days, which source)."""
    seen = first_seen.get(update_key(u.name, u.candidate))
    by_scan, by_archive = _age_days(seen, now), _age_days(u.published, now)
    if u.published and by_archive > by_scan:
        return by_archive, f"its archive's Release file is dated {u.published[:10]}"
    if seen:
        return by_scan, f"first seen by a scan {seen[:10]}"
    return by_scan, "first seen by this scan"


def _listed(items: list[str]) -> str:
    more = len(items) - MAX_LISTED
    return "; ".join(items[:MAX_LISTED]) + (f"; and {more} more" if more > 0 else "")


def _security(posture: Posture, rules: Rules, first_seen: dict[str, str], now: dt.datetime) -> list[Reason]:
    overdue: list[str] = []
    for u in posture.security_updates():
        age, source = security_age(u, first_seen, now)
        if age >= rules.max_security_age_days:
            overdue.append(f"{u.label()}, pending {age:.0f} days ({source})")
    if len(overdue) > rules.max_security_updates:
        limit = rules.max_security_age_days
        return [Reason("security-updates", "critical",
                       f"{len(overdue)} security update(s) pending for {limit} days or more "
                       f"(policy allows {rules.max_security_updates}): {_listed(overdue)}")]
    return []


def _reboot(posture: Posture, rules: Rules, since: str | None, now: dt.datetime) -> list[Reason]:
    if posture.reboot.required is not True:
        return []
    age = _age_days(since, now)
    if age < rules.reboot_grace_days:
        return []
    why = "; ".join(posture.reboot.reasons) or "the system says so"
    return [Reason("reboot", "warning", f"a reboot has been required for {age:.0f} days (policy allows "
                   f"{rules.reboot_grace_days}): {why}")]


def _eol(posture: Posture, rules: Rules) -> list[Reason]:
    e = posture.eol
    name = e.name or f"{e.os_id or 'the OS'} {e.version or ''}".strip()
    if e.state == "ended" and not rules.allow_eol:
        return [Reason("eol", "critical", f"{name} reached its end of life on {e.eol or 'an unknown date'}"
                       + (f" (extended support until {e.extended_eol} needs a subscription)" if e.extended_eol
                          else "") + ": no more security updates")]
    if e.state == "extended" and not (rules.allow_extended_support or rules.allow_eol):
        return [Reason("eol", "critical", f"{name} is past standard support ({e.eol}) and only on "
                       f"{e.extended_kind or 'extended support'} until {e.extended_eol}")]
    return []


def _cache(posture: Posture, rules: Rules) -> list[Reason]:
    if rules.max_cache_age_days < 0:
        return []
    old = [c for c in posture.cache if c.age_days is not None and c.age_days > rules.max_cache_age_days]
    missing = [c for c in posture.cache if c.age_days is None and c.stale]
    parts = [f"{c.manager}'s package lists are {c.age_days:.0f} days old" for c in old]
    parts += [f"{c.manager}'s package lists have never been downloaded" for c in missing]
    if not parts:
        return []
    return [Reason("cache-age", "warning", "; ".join(parts) + f" (policy: at most {rules.max_cache_age_days} "
                   "days): the pending list may be incomplete; refresh them (apt update, dnf makecache)")]


def _packages(evidence: HostEvidence, rules: Rules, notes: list[str]) -> list[Reason]:
    if not (rules.required_packages or rules.forbidden_packages):
        return []
    if evidence.installed is None:
        return [Reason("packages", "warning", "the installed packages could not be listed, so required and "
                       "forbidden packages could not be checked")]
    have = set(evidence.installed)
    out = [Reason("required-package", "warning", f"{p} is required by the policy but not installed",
                  key=f"required-package:{p}") for p in rules.required_packages if p not in have]
    out += [Reason("forbidden-package", "critical", f"{p} is installed but forbidden by the policy",
                   key=f"forbidden-package:{p}") for p in rules.forbidden_packages if p in have]
    return out


def _check(check: CommandCheck, outcome: CheckOutcome | None) -> list[Reason]:
    key = f"check:{check.name}"
    if outcome is None or outcome.error is not None:
        why = outcome.error if outcome else "it was not run"
        return [Reason("check", "warning", f"check {check.name!r} could not run: {why}", key=key)]
    problems = []
    if check.expect_exit is not None and outcome.exit_code != check.expect_exit:
        problems.append(f"exit status {outcome.exit_code}, expected {check.expect_exit}")
    if check.expect_output is not None and not re.search(check.expect_output, outcome.output):
        problems.append(f"output does not match {check.expect_output!r}")
    if not problems:
        return []
    tail = outcome.output.strip().splitlines()[-1][:200] if outcome.output.strip() else ""
    return [Reason("check", check.severity, f"check {check.name!r} failed: {', '.join(problems)}"
                   + (f" (last line: {tail})" if tail else ""), key=key)]


def evaluate(name: str, groups: list[str], evidence: HostEvidence, policy: Policy,
             first_seen: dict[str, str] | None = None, now: dt.datetime | None = None) -> HostResult:
    """The host's status against `policy`. `first_seen` maps update keys (and "reboot") to when a scan first saw
    them, from the history; without it, every update counts as new today."""
    now = now or dt.datetime.now(dt.UTC)
    first_seen = first_seen or {}
    posture = evidence.posture
    result = HostResult(name=name, groups=list(groups), updates=posture.to_dict())
    if not posture.checked:
        why = "; ".join(f"{s.source}: {s.reason}" for s in posture.skipped) or "no package manager was found"
        result.error = f"the pending updates could not be read ({why})"
        return result
    rules = policy.for_groups(groups)
    notes: list[str] = []
    reasons = _security(posture, rules, first_seen, now)
    if rules.max_pending_updates >= 0 and posture.counts.get("pending", 0) > rules.max_pending_updates:
        reasons.append(Reason("pending-updates", "warning", f"{posture.counts['pending']} updates pending (policy "
                              f"allows {rules.max_pending_updates})"))
    reasons += _reboot(posture, rules, evidence.reboot_since or first_seen.get("reboot"), now)
    reasons += _eol(posture, rules)
    reasons += _cache(posture, rules)
    reasons += _packages(evidence, rules, notes)
    for check in policy.checks:
        reasons += _check(check, evidence.checks.get(check.name))
    if posture.pending and not any(posture.security_data.get(m) for m in posture.checked):
        notes.append("this host's package manager does not say which updates are security updates")
    if posture.reboot.required is None:
        notes.append("whether a reboot is required could not be told")
    if posture.eol.state == "unknown":
        notes.append("the OS end-of-life date is not known")
    result.reasons = reasons
    result.notes = notes
    result.status = NON_COMPLIANT if reasons else COMPLIANT
    result.score = max(0, 100 - sum(PENALTY[r.severity] for r in reasons))
    return result


def unknown(name: str, groups: list[str], error: str) -> HostResult:
    return HostResult(name=name, groups=list(groups), status=UNKNOWN, error=error)


@dataclass
class FleetTotals:
    hosts: int = 0
    compliant: int = 0
    non_compliant: int = 0
    unknown: int = 0
    score: float | None = None  # the mean score of the hosts that could be scanned
    security_updates: int = 0
    reboot_required: int = 0
    eol: int = 0
    exit_code: int = 0


def totals(results: list[HostResult]) -> FleetTotals:
    """Fleet totals. Exit code, worst first as in Nagios: 2 some host critical, 3 some host unknown,
    1 some host has warnings only, 0 every host compliant."""
    t = FleetTotals(hosts=len(results))
    scores = []
    for r in results:
        if r.status == COMPLIANT:
            t.compliant += 1
        elif r.status == NON_COMPLIANT:
            t.non_compliant += 1
        else:
            t.unknown += 1
        if r.score is not None:
            scores.append(r.score)
        if r.updates:
            t.security_updates += int(r.updates.get("counts", {}).get("security", 0))
            t.reboot_required += 1 if (r.updates.get("reboot") or {}).get("required") is True else 0
            t.eol += 1 if (r.updates.get("eol") or {}).get("state") == "ended" else 0
    t.score = round(sum(scores) / len(scores), 1) if scores else None
    worst = {r.worst for r in results}
    t.exit_code = 2 if "critical" in worst else 3 if t.unknown else 1 if "warning" in worst else 0
    return t
