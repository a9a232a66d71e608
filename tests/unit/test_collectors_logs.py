"""The services, logs and crashes collectors: for real on this machine (temp log files, a real crash report, the
real systemctl/journalctl), and through a fake Host replaying recorded outputs for what this machine lacks
(a running systemd, a journal with errors, Windows, macOS)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from diagnostics.cancel import CancelToken
from diagnostics.collectors import CollectContext, select
from diagnostics.collectors.crashes import CrashesCollector
from diagnostics.collectors.logs import RIGHTS, LogsCollector
from diagnostics.collectors.services import ServicesCollector
from diagnostics.host import CommandResult, LocalHost
from diagnostics.model import Section, SectionStatus
from diagnostics.runner import run_collectors
from tests.conftest import need

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"
MiB = 1024 * 1024


def recorded(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8", errors="replace")


class FakeHost:
    """A Host replaying recorded outputs: `responder(argv)` returns a CommandResult (or None for 'not installed')."""

    is_local = False

    def __init__(self, platform: str, responder: Callable[[list[str]], CommandResult | None],
                 files: dict[str, bytes] | None = None) -> None:
        self.name = "fake"
        self.platform = platform
        self.responder = responder
        self.files = files or {}
        self.calls: list[list[str]] = []

    def run(self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        self.calls.append(argv)
        res = self.responder(argv)
        return res if res is not None else CommandResult(argv, 127, "", "", missing=True)

    def read_file(self, path: str, max_bytes: int = 16 * MiB) -> bytes | None:
        data = self.files.get(path)
        return None if data is None else data[:max_bytes]

    def which(self, program: str) -> str | None:
        return None


def ok(argv: list[str], out: str = "", err: str = "", rc: int = 0) -> CommandResult:
    return CommandResult(argv, rc, out, err)


def collect(collector: Any, host: Any, options: dict[str, Any] | None = None, admin: bool = False) -> Section:
    ctx = CollectContext(host=host, options=options or {}, is_admin=admin)
    section = Section(collector.name, collector.title)
    collector.collect(ctx, section)
    return section


def reasons(section: Section) -> str:
    return " | ".join(f"{s.item}: {s.reason}" for s in section.skips)


def systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir()


def journal_has_entries() -> bool:
    if shutil.which("journalctl") is None:
        return False
    out = subprocess.run(["journalctl", "-n", "1", "--no-pager", "-q", "-o", "short-iso"],
                         capture_output=True, text=True, check=False)
    return any(ln.strip() and not ln.startswith("-- ") for ln in out.stdout.splitlines())


def now_stamp(minutes_ago: float = 0) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).isoformat(timespec="microseconds")


# --- services ----------------------------------------------------------------------------------------------------

def test_services_on_this_machine() -> None:
    section = collect(ServicesCollector(), LocalHost())
    if shutil.which("systemctl") is None:
        assert "systemctl is not installed" in reasons(section)
    elif not systemd_running():
        # a container: systemctl exists, but PID 1 is not systemd
        (skip,) = section.skips
        assert skip.item == "systemd units"
        assert "systemd is not running on this machine" in skip.reason
        assert "System has not been booted with systemd" in skip.reason
        assert section.data == {}
    else:
        assert isinstance(section.data["failed"], list)
        assert section.data["failed_count"] == len(section.data["failed"])


def test_services_on_this_machine_through_the_runner_is_a_skip_not_an_error() -> None:
    need(shutil.which("systemctl") is not None, "systemctl")
    report = run_collectors(select(only=["services"]), CollectContext(host=LocalHost()), apply_rules=False)
    s = report.sections["services"]
    assert s.status != SectionStatus.ERROR and s.error is None
    if not systemd_running():
        assert s.status == SectionStatus.SKIPPED


def test_services_failed_units_with_logs_and_restart_loops() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[:2] == ["systemctl", "list-units"]:
            return ok(argv, recorded("systemctl_failed.json"))
        if argv[:3] == ["journalctl", "-u", "nginx.service"]:
            return ok(argv, recorded("journalctl_unit_nginx.txt"))
        if argv[0] == "journalctl":
            return ok(argv, "-- No entries --\n")
        if argv[:2] == ["systemctl", "show"]:
            return ok(argv, recorded("systemctl_show.txt"))
        return None

    host = FakeHost("linux", responder)
    section = collect(ServicesCollector(), host)
    assert section.skips == []
    failed = section.data["failed"]
    assert [u["unit"] for u in failed] == ["nginx.service", "backup.service", "snap-core20-2105.mount"]
    assert len(failed[0]["last_lines"]) == 5
    assert failed[0]["last_lines"][-1].endswith("Failed to start nginx.service - A high performance web server "
                                                "and a reverse proxy server.")
    assert failed[1]["last_lines"] == []
    assert [r["unit"] for r in section.data["restart_loops"]] == ["worker.service", "flaky-agent.service"]
    assert ["journalctl", "-u", "nginx.service", "-n", "5", "-o", "short-iso", "--no-pager", "-q"] in host.calls


def test_services_text_fallback_for_old_systemd() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if "--output=json" in argv:
            return ok(argv, "", "systemctl: unrecognized option '--output=json'", rc=1)
        if argv[:2] == ["systemctl", "list-units"]:
            return ok(argv, recorded("systemctl_failed.txt"))
        if argv[:2] == ["systemctl", "show"]:
            return ok(argv, "", "Unknown assignment: NRestarts", rc=1)
        return ok(argv, "")

    section = collect(ServicesCollector(), FakeHost("linux", responder))
    assert section.data["failed_count"] == 3
    assert "restart counts" in reasons(section)


# --- logs: this machine ------------------------------------------------------------------------------------------

def test_logs_on_this_machine_journal_or_clear_fallback() -> None:
    section = collect(LogsCollector(), LocalHost(), admin=os.geteuid() == 0)
    if journal_has_entries():
        assert section.data["source"] == "journal"
        assert isinstance(section.data["groups"], list)
        return
    # No journal here (a container without systemd): the skip says so, and the /var/log fallback ran.
    text = reasons(section)
    if shutil.which("journalctl") is None:
        assert "journalctl is not installed" in text
    else:
        assert "journal: the systemd journal" in text and ("has no log files" in text or "is empty" in text)
    existing = [p for p in ("/var/log/syslog", "/var/log/messages", "/var/log/kern.log") if Path(p).exists()]
    if existing:
        assert section.data["source"] == "files"
        assert {f["path"] for f in section.data["files"]} >= set(existing)
    else:
        assert "none of /var/log/syslog" in text
        assert section.data.get("source") in (None, "dmesg")


def _syslog_line(stamp: str, tag: str, msg: str) -> bytes:
    return f"{stamp} desk01 {tag}: {msg}\n".encode()


def test_logs_files_tail_only_and_invalid_utf8(tmp_path: Path) -> None:
    small = tmp_path / "syslog"
    small.write_bytes(
        _syslog_line(now_stamp(30), "CRON[1]", "(root) CMD (run-parts /etc/cron.hourly)")
        + _syslog_line(now_stamp(20), "backup[4242]", "error: cannot write to /mnt/backup").rstrip(b"\n")
        + b" \xff\xfe\xc3(\n"
        + _syslog_line(now_stamp(10), "backup[4243]", "error: cannot write to /mnt/backup")
        + _syslog_line(now_stamp(5), "kernel", "[ 812.1] myapp[777]: segfault at 0 ip 0000000000401136 "
                                               "sp 00007ffc8f1e2a40 error 6 in myapp[401000+1000]")
        + _syslog_line(now_stamp(60 * 30), "backup[1]", "error: too old, outside the 24 hours")
    )
    big = tmp_path / "messages"
    with big.open("wb") as fh:
        fh.write(_syslog_line(now_stamp(3), "early-app[1]", "fatal: this line is at the head of the file"))
        filler = _syslog_line(now_stamp(2), "chatty[2]", "routine message number " + "x" * 60)
        fh.write(filler * ((21 * MiB) // len(filler)))
        fh.write(_syslog_line(now_stamp(1), "late-app[3]", "critical: this line is at the end of the file"))
    assert big.stat().st_size > 20 * MiB
    options = {"logs": {"source": "files", "paths": [str(small), str(big), str(tmp_path / "absent.log")],
                        "tail_mib": 1}}
    section = collect(LogsCollector(), LocalHost(), options)
    data = section.data
    assert data["source"] == "files"
    files = {f["path"]: f for f in data["files"]}
    assert files[str(big)]["bytes_read"] == MiB and files[str(big)]["truncated"] is True
    assert files[str(big)]["size"] == big.stat().st_size
    assert files[str(small)]["truncated"] is False
    assert data["capped"] is True
    by_unit = {g["unit"]: g for g in data["groups"]}
    assert by_unit["backup"]["count"] == 2  # the third is older than 24 hours
    assert by_unit["late-app"]["level"] == "critical"
    assert "early-app" not in by_unit  # only the last MiB of the 21 MiB file was read
    assert "chatty" not in by_unit
    assert any(s["process"] == "myapp" and s["pid"] == 777 for s in data["segfaults"])
    assert str(tmp_path / "absent.log") not in reasons(section)  # a missing file is not a problem


def test_logs_files_invalid_bytes_survive_in_the_sample(tmp_path: Path) -> None:
    log = tmp_path / "syslog"
    log.write_bytes(_syslog_line(now_stamp(1), "app[9]", "error: bad name").rstrip(b"\n") + b" \xff\xfe\n")
    section = collect(LogsCollector(), LocalHost(), {"logs": {"source": "files", "paths": [str(log)]}})
    (group,) = [g for g in section.data["groups"] if g["unit"] == "app"]
    # A line that is not UTF-8 is read as cp1252/Latin-1 (old logs): kept whole, every byte visible.
    assert group["sample"] == "error: bad name \xff\xfe"


def _collect_as_nobody(options: dict[str, Any]) -> dict[str, Any]:
    """Run the logs collector in a forked child that dropped to the user nobody (a real non-root reader)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            sec = collect(LogsCollector(), LocalHost(), options, admin=False)
            os.write(w, json.dumps(sec.to_dict()).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 65536):
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


def test_logs_file_unreadable_without_rights_is_a_skip(tmp_path: Path) -> None:
    # A folder every user can traverse (pytest's own tmp root is private to root), with a file only root can read.
    folder = Path(tempfile.mkdtemp(prefix="deskside-logs-", dir="/tmp"))
    folder.chmod(0o755)
    log = folder / "syslog"
    log.write_bytes(_syslog_line(now_stamp(1), "app[9]", "error: secret"))
    log.chmod(0o600)
    options = {"logs": {"source": "files", "paths": [str(log)]}}
    if os.geteuid() == 0:
        result = _collect_as_nobody(options)
        skips = {s["item"]: s["reason"] for s in result["skips"]}
    else:
        log.chmod(0o000)
        section = collect(LogsCollector(), LocalHost(), options)
        skips = {s.item: s.reason for s in section.skips}
    assert skips[str(log)] == RIGHTS == "needs root or membership of the adm/systemd-journal group"


def test_logs_bad_settings_are_named_and_defaults_used() -> None:
    host = FakeHost("linux", _journal_responder)
    section = collect(LogsCollector(), host, {"logs": {"since_hours": "a day", "max_lines": -5, "source": "both"}})
    text = reasons(section)
    assert "setting logs.since_hours: 'a day' is not a number of at least 0; using 24" in text
    assert "setting logs.max_lines: -5 is not a number of at least 1; using 5000" in text
    assert "setting logs.source: 'both' is not one of auto, journal, files; using auto" in text
    assert section.data["source"] == "journal" and section.data["since_hours"] == 24


# --- logs: recorded outputs through a fake host ------------------------------------------------------------------

def _journal_responder(argv: list[str]) -> CommandResult | None:
    if argv[0] != "journalctl":
        return None
    if "-o" in argv and argv[argv.index("-o") + 1] == "short-iso":  # the probe
        return ok(argv, "2026-11-24T12:00:00+0000 desk01 systemd[1]: Started session-4.scope.\n")
    if "-p" in argv:
        return ok(argv, recorded("journal_errors.json"))
    if "-k" in argv:
        return ok(argv, recorded("journal_kernel.json"))
    return None


def test_logs_journal_path() -> None:
    host = FakeHost("linux", _journal_responder)
    section = collect(LogsCollector(), host, {"logs": {"since_hours": 24, "max_lines": 5000}})
    d = section.data
    assert d["source"] == "journal" and section.skips == []
    assert [(g["unit"], g["count"]) for g in d["groups"]][:2] == [("nginx.service", 4), ("kernel", 3)]
    assert len(d["oom_kills"]) == 2 and d["segfaults"][0]["process"] == "python3"
    assert d["capped"] is False
    errors_call = next(c for c in host.calls if "-p" in c)
    assert errors_call[:6] == ["journalctl", "-p", "3", "--since=-1440min", "-n", "5000"]
    assert any(c[:2] == ["journalctl", "-k"] and any(a.startswith("--grep=") for a in c) for c in host.calls)


def test_logs_journal_cap_is_reported() -> None:
    section = collect(LogsCollector(), FakeHost("linux", _journal_responder), {"logs": {"max_lines": 10}})
    assert section.data["capped"] is True


def test_logs_journal_without_rights_notes_it() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        res = _journal_responder(argv)
        if res is not None and "short-iso" in argv:
            res.stderr = ("Hint: You are currently not seeing messages from other users and the system.\n"
                          "      Users in groups 'adm', 'systemd-journal' can see all messages.\n")
        return res

    section = collect(LogsCollector(), FakeHost("linux", responder))
    assert section.data["source"] == "journal"
    assert "only your own messages were read" in reasons(section)
    assert RIGHTS in reasons(section)


def test_logs_journal_only_own_and_empty_falls_back_with_rights_reason() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "journalctl":
            return ok(argv, "-- No entries --\n", "Hint: You are currently not seeing messages from other users "
                                                  "and the system.\n")
        if argv[0] == "stat":
            return ok(argv, "", f"stat: cannot statx '{argv[-1]}': Permission denied", rc=1)
        if argv[0] == "dmesg":
            return ok(argv, "", "dmesg: read kernel buffer failed: Operation not permitted", rc=1)
        return None

    section = collect(LogsCollector(), FakeHost("linux", responder), {"logs": {"paths": ["/var/log/syslog"]}})
    skips = {s.item: s.reason for s in section.skips}
    assert skips["journal"].startswith("only your own messages are visible, and there are none")
    assert skips["/var/log/syslog"] == RIGHTS
    assert "groups" not in section.data


def test_logs_cancel_stops_the_file_scan(tmp_path: Path) -> None:
    from diagnostics.cancel import Cancelled

    log = tmp_path / "syslog"
    log.write_bytes(_syslog_line(now_stamp(1), "app[9]", "error: x"))
    token = CancelToken()
    token.cancel()
    ctx = CollectContext(host=LocalHost(), cancel=token, options={"logs": {"source": "files", "paths": [str(log)]}})
    with pytest.raises(Cancelled):
        LogsCollector().collect(ctx, Section("logs", "Logs"))


def test_logs_no_journal_falls_back_to_files_and_dmesg() -> None:
    syslog = (DATA / "syslog_rfc3339.txt").read_bytes()

    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "journalctl":
            return ok(argv, "-- No entries --\n", "No journal files were found.\n")
        if argv[0] == "stat":
            if argv[-1] == "/var/log/syslog":
                return ok(argv, f"{len(syslog)}\n")
            return ok(argv, "", f"stat: cannot statx '{argv[-1]}': No such file or directory", rc=1)
        if argv[0] == "dmesg":
            return ok(argv, "", "dmesg: read kernel buffer failed: Operation not permitted", rc=1)
        return None

    host = FakeHost("linux", responder, files={"/var/log/syslog": syslog})
    section = collect(LogsCollector(), host, {"logs": {"since_hours": 0}})
    text = reasons(section)
    assert "journald is not running" in text
    assert "kernel log (dmesg): needs root" in text
    assert section.data["source"] == "files"
    assert [f["path"] for f in section.data["files"]] == ["/var/log/syslog"]
    assert {g["unit"] for g in section.data["groups"]} == {"nginx", "systemd", "kernel", "sshd", "dbus-daemon"}


def test_logs_windows_powershell_path() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "powershell":
            assert "Get-WinEvent -FilterHashtable @{LogName='System','Application'; Level=1,2" in argv[-1]
            return ok(argv, recorded("windows_get_winevent.json"))
        return None

    section = collect(LogsCollector(), FakeHost("windows", responder))
    assert section.data["source"] == "windows-eventlog"
    assert section.data["groups"][0]["unit"] == "Service Control Manager"
    assert section.data["errors_total"] == 8


def test_logs_windows_wevtutil_fallback() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "wevtutil":
            return ok(argv, recorded("wevtutil_system.txt") if argv[2] == "System" else "")
        return None  # no PowerShell

    section = collect(LogsCollector(), FakeHost("windows", responder))
    assert "powershell is not installed" in reasons(section)
    assert section.data["source"] == "windows-eventlog"
    assert (section.data["groups"][0]["unit"], section.data["groups"][0]["count"]) == ("Service Control Manager", 2)


def test_logs_macos_path() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[:2] == ["log", "show"]:
            assert argv[argv.index("--predicate") + 1] == "messageType == error or messageType == fault"
            return ok(argv, recorded("macos_log.ndjson"))
        return None

    section = collect(LogsCollector(), FakeHost("darwin", responder))
    assert section.data["source"] == "macos-unified-log"
    assert [(g["unit"], g["count"]) for g in section.data["groups"]] == [("cloudd", 3), ("trustd", 2), ("kernel", 1)]


def test_logs_macos_without_log_tool_is_a_skip() -> None:
    section = collect(LogsCollector(), FakeHost("darwin", lambda argv: None))
    assert "log is not installed" in reasons(section)
    assert "groups" not in section.data


# --- crashes -----------------------------------------------------------------------------------------------------

def test_crashes_real_apport_report_and_core_file(tmp_path: Path) -> None:
    crash_dir = tmp_path / "crash"
    crash_dir.mkdir()
    now_ctime = dt.datetime.now().strftime("%a %b %d %H:%M:%S %Y")
    text = recorded("_usr_bin_gedit.1000.crash").replace("Date: Tue Nov 24 14:02:31 2026", f"Date: {now_ctime}")
    (crash_dir / "_usr_bin_gedit.1000.crash").write_text(text)
    (crash_dir / "notes.txt").write_text("not a crash report")
    core_dir = tmp_path / "coredump"
    core_dir.mkdir()
    usec = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)
    for pid in (101, 102, 103):
        (core_dir / f"core.myworker.1000.1827be70bda44e3b9598c4aaf5ac32bc.{pid}.{usec - pid}.zst").write_bytes(b"")
    options = {"crashes": {"crash_dir": str(crash_dir), "coredump_dir": str(core_dir)}}
    section = collect(CrashesCollector(), LocalHost(), options)
    d = section.data
    assert d["crash_dir"] == {"path": str(crash_dir), "present": True}
    gedit = [r for r in d["reports"] if r["executable"] == "/usr/bin/gedit"]
    assert len(gedit) == 1 and gedit[0]["signal"] == "SIGSEGV" and gedit[0]["problem_type"] == "Crash"
    assert gedit[0]["path"] == str(crash_dir / "_usr_bin_gedit.1000.crash")
    by_exe = {g["executable"]: g for g in d["by_executable"]}
    assert by_exe["myworker"]["count_24h"] == 3
    assert by_exe["/usr/bin/gedit"]["count"] == 1
    assert d["coredump_files"] == 3
    assert d["by_executable"][0]["executable"] == "myworker"  # most crashes in 24 hours first
    if shutil.which("coredumpctl") is None:
        assert "coredumpctl is not installed" in reasons(section)


def test_crashes_nothing_there_is_not_a_problem(tmp_path: Path) -> None:
    options = {"crashes": {"crash_dir": str(tmp_path / "none"), "coredump_dir": str(tmp_path / "none2")}}
    section = collect(CrashesCollector(), LocalHost(), options)
    assert section.data["total"] == 0 and section.data["crash_dir"]["present"] is False
    assert all(s.item == "coredumpctl" for s in section.skips)


def test_crashes_coredumpctl_recorded() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[:2] == ["coredumpctl", "list"]:
            return ok(argv, recorded("coredumpctl_list.json"))
        if argv[0] == "find":
            return ok(argv, "", f"find: '{argv[1]}': No such file or directory", rc=1)
        return None

    section = collect(CrashesCollector(), FakeHost("linux", responder), {"crashes": {"since_days": 100000}})
    by_exe = {g["executable"]: g for g in section.data["by_executable"]}
    assert by_exe["/usr/bin/python3.11"]["count"] == 3
    assert by_exe["/usr/bin/python3.11"]["signal"] == "SIGSEGV"
    assert by_exe["/usr/lib/firefox-esr/firefox-esr"]["count"] == 1
    assert section.skips == []


def test_crashes_no_coredumps_message() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "coredumpctl":
            return ok(argv, "", "No coredumps found.\n", rc=1)
        if argv[0] == "find":
            return ok(argv, "", f"find: '{argv[1]}': No such file or directory", rc=1)
        return None

    section = collect(CrashesCollector(), FakeHost("linux", responder))
    assert section.data["total"] == 0 and section.skips == []


def test_crashes_unreadable_report_is_listed_from_its_name() -> None:
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "find" and argv[1] == "/var/crash":
            return ok(argv, f"{dt.datetime.now(dt.UTC).timestamp():.1f}\t/var/crash/_usr_bin_vlc.1000.crash\n")
        if argv[0] == "find":
            return ok(argv, "", "No such file or directory", rc=1)
        if argv[0] == "grep":
            return ok(argv, "", "grep: /var/crash/_usr_bin_vlc.1000.crash: Permission denied", rc=2)
        if argv[0] == "coredumpctl":
            return ok(argv, "", "No coredumps found.\n", rc=1)
        return None

    section = collect(CrashesCollector(), FakeHost("linux", responder))
    assert section.data["reports"][0]["executable"] == "/usr/bin/vlc"
    assert RIGHTS in reasons(section)


@pytest.mark.parametrize("platform", ["windows", "darwin"])
def test_services_and_crashes_skip_on_other_platforms(platform: str) -> None:
    host = FakeHost(platform, lambda argv: None)
    report = run_collectors(select(only=["services", "crashes"]), CollectContext(host=host), apply_rules=False)
    for name in ("services", "crashes"):
        s = report.sections[name]
        assert s.status == SectionStatus.SKIPPED
        assert s.skips[0].reason == f"not available on {platform}"


def test_logs_paths_that_are_not_a_list_and_an_infinite_window_are_named() -> None:
    """`paths = 12` ended the collector with "TypeError: 'int' object is not iterable", and `since_hours = inf`
    (valid TOML) with an OverflowError; both are now a skip naming the setting, and the defaults are read."""
    syslog = (DATA / "syslog_rfc3339.txt").read_bytes()

    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "journalctl":
            return ok(argv, "-- No entries --\n", "No journal files were found.\n")
        if argv[0] == "stat":
            if argv[-1] == "/var/log/syslog":
                return ok(argv, f"{len(syslog)}\n")
            return ok(argv, "", f"stat: cannot statx '{argv[-1]}': No such file or directory", rc=1)
        return None

    host = FakeHost("linux", responder, files={"/var/log/syslog": syslog})
    section = collect(LogsCollector(), host, {"logs": {"paths": 12, "since_hours": float("inf")}})
    text = reasons(section)
    assert "setting logs.paths: 12 is not a list of file names" in text
    assert "setting logs.since_hours: inf is not a number of at least 0; using 24" in text
    assert section.data["source"] == "files"
    assert [f["path"] for f in section.data["files"]] == ["/var/log/syslog"]  # the default paths were read


def test_logs_nothing_readable_is_skipped_with_every_reason_not_zero_errors() -> None:
    """An ordinary user in a container (no journal, no /var/log files, dmesg restricted) used to get
    "partial: 0 errors in 24 h from ?", which reads as a clean log."""
    from diagnostics.render.text import render_text

    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "journalctl":
            return ok(argv, "-- No entries --\n", "No journal files were found.\n")
        if argv[0] == "stat":
            return ok(argv, "", f"stat: cannot statx '{argv[-1]}': No such file or directory", rc=1)
        if argv[0] == "dmesg":
            return ok(argv, "", "dmesg: read kernel buffer failed: Operation not permitted", rc=1)
        return None

    report = run_collectors([LogsCollector()], CollectContext(host=FakeHost("linux", responder)))
    s = report.sections["logs"]
    assert s.status == SectionStatus.SKIPPED and "source" not in s.data
    summary = next(line for line in render_text(report).splitlines() if line.lstrip().startswith("Logs"))
    assert "skipped" in summary and "0 errors" not in summary
    text = " ".join(render_text(report).split())
    assert "journal: the systemd journal has no log files" in text and "kernel log (dmesg): needs root" in text


def test_absurdly_large_numbers_are_named_not_an_overflow_error() -> None:
    """since_days = 1e12 ended the crashes collector with "OverflowError: date value out of range"."""
    def responder(argv: list[str]) -> CommandResult | None:
        if argv[0] == "find":
            return ok(argv, "", "No such file or directory", rc=1)
        if argv[0] == "coredumpctl":
            return ok(argv, "", "No coredumps found.\n", rc=1)
        return None

    report = run_collectors([CrashesCollector()], CollectContext(
        host=FakeHost("linux", responder), options={"crashes": {"since_days": 1e12}}), apply_rules=False)
    s = report.sections["crashes"]
    assert s.status != SectionStatus.ERROR, s.error
    assert "setting crashes.since_days: 1000000000000.0 is more than 1e+06; using 7" in reasons(s)
    assert s.data["since_days"] == 7
