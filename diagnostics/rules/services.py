"""Health rules for services: failed systemd units and services in a restart loop."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Report, Severity
from ..sections import read
from ..sections.services import FailedUnit
from .helpers import shell_word

# Units whose failure leaves the machine unreachable, offline, without logs or without a login screen.
CRITICAL_UNITS = frozenset({
    "sshd.service", "ssh.service", "NetworkManager.service", "systemd-networkd.service",
    "systemd-resolved.service", "systemd-journald.service", "dbus.service", "dbus-broker.service",
    "systemd-logind.service", "display-manager.service", "gdm.service", "sddm.service", "lightdm.service",
    "polkit.service", "systemd-udevd.service", "wpa_supplicant.service", "networking.service",
})
MANY_FAILED = 5  # this many failed units at once is critical
ONE_BY_ONE = 3  # up to this many failed units get a finding each; more are summed up in one


def _short(unit: str) -> str:
    """`nginx.service` -> `nginx` (systemctl accepts both; the short form is easier to type)."""
    return unit[: -len(".service")] if unit.endswith(".service") else unit


def _fix(unit: str) -> str:
    u = shell_word(_short(unit))
    return (f"Restart it: sudo systemctl restart {u}; if it fails again, see why with journalctl -u {u} -b "
            f"(the last lines say what went wrong). If you do not need it: sudo systemctl disable --now {u}, "
            f"then sudo systemctl reset-failed {u}.")


def _evidence(u: FailedUnit) -> list[str]:
    ev = [f"{u.get('unit')}: {u.get('active', 'failed')} ({u.get('sub', '')})"
          + (f" — {u['description']}" if u.get("description") else "")]
    lines = u.get("last_lines") or []
    if lines:
        ev.append("Last log lines:")
        ev.extend(f"  {ln}" for ln in lines)
    return ev


def failed_services(report: Report) -> Iterable[Finding]:
    d = read(report, "services")
    if not d:
        return []
    failed = [u for u in d.get("failed") or [] if u["unit"]]
    if not failed:
        return []
    critical_units = [u["unit"] for u in failed if u["unit"] in CRITICAL_UNITS]
    if len(failed) <= ONE_BY_ONE:
        out = []
        for u in failed:
            crit = u["unit"] in CRITICAL_UNITS
            sev = Severity.CRITICAL if crit else Severity.WARNING
            out.append(Finding(
                id="services.failed", severity=sev,
                title=f"The service {u['unit']} has failed",
                evidence=_evidence(u), fix=_fix(u["unit"]), section="services",
                incident_type="technical failure", self_service=not crit,
            ))
        return out
    sev = Severity.CRITICAL if len(failed) >= MANY_FAILED or critical_units else Severity.WARNING
    evidence: list[str] = []
    for u in failed:
        evidence.extend(_evidence(u))
    names = ", ".join(_short(u["unit"]) for u in failed[:8]) + (" ..." if len(failed) > 8 else "")
    return [Finding(
        id="services.failed", severity=sev,
        title=f"{len(failed)} services have failed" + (f", including {', '.join(critical_units)}"
                                                        if critical_units else ""),
        evidence=evidence,
        fix=(f"Restart them one by one: sudo systemctl restart {shell_word(_short(failed[0]['unit']))} "
             f"(and likewise {names}); "
             "for any that fails again, see journalctl -u NAME -b. List them with systemctl --failed. "
             "So many failures at once often have one cause (a full disk, a broken update, no network): "
             "check the other findings first."),
        section="services", incident_type="technical failure", self_service=not critical_units,
    )]


def restart_loops(report: Report) -> Iterable[Finding]:
    d = read(report, "services")
    if not d:
        return []
    out = []
    for r in d.get("restart_loops") or []:
        unit = r.get("unit", "")
        if not unit:
            continue
        n = int(r.get("restarts") or 0)
        crit = unit in CRITICAL_UNITS
        u = shell_word(_short(unit))
        now = " and is waiting to be started again" if r.get("sub") == "auto-restart" else ""
        out.append(Finding(
            id="services.restart_loop", severity=Severity.CRITICAL if crit else Severity.WARNING,
            title=f"The service {unit} keeps crashing and restarting",
            evidence=[f"{unit}: restarted {n} times by systemd{now}",
                      f"state: {r.get('active', '')} ({r.get('sub', '')}), last result: {r.get('result', '')}"],
            fix=(f"See why it stops: journalctl -u {u} -b. Fix the cause it names (a bad setting, a missing "
                 f"file, a port in use), then: sudo systemctl restart {u}. If it is not needed: "
                 f"sudo systemctl disable --now {u}."),
            section="services", incident_type="software problem", self_service=not crit,
        ))
    return out


RULES = [failed_services, restart_loops]
