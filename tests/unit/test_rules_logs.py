"""Health rules for services, logs and crashes on hand-built reports."""

from __future__ import annotations

from typing import Any

from diagnostics.model import Report, Section, SectionStatus, Severity, Skip
from diagnostics.rules import evaluate
from diagnostics.rules import logs as lr
from diagnostics.rules import services as sr
from diagnostics.sections.factory import make_data


def report(platform: str = "linux", **sections: dict[str, Any]) -> Report:
    r = Report(host="desk01", generated_at="2026-11-24T12:00:00+00:00", platform=platform)
    for name, data in sections.items():
        r.sections[name] = Section(name=name, title=name.title(), data=make_data(name, **data))
    return r


def unit(name: str, lines: list[str] | None = None) -> dict[str, Any]:
    return {"unit": name, "load": "loaded", "active": "failed", "sub": "failed", "description": f"The {name}",
            "last_lines": lines or []}


def ids(findings: list[Any]) -> list[tuple[str, Severity]]:
    return [(f.id, f.severity) for f in findings]


# --- services ----------------------------------------------------------------------------------------------------

def test_one_failed_service() -> None:
    last = ["2026-11-24T10:03:44+0000 desk01 nginx[3502]: bind() to 0.0.0.0:80 failed (98: Address already in use)"]
    (f,) = sr.failed_services(report(services={"failed": [unit("nginx.service", last)]}))
    assert (f.id, f.severity, f.section) == ("services.failed", Severity.WARNING, "services")
    assert f.title == "The service nginx.service has failed"
    assert f.evidence[0] == "nginx.service: failed (failed) — The nginx.service"
    assert f.evidence[1] == "Last log lines:" and "Address already in use" in f.evidence[2]
    assert f.fix.startswith("Restart it: sudo systemctl restart nginx; if it fails again, see why with "
                            "journalctl -u nginx -b")
    assert f.incident_type == "technical failure" and f.self_service is True


def test_critical_unit_failed_is_critical_and_needs_a_technician() -> None:
    (f,) = sr.failed_services(report(services={"failed": [unit("NetworkManager.service")]}))
    assert f.severity == Severity.CRITICAL and f.self_service is False


def test_many_failed_services_are_one_critical_finding() -> None:
    units = [unit(f"app{i}.service", [f"line {i}"]) for i in range(6)]
    (f,) = sr.failed_services(report(services={"failed": units}))
    assert f.severity == Severity.CRITICAL
    assert f.title == "6 services have failed"
    assert sum(1 for e in f.evidence if e.startswith("app")) == 6 and "  line 5" in f.evidence


def test_four_failed_services_warning_with_critical_named() -> None:
    units = [unit("a.service"), unit("b.service"), unit("c.service"), unit("d.service")]
    (f,) = sr.failed_services(report(services={"failed": units}))
    assert f.severity == Severity.WARNING and f.title == "4 services have failed"
    units[0] = unit("sshd.service")
    (f,) = sr.failed_services(report(services={"failed": units}))
    assert f.severity == Severity.CRITICAL and f.title == "4 services have failed, including sshd.service"


def test_no_failed_services_or_skipped_section_gives_nothing() -> None:
    assert list(sr.failed_services(report(services={"failed": []}))) == []
    r = report(services={})
    r.sections["services"].status = SectionStatus.SKIPPED
    r.sections["services"].skips = [Skip("systemd units", "systemd is not running on this machine")]
    assert list(sr.failed_services(r)) == [] and list(sr.restart_loops(r)) == []


def test_restart_loop() -> None:
    loops = [{"unit": "worker.service", "restarts": 17, "active": "activating", "sub": "auto-restart",
              "result": "exit-code"}]
    (f,) = sr.restart_loops(report(services={"failed": [], "restart_loops": loops}))
    assert (f.id, f.severity) == ("services.restart_loop", Severity.WARNING)
    assert f.title == "The service worker.service keeps crashing and restarting"
    assert f.evidence[0] == "worker.service: restarted 17 times by systemd and is waiting to be started again"
    assert "journalctl -u worker -b" in f.fix and f.incident_type == "software problem"


# --- logs --------------------------------------------------------------------------------------------------------

def oom(proc: str, pid: int) -> dict[str, Any]:
    return {"time": "2026-11-24T11:20:17+00:00", "process": proc, "pid": pid,
            "message": f"Out of memory: Killed process {pid} ({proc}) total-vm:8123456kB"}


def test_one_oom_kill_is_a_warning() -> None:
    (f,) = lr.oom_kills(report(logs={"source": "journal", "oom_kills": [oom("java", 4321)]}))
    assert (f.id, f.severity) == ("logs.oom_kill", Severity.WARNING)
    assert f.title == "The system ran out of memory and killed java"
    assert f.evidence == ["2026-11-24T11:20:17+00:00: Out of memory: Killed process 4321 (java) total-vm:8123456kB"]


def test_repeated_oom_kills_are_critical() -> None:
    kills = [oom("java", 1), oom("java", 2), oom("chrome", 3)]
    (f,) = lr.oom_kills(report(logs={"oom_kills": kills}))
    assert f.severity == Severity.CRITICAL
    assert f.title == "The system ran out of memory 3 times and killed programs (java (2x), chrome)"


def test_segfaults() -> None:
    segs = [{"time": "t", "process": "python3", "pid": 1, "library": "libpython3.11.so.1.0", "message": "m"}] * 2
    (f,) = lr.segfaults(report(logs={"segfaults": segs}))
    assert (f.id, f.severity, f.incident_type) == ("logs.segfault", Severity.WARNING, "software problem")
    assert f.title == "The program python3 crashed (segmentation fault) 2 times"
    segs.append({"time": "t", "process": "vlc", "pid": 2, "message": "m"})
    (f,) = lr.segfaults(report(logs={"segfaults": segs}))
    assert f.title == "2 programs crashed with a segmentation fault (python3, vlc)"


def group(unit: str, count: int) -> dict[str, Any]:
    return {"unit": unit, "count": count, "first": "2026-11-24T01:00:00+00:00", "last": "2026-11-24T11:00:00+00:00",
            "sample": "bind() failed", "worst_priority": 3, "level": "error"}


def test_many_errors_from_one_unit() -> None:
    logs = {"source": "journal", "since_hours": 24, "groups": [group("nginx.service", 312), group("sudo", 3)]}
    (f,) = lr.noisy_units(report(logs=logs))
    assert (f.id, f.severity) == ("logs.many_errors", Severity.WARNING)
    assert f.title == "nginx.service logged 312 errors in the last 24 hours"
    assert f.fix.startswith("Read its messages: journalctl -u nginx.service -p 3 -b.")
    assert f.evidence[1] == "latest message: bind() failed"


def test_many_errors_fix_fits_the_platform() -> None:
    win = {"source": "windows-eventlog", "since_hours": 24, "groups": [group("Service Control Manager", 80)]}
    (f,) = lr.noisy_units(report("windows", logs=win))
    assert "Event Viewer (eventvwr.msc)" in f.fix and "Service Control Manager" in f.fix
    mac = {"source": "macos-unified-log", "since_hours": 6, "groups": [group("cloudd", 60)]}
    (f,) = lr.noisy_units(report("darwin", logs=mac))
    assert "Console app" in f.fix and f.title == "cloudd logged 60 errors in the last 6 hours"


def test_unreadable_logs_is_an_info_finding() -> None:
    r = report(logs={"since_hours": 24})
    r.sections["logs"].status = SectionStatus.SKIPPED
    r.sections["logs"].skips = [Skip("/var/log/syslog", "needs root or membership of the adm/systemd-journal group")]
    (f,) = lr.unreadable_logs(r)
    assert (f.id, f.severity, f.incident_type) == ("logs.unreadable", Severity.INFO, "request")
    assert "sudo usermod -aG adm,systemd-journal $USER" in f.fix
    r.sections["logs"].skips = [Skip("journal", "the systemd journal has no log files on this machine")]
    assert list(lr.unreadable_logs(r)) == []


# --- crashes -----------------------------------------------------------------------------------------------------

def exe(path: str, count: int, count_24h: int, signal: str = "SIGSEGV") -> dict[str, Any]:
    return {"executable": path, "count": count, "count_24h": count_24h, "last": "2026-11-24T11:00:00+00:00",
            "signal": signal}


def test_crash_loop_and_recent_crashes() -> None:
    crashes = {"since_days": 7, "reports": [{"source": "apport"}],
               "by_executable": [exe("/usr/bin/python3.11", 4, 3), exe("/usr/bin/gedit", 1, 0, "")]}
    findings = list(lr.crash_loops(report(crashes=crashes))) + list(lr.recent_crashes(report(crashes=crashes)))
    assert ids(findings) == [("crashes.crash_loop", Severity.WARNING), ("crashes.recent", Severity.INFO)]
    loop, recent = findings
    assert loop.title == "python3.11 keeps crashing: 3 times in the last 24 hours"
    assert loop.evidence == ["/usr/bin/python3.11: 3 crashes in 24 hours, 4 in the last 7 days; "
                             "last at 2026-11-24T11:00:00+00:00 (SIGSEGV)"]
    assert recent.title == "gedit crashed in the last 7 days"
    assert "ubuntu-bug" in recent.fix


def test_crash_loop_critical_at_ten() -> None:
    (f,) = lr.crash_loops(report(crashes={"by_executable": [exe("/usr/bin/worker", 12, 10)]}))
    assert f.severity == Severity.CRITICAL


def test_two_crashes_in_24h_are_not_a_loop() -> None:
    crashes = {"by_executable": [exe("/usr/bin/worker", 2, 2)], "reports": [{"source": "coredump"}]}
    assert list(lr.crash_loops(report(crashes=crashes))) == []
    (f,) = lr.recent_crashes(report(crashes=crashes))
    assert "coredumpctl info" in f.fix


def test_evaluate_runs_these_rules_and_findings_validate() -> None:
    import json
    from pathlib import Path

    import jsonschema

    r = report(
        services={"failed": [unit("nginx.service")], "restart_loops": []},
        logs={"source": "journal", "since_hours": 24, "groups": [group("nginx.service", 55)],
              "oom_kills": [oom("java", 1)], "segfaults": []},
        crashes={"since_days": 7, "by_executable": [exe("/usr/bin/x", 3, 3)], "reports": []},
    )
    r.findings = evaluate(r)
    got = {f.id for f in r.findings}
    assert {"services.failed", "logs.many_errors", "logs.oom_kill", "crashes.crash_loop"} <= got
    assert not any(f.id.startswith("deskside.rule_failed") for f in r.findings)
    schema_path = Path(__file__).resolve().parents[2] / "diagnostics" / "schema" / "report.schema.json"
    jsonschema.validate(r.to_dict(), json.loads(schema_path.read_text()))



EVIL = "x';touch /tmp/deskside-pwned;'"  # any program can log under any tag: `logger -t "$EVIL" error`


def test_names_from_the_machine_cannot_add_commands_to_a_fix() -> None:
    """A log tag, a crashed program's path or a unit name goes into a command the user is told to type: it is
    quoted as one shell word, so pasting the fix never runs what the name smuggles in."""
    import shlex

    word = shlex.quote(EVIL)
    assert shlex.split(f"grep -F -- {word} /var/log/syslog") == ["grep", "-F", "--", EVIL, "/var/log/syslog"]
    files = {"source": "files", "since_hours": 24, "groups": [group(EVIL, 80)]}
    (f,) = lr.noisy_units(report(logs=files))
    assert f"grep -F -- {word} /var/log/syslog" in f.fix
    journal = {"source": "journal", "since_hours": 24, "groups": [group(EVIL, 80)]}
    (f,) = lr.noisy_units(report(logs=journal))
    assert f"journalctl -t {word} -p 3 -b" in f.fix or f"journalctl -u {word} -p 3 -b" in f.fix
    (f,) = lr.crash_loops(report(crashes={"by_executable": [exe(f"/home/u/{EVIL}", 4, 4)]}))
    assert f"ubuntu-bug {shlex.quote('/home/u/' + EVIL)} sends" in f.fix
    (f,) = sr.failed_services(report(services={"failed": [unit(f"{EVIL}.service")]}))
    assert f"sudo systemctl restart {word};" in f.fix and f"journalctl -u {word} -b" in f.fix
    assert "touch /tmp/deskside-pwned;'" not in f.fix.replace(word, "")  # no unquoted copy anywhere
    # ordinary names are shown as they are
    (f,) = sr.failed_services(report(services={"failed": [unit("nginx.service")]}))
    assert "sudo systemctl restart nginx;" in f.fix
