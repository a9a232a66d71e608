"""Terminal rendering: findings first (worst first), then a compact summary of every section."""

from __future__ import annotations

import textwrap
from typing import Any

from ..model import Finding, Report, Section, SectionStatus, Severity

_MARK = {Severity.CRITICAL: "CRITICAL", Severity.WARNING: "WARNING ", Severity.INFO: "info    "}
_COLOUR = {Severity.CRITICAL: "\033[1;31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"


def _finding(f: Finding, colour: bool, width: int) -> list[str]:
    mark = _MARK.get(f.severity, "")
    head = f"{_COLOUR[f.severity]}{mark}{_RESET}" if colour and f.severity in _COLOUR else mark
    lines = [f"{head} {f.title}"]
    for ev in f.evidence[:8]:
        lines.extend(textwrap.wrap(ev, width - 11, initial_indent="         - ", subsequent_indent="           "))
    if len(f.evidence) > 8:
        lines.append(f"           (+{len(f.evidence) - 8} more)")
    if f.fix:
        lines.extend(textwrap.wrap(f.fix, width - 9, initial_indent="  Fix:   ", subsequent_indent="         "))
    return lines


def section_summary(s: Section) -> str:
    """One line per section from well-known keys; falls back to a key count."""
    d: dict[str, Any] = s.data
    try:
        if s.name == "system" and d:
            os_name = d.get("os", {}).get("pretty_name") if isinstance(d.get("os"), dict) else d.get("os_pretty_name")
            return ", ".join(str(x) for x in (os_name, d.get("kernel"), _uptime(d.get("uptime_s"))) if x)
        if s.name == "cpu" and d:
            return f"{d.get('model', '?')}, {d.get('logical_cores', '?')} threads, load {_load(d)}"
        if s.name == "memory" and d:
            return f"{_pct(d.get('percent'))} used of {_gib(d.get('total'))}"
        if s.name == "storage" and d:
            mounts = d.get("mounts", [])
            fullest = max(mounts, key=lambda m: m.get("percent", 0), default=None)
            if fullest:
                return f"{len(mounts)} mounts, fullest {fullest.get('mountpoint')} at {_pct(fullest.get('percent'))}"
        if s.name == "updates" and d:
            return (f"{d.get('pending_count', d.get('counts', {}).get('pending', '?'))} pending, "
                    f"{d.get('security_count', d.get('counts', {}).get('security', '?'))} security")
        if s.name == "processes" and d:
            return f"{d.get('total', '?')} processes, {len(d.get('zombies', []))} zombies"
    except (AttributeError, TypeError, ValueError):
        pass
    return f"{len(d)} items" if d else ""


def _uptime(sec: Any) -> str | None:
    if not isinstance(sec, (int, float)):
        return None
    days, rem = divmod(int(sec), 86400)
    return f"up {days}d {rem // 3600}h" if days else f"up {rem // 3600}h {rem % 3600 // 60}m"


def _load(d: dict[str, Any]) -> str:
    la = d.get("load_avg") or d.get("loadavg")
    if isinstance(la, (list, tuple)) and la:
        return " ".join(f"{x:.2f}" for x in la[:3])
    return "?"


def _pct(x: Any) -> str:
    return f"{x:.0f}%" if isinstance(x, (int, float)) else "?"


def _gib(x: Any) -> str:
    return f"{x / 2**30:.1f} GiB" if isinstance(x, (int, float)) else "?"


def render_text(report: Report, colour: bool = False, width: int = 100) -> str:
    out: list[str] = []
    findings = report.sorted_findings()
    problems = [f for f in findings if f.severity >= Severity.WARNING]
    if problems:
        out.append(f"Found {len(problems)} problem(s) on {report.host}:")
    elif report.cancelled:
        out.append(f"Diagnostics of {report.host} were cancelled; what was collected is below.")
    else:
        out.append(f"No problems found on {report.host}.")
    out.append("")
    for f in findings:
        out.extend(_finding(f, colour, width))
        out.append("")
    out.append(f"Summary ({report.duration_s:.2f} s):")
    for s in report.sections.values():
        status = s.status.value
        extra = section_summary(s) if s.status in (SectionStatus.OK, SectionStatus.PARTIAL, SectionStatus.TIMEOUT) \
            else ""
        if s.status == SectionStatus.ERROR and s.error:
            extra = s.error
        elif s.status == SectionStatus.SKIPPED and s.skips:
            extra = s.skips[0].reason
        line = f"  {s.title:<22} {status:<9} {s.duration_s:5.2f}s  {extra}"
        out.append(line.rstrip()[: width + 40])
        if s.status == SectionStatus.PARTIAL and s.skips:
            out.append(f"  {'':<22} skipped: " + "; ".join(f"{k.item}: {k.reason}" for k in s.skips[:3])[:width])
    return "\n".join(out) + "\n"
