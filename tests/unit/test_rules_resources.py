"""Health rules for system, resources and storage, on report data built from the sections' definitions
(`diagnostics.sections.factory`: a key the definition lacks fails the test)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnostics.model import Finding, Report, Section, SectionStatus, Severity
from diagnostics.rules import evaluate
from diagnostics.rules import resources as res_rules
from diagnostics.rules import storage as storage_rules
from diagnostics.rules import system as system_rules
from diagnostics.sections import SectionContractError
from diagnostics.sections.factory import make_report

GiB = 1024**3


def report(**sections: dict[str, Any]) -> Report:
    return make_report(**sections)


def raw_report(**sections: dict[str, Any]) -> Report:
    """Sections holding exactly `sections`, not completed from the definitions (for malformed data)."""
    return Report(
        host="test", generated_at="2026-01-01T00:00:00+00:00", platform="linux",
        sections={name: Section(name=name, title=name, data=d) for name, d in sections.items()},
    )


def mount(mp: str, percent: float, total: float = 100 * GiB, **kw: Any) -> dict[str, Any]:
    used = total * percent / 100
    m = {"mountpoint": mp, "device": "/dev/sda1", "fstype": "ext4", "read_only": False,
         "read_only_expected": False, "network": False, "in_fstab": True, "fstab_read_only": False,
         "total": int(total), "used": int(used), "free": int(total - used), "percent": percent,
         "inodes_total": 1000, "inodes_used": 10, "inodes_free": 990, "inodes_percent": 1.0}
    m.update(kw)
    return m


def only(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.id == rule_id]


# --- storage -----------------------------------------------------------------------------------------------
def test_full_root_disk_is_critical_with_the_mount_in_the_title() -> None:
    fs = evaluate(report(storage={"mounts": [mount("/", 97.6)]}))
    [f] = only(fs, "storage.disk_full")
    assert f.severity == Severity.CRITICAL
    assert f.title == "Disk / is 97% full"
    assert f.section == "storage"
    assert "97.6% used" in f.evidence[0] and "GiB" in f.evidence[0]
    assert "Trash" in f.fix and "apt clean" in f.fix
    assert f.incident_type == "technical failure" and f.self_service


def test_nearly_full_data_disk_is_a_warning_and_below_90_is_fine() -> None:
    fs = evaluate(report(storage={"mounts": [mount("/srv", 92.0), mount("/var", 89.9)]}))
    [f] = only(fs, "storage.disk_full")
    assert (f.severity, f.title) == (Severity.WARNING, "Disk /srv is 92% full")


def test_root_with_less_than_one_gib_free_is_critical_whatever_the_percentage() -> None:
    fs = evaluate(report(storage={"mounts": [mount("/", 50.0, total=1 * GiB)]}))
    [f] = only(fs, "storage.disk_full")
    assert f.severity == Severity.CRITICAL
    assert f.title == "Disk / has only 512.0 MiB free"
    # the same small disk elsewhere is not a problem
    assert not only(evaluate(report(storage={"mounts": [mount("/mnt/usb", 50.0, total=1 * GiB)]})),
                    "storage.disk_full")


def test_disk_full_fixes_fit_the_mount() -> None:
    fs = evaluate(report(storage={"mounts": [
        mount("/boot", 95.0), mount("/mnt/nas", 98.0, network=True, fstype="nfs4"),
        mount("/tmp", 99.0, fstype="tmpfs")]}))
    by_title = {f.title: f for f in only(fs, "storage.disk_full")}
    assert "apt autoremove --purge" in by_title["Disk /boot is 95% full"].fix
    assert "file server" in by_title["Network drive /mnt/nas is 98% full"].fix
    assert "restart" in by_title["Disk /tmp is 99% full"].fix


def test_a_second_mount_of_the_same_disk_and_read_only_media_are_not_reported_again() -> None:
    fs = evaluate(report(storage={"mounts": [
        mount("/", 98.0), mount("/home", 98.0, same_device_as="/"),
        mount("/media/cd", 100.0, fstype="iso9660", read_only=True, read_only_expected=True)]}))
    assert [f.title for f in only(fs, "storage.disk_full")] == ["Disk / is 98% full"]
    assert not only(fs, "storage.read_only_mount")


@pytest.mark.parametrize(("pct", "severity"), [(98.0, Severity.CRITICAL), (91.0, Severity.WARNING)])
def test_inodes_almost_exhausted(pct: float, severity: Severity) -> None:
    fs = evaluate(report(storage={"mounts": [mount("/var", 40.0, inodes_percent=pct, inodes_used=int(pct * 10))]}))
    [f] = only(fs, "storage.inodes_full")
    assert f.severity == severity
    assert "/var" in f.title and f"{pct:.0f}%" in f.title
    assert "du --inodes" in f.fix


def test_no_inode_table_is_not_a_finding() -> None:
    fs = evaluate(report(storage={"mounts": [mount("/", 40.0, inodes_percent=None, inodes_total=None)]}))
    assert not only(fs, "storage.inodes_full")


def test_read_only_root_is_critical_but_only_a_warning_in_a_container() -> None:
    [f] = only(evaluate(report(storage={"mounts": [mount("/", 40.0, read_only=True)]})), "storage.root_read_only")
    assert f.severity == Severity.CRITICAL
    assert "read-only" in f.title and not f.self_service
    [g] = only(evaluate(report(storage={"mounts": [mount("/", 40.0, read_only=True)]},
                               system={"virtualization": {"container": "docker", "vm": None}})),
               "storage.root_read_only")
    assert g.severity == Severity.WARNING
    assert any("container" in e for e in g.evidence)


def test_data_disk_that_fstab_mounts_read_write_but_is_read_only() -> None:
    fs = evaluate(report(storage={"mounts": [
        mount("/data", 40.0, read_only=True),
        mount("/backup", 40.0, read_only=True, in_fstab=True, fstab_read_only=True, read_only_expected=True),
        mount("/mnt/ro-volume", 40.0, read_only=True, in_fstab=False)]}))
    [f] = only(fs, "storage.read_only_mount")
    assert (f.severity, f.title) == (Severity.WARNING, "Disk /data has become read-only")
    assert "fsck" in f.fix


def test_network_mount_that_does_not_answer() -> None:
    m = {"mountpoint": "/mnt/nas", "device": "nas:/export", "fstype": "nfs4", "network": True, "unresponsive": True}
    [f] = only(evaluate(report(storage={"mounts": [m]})), "storage.mount_unresponsive")
    assert f.title == "Network drive /mnt/nas is not responding"
    assert "VPN" in f.fix and "umount -l /mnt/nas" in f.fix


# --- memory ------------------------------------------------------------------------------------------------
TOP_MEM = {"top_memory": [{"pid": 4242, "name": "firefox", "rss": 6 * GiB, "cpu_percent": 3.0}],
           "top_cpu": [{"pid": 77, "name": "ffmpeg", "rss": GiB, "cpu_percent": 190.0}]}


@pytest.mark.parametrize(("avail_pct", "severity"), [(4.0, Severity.CRITICAL), (8.0, Severity.WARNING), (30.0, None)])
def test_low_memory(avail_pct: float, severity: Severity | None) -> None:
    total = 16 * GiB
    ram = {"total": total, "available": int(total * avail_pct / 100), "used": 0, "percent": 100 - avail_pct}
    found = only(evaluate(report(memory={"ram": ram}, processes=TOP_MEM)), "memory.low")
    if severity is None:
        assert found == []
        return
    [f] = found
    assert f.severity == severity
    assert f.title == f"The computer is running out of memory (only {avail_pct:.0f}% free)"
    assert "memory: firefox (pid 4242) 6.0 GiB" in f.evidence
    assert "Close programs" in f.fix


@pytest.mark.parametrize(("pct", "severity"), [(98.0, Severity.CRITICAL), (92.0, Severity.WARNING), (60.0, None)])
def test_container_close_to_its_memory_limit(pct: float, severity: Severity | None) -> None:
    lim = {"cgroup": "v2", "limit": 2 * GiB, "used": int(2 * GiB * pct / 100), "percent": pct}
    found = only(evaluate(report(memory={"container_limit": lim}, processes=TOP_MEM)), "memory.container_limit")
    if severity is None:
        assert found == []
        return
    [f] = found
    assert f.severity == severity
    assert f.title == f"Programs here are close to their memory limit ({pct:.0f}% of 2.0 GiB used)"
    assert "memory limit" in f.fix and not f.self_service


def test_heavy_swap_use() -> None:
    swap = {"total": 2 * GiB, "used": int(1.8 * GiB), "free": int(0.2 * GiB), "percent": 90.0}
    [f] = only(evaluate(report(memory={"swap": swap})), "memory.swap_heavy")
    assert f.severity == Severity.WARNING and "90%" in f.title
    assert not only(evaluate(report(memory={"swap": {"total": 0, "used": 0, "percent": 0.0}})), "memory.swap_heavy")


def test_memory_pressure_from_psi() -> None:
    def psi(some: float, full: float) -> dict[str, Any]:
        return {"pressure": {"some": {"avg10": 0.0, "avg60": some, "avg300": 0.0},
                             "full": {"avg10": 0.0, "avg60": full, "avg300": 0.0}}}

    [w] = only(evaluate(report(memory=psi(25.0, 2.0))), "memory.pressure")
    assert w.severity == Severity.WARNING
    assert "some 25.0%" in w.evidence[0]
    [c] = only(evaluate(report(memory=psi(40.0, 12.0))), "memory.pressure")
    assert c.severity == Severity.CRITICAL
    assert not only(evaluate(report(memory=psi(1.0, 0.0))), "memory.pressure")


# --- CPU ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("load", "severity"), [
    ((6.0, 5.0, 4.5), Severity.WARNING), ((9.0, 9.0, 8.5), Severity.CRITICAL), ((20.0, 1.0, 0.5), None),
])
def test_sustained_load(load: tuple[float, float, float], severity: Severity | None) -> None:
    cpu = {"logical_cores": 2, "load_average": {"1min": load[0], "5min": load[1], "15min": load[2]}}
    found = only(evaluate(report(cpu=cpu, processes=TOP_MEM)), "cpu.high_load")
    if severity is None:
        assert found == []  # a one-minute spike is not "sustained"
        return
    [f] = found
    assert f.severity == severity
    assert "overloaded" in f.title
    assert "busy: ffmpeg (pid 77) 190.0% CPU" in f.evidence
    assert f.incident_type == "software problem"


# --- zombies -----------------------------------------------------------------------------------------------
def test_one_zombie_is_info_naming_its_parent() -> None:
    procs = {"zombie_count": 1, "zombies": [{"pid": 900, "name": "sh", "ppid": 800, "parent_name": "backup.py"}]}
    [f] = only(evaluate(report(processes=procs)), "processes.zombies")
    assert f.severity == Severity.INFO
    assert f.title == "1 finished program is still listed (zombie process)"
    assert "1 left behind by backup.py (pid 800)" in f.evidence
    assert "backup.py (pid 800)" in f.fix


def test_many_zombies_are_a_warning() -> None:
    zs = [{"pid": 1000 + i, "name": "worker", "ppid": 50, "parent_name": "server"} for i in range(25)]
    [f] = only(evaluate(report(processes={"zombie_count": 25, "zombies": zs})), "processes.zombies")
    assert f.severity == Severity.WARNING
    assert f.title.startswith("25 finished programs are still listed")
    assert not only(evaluate(report(processes={"zombie_count": 0, "zombies": []})), "processes.zombies")


# --- battery and temperature -------------------------------------------------------------------------------
def battery(**kw: Any) -> dict[str, Any]:
    b = {"name": "BAT0", "percent": 80.0, "status": "discharging", "health_percent": 95.0, "cycle_count": 100,
         "seconds_left": 1200, "capacity_level": "Normal"}
    b.update(kw)
    return b


@pytest.mark.parametrize(("pct", "plugged", "severity"), [
    (8.0, False, Severity.WARNING), (4.0, False, Severity.CRITICAL), (8.0, True, None), (40.0, False, None),
])
def test_low_battery(pct: float, plugged: bool, severity: Severity | None) -> None:
    status = "charging" if plugged else "discharging"
    power = {"batteries": [battery(percent=pct, status=status)], "plugged_in": plugged}
    found = only(evaluate(report(power=power)), "power.battery_low")
    if severity is None:
        assert found == []
        return
    [f] = found
    assert f.severity == severity
    assert f.title == f"The battery is almost empty ({pct:.0f}%)"
    assert "about 20 minutes left" in f.evidence
    assert "charger" in f.fix


@pytest.mark.parametrize(("health", "severity"), [(45.0, Severity.WARNING), (65.0, Severity.INFO), (90.0, None)])
def test_worn_battery(health: float, severity: Severity | None) -> None:
    found = only(evaluate(report(power={"batteries": [battery(health_percent=health)], "plugged_in": True})),
                 "power.battery_worn")
    if severity is None:
        assert found == []
        return
    [f] = found
    assert f.severity == severity
    assert f"{health:.0f}% of its original capacity" in f.title
    assert not f.self_service


@pytest.mark.parametrize(("status", "severity"), [
    ("Dead", Severity.CRITICAL), ("Overheat", Severity.CRITICAL), ("Unspecified failure", Severity.WARNING),
    ("Good", None), (None, None),
])
def test_battery_that_reports_a_fault(status: str | None, severity: Severity | None) -> None:
    found = only(evaluate(report(power={"batteries": [battery(health_status=status)], "plugged_in": True})),
                 "power.battery_failed")
    if severity is None:
        assert found == []
        return
    [f] = found
    assert f.severity == severity
    assert f.title == f"The battery reports a fault: {status.lower()}"  # type: ignore[union-attr]


def test_high_temperature() -> None:
    temps = [{"chip": "coretemp", "label": "Package id 0", "celsius": 96.0, "high": 100.0, "critical": 100.0},
             {"chip": "acpitz", "label": "acpitz", "celsius": 48.0, "high": None, "critical": 20.0}]
    [f] = only(evaluate(report(power={"temperatures": temps})), "power.high_temperature")
    assert f.severity == Severity.WARNING
    assert f.title == "The computer is running hot (Package id 0 at 96 °C)"
    assert f.evidence == ["coretemp Package id 0: 96 °C (limit 90 °C)"]  # the bogus 20 °C limit is ignored
    temps[0]["celsius"] = 101.0
    [g] = only(evaluate(report(power={"temperatures": temps})), "power.high_temperature")
    assert g.severity == Severity.CRITICAL and not g.self_service
    temps[0]["celsius"] = 60.0
    assert not only(evaluate(report(power={"temperatures": temps})), "power.high_temperature")


# --- system ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "severity", "incident"), [
    (45, Severity.INFO, "software problem"), (120, Severity.WARNING, "security"), (3, None, None),
])
def test_long_uptime(days: int, severity: Severity | None, incident: str | None) -> None:
    sysd = {"uptime_s": days * 86400 + 10, "uptime_human": f"{days} days, 0 h",
            "boot_time": "2025-01-01T00:00:00+00:00", "os": {"source": "/etc/os-release"}}
    found = only(evaluate(report(system=sysd)), "system.long_uptime")
    if severity is None:
        assert found == []
        return
    [f] = found
    assert f.severity == severity and f.incident_type == incident
    assert f.title == f"This computer has not been restarted for {days} days"
    assert "restart" in f.fix.lower()


def test_os_without_os_release() -> None:
    [f] = only(evaluate(report(system={"os": {"source": "platform"}})), "system.os_release_missing")
    assert f.severity == Severity.INFO
    assert not only(evaluate(report(system={"os": {"source": "/usr/lib/os-release"}})), "system.os_release_missing")


# --- robustness --------------------------------------------------------------------------------------------
def test_skipped_sections_give_no_findings() -> None:
    r = report(storage={"mounts": [mount("/", 99.0)]}, memory={"ram": {"total": 100, "available": 1}})
    for s in r.sections.values():
        s.status = SectionStatus.SKIPPED
    assert evaluate(r) == []


@pytest.mark.parametrize("module", [storage_rules, res_rules, system_rules])
def test_rules_survive_odd_data(module: Any) -> None:
    odd = raw_report(
        storage={"mounts": [{"mountpoint": "/", "percent": "full", "total": None}, "junk", {"percent": 99}]},
        memory={"ram": {"total": "x", "available": None}, "swap": None, "pressure": {"some": None}},
        cpu={"logical_cores": 0, "load_average": {"5min": "high"}},
        processes={"zombies": ["x", {"pid": None}], "zombie_count": None, "top_cpu": "nope"},
        power={"batteries": [{"percent": "low"}, None], "temperatures": [{"celsius": "hot"}, 5]},
        system={"uptime_s": "long", "os": {}},
    )
    for rule in module.RULES:
        with pytest.raises(SectionContractError, match="rule could not read section"):
            list(rule(odd))  # a loud stop, not a silent nothing
    found = evaluate(odd)
    assert not [f for f in found if f.id.startswith("deskside.rule_failed")]
    unreadable = {f.id: f for f in found if f.id.startswith("deskside.section_unreadable.")}
    assert set(unreadable) == {f"deskside.section_unreadable.{n}" for n in odd.sections}
    assert "rule could not read section system: key 'uptime_s' should be number, not string" in \
        unreadable["deskside.section_unreadable.system"].evidence
    assert all(f.severity == Severity.INFO for f in unreadable.values())


def test_a_mount_point_named_by_a_usb_label_is_quoted_in_the_commands_of_the_fix() -> None:
    import shlex

    mp = "/media/u/x';touch /tmp/pwned;'"
    fs = evaluate(report(storage={"mounts": [mount("/data" + mp, 99.0, inodes_percent=99.0, inodes_used=990),
                                             mount("/srv/share x", 10.0, unresponsive=True)]}))
    [full] = only(fs, "storage.disk_full")
    assert f"du -xh --max-depth=2 {shlex.quote('/data' + mp)} |" in full.fix
    [inodes] = only(fs, "storage.inodes_full")
    assert f"du --inodes -x {shlex.quote('/data' + mp)} |" in inodes.fix
    [hung] = only(fs, "storage.mount_unresponsive")
    assert "sudo umount -l '/srv/share x'" in hung.fix


def test_zombies_of_pid_1_are_not_fixed_by_restarting_pid_1() -> None:
    """'Restart the parent program (systemd (pid 1))' asked the user to restart init."""
    procs = {"zombie_count": 2, "zombies": [{"pid": 900 + i, "name": "sh", "ppid": 1, "parent_name": "systemd"}
                                            for i in range(2)]}
    [f] = only(evaluate(report(processes=procs)), "processes.zombies")
    assert "Restart the parent program" not in f.fix
    assert "system's first process (systemd (pid 1))" in f.fix and "restart of the computer" in f.fix
