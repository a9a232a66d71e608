"""Parsers on real-world outputs that used to be read wrongly: each is either read right or said to be unreadable
("could not read", a skip), never an all-clear 0. Recorded samples are in tests/data/updates and tests/data/logs."""

from __future__ import annotations

import codecs
import plistlib
from pathlib import Path

import pytest

from common.text import CouldNotRead, clean_text, decode_bytes
from diagnostics.host import LocalHost
from diagnostics.parsers import systemd, windows_events
from diagnostics.updates import apt, dnf, macos, pacman, snap, windows, zypper
from diagnostics.updates.scan import scan_posture
from tests.unit.test_updates_collector import NOW, RecordedHost

UPDATES = Path(__file__).resolve().parents[1] / "data" / "updates"
LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"


def read(path: Path) -> str:
    return decode_bytes(path.read_bytes())


# -- decoding ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_every_encoding_windows_and_old_tools_write_is_read(encoding: str) -> None:
    text = "nginx.service loaded failed failed Grüße\n"
    assert decode_bytes(text.encode(encoding)) == text


def test_latin1_lines_and_nul_bytes_are_kept_not_dropped() -> None:
    data = b"a.service loaded failed failed ok\n" + "b.service loaded failed failed Café\n".encode("latin-1")
    data += b"c.service loaded\x00 failed failed nul\n"
    units = systemd.parse_failed_units_text(decode_bytes(data))
    assert [u["unit"] for u in units] == ["a.service", "b.service", "c.service"]
    assert units[1]["description"] == "Café"


def test_utf16_read_naively_is_repaired_by_the_parser() -> None:
    raw = (LOGS / "systemctl_failed_utf16.txt").read_bytes()
    naive = raw.decode("utf-8", errors="replace")  # what a careless reader hands over
    units = systemd.parse_failed_units_text(naive)
    assert len(units) == len(systemd.parse_failed_units_text(read(LOGS / "systemctl_failed.txt"))) > 0
    assert clean_text(naive).startswith("nginx.service")


def test_the_host_decodes_utf16_command_output(tmp_path: Path) -> None:
    f = tmp_path / "out.txt"
    f.write_bytes(codecs.BOM_UTF16_LE + "Event[0]:\r\n  Source: X\r\n".encode("utf-16-le"))
    res = LocalHost().run(["cat", str(f)])
    assert res.stdout == "Event[0]:\r\n  Source: X\r\n"


# -- apt ------------------------------------------------------------------------------------------------------
def test_apt_suites_with_spaces_keep_every_line() -> None:
    text = read(UPDATES / "apt-list-upgradable-thirdparty.txt")
    ups = {u.name: u for u in apt.parse_list_upgradable(text)}
    assert len(ups) == len(text.splitlines()) - 1  # every line but "Listing... Done"
    assert ups["zoom"].source == "Zoom Client" and ups["zoom"].candidate == "6.2.10.4983"
    assert ups["virtualbox-7.1"].installed == "7.1.2-164945~Ubuntu~jammy" and ups["virtualbox-7.1"].arch == "amd64"
    assert ups["plexmediaserver"].source == "public main"
    assert ups["openssl"].security and not ups["zoom"].security


def test_apt_output_in_another_format_is_unreadable_not_up_to_date() -> None:
    with pytest.raises(CouldNotRead):
        apt.parse_list_upgradable("Listing... Done\nfirefox 131.0 -> 132.0\n")
    assert apt.parse_list_upgradable("Listing... Done\n") == []  # truly nothing pending
    assert apt.parse_list_upgradable("WARNING: apt does not have a stable CLI interface.\n\nListing...\n") == []


# -- macOS ----------------------------------------------------------------------------------------------------
def test_macos_softwareupdate_before_10_15_is_read() -> None:
    ups = {u.name: u for u in macos.parse_softwareupdate_list(read(UPDATES / "macos-softwareupdate-list-10.13.txt"))}
    assert set(ups) == {"Security Update 2019-004-10.13.6", "Safari12.1.2HighSierraAuto-12.1.2", "iTunesX-12.8.2"}
    sec = ups["Security Update 2019-004-10.13.6"]
    assert sec.security and sec.reboot and sec.candidate == "10.13.6" and sec.severity == "recommended"
    assert ups["Safari12.1.2HighSierraAuto-12.1.2"].candidate == "12.1.2" and not ups["iTunesX-12.8.2"].reboot


def test_macos_unknown_softwareupdate_format_is_a_skip() -> None:
    with pytest.raises(CouldNotRead):
        macos.parse_softwareupdate_list("Software Update Tool\n\nSomething new: 3 items\n")
    assert macos.parse_softwareupdate_list(read(UPDATES / "macos-softwareupdate-none-stdout.txt")) == []


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>RecommendedUpdates</key><array>',
    None,  # trailing garbage, filled in below
    "placeholder-utf16",
    plistlib.dumps([1, 2, 3]),
    plistlib.dumps({"RecommendedUpdates": "not a list"}),
    plistlib.dumps({"RecommendedUpdates": [1]}),
    b"bplist00\xff\xff\xff",
    b"",
])
def test_damaged_softwareupdate_plists_are_unreadable_never_an_exception(data: bytes | str | None) -> None:
    good = (UPDATES / "macos-SoftwareUpdate.plist").read_bytes()
    if data is None:
        data = good + b"\x00garbage<"
    elif data == "placeholder-utf16":
        data = good.decode("utf-8").encode("utf-16")
    assert isinstance(data, bytes)
    with pytest.raises(CouldNotRead):
        macos.parse_softwareupdate_plist(data)


def test_macos_damaged_plist_is_a_skip_in_the_posture() -> None:
    host = RecordedHost("darwin", {"softwareupdate"}, {"sw_vers -productVersion": (0, "14.7\n", "")},
                        {macos.PLIST: b"<?xml version='1.0'?><plist><dict>"})
    p = scan_posture(host, now=NOW)
    assert p.pending == [] and any("cannot be read" in s.reason for s in p.skipped)
    assert p.confidence.level != "high"


# -- Windows --------------------------------------------------------------------------------------------------
def test_windows_current_build_na_is_read() -> None:
    search = windows.parse_search_json(read(UPDATES / "windows-update-build-na.json"))
    assert [u.name for u in search.updates] == ["KB5044281"] and search.updates[0].security
    assert search.product == "Windows Server 2022 Datacenter" and search.last_search is None


def test_wevtutil_server_2022_events_without_colon() -> None:
    old = windows_events.parse_wevtutil_text(read(LOGS / "wevtutil_system.txt"))
    new = windows_events.parse_wevtutil_text(read(LOGS / "wevtutil_system_server2022.txt"))
    assert len(new) == len(old) == 4
    assert [e.message for e in new] == [e.message for e in old]


def test_wevtutil_utf16_output_is_read() -> None:
    raw = (LOGS / "wevtutil_system.txt").read_text(encoding="utf-8").encode("utf-16")
    assert len(windows_events.parse_wevtutil_text(decode_bytes(raw))) == 4
    assert len(windows_events.parse_wevtutil_text(raw.decode("utf-8", "replace"))) == 4


def test_wevtutil_text_without_events_is_unreadable() -> None:
    with pytest.raises(CouldNotRead):
        windows_events.parse_wevtutil_text("Access is denied.\r\n")
    assert windows_events.parse_wevtutil_text("") == []


# -- dnf, pacman, snap, zypper --------------------------------------------------------------------------------
def test_dnf_metadata_error_keeps_the_real_error() -> None:
    host = RecordedHost("linux", {"dnf"}, {
        "uname -r": (0, "5.14.0-427.13.1.el9_4.x86_64\n", ""),
        "dnf -q -C check-update": (1, "", read(UPDATES / "dnf-error-metadata-rocky9.txt")),
    }, {"/etc/os-release": b'ID="rocky"\nVERSION_ID="9.4"\n'})
    p = scan_posture(host, now=NOW)
    (skip,) = [s for s in p.skipped if s.source == "dnf"]
    assert "Failed to download metadata for repo 'baseos'" in skip.reason
    assert "Could not resolve host: mirrors.rockylinux.org" in skip.reason
    assert "0.0  B/s" not in skip.reason  # the progress line is not the error


def test_dnf_exit_100_without_readable_lines_is_not_zero() -> None:
    host = RecordedHost("linux", {"dnf"}, {
        "uname -r": (0, "6.11.4-301.fc41.x86_64\n", ""),
        "dnf -q -C check-update": (100, "\n", ""),
    }, {"/etc/os-release": b"ID=fedora\nVERSION_ID=41\n"})
    p = scan_posture(host, now=NOW)
    assert p.checked == [] and any("could not read" in s.reason for s in p.skipped)


@pytest.mark.parametrize(("parse", "text"), [
    (dnf.parse_check_update, "Error: something unexpected happened in a new dnf\n"),
    (dnf.parse_updateinfo, "totally\nunrelated\ntext\n"),
    (pacman.parse_updates, "error: failed to init transaction (unable to lock database)\n"),
    (snap.parse_refresh_list, "error: cannot communicate with server\n"),
    (zypper.parse_list_updates, "<html><body>proxy login</body></html>"),
    (systemd.parse_failed_units_text, "Failed to list units: Access denied\n"),
])
def test_error_text_in_place_of_a_list_is_unreadable(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CouldNotRead):
        parse(text)
