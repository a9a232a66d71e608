"""The update sources' parsers, on outputs recorded from real systems (tests/data/updates/)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from diagnostics.updates import apt, dnf, flatpak, macos, pacman, snap, windows, zypper

DATA = Path(__file__).resolve().parents[1] / "data" / "updates"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def by_name(updates: list, arch: str | None = None) -> dict:  # type: ignore[type-arg]
    return {u.name: u for u in updates if arch is None or u.arch == arch}


# -- apt ------------------------------------------------------------------------------------------------------
def test_apt_debian12_versions_and_security_flags() -> None:
    ups = apt.parse_list_upgradable(read("apt-list-upgradable-debian12.txt"))
    assert len(ups) == 11  # "Listing..." is not a package
    u = by_name(ups)
    assert (u["apt"].installed, u["apt"].candidate, u["apt"].arch) == ("2.6.1", "2.6.2", "amd64")
    assert u["apt"].source == "oldstable-security" and u["apt"].security
    assert u["jq"].security and u["jq"].candidate == "1.6-2.1+deb12u3"
    assert not u["bash"].security and u["bash"].installed == "5.2.15-2+b8"
    assert {x.name for x in ups if x.security} == {"apt-transport-https", "apt", "jq"}
    assert all(x.manager == "apt" and x.advisories == [] for x in ups)


def test_apt_ubuntu_several_archives_epochs_and_esm() -> None:
    ups = apt.parse_list_upgradable(read("apt-list-upgradable-ubuntu2204.txt"))
    assert len(ups) == 10
    libc = [x for x in ups if x.name == "libc6"]
    assert {x.arch for x in libc} == {"amd64", "i386"}  # multiarch: one entry per architecture
    ssh = by_name(ups)["openssh-client"]
    assert ssh.source == "jammy-updates,jammy-security" and ssh.security
    assert (ssh.installed, ssh.candidate) == ("1:8.9p1-3ubuntu0.6", "1:8.9p1-3ubuntu0.10")
    assert by_name(ups)["python3-jinja2"].security  # Ubuntu Pro ESM archive
    assert not by_name(ups)["snapd"].security
    assert sum(x.security for x in ups) == 7


def test_apt_release_labels_decide_only_unambiguous_suites() -> None:
    buster_sec = apt.parse_release_header(read("apt-buster-security-InRelease.txt"))
    assert buster_sec["Label"] == "Debian-Security" and buster_sec["Suite"] == "oldoldstable"
    buster = apt.parse_release_header(read("apt-buster-InRelease.txt"))
    # buster's main and security archives share the suite name: it cannot mark anything as security
    assert apt.security_suites([buster_sec, buster]) == set()
    assert apt.security_suites([buster_sec]) == {"oldoldstable"}
    esm = apt.parse_release_header(read("apt-ubuntu-esm-Release.txt"))
    assert apt.security_suites([esm]) == {"jammy-infra-security"}
    line = "tzdata/oldoldstable 2024a-0+deb10u1 all [upgradable from: 2021a+deb10u11]"
    assert apt.parse_list_upgradable(line, {"oldoldstable"})[0].security
    assert not apt.parse_list_upgradable(line)[0].security


# -- dnf ------------------------------------------------------------------------------------------------------
def test_dnf_check_update_wrapped_names_epochs_and_obsoletes() -> None:
    ups = dnf.parse_check_update(read("dnf-check-update-rocky9.txt"))
    u = by_name(ups)
    assert len(ups) == 10  # the Obsoleting Packages block is not counted
    assert "grub2-tools" not in u
    assert u["libreoffice-langpack-en"].candidate == "1:7.1.8.1-12.el9_4.1"  # name wrapped onto its own line
    assert u["libreoffice-langpack-en"].source == "appstream"
    assert (u["bind-libs"].candidate, u["bind-libs"].arch) == ("32:9.16.23-18.el9_4.6", "x86_64")
    assert u["tzdata"].arch == "noarch"


def test_dnf_updateinfo_advisories_merge_into_pending() -> None:
    ups = dnf.parse_check_update(read("dnf-check-update-rocky9.txt"))
    dnf.merge_advisories(ups, dnf.parse_updateinfo(read("dnf-updateinfo-security-rocky9.txt")))
    u = by_name(ups)
    assert {x.name for x in ups if x.security} == {"bind-libs", "firefox", "curl", "kernel", "kernel-core",
                                                   "openssl-libs"}
    assert u["firefox"].advisories == ["RLSA-2024:7848"]  # listed twice, recorded once
    assert u["kernel-core"].advisories == ["RLSA-2024:8117"] and u["kernel-core"].severity == "Important"
    assert u["openssl-libs"].severity == "Low"
    assert not u["NetworkManager"].security and not u["tzdata"].security


def test_dnf_fedora_and_dnf5_updateinfo() -> None:
    info = dnf.parse_updateinfo(read("dnf-updateinfo-security-fedora40.txt"))
    assert info[0] == ("FEDORA-2024-6c8b9a3f6d", "Moderate", "curl", "x86_64")
    assert info[2] == ("FEDORA-2024-0b1c2d3e4f", None, "glibc", "x86_64")  # "Unknown" severity is no severity
    info5 = dnf.parse_updateinfo(read("dnf5-updateinfo-security-fedora41.txt"))
    assert [(a, s, n) for a, s, n, _ in info5] == [
        ("FEDORA-2024-9e2c4f1a7b", "Important", "firefox"),
        ("FEDORA-2024-3d5b7c9e1f", "Moderate", "libsoup3"),
        ("FEDORA-2024-3d5b7c9e1f", "Moderate", "libsoup3-devel"),
    ]


def test_rpm_query_gives_installed_versions() -> None:
    inst = dnf.parse_rpm_query(read("dnf-rpm-query-rocky9.txt"))
    assert inst["kernel-core.x86_64"] == "5.14.0-427.13.1.el9_4"
    assert inst["bind-libs.x86_64"] == "32:9.16.23-18.el9_4.1"


# -- zypper ---------------------------------------------------------------------------------------------------
def test_zypper_list_updates() -> None:
    ups = zypper.parse_list_updates(read("zypper-list-updates-leap156.xml"))
    u = by_name(ups)
    assert set(u) == {"curl", "libcurl4", "kernel-default", "timezone"}
    assert (u["curl"].installed, u["curl"].candidate) == ("8.6.0-150600.4.6.1", "8.6.0-150600.4.9.1")
    assert u["curl"].source == "repo-sle-update" and not u["curl"].security


def test_zypper_security_patches_only() -> None:
    pats = zypper.parse_list_patches(read("zypper-list-patches-leap156.xml"))
    assert [p.name for p in pats] == ["SUSE-2024-3555", "SUSE-2024-3592"]  # the "recommended" patch is left out
    kernel = pats[1]
    assert kernel.security and kernel.severity == "important" and kernel.reboot
    assert kernel.advisories == ["SUSE-2024-3592", "CVE-2024-41011", "CVE-2024-46713"]
    assert kernel.title == "Security update for the Linux Kernel"


def test_zypper_garbage_is_a_clear_error() -> None:
    with pytest.raises(zypper.ZypperParseError, match="cannot be read"):
        zypper.parse_list_patches("<stream><update-status>")
    with pytest.raises(zypper.ZypperParseError, match="no XML"):
        zypper.parse_list_updates("Repository 'x' is invalid.")


# -- pacman, flatpak, snap ------------------------------------------------------------------------------------
def test_pacman_qu_skips_ignored_and_has_no_security() -> None:
    ups = pacman.parse_updates(read("pacman-Qu.txt"))
    u = by_name(ups)
    assert set(u) == {"firefox", "linux", "linux-firmware", "mesa"}  # vim is [ignored]
    assert (u["mesa"].installed, u["mesa"].candidate) == ("1:24.2.4-1", "1:24.2.5-1")
    assert not any(x.security for x in ups)
    assert len(pacman.parse_updates(read("checkupdates.txt"))) == 2


def test_flatpak_and_snap_tables() -> None:
    fl = flatpak.parse_remote_ls(read("flatpak-remote-ls-updates.txt"))
    assert [(x.name, x.candidate, x.source) for x in fl] == [
        ("org.mozilla.firefox", "131.0.3", "flathub"), ("org.gnome.Platform", "46", "flathub")]
    sn = snap.parse_refresh_list(read("snap-refresh-list.txt"))
    assert [(x.name, x.candidate, x.source) for x in sn] == [
        ("firefox", "131.0.3-1", "mozilla"), ("snapd", "2.65.3", "canonical")]
    assert snap.parse_refresh_list("All snaps up to date.") == []


# -- Windows --------------------------------------------------------------------------------------------------
def test_windows_search_array() -> None:
    s = windows.parse_search_json(read("windows-update-search.json"))
    assert len(s.updates) == 5
    cu, net, defender, driver, msrt = s.updates
    assert cu.name == "KB5044285" and cu.advisories == ["KB5044285"]
    assert cu.security and cu.severity == "Critical" and "Security Updates" in cu.source
    assert net.security and net.severity == "Important"
    assert not defender.security and defender.candidate == "1.421.235.0"
    assert not driver.security and driver.advisories == [] and driver.name.startswith("Intel Corporation")
    assert not msrt.security
    assert s.reboot_pending is None and s.version is None


def test_windows_single_object_and_wrapper() -> None:
    one = windows.parse_search_json(read("windows-update-search-single.json"))
    assert [(u.name, u.security, u.reboot) for u in one.updates] == [("KB5044273", True, True)]
    w = windows.parse_search_json(read("windows-update-deskside.json"))
    assert w.reboot_pending is True
    assert w.version == "11-23H2" and w.product == "Windows 11 Pro"  # ProductName says 10; the build says 11
    assert w.last_search == "2024-10-22T07:00:00+00:00"
    assert windows.parse_search_json("").updates == []  # ConvertTo-Json prints nothing for no updates
    with pytest.raises(windows.WindowsUpdateParseError, match="not JSON"):
        windows.parse_search_json("Exception from HRESULT: 0x8024402C")


# -- macOS ----------------------------------------------------------------------------------------------------
def test_macos_softwareupdate_list() -> None:
    ups = macos.parse_softwareupdate_list(read("macos-softwareupdate-list.txt"))
    assert [u.name for u in ups] == ["macOS Sonoma 14.7.1-23H222", "Safari18.1SonomaAuto-18.1",
                                     "Command Line Tools for Xcode-16.1", "macOS Ventura 13.3.1 (a)-22E772610a"]
    sonoma, safari, clt, rsr = ups
    assert clt.title == "Command Line Tools for Xcode" and not clt.reboot
    assert (sonoma.title, sonoma.candidate, sonoma.reboot) == ("macOS Sonoma 14.7.1", "14.7.1", True)
    assert (safari.title, safari.candidate, safari.reboot) == ("Safari", "18.1", False)
    assert rsr.security and not sonoma.security  # only Security Responses are labelled as such
    assert macos.parse_softwareupdate_list(read("macos-softwareupdate-none-stdout.txt")) == []


def test_macos_plist() -> None:
    state = macos.parse_softwareupdate_plist((DATA / "macos-SoftwareUpdate.plist").read_bytes())
    assert [(u.title, u.candidate) for u in state.updates] == [("macOS Sonoma 14.7.1", "14.7.1"), ("Safari", "18.1")]
    assert dt.datetime.fromisoformat(state.last_check or "") == dt.datetime(2024, 10, 29, 8, 14, 2, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="cannot be read"):
        macos.parse_softwareupdate_plist(b"not a plist")


def test_apt_release_dates_give_each_candidate_a_published_bound() -> None:
    """Debian 12's Release heads as a host's lists hold them: each candidate is marked with the Date of its
    archive's Release file (the archive offered it by then); an archive without a Release file gives none."""
    sec = apt.parse_release_header(read("apt-bookworm-security-InRelease.txt"))
    main = apt.parse_release_header(read("apt-bookworm-InRelease.txt"))
    dates = apt.release_dates([sec, main])
    assert dates == {"oldstable-security": "2026-12-01T01:33:13+00:00", "oldstable": "2026-07-11T10:16:37+00:00"}
    ups = by_name(apt.parse_list_upgradable(read("apt-list-upgradable-debian12.txt")))
    apt.mark_published(list(ups.values()), dates)
    assert ups["apt"].published == "2026-12-01T01:33:13+00:00"
    assert ups["bash"].published == "2026-07-11T10:16:37+00:00"
    # several archives offer it: the earliest bound; an archive the lists do not show: none
    both = apt.parse_list_upgradable("tzdata/oldstable,oldstable-security 2024a all [upgradable from: 2021a]\n"
                                     "x/elsewhere 1 all [upgradable from: 0]")
    apt.mark_published(both, dates)
    assert [u.published for u in both] == ["2026-07-11T10:16:37+00:00", None]
    # mirrors of one suite: the latest Date (which mirror offers the candidate is not known); a bad Date is skipped
    older = dict(main, Date="Sat, 01 Mar 2025 00:00:00 UTC")
    assert apt.release_dates([older, main])["oldstable"] == "2026-07-11T10:16:37+00:00"
    assert apt.release_dates([dict(main, Date="yesterday")]) == {}
    # a Date with an offset is read in UTC (the RFC 2822 form Release files use)
    assert apt.release_date("Sat, 11 Jul 2026 10:16:37 +0200") == dt.datetime(2026, 7, 11, 8, 16, 37, tzinfo=dt.UTC)
    assert apt.release_date("Tue, 31 Feb 2026 01:33:13 UTC") is None
