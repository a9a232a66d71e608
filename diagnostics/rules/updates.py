"""Health rules for the patch posture (the `updates` section)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ..model import Finding, Report, Severity
from ..sections import read
from ..updates.posture import CACHE_VERY_STALE_DAYS, NO_MANAGER, PendingUpdate, Posture

SECTION: Final = "updates"
EVIDENCE_MAX = 10
MANY_PENDING = 50
EOL_WARN_DAYS = 90

# Linux fixes name the graphical tool first (what a non-technical user opens), then the exact terminal command.
UPGRADE_FIX = {
    "apt": "Open Software Updater (or your software centre) and install all updates, or in a terminal run: "
           "sudo apt update && sudo apt upgrade",
    "dnf": "Open Software (or Discover) and install all updates, or in a terminal run: sudo dnf upgrade --refresh",
    "zypper": "Open YaST Online Update (or Discover) and install all updates, or in a terminal run: "
              "sudo zypper refresh && sudo zypper update",
    "pacman": "In a terminal run: sudo pacman -Syu",
    "flatpak": "Open your software centre and install the app updates, or in a terminal run: flatpak update",
    "snap": "Snaps update themselves within a day; to update now, in a terminal run: sudo snap refresh",
    "windows": "Open Settings > Windows Update, click \"Check for updates\", install everything offered and "
               "restart when asked.",
    "macos": "Open System Settings > General > Software Update and install the updates (on macOS 12 and older: "
             "System Preferences > Software Update).",
}
SECURITY_FIX = {
    **UPGRADE_FIX,
    "dnf": "Open Software (or Discover) and install all updates, or in a terminal run: "
           "sudo dnf upgrade --refresh --security (or sudo dnf upgrade --refresh for everything)",
    "zypper": "Open YaST Online Update (or Discover) and install all updates, or in a terminal run: "
              "sudo zypper refresh && sudo zypper patch --category security",
}
REFRESH_FIX = {
    "apt": "Open Software Updater (it refreshes the list first), or in a terminal run: sudo apt update",
    "dnf": "Open Software (or Discover) and let it check for updates, or in a terminal run: sudo dnf makecache",
    "zypper": "Open YaST Online Update (it refreshes the list first), or in a terminal run: sudo zypper refresh",
    "pacman": "In a terminal run: sudo pacman -Syu (refreshing the databases without upgrading is not supported "
              "on Arch)",
    "windows": "Open Settings > Windows Update and click \"Check for updates\".",
    "macos": "Open System Settings > General > Software Update and let it check for updates.",
}
REBOOT_FIX = {
    "linux": "Save your work and restart the computer (or run: sudo reboot).",
    "windows": "Save your work, then open Settings > Windows Update and click \"Restart now\".",
    "darwin": "Save your work and choose Apple menu > Restart.",
}


def _posture(report: Report) -> Posture | None:
    d = read(report, SECTION)
    if not d or "pending" not in d:
        return None
    return Posture.from_dict(d)


def _evidence(updates: list[PendingUpdate]) -> list[str]:
    lines = [u.label() for u in updates[:EVIDENCE_MAX]]
    if len(updates) > EVIDENCE_MAX:
        lines.append(f"... and {len(updates) - EVIDENCE_MAX} more")
    return lines


def _fix(table: dict[str, str], managers: Iterable[str]) -> str:
    fixes = [table[m] for m in dict.fromkeys(managers) if m in table]
    return "\n".join(fixes) if fixes else "Install the pending updates with your system's update tool."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def security_pending(report: Report) -> Iterable[Finding]:
    p = _posture(report)
    if p is None:
        return
    sec = p.security_updates()
    if not sec:
        return
    managers = [u.manager for u in sec]
    stale = {c.manager for c in p.cache if c.stale}
    fresh = not any(m in stale for m in managers)
    evidence = _evidence(sec)
    if not fresh:
        evidence.append("the package cache is out of date, so there may be more")
    yield Finding(
        id="updates.security_pending",
        severity=Severity.CRITICAL if fresh else Severity.WARNING,
        title=f"{_plural(len(sec), 'security update')} waiting to be installed",
        evidence=evidence,
        fix=_fix(SECURITY_FIX, managers),
        section=SECTION,
        incident_type="security",
    )


def other_pending(report: Report) -> Iterable[Finding]:
    p = _posture(report)
    if p is None:
        return
    other = p.other_updates()
    if not other:
        return
    yield Finding(
        id="updates.pending",
        severity=Severity.WARNING if len(other) >= MANY_PENDING else Severity.INFO,
        title=f"{_plural(len(other), 'other update')} available" if p.security_updates() else
              f"{_plural(len(other), 'update')} available",
        evidence=_evidence(other),
        fix=_fix(UPGRADE_FIX, [u.manager for u in other]),
        section=SECTION,
        incident_type="software problem",
    )


def reboot_required(report: Report) -> Iterable[Finding]:
    p = _posture(report)
    if p is None or not p.reboot.required:
        return
    evidence = list(p.reboot.reasons)
    if p.reboot.packages:
        evidence.append(f"packages that asked for it: {', '.join(p.reboot.packages[:EVIDENCE_MAX])}")
    yield Finding(
        id="updates.reboot_required",
        severity=Severity.WARNING,
        title="A restart is needed to finish installing updates",
        evidence=evidence,
        fix=REBOOT_FIX.get(p.platform, REBOOT_FIX["linux"]) + " Until then the old, unpatched code keeps running.",
        section=SECTION,
        incident_type="security",
    )


def _upgrade_advice(p: Posture) -> str:
    e = p.eol
    if e.os_id == "ubuntu":
        return ("Upgrade to a supported Ubuntu release (run: sudo do-release-upgrade), or attach Ubuntu Pro for "
                "Expanded Security Maintenance (run: sudo pro attach).")
    if e.os_id == "debian":
        return "Upgrade to the current Debian release by following its release notes (https://www.debian.org/releases/)."
    if e.os_id == "windows":
        return ("Open Settings > Windows Update and install the newest Windows version offered; if this PC cannot run "
                "Windows 11, ask your IT team about Extended Security Updates or a replacement.")
    if e.os_id == "macos":
        return ("Open System Settings > General > Software Update and upgrade to the newest macOS this Mac supports; "
                "if it supports none, plan its replacement.")
    return f"Upgrade to a supported release of {e.name or e.os_id}; ask your IT team if you are unsure how."


def os_end_of_life(report: Report) -> Iterable[Finding]:
    p = _posture(report)
    if p is None:
        return
    e = p.eol
    name = e.name or f"{e.os_id} {e.version}"
    evidence = [f"{name}: standard security support {'ended' if (e.days_left or 0) < 0 else 'ends'} on {e.eol}"]
    if e.extended_eol:
        evidence.append(f"{e.extended_kind or 'extended'} support until {e.extended_eol}"
                        + ("" if e.extended_free else " (needs a subscription or enrolment)"))
    if e.note:
        evidence.append(e.note)
    evidence.append(f"source: {e.source}")
    if e.state == "ended":
        sev, title = Severity.CRITICAL, f"{name} no longer receives security updates"
    elif e.state == "extended":
        if e.extended_free:
            sev = Severity.INFO
            title = f"{name} is in {e.extended_kind or 'extended'} support until {e.extended_eol}"
        else:
            sev = Severity.WARNING
            title = (f"{name} gets security updates only with {e.extended_kind or 'extended support'} "
                     f"(until {e.extended_eol})")
        if e.extended_days_left is not None and e.extended_days_left <= EOL_WARN_DAYS:
            sev = Severity.WARNING
            title = f"{name} stops receiving security updates in {_plural(e.extended_days_left, 'day')}"
    elif e.state == "supported" and e.days_left is not None and e.days_left <= EOL_WARN_DAYS:
        sev = Severity.WARNING if not (e.extended_free and e.extended_eol) else Severity.INFO
        title = f"Standard support for {name} ends in {_plural(e.days_left, 'day')}"
    else:
        return
    yield Finding(
        id="updates.os_end_of_life", severity=sev, title=title, evidence=evidence, fix=_upgrade_advice(p),
        section=SECTION, incident_type="security", self_service=False,
    )


def stale_cache(report: Report) -> Iterable[Finding]:
    p = _posture(report)
    if p is None:
        return
    stale = [c for c in p.cache if c.stale]
    if not stale:
        return
    evidence = []
    for c in stale:
        if c.age_days is None:
            evidence.append(f"{c.manager}: no package cache found")
        else:
            evidence.append(f"{c.manager}: last refreshed {c.updated_at} ({c.age_days:.0f} days ago)")
    worst = max((c.age_days if c.age_days is not None else float("inf")) for c in stale)
    yield Finding(
        id="updates.stale_cache",
        severity=Severity.WARNING if worst > CACHE_VERY_STALE_DAYS else Severity.INFO,
        title="The list of available updates is out of date, so some updates may not be shown",
        evidence=evidence,
        fix=_fix(REFRESH_FIX, [c.manager for c in stale]),
        section=SECTION,
        incident_type="software problem",
    )


def unknown_security(report: Report) -> Iterable[Finding]:
    p = _posture(report)
    if p is None:
        return
    no_data = [m for m in p.checked if not p.security_data.get(m, True)]
    failed = [s for s in p.skipped if s.source in ("apt", "dnf", "zypper", "pacman", "windows", "macos",
                                                    NO_MANAGER)]
    if failed:
        known = [s.source for s in failed if s.source != NO_MANAGER]
        fix = _fix(REFRESH_FIX, known) if known else (
            "Check for updates with this system's own update tool (its software centre or package manager); "
            "Deskside can list the updates of apt, dnf, zypper and pacman.")
        yield Finding(
            id="updates.not_checked",
            severity=Severity.WARNING,
            title="Deskside could not check this machine for pending updates",
            evidence=[f"{s.source}: {s.reason}" for s in failed][:EVIDENCE_MAX],
            fix=fix + "\nThen run the diagnosis again.",
            section=SECTION,
            incident_type="software problem",
        )
    if no_data:
        pending = [u for u in p.pending if u.manager in no_data]
        yield Finding(
            id="updates.no_security_data",
            severity=Severity.INFO,
            title="It is not known which pending updates fix security problems",
            evidence=[f"{m} does not publish security data to this machine" for m in no_data]
                     + [f"{len(pending)} pending update(s) from these sources: install them all to be safe"],
            fix=_fix(UPGRADE_FIX, no_data),
            section=SECTION,
            incident_type="security",
        )


RULES = [security_pending, other_pending, reboot_required, os_end_of_life, stale_cache, unknown_security]
