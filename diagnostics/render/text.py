"""Terminal rendering: findings first (worst first), then a compact summary of every section. Every value that came
from the machine (log lines, process and file names, host names, error texts) goes through `common.terminal.shown`:
its control characters are printed escaped, never obeyed by the terminal."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from common.terminal import shown

from ..model import Finding, Report, Section, SectionStatus, Severity

_MARK = {Severity.CRITICAL: "CRITICAL", Severity.WARNING: "WARNING ", Severity.INFO: "info    "}
_COLOUR = {Severity.CRITICAL: "\033[1;31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"
_MORE = re.compile(r"^\.\.\. and (\d+) more$")  # how rules end a cut list of evidence


def _finding(f: Finding, colour: bool, width: int) -> list[str]:
    mark = _MARK.get(f.severity, "")
    head = f"{_COLOUR[f.severity]}{mark}{_RESET}" if colour and f.severity in _COLOUR else mark
    lines = [f"{head} {shown(f.title, True)}"]
    for ev in f.evidence[:8]:
        lines.extend(textwrap.wrap(shown(ev, True), width - 11, initial_indent="         - ",
                                   subsequent_indent="           "))
    hidden = f.evidence[8:]
    if hidden:  # a hidden "... and 66 more" line counts as 66, not 1
        more = sum(int(m[1]) if (m := _MORE.match(h)) else 1 for h in hidden)
        lines.append(f"           (+{more} more)")
    if f.fix:
        lines.extend(textwrap.wrap(shown(f.fix, True), width - 9, initial_indent="  Fix:   ",
                                   subsequent_indent="         "))
    return lines


def section_summary(s: Section) -> str:
    """One line per section from its well-known keys; falls back to a key count."""
    d: dict[str, Any] = s.data
    try:
        fn = _SUMMARIES.get(s.name)
        if fn is not None and d:
            return fn(d)
    except (AttributeError, TypeError, ValueError, KeyError):
        pass
    return f"{len(d)} items" if d else ""


def _sum_system(d: dict[str, Any]) -> str:
    os_ = d.get("os") or {}
    kernel = d.get("kernel") or {}
    virt = d.get("virtualization") or {}
    where = "/".join(str(v) for v in (virt.get("vm"), virt.get("container")) if v and v != "none")
    bits = [os_.get("pretty_name"), f"kernel {kernel.get('release')}" if kernel.get("release") else None,
            f"up {d['uptime_human']}" if d.get("uptime_human") else _uptime(d.get("uptime_s")), where or None]
    return ", ".join(str(b) for b in bits if b)


def _sum_cpu(d: dict[str, Any]) -> str:
    la = d.get("load_average") or {}
    load = " ".join(f"{la[k]:.2f}" for k in ("1min", "5min", "15min") if k in la) or "?"
    return f"{d.get('model', '?')}, {d.get('logical_cores', '?')} threads, {_pct(d.get('usage_percent'))} busy, " \
        f"load {load}"


def _sum_memory(d: dict[str, Any]) -> str:
    ram, swap = d.get("ram") or {}, d.get("swap") or {}
    text = f"{_pct(ram.get('percent'))} of {_gib(ram.get('total'))} used"
    return text + (f", swap {_pct(swap.get('percent'))} of {_gib(swap.get('total'))}" if swap.get("total") else
                   ", no swap")


def _sum_storage(d: dict[str, Any]) -> str:
    mounts = d.get("mounts") or []
    fullest = max(mounts, key=lambda m: m.get("percent") or 0, default=None)
    if not fullest:
        return "no mounts"
    return f"{len(mounts)} mounts, fullest {fullest.get('mountpoint')} at {_pct(fullest.get('percent'))} " \
        f"({_gib(fullest.get('free'))} free)"


def _sum_network(d: dict[str, Any]) -> str:
    ifs = [i for i in d.get("interfaces") or [] if not i.get("loopback")]
    up = sum(1 for i in ifs if i.get("up"))
    gws = [r.get("gateway") for r in d.get("default_routes") or [] if r.get("gateway")]
    dns = (d.get("dns") or {}).get("nameservers") or []
    verdict = d.get("verdict")
    return ", ".join(x for x in (f"{up}/{len(ifs)} interfaces up", f"gateway {gws[0]}" if gws else "no gateway",
                                 f"DNS {', '.join(dns[:2])}" if dns else "no DNS server", verdict) if x)


def _sum_processes(d: dict[str, Any]) -> str:
    zombies = d.get("zombie_count", len(d.get("zombies") or []))
    return f"{d.get('total', '?')} processes, {zombies} zombie{'' if zombies == 1 else 's'}"


def _sum_logs(d: dict[str, Any]) -> str:
    if not d.get("source"):
        return "no log was read"  # not "0 errors": nothing was looked at
    return f"{d.get('errors_total', 0)} errors in {d.get('since_hours', 24):g} h from {d.get('source', '?')}, " \
        f"{len(d.get('oom_kills') or [])} OOM kills, {len(d.get('segfaults') or [])} segfaults"


def _sum_crashes(d: dict[str, Any]) -> str:
    return f"{d.get('total', 0)} crash reports in {d.get('since_days', 7):g} days"


def _sum_services(d: dict[str, Any]) -> str:
    failed = d.get("failed") or d.get("failed_units") or []
    return f"{len(failed)} failed units"


def _sum_updates(d: dict[str, Any]) -> str:
    counts = d.get("counts") or {}
    reboot = (d.get("reboot") or {}).get("required")
    eol = d.get("eol") or {}
    checked = bool(d.get("checked") or d.get("pending")) or "checked" not in d
    bits = [f"{counts.get('pending', '?')} pending" if checked else "pending updates not checked",
            f"{counts.get('security', '?')} security" if checked else None,
            "reboot required" if reboot else None, f"EOL {eol['eol']}" if isinstance(eol.get("eol"), str) else None]
    return ", ".join(b for b in bits if b)


def _sum_connectivity(d: dict[str, Any]) -> str:
    return str(d.get("verdict", "")) + (f": {d['summary']}" if d.get("summary") else "")


_SUMMARIES = {
    "system": _sum_system, "cpu": _sum_cpu, "memory": _sum_memory, "storage": _sum_storage,
    "network": _sum_network, "processes": _sum_processes, "logs": _sum_logs, "crashes": _sum_crashes,
    "services": _sum_services, "updates": _sum_updates, "connectivity": _sum_connectivity,
}


def _uptime(sec: Any) -> str | None:
    if not isinstance(sec, (int, float)):
        return None
    days, rem = divmod(int(sec), 86400)
    return f"up {days}d {rem // 3600}h" if days else f"up {rem // 3600}h {rem % 3600 // 60}m"


def _pct(x: Any) -> str:
    return f"{x:.0f}%" if isinstance(x, (int, float)) else "?"


def _gib(x: Any) -> str:
    return f"{x / 2**30:.1f} GiB" if isinstance(x, (int, float)) else "?"


def render_text(report: Report, colour: bool = False, width: int = 100) -> str:
    out: list[str] = []
    host = shown(report.host, True)
    findings = report.sorted_findings()
    problems = [f for f in findings if f.severity >= Severity.WARNING]
    if problems:
        out.append(f"Found {len(problems)} problem(s) on {host}"
                   + (" before the diagnostics were cancelled; what was collected is below:" if report.cancelled
                      else ":"))
    elif report.cancelled:
        out.append(f"Diagnostics of {host} were cancelled; what was collected is below.")
    else:
        unfinished = [sec.title for sec in report.sections.values()
                      if sec.status in (SectionStatus.TIMEOUT, SectionStatus.ERROR)]
        if unfinished:  # do not call it a clean bill of health when checks are missing
            out.append(f"No problems found on {host} in what could be checked; "
                       f"{', '.join(unfinished)} did not finish (see the summary below).")
        else:
            out.append(f"No problems found on {host}.")
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
            extra = s.skips[0].reason if len(s.skips) == 1 else "; ".join(f"{k.item}: {k.reason}"
                                                                           for k in s.skips[:3])
        head = f"  {shown(s.title, True)[:24]:<24} {status:<9} {s.duration_s:5.2f}s  "
        out.extend(textwrap.wrap(shown(extra, True), width, initial_indent=head,
                                 subsequent_indent=" " * len(head)) or [head])
        if s.status in (SectionStatus.PARTIAL, SectionStatus.TIMEOUT) and s.skips:
            skipped = "skipped " + "; ".join(f"{k.item}: {k.reason}" for k in s.skips[:3])
            out.extend(textwrap.wrap(shown(skipped, True), width, initial_indent=" " * len(head),
                                     subsequent_indent=" " * len(head)))
    return "\n".join(out) + "\n"
