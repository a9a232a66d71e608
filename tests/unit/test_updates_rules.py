"""Health rules on the patch posture: what a user sees for pending, security, reboot, EOL and stale caches."""

from __future__ import annotations

from diagnostics.model import Report, Section, SectionStatus, Severity
from diagnostics.rules import evaluate
from diagnostics.rules import updates as rules
from diagnostics.updates.posture import (
    CacheAge,
    EolStatus,
    PendingUpdate,
    Posture,
    RebootStatus,
    SourceSkip,
)


def report(p: Posture, status: SectionStatus = SectionStatus.OK) -> Report:
    p.recount()
    r = Report(host="pc", generated_at="2026-01-01T00:00:00+00:00", platform=p.platform)
    r.sections["updates"] = Section(name="updates", title="Updates", status=status, data=p.to_dict())
    return r


def posture(pending: list[PendingUpdate], cache_days: float = 1.0, manager: str = "apt",
            platform: str = "linux") -> Posture:
    return Posture(host="pc", collected_at="2026-01-01T00:00:00+00:00", platform=platform, managers=[manager],
                   checked=[manager], pending=pending, security_data={manager: True},
                   cache=[CacheAge(manager=manager, age_days=cache_days, stale=cache_days > 7)])


def sec(i: int) -> PendingUpdate:
    return PendingUpdate(name=f"lib{i}", manager="apt", installed="1.0-1", candidate="1.0-2",
                         source="bookworm-security", security=True)


def by_id(r: Report) -> dict:  # type: ignore[type-arg]
    return {f.id: f for f in evaluate(r) if f.section == "updates"}


def test_security_updates_with_fresh_cache_are_critical() -> None:
    f = by_id(report(posture([sec(i) for i in range(12)])))["updates.security_pending"]
    assert f.severity == Severity.CRITICAL and f.incident_type == "security" and f.self_service
    assert f.title == "12 security updates waiting to be installed"
    assert f.evidence[0] == "lib0 1.0-1 -> 1.0-2 (bookworm-security)"
    assert len(f.evidence) == 11 and f.evidence[-1] == "... and 2 more"
    assert f.fix == ("Open Software Updater (or your software centre) and install all updates, or in a terminal "
                     "run: sudo apt update && sudo apt upgrade")


def test_security_updates_with_stale_cache_are_a_warning() -> None:
    found = by_id(report(posture([sec(1)], cache_days=20)))
    f = found["updates.security_pending"]
    assert f.severity == Severity.WARNING and f.title == "1 security update waiting to be installed"
    assert "the package cache is out of date" in f.evidence[-1]
    stale = found["updates.stale_cache"]
    assert stale.severity == Severity.INFO
    assert stale.fix == "Open Software Updater (it refreshes the list first), or in a terminal run: sudo apt update"
    assert "20 days ago" in stale.evidence[0]
    assert by_id(report(posture([], cache_days=45)))["updates.stale_cache"].severity == Severity.WARNING


def test_other_updates_by_count() -> None:
    few = [PendingUpdate(name=f"p{i}", manager="dnf", candidate="2", source="updates") for i in range(3)]
    f = by_id(report(posture(few, manager="dnf")))["updates.pending"]
    assert f.severity == Severity.INFO and f.title == "3 updates available"
    assert f.fix == ("Open Software (or Discover) and install all updates, or in a terminal run: "
                     "sudo dnf upgrade --refresh")
    many = few * 20
    assert by_id(report(posture(many, manager="dnf")))["updates.pending"].severity == Severity.WARNING
    assert by_id(report(posture([]))) == {}  # nothing pending, fresh cache: no findings


def test_dnf_security_fix_and_advisories_in_evidence() -> None:
    u = PendingUpdate(name="kernel-core", manager="dnf", installed="5.14.0-427.13.1.el9_4",
                      candidate="5.14.0-427.40.1.el9_4", source="baseos", security=True, advisories=["RLSA-2024:8117"])
    f = by_id(report(posture([u], manager="dnf")))["updates.security_pending"]
    assert f.evidence == ["kernel-core 5.14.0-427.13.1.el9_4 -> 5.14.0-427.40.1.el9_4 (baseos, RLSA-2024:8117)"]
    assert "sudo dnf upgrade --refresh --security" in f.fix


def test_windows_and_macos_fixes() -> None:
    w = PendingUpdate(name="KB5044285", manager="windows", security=True, advisories=["KB5044285"],
                      title="2024-10 Cumulative Update for Windows 11 Version 23H2 (KB5044285)")
    f = by_id(report(posture([w], manager="windows", platform="windows")))["updates.security_pending"]
    assert "Settings > Windows Update" in f.fix
    m = PendingUpdate(name="MSU_UPDATE", manager="macos", title="macOS Sonoma 14.7.1", candidate="14.7.1")
    p = posture([m], manager="macos", platform="darwin")
    p.security_data = {"macos": False}
    found = by_id(report(p))
    assert "System Settings > General > Software Update" in found["updates.pending"].fix
    nodata = found["updates.no_security_data"]
    assert nodata.severity == Severity.INFO and "macos does not publish security data" in nodata.evidence[0]


def test_reboot_required_with_reasons() -> None:
    p = posture([])
    p.reboot = RebootStatus(required=True, reasons=["/var/run/reboot-required exists (requested by libc6)"],
                            packages=["libc6"])
    f = by_id(report(p))["updates.reboot_required"]
    assert f.severity == Severity.WARNING and f.title == "A restart is needed to finish installing updates"
    assert f.evidence == ["/var/run/reboot-required exists (requested by libc6)",
                          "packages that asked for it: libc6"]
    assert "sudo reboot" in f.fix
    p.reboot = RebootStatus(required=None)
    assert "updates.reboot_required" not in by_id(report(p))


def eol_posture(**kw: object) -> Posture:
    p = posture([])
    p.eol = EolStatus(os_id="debian", version="10", name="Debian 10 (buster)", source="distro-info", **kw)  # type: ignore[arg-type]
    return p


def test_end_of_life_severities() -> None:
    ended = by_id(report(eol_posture(eol="2022-09-10", extended_eol="2024-06-30", extended_kind="LTS",
                                     extended_free=True, days_left=-1200, extended_days_left=-500, state="ended")))
    f = ended["updates.os_end_of_life"]
    assert f.severity == Severity.CRITICAL and f.title == "Debian 10 (buster) no longer receives security updates"
    assert f.incident_type == "security" and not f.self_service
    assert "debian.org/releases" in f.fix
    soon = by_id(report(eol_posture(eol="2026-03-01", days_left=45, state="supported")))["updates.os_end_of_life"]
    assert soon.severity == Severity.WARNING and "ends in 45 days" in soon.title
    lts = by_id(report(eol_posture(eol="2026-07-11", extended_eol="2028-06-30", extended_kind="LTS",
                                   extended_free=True, days_left=-30, extended_days_left=600, state="extended")))
    assert lts["updates.os_end_of_life"].severity == Severity.INFO
    far = by_id(report(eol_posture(eol="2030-01-01", days_left=1400, state="supported")))
    assert "updates.os_end_of_life" not in far
    assert "updates.os_end_of_life" not in by_id(report(eol_posture(state="unknown")))


def test_failed_check_and_skipped_section() -> None:
    p = posture([])
    p.checked = []
    p.skipped = [SourceSkip("apt", "apt list failed: E: Could not open file")]
    f = by_id(report(p))["updates.not_checked"]
    assert f.severity == Severity.WARNING and "apt list failed" in f.evidence[0]
    assert by_id(report(posture([sec(1)]), status=SectionStatus.SKIPPED)) == {}
    assert rules.RULES and all(callable(r) for r in rules.RULES)


def test_posture_record_round_trip_tolerates_newer_fields() -> None:
    p = posture([sec(1)])
    p.recount()
    d = p.to_dict()
    assert Posture.from_dict(d) == p
    d["pending"][0]["cvss"] = 9.8  # written by a newer Deskside
    d["eol"]["support_url"] = "https://example.invalid/"
    again = Posture.from_dict(d)
    assert again.pending[0].name == "lib1" and again.eol == p.eol
