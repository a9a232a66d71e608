"""Log and crash parsers on recorded outputs (tests/data/logs): exact groups, counts, times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from common.text import CouldNotRead
from diagnostics.parsers import crash_reports as cr
from diagnostics.parsers import journal as jp
from diagnostics.parsers import macos_log, windows_events
from diagnostics.parsers import systemd as sp
from diagnostics.parsers.logevents import LogEvent, parse_iso, summarize

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8", errors="replace")


def groups(summary: dict) -> list[tuple[str, int, str]]:
    return [(g["unit"], g["count"], g["level"]) for g in summary["groups"]]


# --- Windows -----------------------------------------------------------------------------------------------------

def test_get_winevent_json_ps51_groups_by_provider() -> None:
    s = windows_events.summarize_get_winevent_json(read("windows_get_winevent.json"))
    assert groups(s) == [
        ("Service Control Manager", 3, "error"),
        ("Application Error", 2, "error"),
        ("Microsoft-Windows-Kernel-Power", 1, "critical"),
        ("Microsoft-Windows-DistributedCOM", 1, "error"),
        ("VSS", 1, "error"),
    ]
    assert s["errors_total"] == 8
    scm = s["groups"][0]
    # "/Date(ms)/" is milliseconds since the epoch in UTC
    assert scm["first"] == "2026-11-24T07:14:19+00:00"
    assert scm["last"] == "2026-11-24T09:14:22+00:00"
    assert scm["sample"] == ("The Contoso Backup Agent service failed to start due to the following error: "
                             "The system cannot find the file specified.")
    vss = s["groups"][4]
    assert vss["sample"] == "Event 8193 (no description available)"


def test_get_winevent_json_single_object_ps7_iso_time() -> None:
    events = windows_events.parse_get_winevent_json(read("windows_get_winevent_single_ps7.json"))
    assert len(events) == 1
    ev = events[0]
    assert ev.source == "Microsoft-Windows-Kernel-Power"
    assert ev.priority == 2
    assert ev.time == dt.datetime(2026, 11, 24, 7, 12, 44, 531287, tzinfo=dt.UTC)


def test_get_winevent_json_garbage_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not Get-WinEvent JSON"):
        windows_events.parse_get_winevent_json("Get-WinEvent : No events were found that match the criteria.")
    assert windows_events.parse_get_winevent_json("") == []


def test_wevtutil_text() -> None:
    events = windows_events.parse_wevtutil_text(read("wevtutil_system.txt"))
    assert [(e.source, e.priority) for e in events] == [
        ("Service Control Manager", 3), ("Service Control Manager", 3),
        ("Microsoft-Windows-Kernel-Power", 2), ("disk", 3),
    ]
    assert events[0].message == ("The Contoso Backup Agent service failed to start due to the following error: \n"
                                 "The system cannot find the file specified.")
    assert events[2].time == dt.datetime(2026, 11, 24, 7, 12, 44, 531287, tzinfo=dt.UTC)
    s = windows_events.summarize_wevtutil_text(read("wevtutil_system.txt"))
    assert groups(s) == [("Service Control Manager", 2, "error"), ("Microsoft-Windows-Kernel-Power", 1, "critical"),
                         ("disk", 1, "error")]


# --- macOS -------------------------------------------------------------------------------------------------------

def test_macos_ndjson() -> None:
    s = macos_log.summarize_ndjson(read("macos_log.ndjson"))
    assert groups(s) == [("cloudd", 3, "error"), ("trustd", 2, "critical"), ("kernel", 1, "error")]
    assert s["errors_total"] == 6  # the closing {"count":6,"finished":1} line is not an event
    cloudd = s["groups"][0]
    assert cloudd["first"] == "2026-11-24T08:02:11+00:00"
    assert cloudd["last"] == "2026-11-24T09:47:55+00:00"
    assert cloudd["sample"].startswith("Error fetching records: <CKError 0x600003a1e3f0")


def test_macos_syslog_style() -> None:
    events = macos_log.parse_syslog_style(read("macos_log_syslog.txt"))
    assert len(events) == 6  # the "Filtering ..." and "Timestamp ..." header lines are not events
    assert events[2].source == "trustd" and events[2].pid == 301
    assert events[2].message == ("Failed to get OCSP response for certificate: -1001\n"
                                 "\tunderlying error: The operation couldn't be completed. "
                                 "(NSURLErrorDomain error -1009.)")
    assert events[5].message == "Sandbox: mdworker_shared(1822) deny(1) file-read-data /Users/anna/Library/Mail"
    s = macos_log.summarize_syslog_style(read("macos_log_syslog.txt"))
    assert [(u, c) for u, c, _ in groups(s)] == [("cloudd", 3), ("trustd", 2), ("kernel", 1)]


# --- Linux journal, syslog, dmesg --------------------------------------------------------------------------------

def test_journal_json_groups_units_and_kernel_events() -> None:
    events = jp.parse_journal_json(read("journal_errors.json")) + jp.parse_journal_json(read("journal_kernel.json"))
    s = summarize(events)
    assert groups(s) == [
        ("nginx.service", 4, "error"),  # nginx's own lines and systemd's "Failed to start" (UNIT=) together
        ("kernel", 3, "error"),
        ("backup.service", 1, "critical"),
        ("gnome-shell", 1, "error"),  # a session scope is not a useful group: the program name is
        ("sudo", 1, "error"),
    ]
    assert s["errors_total"] == 10  # the OOM line in both queries counts once
    nginx = s["groups"][0]
    assert (nginx["first"], nginx["last"]) == ("2026-11-24T09:58:01+00:00", "2026-11-24T10:03:44+00:00")
    assert nginx["sample"] == ("Failed to start nginx.service - A high performance web server and a reverse proxy "
                               "server.")
    backup = s["groups"][2]
    assert backup["sample"].endswith("[sender=3.2.7] \ufffd\ufffd")  # a byte-array MESSAGE, decoded leniently
    assert [(o["process"], o["pid"]) for o in s["oom_kills"]] == [("worker", 6001), ("java", 4321)]
    assert s["oom_kills"][1]["time"] == "2026-11-24T11:20:17+00:00"
    assert [(x["process"], x["pid"], x["library"]) for x in s["segfaults"]] == [
        ("python3", 5678, "libpython3.11.so.1.0")]


def test_journal_json_tolerates_cut_and_odd_lines() -> None:
    text = read("journal_errors.json")
    cut = text[: len(text) - 40]  # the output cap cut the last line in half
    assert len(jp.parse_journal_json(cut)) == 9
    assert jp.parse_journal_json("-- No entries --\n") == []
    with pytest.raises(CouldNotRead):  # lines, but not one journal entry: "could not read", never "0 errors"
        jp.parse_journal_json("-- No entries --\n[1,2]\n")


def test_syslog_rfc3339_window_and_levels() -> None:
    since = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    s = summarize(jp.parse_syslog_text(read("syslog_rfc3339.txt"), now=now, since=since))
    # nginx says "[emerg]": the word makes it critical (files carry no priority, the words are all there is)
    assert groups(s) == [("nginx", 2, "critical"), ("dbus-daemon", 1, "error"), ("kernel", 1, "error"),
                         ("sshd", 1, "error"), ("systemd", 1, "error")]
    # the line of 2026-11-23 08:00 is outside the window; "no errors found", CRON and smartd are no errors
    assert s["errors_total"] == 6
    assert [(o["process"], o["pid"]) for o in s["oom_kills"]] == [("java", 4321)]
    assert s["segfaults"][0]["time"] == "2026-11-24T10:05:13+00:00"


def test_syslog_classic_stamps() -> None:
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    s = summarize(jp.parse_syslog_text(read("syslog_bsd.txt"), now=now))
    assert sorted((u, c) for u, c, _ in groups(s)) == [
        ("gnome-shell", 1), ("kernel", 1), ("nginx", 1), ("pulseaudio", 1), ("systemd", 1)]
    assert len(s["oom_kills"]) == 1 and s["oom_kills"][0]["process"] == "java"
    assert s["segfaults"][0]["process"] == "python3"


def test_syslog_classic_stamp_from_last_year() -> None:
    now = dt.datetime(2027, 1, 1, 0, 30).astimezone()
    (ev,) = jp.parse_syslog_text("Dec 31 23:59:00 h app[1]: fatal: disk gone\n", now=now)
    assert ev.time is not None and ev.time.year == 2026 and ev.priority == 2


def test_text_priority() -> None:
    assert jp.text_priority("Kernel panic - not syncing") == 0
    assert jp.text_priority("FATAL: cannot open database") == 2
    assert jp.text_priority("connection failed") == 3
    assert jp.text_priority("check finished, no errors found") is None
    assert jp.text_priority("started successfully") is None


def test_dmesg_levels_and_kernel_events() -> None:
    events = jp.parse_dmesg(read("dmesg_x_iso.txt"))
    assert len(events) == 8
    s = summarize(events)
    assert groups(s) == [("kernel", 4, "critical")]  # 3 err + 1 crit
    assert s["oom_kills"][0]["pid"] == 4321
    assert s["segfaults"][0]["time"] == "2026-11-24T09:45:51+00:00"
    since = dt.datetime(2026, 11, 24, 11, tzinfo=dt.UTC)
    assert len(jp.parse_dmesg(read("dmesg_x_iso.txt"), since=since)) == 4


def test_dmesg_plain_has_no_times() -> None:
    (ev,) = jp.parse_dmesg("[  123.456789] ata1.00: failed command: READ FPDMA QUEUED\n")
    assert ev.time is None and ev.priority == 3 and ev.message.startswith("ata1.00")


def test_summarize_caps_groups() -> None:
    evs = [LogEvent(time=None, source=f"u{i}", message="error") for i in range(60)]
    s = summarize(evs, max_groups=50)
    assert len(s["groups"]) == 50 and s["groups_omitted"] == 10 and s["errors_total"] == 60


def test_parse_iso_spellings() -> None:
    want = dt.datetime(2026, 11, 24, 9, 14, 22, 123000, tzinfo=dt.UTC)
    assert parse_iso("2026-11-24T09:14:22.1230000Z") == want
    assert parse_iso("2026-11-24 10:14:22.123000+0100") == want
    assert parse_iso("2026-11-24T10:14:22,123000+01:00") == want
    assert parse_iso("yesterday") is None


# --- systemd -----------------------------------------------------------------------------------------------------

def test_systemctl_failed_json_and_text_agree() -> None:
    from_json = sp.parse_failed_units_json(read("systemctl_failed.json"))
    from_text = sp.parse_failed_units_text(read("systemctl_failed.txt"))
    assert from_json == from_text
    assert from_json is not None and [u["unit"] for u in from_json] == [
        "nginx.service", "backup.service", "snap-core20-2105.mount"]
    assert from_json[0]["description"] == "A high performance web server and a reverse proxy server"
    legend = sp.parse_failed_units_text(read("systemctl_failed_legend.txt"))
    assert [u["unit"] for u in legend] == ["nginx.service", "backup.service"]
    assert sp.parse_failed_units_json("UNIT LOAD ACTIVE SUB DESCRIPTION") is None


def test_systemctl_show_restart_loops() -> None:
    loops = sp.restart_loops(sp.parse_show(read("systemctl_show.txt")), threshold=3)
    assert [(r["unit"], r["restarts"], r["sub"]) for r in loops] == [
        ("worker.service", 17, "auto-restart"), ("flaky-agent.service", 4, "running")]


def test_not_booted_with_systemd() -> None:
    assert sp.systemd_not_running("System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                                  "Failed to connect to bus: Host is down")
    assert not sp.systemd_not_running("0 loaded units listed.")


def test_short_iso_lines() -> None:
    lines = jp.parse_short_iso_lines(read("journalctl_unit_nginx.txt"), 3)
    assert lines[-1].endswith("Failed to start nginx.service - A high performance web server and a reverse proxy "
                              "server.")
    assert len(lines) == 3
    assert jp.parse_short_iso_lines("-- No entries --\n") == []


# --- crashes -----------------------------------------------------------------------------------------------------

def test_apport_header_skips_multiline_values() -> None:
    fields = cr.parse_apport_header(read("_usr_bin_gedit.1000.crash"))
    assert fields["ProblemType"] == "Crash"
    assert fields["ExecutablePath"] == "/usr/bin/gedit"
    assert fields["Date"] == "Tue Nov 24 14:02:31 2026"
    assert fields["Signal"] == "11"
    assert fields["CoreDump"] == "base64"
    assert "Name" not in fields and "LANG=en_GB.UTF-8" not in fields.values()
    rec = cr.apport_report("/var/crash/_usr_bin_gedit.1000.crash", read("_usr_bin_gedit.1000.crash"), None)
    assert (rec["executable"], rec["signal"], rec["package"]) == ("/usr/bin/gedit", "SIGSEGV", "gedit 46.2-1")


def test_apport_name_guess_when_unreadable() -> None:
    rec = cr.apport_report("/var/crash/_usr_lib_firefox_firefox.1000.crash", None,
                           dt.datetime(2026, 11, 24, tzinfo=dt.UTC))
    assert rec["executable"] == "/usr/lib/firefox/firefox"
    assert rec["time"] == "2026-11-24T00:00:00+00:00" and rec["readable"] is False


def test_coredumpctl_json_and_text_agree() -> None:
    j = cr.parse_coredumpctl_json(read("coredumpctl_list.json"))
    t = cr.parse_coredumpctl_text(read("coredumpctl_list.txt"))
    assert j is not None
    key = lambda r: (r["time"], r["executable"], r["pid"], r["signal"])  # noqa: E731
    assert sorted(map(key, j)) == sorted(map(key, t))
    assert ("2026-11-24T13:35:03+00:00", "/usr/bin/python3.11", 5678, "SIGSEGV") in map(key, j)
    assert sum(1 for r in j if r["executable"] == "/usr/bin/python3.11") == 3


def test_coredump_file_names() -> None:
    rec = cr.parse_coredump_filename(
        "/var/lib/systemd/coredump/core.fs\\x2dcli.1000.1827be70bda44e3b9598c4aaf5ac32bc.588797.1717652311000000.zst")
    assert rec is not None
    assert (rec["executable"], rec["pid"], rec["time"]) == ("fs-cli", 588797, "2024-06-06T05:38:31+00:00")
    assert cr.parse_coredump_filename("/var/lib/systemd/coredump/README") is None
