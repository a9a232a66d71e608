"""Health rules for logs and crashes: OOM kills, segfaults, a unit flooding the log with errors, crash loops,
recent crash reports, and logs Deskside could not read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..model import Finding, Report, SectionStatus, Severity
from ..sections import read
from ..sections.logs import LogsData
from .helpers import shell_word

NOISY_UNIT = 50  # errors from one unit in the window that make a finding
NOISY_MAX_FINDINGS = 3
OOM_CRITICAL = 3  # OOM kills in the window that make it critical
CRASH_LOOP = 3  # crashes of one executable in 24 hours
CRASH_LOOP_CRITICAL = 10
RIGHTS_HINT = "adm/systemd-journal group"


def _window(d: LogsData) -> str:
    h = d.get("since_hours")
    if not h:
        return "since the last boot"
    h = float(h)
    return "in the last 24 hours" if h == 24 else f"in the last {h:g} hours"


def _where_to_look(report: Report, d: LogsData, unit: str) -> str:
    source = d.get("source", "")
    if source == "windows-eventlog" or report.platform == "windows":
        return (f"Open Event Viewer (eventvwr.msc) > Windows Logs > System and Application, and filter the current "
                f"log by the source {unit}.")
    if source == "macos-unified-log" or report.platform == "darwin":
        return f"Open the Console app, choose Errors and Faults, and search for {unit}."
    if source == "journal":
        flag = f"-u {shell_word(unit)}" if "." in unit else f"-t {shell_word(unit)}"
        return f"Read its messages: journalctl {flag} -p 3 -b."
    return f"Read its messages: grep -F -- {shell_word(unit)} /var/log/syslog (or /var/log/messages)."


def oom_kills(report: Report) -> Iterable[Finding]:
    d = read(report, "logs")
    if not d:
        return []
    kills = d.get("oom_kills") or []
    if not kills:
        return []
    procs = Counter(str(k.get("process", "?")) for k in kills)
    names = ", ".join(f"{p} ({n}x)" if n > 1 else p for p, n in procs.most_common(5))
    title = (f"The system ran out of memory and killed {kills[0].get('process')}" if len(kills) == 1
             else f"The system ran out of memory {len(kills)} times and killed programs ({names})")
    return [Finding(
        id="logs.oom_kill",
        severity=Severity.CRITICAL if len(kills) >= OOM_CRITICAL else Severity.WARNING,
        title=title,
        evidence=[f"{k.get('time') or 'time unknown'}: {k.get('message', '')}" for k in kills[:10]],
        fix=("Close programs you do not need, and see which program uses the most memory in the Processes "
             "section. If one program keeps growing, restart it and report it to its makers. If the machine "
             "simply needs more, add memory or swap space (a swap file of 2-4 GiB helps on small machines)."),
        section="logs", incident_type="technical failure", self_service=True,
    )]


def segfaults(report: Report) -> Iterable[Finding]:
    d = read(report, "logs")
    if not d:
        return []
    segs = d.get("segfaults") or []
    if not segs:
        return []
    procs = Counter(str(s.get("process", "?")) for s in segs)
    if len(procs) == 1:
        p, n = procs.most_common(1)[0]
        title = f"The program {p} crashed (segmentation fault)" + (f" {n} times" if n > 1 else "")
    else:
        names = ", ".join(p for p, _ in procs.most_common(4))
        title = f"{len(procs)} programs crashed with a segmentation fault ({names})"
    return [Finding(
        id="logs.segfault",
        severity=Severity.WARNING,
        title=title,
        evidence=[f"{s.get('time') or 'time unknown'}: {s.get('message', '')}" for s in segs[:10]],
        fix=("Install the latest updates for the program (sudo apt upgrade, or your software centre). If it keeps "
             "crashing, restart it; if that does not help, report the crash to its makers with the time and the "
             "lines above. Crashes in many different programs can mean faulty memory: run a memory test."),
        section="logs", incident_type="software problem", self_service=True,
    )]


def noisy_units(report: Report) -> Iterable[Finding]:
    d = read(report, "logs")
    if not d:
        return []
    out = []
    for g in (d.get("groups") or [])[:NOISY_MAX_FINDINGS]:
        count = int(g.get("count") or 0)
        if count < NOISY_UNIT:
            continue
        unit = str(g.get("unit", "unknown"))
        out.append(Finding(
            id="logs.many_errors",
            severity=Severity.WARNING,
            title=f"{unit} logged {count} errors {_window(d)}",
            evidence=[f"first: {g.get('first') or '?'}, last: {g.get('last') or '?'}",
                      f"latest message: {g.get('sample', '')}"],
            fix=(_where_to_look(report, d, unit) + " The message says what it is missing (a file, a setting, a "
                 "device, the network). If it is a service, restarting it often helps; if the errors continue, "
                 "report them to whoever looks after this program."),
            section="logs", incident_type="software problem", self_service=True,
        ))
    return out


def unreadable_logs(report: Report) -> Iterable[Finding]:
    s = report.sections.get("logs")
    if s is None or s.status in (SectionStatus.ERROR, SectionStatus.CANCELLED):
        return []
    blocked = [sk for sk in s.skips if RIGHTS_HINT in sk.reason]
    if not blocked:
        return []
    return [Finding(
        id="logs.unreadable",
        severity=Severity.INFO,
        title="Deskside could not read all of the system logs",
        evidence=[f"{sk.item}: {sk.reason}" for sk in blocked],
        fix=("Run the check with administrator rights (sudo deskside diagnose), or let your account read the logs: "
             "sudo usermod -aG adm,systemd-journal $USER, then log out and back in."),
        section="logs", incident_type="request", self_service=True,
    )]


def crash_loops(report: Report) -> Iterable[Finding]:
    d = read(report, "crashes")
    if not d:
        return []
    out = []
    for g in d.get("by_executable") or []:
        n = int(g.get("count_24h") or 0)
        if n < CRASH_LOOP:
            continue
        exe = str(g.get("executable", "unknown"))
        name = exe.rsplit("/", 1)[-1]
        sig = f" ({g['signal']})" if g.get("signal") else ""
        out.append(Finding(
            id="crashes.crash_loop",
            severity=Severity.CRITICAL if n >= CRASH_LOOP_CRITICAL else Severity.WARNING,
            title=f"{name} keeps crashing: {n} times in the last 24 hours",
            evidence=[f"{exe}: {n} crashes in 24 hours, {g.get('count')} in the last "
                      f"{d.get('since_days', 7):g} days; last at {g.get('last') or '?'}{sig}"],
            fix=(f"Install updates for {name} (sudo apt upgrade), then restart it. If it is started automatically "
                 f"and keeps crashing, stop it until it is fixed and report the crash to its makers; on Ubuntu: "
                 f"ubuntu-bug {shell_word(exe)} sends the crash report."),
            section="crashes", incident_type="software problem", self_service=True,
        ))
    return out


def recent_crashes(report: Report) -> Iterable[Finding]:
    d = read(report, "crashes")
    if not d:
        return []
    groups = [g for g in d.get("by_executable") or [] if int(g.get("count_24h") or 0) < CRASH_LOOP
              and int(g.get("count") or 0) > 0]
    if not groups:
        return []
    days = float(d.get("since_days", 7))
    names = [str(g.get("executable", "?")).rsplit("/", 1)[-1] for g in groups]
    title = (f"{names[0]} crashed in the last {days:g} days" if len(groups) == 1
             else f"{len(groups)} programs crashed in the last {days:g} days")
    apport = any(r.get("source") == "apport" for r in d.get("reports") or [])
    fix = ("If a program crashed while you used it, install its updates (sudo apt upgrade) and restart it. "
           "If it crashes again, report it to its makers")
    fix += (": on Ubuntu, ubuntu-bug /var/crash/<report>.crash sends the report. Old reports can be removed with "
            "sudo rm /var/crash/*.crash." if apport else "; coredumpctl info <program> shows the details.")
    return [Finding(
        id="crashes.recent",
        severity=Severity.INFO,
        title=title,
        evidence=[f"{g.get('executable')}: {g.get('count')}x, last at {g.get('last') or '?'}"
                  + (f" ({g['signal']})" if g.get("signal") else "") for g in groups[:10]],
        fix=fix, section="crashes", incident_type="software problem", self_service=True,
    )]


RULES = [oom_kills, segfaults, noisy_units, unreadable_logs, crash_loops, recent_crashes]
