"""OS end-of-life lookup: distro-info CSVs where the host has them, else the table shipped in diagnostics/data."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from diagnostics.host import LocalHost
from diagnostics.updates import eol

TODAY = dt.date(2026, 1, 15)

DEBIAN_CSV = """version,codename,series,created,release,eol,eol-lts,eol-elts
10,Buster,buster,2017-06-17,2019-07-06,2022-09-10,2024-06-30,2029-06-30
12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-07-11,2028-06-30,2033-06-30
13,Trixie,trixie,2023-06-10,2025-08-09,2028-08-09,2030-06-30,2035-06-30
14,Forky,forky,2025-08-09
"""
UBUNTU_CSV = """version,codename,series,created,release,eol,eol-server,eol-esm,eol-legacy
20.04 LTS,Focal Fossa,focal,2019-10-17,2020-04-23,2025-05-29,2025-05-29,2030-04-23,2032-04-27
24.04 LTS,Noble Numbat,noble,2023-10-12,2024-04-25,2029-05-31,2029-05-31,2034-04-25,2036-04-29
25.04,Plucky Puffin,plucky,2024-10-10,2025-04-17,2026-01-15
"""


def distro_info(tmp_path: Path) -> str:
    (tmp_path / "debian.csv").write_text(DEBIAN_CSV)
    (tmp_path / "ubuntu.csv").write_text(UBUNTU_CSV)
    return str(tmp_path)


def test_debian_10_is_past_end_of_life_from_distro_info(tmp_path: Path) -> None:
    st = eol.lookup("debian", "10", TODAY, host=LocalHost(), distro_info_dir=distro_info(tmp_path))
    assert st.source == "distro-info"
    assert (st.eol, st.extended_eol, st.extended_kind) == ("2022-09-10", "2024-06-30", "LTS")
    assert st.state == "ended" and st.days_left is not None and st.days_left < 0
    assert st.extended_days_left == (dt.date(2024, 6, 30) - TODAY).days


def test_far_future_release_is_supported(tmp_path: Path) -> None:
    st = eol.lookup("debian", "13", TODAY, host=LocalHost(), distro_info_dir=distro_info(tmp_path))
    assert st.state == "supported" and st.days_left == (dt.date(2028, 8, 9) - TODAY).days


def test_debian_12_after_standard_support_is_in_free_lts(tmp_path: Path) -> None:
    st = eol.lookup("debian", "12", dt.date(2026, 11, 1), host=LocalHost(), distro_info_dir=distro_info(tmp_path))
    assert st.state == "extended" and st.extended_free and st.extended_kind == "LTS"


def test_ubuntu_lts_suffix_and_paid_esm(tmp_path: Path) -> None:
    st = eol.lookup("ubuntu", "20.04", TODAY, host=LocalHost(), distro_info_dir=distro_info(tmp_path))
    assert st.state == "extended" and st.extended_kind == "ESM" and not st.extended_free
    assert st.name == "Ubuntu 20.04 LTS (Focal Fossa)"
    interim = eol.lookup("ubuntu", "25.04", TODAY, host=LocalHost(), distro_info_dir=distro_info(tmp_path))
    assert interim.state == "supported" and interim.days_left == 0  # its last day


def test_without_distro_info_the_shipped_table_answers(tmp_path: Path) -> None:
    st = eol.lookup("debian", "10", TODAY, host=LocalHost(), distro_info_dir=str(tmp_path / "none"))
    assert st.source == "deskside table" and st.state == "ended" and st.eol == "2022-09-10"
    assert eol.lookup("rocky", "9.4", TODAY).eol == "2032-05-31"  # RHEL family: major version
    assert eol.lookup("rhel", "8.10", TODAY).extended_kind == "ELS"
    assert eol.lookup("alpine", "3.19.1", TODAY).state == "ended"  # Alpine: major.minor branch
    assert eol.lookup("opensuse-leap", "15.6", TODAY).eol == "2026-04-30"
    assert eol.lookup("sles", "15.5", TODAY).state == "extended"  # LTSS
    assert eol.lookup("fedora", "39", TODAY).state == "ended"
    win10 = eol.lookup("windows", "10-22H2", TODAY)
    assert win10.eol == "2025-10-14" and win10.extended_kind == "ESU" and win10.state == "extended"
    assert eol.lookup("windows", "11-24H2", TODAY).eol == "2026-10-13"
    assert eol.lookup("windows", "10-21H2", TODAY).eol == "2023-06-13"
    assert eol.lookup("macos", "12.7.6", TODAY).state == "ended"
    assert eol.lookup("macos", "10.15.7", TODAY).name == "macOS Catalina"


def test_unknown_os_or_no_version_says_why() -> None:
    assert eol.lookup("arch", None, TODAY).note == "the OS does not give a version (a rolling or testing release?)"
    st = eol.lookup("plan9", "4", TODAY)
    assert st.state == "unknown" and st.note == "no end-of-life data for plan9 4"
    assert eol.lookup("macos", "15.1", TODAY).state == "unknown"  # Apple announces no dates


def test_shipped_table_is_well_formed() -> None:
    lines = [ln for ln in eol.TABLE.read_text().splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    assert len(rows) > 50
    seen = set()
    for r in rows:
        key = (r["os_id"], r["version"])
        assert key not in seen, key
        seen.add(key)
        for col in ("eol", "extended_eol"):
            if r[col]:
                dt.date.fromisoformat(r[col])
        if r["eol"] and r["extended_eol"]:
            assert r["eol"] < r["extended_eol"], key
        assert r["extended_kind"] in ("", "LTS", "ESM", "ELS", "LTSS", "ESU"), key
    ids = {r["os_id"] for r in rows}
    assert {"debian", "ubuntu", "rhel", "rocky", "almalinux", "fedora", "opensuse-leap", "sles", "alpine",
            "windows", "macos"} <= ids


def test_os_release_parsing() -> None:
    d = eol.parse_os_release(
        'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.4"\n# comment\nID_LIKE="rhel centos fedora"\n')
    assert d == {"NAME": "Rocky Linux", "ID": "rocky", "VERSION_ID": "9.4", "ID_LIKE": "rhel centos fedora"}
