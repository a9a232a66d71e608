"""Health rules: read a Report, return Findings with plain-language titles, evidence and fixes.

Each rules module exposes `RULES`, a list of functions `(report) -> Iterable[Finding]`. A rule that breaks on
unexpected data is skipped (and noted as an info finding) rather than breaking the report.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from ..model import Finding, Report, Severity

Rule = Callable[[Report], Iterable[Finding]]

_MODULES = ["system", "resources", "storage", "network", "services", "logs", "updates"]


def all_rules() -> list[Rule]:
    rules: list[Rule] = []
    for mod in _MODULES:
        rules.extend(importlib.import_module(f"{__name__}.{mod}").RULES)  # a missing module is a broken install
    return rules


def evaluate(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for rule in all_rules():
        try:
            findings.extend(rule(report))
        except Exception as exc:
            findings.append(Finding(
                id=f"deskside.rule_failed.{getattr(rule, '__name__', 'rule')}",
                severity=Severity.INFO,
                title="A health check could not be evaluated",
                evidence=[f"{getattr(rule, '__name__', 'rule')}: {type(exc).__name__}: {exc}"],
                fix="Nothing to do on this machine; please report it to the Deskside developers.",
                section="deskside",
                incident_type="software problem",
            ))
    return sorted(findings, key=lambda f: (-int(f.severity), f.section, f.id))
