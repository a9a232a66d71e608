"""Health rules: read a Report, return Findings with plain-language titles, evidence and fixes.

Each rules module exposes `RULES`, a list of functions `(report) -> Iterable[Finding]`. Rules read sections with
`diagnostics.sections.read`, which checks the data against the section's definition. Nothing a rule could not
do is silent: a section whose data does not fit its definition becomes one info finding
(`deskside.section_unreadable.<section>`) naming the keys and the checks it stopped, and a rule that breaks on
unexpected data is skipped and noted as an info finding (`deskside.rule_failed.<rule>`) rather than breaking the
report.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from ..model import Finding, Report, Severity
from ..sections import SectionContractError, checked

Rule = Callable[[Report], Iterable[Finding]]

_MODULES = ["system", "resources", "storage", "network", "services", "logs", "updates"]
EVIDENCE_MAX = 8  # problems listed per unreadable section


def all_rules() -> list[Rule]:
    rules: list[Rule] = []
    for mod in _MODULES:
        rules.extend(importlib.import_module(f"{__name__}.{mod}").RULES)  # a missing module is a broken install
    return rules


def _unreadable(section: str, problems: list[str], rules: list[str]) -> Finding:
    lines = [f"rule could not read section {section}: {p}" for p in problems[:EVIDENCE_MAX]]
    if len(problems) > EVIDENCE_MAX:
        lines.append(f"... and {len(problems) - EVIDENCE_MAX} more")
    lines.append("checks not evaluated: " + (", ".join(rules) if rules else "none (no check reads it)"))
    return Finding(
        id=f"deskside.section_unreadable.{section}",
        severity=Severity.INFO,
        title=f"The collected '{section}' data does not have the expected shape, so its health checks were skipped",
        evidence=lines,
        fix="Nothing to do on this machine; please report it to the Deskside developers.",
        section="deskside",
        incident_type="software problem",
    )


def evaluate(report: Report) -> list[Finding]:
    with checked(report) as bad:  # every section once, so data no rule reads is still reported when malformed
        findings = _run_rules(report, bad)
    return sorted(findings, key=lambda f: (-int(f.severity), f.section, f.id))


def _run_rules(report: Report, bad: dict[str, list[str]]) -> list[Finding]:
    findings: list[Finding] = []
    stopped: dict[str, list[str]] = {name: [] for name in bad}
    for rule in all_rules():
        name = getattr(rule, "__name__", "rule")
        try:
            findings.extend(rule(report))
        except SectionContractError as exc:
            bad.setdefault(exc.section, exc.problems)
            stopped.setdefault(exc.section, []).append(name)
        except Exception as exc:
            findings.append(Finding(
                id=f"deskside.rule_failed.{name}",
                severity=Severity.INFO,
                title="A health check could not be evaluated",
                evidence=[f"{name}: {type(exc).__name__}: {exc}"],
                fix="Nothing to do on this machine; please report it to the Deskside developers.",
                section="deskside",
                incident_type="software problem",
            ))
    findings.extend(_unreadable(section, bad[section], stopped[section]) for section in bad)
    return findings
