"""System health: long uptime, an unreadable OS release."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Report, Severity
from ..sections import read

LONG_UPTIME_DAYS = 30  # info: updates to the kernel and libraries wait for a restart
VERY_LONG_UPTIME_DAYS = 90  # warning


def long_uptime(report: Report) -> Iterable[Finding]:
    d = read(report, "system")
    if d is None:
        return
    up = d.get("uptime_s")
    if up is None:  # not read; the section's skip says why
        return
    days = up / 86400
    if days < LONG_UPTIME_DAYS:
        return
    yield Finding(
        id="system.long_uptime",
        severity=Severity.WARNING if days >= VERY_LONG_UPTIME_DAYS else Severity.INFO,
        title=f"This computer has not been restarted for {int(days)} days",
        evidence=[f"up since {d.get('boot_time', '?')} ({d.get('uptime_human', f'{days:.0f} days')})",
                  f"info after {LONG_UPTIME_DAYS} days, warning after {VERY_LONG_UPTIME_DAYS} days"],
        fix=("Save your work and restart the computer (menu > Power > Restart). Security updates to the system and "
             "its libraries only take effect after a restart, and a fresh start also frees memory."),
        section="system",
        incident_type="security" if days >= VERY_LONG_UPTIME_DAYS else "software problem",
        self_service=True,
    )


def os_unknown(report: Report) -> Iterable[Finding]:
    d = read(report, "system")
    if d is None or report.platform != "linux":
        return
    os_info = d.get("os")  # absent when neither file was readable on a remote host
    if os_info is not None and os_info["source"].endswith("os-release"):
        return
    yield Finding(
        id="system.os_release_missing",
        severity=Severity.INFO,
        title="The operating system does not say which distribution or version it is",
        evidence=["neither /etc/os-release nor /usr/lib/os-release could be read"],
        fix=("Deskside cannot tell whether this system still receives updates. Ask IT support which Linux "
             "distribution and version this is; /etc/os-release should be restored from the 'base-files' "
             "(Debian/Ubuntu) or 'system-release' (Fedora) package."),
        section="system",
        incident_type="software problem",
        self_service=False,
    )


RULES = [long_uptime, os_unknown]
