"""Resource health: memory and swap, memory pressure, CPU load, zombie processes, battery, temperatures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..model import Finding, Report, Severity
from ..sections import read
from ..sections.power import Temperature
from .helpers import human_bytes

MEMORY_AVAILABLE_WARNING_PERCENT = 10.0  # less RAM available than this -> warning
MEMORY_AVAILABLE_CRITICAL_PERCENT = 5.0
CGROUP_WARNING_PERCENT = 90.0  # share of the container's (cgroup's) memory limit in use
CGROUP_CRITICAL_PERCENT = 97.0
SWAP_HEAVY_PERCENT = 80.0  # swap this full -> warning
PSI_SOME_WARNING = 20.0  # % of the last minute some task waited for memory
PSI_FULL_CRITICAL = 10.0  # % of the last minute all tasks waited for memory
LOAD_WARNING_PER_CORE = 2.0  # 5- and 15-minute load per logical core
LOAD_CRITICAL_PER_CORE = 4.0
ZOMBIE_WARNING_COUNT = 20
BATTERY_LOW_WARNING_PERCENT = 15.0
BATTERY_LOW_CRITICAL_PERCENT = 5.0
BATTERY_HEALTH_INFO_PERCENT = 70.0  # holds less than this share of its design capacity
BATTERY_HEALTH_WARNING_PERCENT = 50.0
# POWER_SUPPLY_HEALTH values that are fine
BATTERY_HEALTH_OK = frozenset({"Good", "Unknown", "Cool", "Warm", "No battery"})
TEMP_WARNING_C = 90.0  # used when a sensor gives no limit of its own
TEMP_CRITICAL_C = 100.0
TEMP_PLAUSIBLE_LIMIT_C = 45.0  # a sensor limit below this is taken as bogus and the defaults above are used


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _top(report: Report, key: str, n: int = 3) -> list[str]:
    procs = read(report, "processes")
    if procs is None:
        return []
    lines = []
    entries = (procs.get("top_cpu") if key == "top_cpu" else procs.get("top_memory")) or []
    for p in entries[:n]:
        if key == "top_cpu":
            lines.append(f"busy: {p.get('name')} (pid {p.get('pid')}) {p.get('cpu_percent', 0)}% CPU")
        else:
            lines.append(f"memory: {p.get('name')} (pid {p.get('pid')}) {human_bytes(float(p.get('rss') or 0))}")
    return lines


# --- memory ------------------------------------------------------------------------------------------------
def memory_low(report: Report) -> Iterable[Finding]:
    d = read(report, "memory")
    if d is None:
        return
    ram = d.get("ram") or {}
    total, avail = _num(ram.get("total")), _num(ram.get("available"))
    if not total or avail is None:
        return
    pct = 100.0 * avail / total
    if pct < MEMORY_AVAILABLE_CRITICAL_PERCENT:
        sev = Severity.CRITICAL
    elif pct < MEMORY_AVAILABLE_WARNING_PERCENT:
        sev = Severity.WARNING
    else:
        return
    yield Finding(
        id="memory.low",
        severity=sev,
        title=f"The computer is running out of memory (only {pct:.0f}% free)",
        evidence=[f"{human_bytes(avail)} of {human_bytes(total)} RAM available ({pct:.1f}%)",
                  f"warning under {MEMORY_AVAILABLE_WARNING_PERCENT:g}%, critical under "
                  f"{MEMORY_AVAILABLE_CRITICAL_PERCENT:g}%", *_top(report, "top_memory")],
        fix=("Close programs and browser tabs you are not using (the biggest users are listed above). If it happens "
             "every day, restart the computer once, and ask IT support whether more memory can be fitted."),
        section="memory",
        incident_type="technical failure",
        self_service=True,
    )


def container_limit(report: Report) -> Iterable[Finding]:
    d = read(report, "memory")
    if d is None:
        return
    lim = d.get("container_limit")
    if lim is None:
        return
    limit, used = _num(lim["limit"]), _num(lim["used"])
    if not limit or used is None:
        return
    pct = 100.0 * used / limit
    if pct >= CGROUP_CRITICAL_PERCENT:
        sev = Severity.CRITICAL
    elif pct >= CGROUP_WARNING_PERCENT:
        sev = Severity.WARNING
    else:
        return
    yield Finding(
        id="memory.container_limit",
        severity=sev,
        title=f"Programs here are close to their memory limit ({pct:.0f}% of {human_bytes(limit)} used)",
        evidence=[f"cgroup {lim.get('cgroup', '?')} limit: {human_bytes(used)} used of {human_bytes(limit)} "
                  f"({pct:.1f}%)", f"warning at {CGROUP_WARNING_PERCENT:g}%, critical at {CGROUP_CRITICAL_PERCENT:g}%",
                  *_top(report, "top_memory")],
        fix=("This system runs in a container or a group with its own memory limit; at the limit the kernel ends "
             "programs without warning. Stop programs you do not need, or ask whoever runs the container to raise "
             "its memory limit."),
        section="memory",
        incident_type="technical failure",
        self_service=False,
    )


def swap_heavy(report: Report) -> Iterable[Finding]:
    d = read(report, "memory")
    if d is None:
        return
    swap = d.get("swap") or {}
    total, pct = _num(swap.get("total")), _num(swap.get("percent"))
    if not total or pct is None or pct < SWAP_HEAVY_PERCENT:
        return
    yield Finding(
        id="memory.swap_heavy",
        severity=Severity.WARNING,
        title=f"The swap space is {pct:.0f}% used: the computer will be slow",
        evidence=[f"swap: {human_bytes(float(swap.get('used') or 0))} used of {human_bytes(total)} ({pct:.1f}%)",
                  f"warning at {SWAP_HEAVY_PERCENT:g}%", *_top(report, "top_memory")],
        fix=("Memory has overflowed to the much slower disk. Close programs you are not using, or restart the "
             "computer to start fresh. If it keeps happening, the computer needs more memory."),
        section="memory",
        incident_type="technical failure",
        self_service=True,
    )


def memory_pressure(report: Report) -> Iterable[Finding]:
    d = read(report, "memory")
    if d is None:
        return
    p = d.get("pressure") or {}
    some = _num((p.get("some") or {}).get("avg60"))
    full = _num((p.get("full") or {}).get("avg60"))
    if full is not None and full >= PSI_FULL_CRITICAL:
        sev = Severity.CRITICAL
    elif some is not None and some >= PSI_SOME_WARNING:
        sev = Severity.WARNING
    else:
        return
    yield Finding(
        id="memory.pressure",
        severity=sev,
        title="Programs are stalling while they wait for memory",
        evidence=[f"memory pressure over the last minute: some {some if some is not None else '?'}%, "
                  f"full {full if full is not None else '?'}% (from /proc/pressure/memory)",
                  f"warning at some >= {PSI_SOME_WARNING:g}%, critical at full >= {PSI_FULL_CRITICAL:g}%",
                  *_top(report, "top_memory")],
        fix=("The computer spends its time moving memory around instead of working. Close the programs that use "
             "the most memory (listed above) or restart the computer."),
        section="memory",
        incident_type="technical failure",
        self_service=True,
    )


# --- CPU ---------------------------------------------------------------------------------------------------
def high_load(report: Report) -> Iterable[Finding]:
    d = read(report, "cpu")
    if d is None:
        return
    la = d.get("load_average") or {}
    cores = _num(d.get("logical_cores"))
    l5, l15 = _num(la.get("5min")), _num(la.get("15min"))
    if not cores or l5 is None or l15 is None:
        return
    sustained = min(l5, l15) / cores  # both the 5- and 15-minute averages must be high: not a short spike
    if sustained >= LOAD_CRITICAL_PER_CORE:
        sev = Severity.CRITICAL
    elif sustained >= LOAD_WARNING_PER_CORE:
        sev = Severity.WARNING
    else:
        return
    yield Finding(
        id="cpu.high_load",
        severity=sev,
        title=f"The processor has been overloaded for at least 15 minutes ({sustained:.1f}x what it can handle)",
        evidence=[f"load average 1/5/15 min: {la.get('1min')} / {l5} / {l15} on {int(cores)} logical cores",
                  f"warning at {LOAD_WARNING_PER_CORE:g}x, critical at {LOAD_CRITICAL_PER_CORE:g}x the cores "
                  "(5- and 15-minute averages)", *_top(report, "top_cpu")],
        fix=("Many programs want the processor at once, or they wait for a slow disk. Close or wait for the busy "
             "programs listed above; a program stuck at high CPU can be ended in the System Monitor (or with "
             "'kill PID'). If the load stays high with nothing open, restart the computer."),
        section="cpu",
        incident_type="software problem",
        self_service=True,
    )


# --- processes ---------------------------------------------------------------------------------------------
def zombies(report: Report) -> Iterable[Finding]:
    d = read(report, "processes")
    if d is None:
        return
    zs = d.get("zombies") or []
    count = int(_num(d.get("zombie_count")) or len(zs))
    if count <= 0:
        return
    parents = Counter(f"{z.get('parent_name') or '?'} (pid {z.get('ppid')})" for z in zs)
    ev = [f"{count} zombie process{'es' if count != 1 else ''}"]
    ev += [f"{n} left behind by {parent}" for parent, n in parents.most_common(5)]
    names = ", ".join(parent for parent, _ in parents.most_common(3))
    if zs and all(str(z.get("ppid")) == "1" for z in zs):
        # PID 1 (init, or a container's first process) cannot be restarted on its own.
        fix = ("Zombies use no memory or CPU, so this is harmless unless their number keeps growing. They belong to "
               f"the system's first process ({names}), which only a restart of the computer (or of the container) "
               "replaces: restart when it suits you.")
    else:
        fix = ("Zombies use no memory or CPU, but they show that a program does not clean up after its children. "
               f"Restart the parent program ({names or 'see the evidence'}); the zombies disappear with it. "
               "A restart of the computer also clears them.")
    yield Finding(
        id="processes.zombies",
        severity=Severity.WARNING if count >= ZOMBIE_WARNING_COUNT else Severity.INFO,
        title=(f"{count} finished program{'s are' if count != 1 else ' is'} still listed (zombie "
               f"process{'es' if count != 1 else ''})"),
        evidence=ev,
        fix=fix,
        section="processes",
        incident_type="software problem",
        self_service=True,
    )


# --- power -------------------------------------------------------------------------------------------------
def battery(report: Report) -> Iterable[Finding]:
    d = read(report, "power")
    if d is None:
        return
    bats = d.get("batteries") or []
    plugged = d.get("plugged_in")
    for b in bats:
        name = b.get("name") or "battery"
        pct = _num(b.get("percent"))
        discharging = plugged is False or b.get("status") == "discharging"
        if pct is not None and discharging and pct <= BATTERY_LOW_WARNING_PERCENT:
            left = _num(b.get("seconds_left"))
            ev = [f"{name}: {pct:.0f}% charged, {b.get('status', 'unknown')}, not plugged in"]
            if left:
                ev.append(f"about {int(left // 60)} minutes left")
            yield Finding(
                id="power.battery_low",
                severity=Severity.CRITICAL if pct <= BATTERY_LOW_CRITICAL_PERCENT else Severity.WARNING,
                title=f"The battery is almost empty ({pct:.0f}%)",
                evidence=ev,
                fix="Plug in the charger now and save your work; the computer will switch itself off when empty.",
                section="power",
                incident_type="technical failure",
                self_service=True,
            )
        health = _num(b.get("health_percent"))
        if health is not None and health < BATTERY_HEALTH_INFO_PERCENT:
            ev = [f"{name} holds {health:.0f}% of the charge it held when new"]
            if b.get("cycle_count"):
                ev.append(f"{b['cycle_count']} charge cycles")
            yield Finding(
                id="power.battery_worn",
                severity=Severity.WARNING if health < BATTERY_HEALTH_WARNING_PERCENT else Severity.INFO,
                title=f"The battery is worn out ({health:.0f}% of its original capacity)",
                evidence=ev,
                fix=("The battery runs out much sooner than when it was new. Ask IT support or the manufacturer "
                     "for a replacement battery; until then keep the charger with you."),
                section="power",
                incident_type="technical failure",
                self_service=False,
            )
        status = b.get("health_status")
        if isinstance(status, str) and status not in BATTERY_HEALTH_OK:
            yield Finding(
                id="power.battery_failed",
                severity=Severity.CRITICAL if status in ("Dead", "Overheat", "Over voltage") else Severity.WARNING,
                title=f"The battery reports a fault: {status.lower()}",
                evidence=[f"{name}: the battery's own health status is '{status}'"],
                fix=("Unplug the charger if the battery is hot or swollen and shut the computer down. Ask IT support "
                     "or the manufacturer to check and replace the battery; do not keep using a damaged battery."),
                section="power",
                incident_type="technical failure",
                self_service=False,
            )
        if b.get("capacity_level") == "Critical" and pct is None:
            yield Finding(
                id="power.battery_low",
                severity=Severity.CRITICAL,
                title="The battery is almost empty",
                evidence=[f"{name}: the battery reports a critical charge level"],
                fix="Plug in the charger now and save your work; the computer will switch itself off when empty.",
                section="power",
                incident_type="technical failure",
                self_service=True,
            )


def temperature(report: Report) -> Iterable[Finding]:
    d = read(report, "power")
    if d is None:
        return
    worst: tuple[Severity, Temperature, float, float] | None = None
    hot: list[str] = []
    for t in d.get("temperatures") or []:
        c = _num(t.get("celsius"))
        if c is None:
            continue
        crit = _num(t.get("critical"))
        if crit is None or crit < TEMP_PLAUSIBLE_LIMIT_C:  # missing or a bogus limit reported by the chip
            crit = TEMP_CRITICAL_C
        high = _num(t.get("high"))
        if high is None or high < TEMP_PLAUSIBLE_LIMIT_C or high >= crit:
            high = min(TEMP_WARNING_C, crit - 5)
        if c >= crit:
            sev, limit = Severity.CRITICAL, crit
        elif c >= high:
            sev, limit = Severity.WARNING, high
        else:
            continue
        hot.append(f"{t.get('chip')} {t.get('label')}: {c:.0f} °C (limit {limit:.0f} °C)")
        if worst is None or (sev, c) > (worst[0], worst[2]):
            worst = (sev, t, c, limit)
    if worst is None:
        return
    sev, t, c, _limit = worst
    yield Finding(
        id="power.high_temperature",
        severity=sev,
        title=f"The computer is running hot ({t.get('label') or t.get('chip')} at {c:.0f} °C)",
        evidence=hot[:6],
        fix=("Make sure the air vents are free (not on a bed or a lap, no dust), and close programs that keep the "
             "processor busy. If it stays hot, the fan may be clogged or broken: ask IT support to clean or "
             "repair it. Very high temperatures make the computer switch itself off to protect itself."),
        section="power",
        incident_type="technical failure",
        self_service=sev != Severity.CRITICAL,
    )


RULES = [memory_low, container_limit, swap_heavy, memory_pressure, high_load, zombies, battery, temperature]
