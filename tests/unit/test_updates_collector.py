"""The updates collector: a real run on this machine, and whole scans of other systems driven by recorded outputs."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from diagnostics.cancel import Cancelled, CancelToken
from diagnostics.collectors import select
from diagnostics.collectors.base import CollectContext
from diagnostics.collectors.updates import UpdatesCollector
from diagnostics.host import CommandResult, LocalHost
from diagnostics.model import SectionStatus
from diagnostics.runner import run_collectors
from diagnostics.updates.posture import Posture
from diagnostics.updates.scan import scan_posture
from tests.conftest import REPO, need

DATA = Path(__file__).resolve().parents[1] / "data" / "updates"
POSTURE_KEYS = {"host", "collected_at", "platform", "managers", "checked", "pending", "counts", "security_data",
                "reboot", "eol", "cache", "confidence", "skipped", "from_cache", "version"}
NOW = dt.datetime(2024, 11, 1, 12, 0, tzinfo=dt.UTC)


def test_real_run_on_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need(shutil.which("apt") is not None, "apt (the CI machine is Debian 12)")
    # What is read, not how fast: `apt list --upgradable` can take longer than the 8 s limit on a loaded machine.
    monkeypatch.setattr(UpdatesCollector, "timeout_s", 300.0)
    assert "updates" in [c.name for c in select()]
    ctx = CollectContext(host=LocalHost(), cache_dir=tmp_path)
    report = run_collectors([UpdatesCollector()], ctx)
    section = report.sections["updates"]
    assert section.status in (SectionStatus.OK, SectionStatus.PARTIAL), section.error
    d = section.data
    assert POSTURE_KEYS <= set(d)
    assert d["managers"][0] == "apt" and "apt" in d["checked"]
    assert d["counts"]["pending"] == len(d["pending"])
    assert d["counts"]["security"] == sum(1 for p in d["pending"] if p["security"])
    for p in d["pending"]:
        assert p["manager"] == "apt" and p["name"] and p["candidate"] and p["installed"]
        assert p["security"] == any(a.endswith("-security") for a in p["source"].split(","))
    assert d["eol"]["os_id"] == "debian" and d["eol"]["eol"]
    assert d["confidence"]["level"] in ("high", "medium", "low")
    assert d["reboot"]["running_kernel"]
    json.dumps(d)  # JSON-serialisable as it is
    assert Posture.from_dict(d).to_dict() == d  # a clean, reusable record
    schema = json.loads(next((REPO / "diagnostics" / "schema").glob("*.json")).read_text())
    jsonschema.validate(report.to_dict(), schema)
    assert list(tmp_path.glob("updates-*.json"))  # the result cache was written for the next run
    # (that the next run uses it, and what invalidates it, is tested in test_updates_cache.py)


# -- recorded systems -----------------------------------------------------------------------------------------
class RecordedHost:
    """Answers commands from recorded outputs; a unit-test stand-in for a remote Fedora/openSUSE/Arch/Windows/Mac."""

    is_local = False

    def __init__(self, platform: str, programs: set[str], outputs: dict[str, tuple[int, str, str]],
                 files: dict[str, bytes]) -> None:
        self.name = f"recorded-{platform}"
        self.platform = platform
        self.programs = programs
        self.outputs = outputs  # argv joined by spaces (prefix match) -> (returncode, stdout, stderr)
        self.files = files
        self.commands: list[str] = []
        self.envs: list[tuple[str, dict[str, str] | None]] = []

    def run(self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        line = " ".join(argv)
        self.commands.append(line)
        self.envs.append((line, env))
        for prefix, (rc, out, err) in self.outputs.items():
            if line.startswith(prefix):
                return CommandResult(argv, rc, out, err)
        return CommandResult(argv, 127, "", "", missing=True)

    def read_file(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        return self.files.get(path)

    def which(self, program: str) -> str | None:
        return f"/usr/bin/{program}" if program in self.programs else None


def rec(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def stat_line(path: str, when: dt.datetime) -> str:
    return f"{int(when.timestamp())}|4096|{path}\n"


def test_rocky_scan_from_recorded_outputs() -> None:
    host = RecordedHost("linux", {"dnf", "rpm"}, {
        "uname -r": (0, "5.14.0-427.13.1.el9_4.x86_64\n", ""),
        "sh -c stat": (0, stat_line("/var/cache/dnf/baseos-1a2b/repodata/repomd.xml", NOW - dt.timedelta(days=2)), ""),
        "dnf -q -C check-update": (100, rec("dnf-check-update-rocky9.txt"), ""),
        "dnf -q -C updateinfo list --security": (0, rec("dnf-updateinfo-security-rocky9.txt"), ""),
        "rpm -q": (0, rec("dnf-rpm-query-rocky9.txt"), ""),
        "ls -1A -- /boot": (0, "vmlinuz-5.14.0-427.13.1.el9_4.x86_64\nvmlinuz-5.14.0-427.40.1.el9_4.x86_64\n", ""),
    }, {"/etc/os-release": b'ID="rocky"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n'})
    p = scan_posture(host, now=NOW)
    assert p.managers == ["dnf"] and p.checked == ["dnf"]
    assert p.counts == {"pending": 10, "security": 6, "dnf": 10}
    kernel = next(u for u in p.pending if u.name == "kernel-core")
    assert (kernel.installed, kernel.candidate, kernel.advisories) == (
        "5.14.0-427.13.1.el9_4", "5.14.0-427.40.1.el9_4", ["RLSA-2024:8117"])
    assert p.reboot.required is True and p.reboot.newest_kernel == "5.14.0-427.40.1.el9_4.x86_64"
    assert p.eol.os_id == "rocky" and p.eol.eol == "2032-05-31" and p.eol.state == "supported"
    assert p.cache[0].age_days == 2.0 and not p.cache[0].stale
    assert p.confidence.level == "high", p.confidence.reasons
    assert not any("--refresh" in c or "makecache" in c for c in host.commands)  # never touches the network


def test_dnf_without_metadata_cache_is_a_low_confidence_skip() -> None:
    host = RecordedHost("linux", {"dnf"}, {
        "uname -r": (0, "6.11.4-301.fc41.x86_64\n", ""),
        "dnf -q -C check-update": (1, "", rec("dnf-error-no-cache.txt")),
    }, {"/etc/os-release": b"ID=fedora\nVERSION_ID=41\n"})
    p = scan_posture(host, now=NOW)
    assert p.checked == [] and p.pending == []
    assert p.skipped[0].source == "dnf" and "no cache for 'baseos'" in p.skipped[0].reason
    assert p.confidence.level == "low"
    assert "the pending updates of dnf could not be read" in p.confidence.reasons


ZYPPER = "zypper --non-interactive --no-refresh --xmlout"


def test_opensuse_scan_with_stale_cache() -> None:
    old = NOW - dt.timedelta(days=40)
    host = RecordedHost("linux", {"zypper", "flatpak"}, {
        "uname -r": (0, "6.4.0-150600.23.22-default\n", ""),
        "sh -c stat": (0, stat_line("/var/cache/zypp/raw/repo-sle-update/repodata/repomd.xml", old), ""),
        f"{ZYPPER} list-updates": (100, rec("zypper-list-updates-leap156.xml"), ""),
        f"{ZYPPER} list-patches": (101, rec("zypper-list-patches-leap156.xml"), ""),
    }, {"/etc/os-release": b'ID="opensuse-leap"\nVERSION_ID="15.6"\n'})
    p = scan_posture(host, now=NOW)
    assert p.managers == ["zypper", "flatpak"] and p.checked == ["zypper"]
    assert p.counts["security"] == 2 and p.counts["zypper"] == 6
    assert not any(c.startswith("flatpak") for c in host.commands)  # would contact the remotes
    assert any(s.source == "flatpak" and "network" in s.reason for s in p.skipped)
    assert p.cache[0].stale and p.confidence.level == "low"
    assert all(env == {"ZYPP_READONLY_HACK": "1"} for c, env in host.envs if c.startswith("zypper"))  # no lock
    assert any("40 days old" in r for r in p.confidence.reasons)


def test_arch_scan_says_there_is_no_security_data() -> None:
    host = RecordedHost("linux", {"pacman"}, {
        "uname -r": (0, "6.11.3-arch1-1\n", ""),
        "sh -c stat": (0, stat_line("/var/lib/pacman/sync/core.db", NOW - dt.timedelta(hours=5)), ""),
        "pacman -Qu": (0, rec("pacman-Qu.txt"), ""),
        "ls -1A -- /lib/modules": (0, "6.11.4-arch1-1\n", ""),
    }, {"/etc/os-release": b"ID=arch\nBUILD_ID=rolling\n"})
    p = scan_posture(host, now=NOW)
    assert p.counts == {"pending": 4, "security": 0, "pacman": 4}
    assert p.security_data == {"pacman": False} and p.confidence.level == "medium"
    assert any("no security data" in r for r in p.confidence.reasons)
    assert p.reboot.required is True  # 6.11.3's modules are gone
    assert p.eol.state == "unknown"


def test_windows_scan_from_recorded_output() -> None:
    host = RecordedHost("windows", set(), {
        "powershell": (0, rec("windows-update-deskside.json"), ""),
    }, {})
    p = scan_posture(host, now=NOW)
    assert p.managers == ["windows"] and p.counts["security"] == 1
    assert p.pending[0].advisories == ["KB5044285"]
    assert p.reboot.required is True
    assert p.eol.version == "11-23H2" and p.eol.eol == "2025-11-11" and p.eol.state == "supported"
    assert p.cache[0].age_days is not None and 10 < p.cache[0].age_days < 11


def test_macos_scan_reads_the_plist_without_traffic() -> None:
    host = RecordedHost("darwin", {"softwareupdate"}, {
        "sw_vers -productVersion": (0, "14.7\n", ""),
    }, {"/Library/Preferences/com.apple.SoftwareUpdate.plist": (DATA / "macos-SoftwareUpdate.plist").read_bytes()})
    p = scan_posture(host, now=NOW)
    assert [u.title for u in p.pending] == ["macOS Sonoma 14.7.1", "Safari"]
    assert not any(c.startswith("softwareupdate") for c in host.commands)
    assert p.security_data == {"macos": False} and p.eol.name == "macOS 14.7"
    assert p.cache[0].age_days == 3.16


def test_cancel_stops_the_scan(tmp_path: Path) -> None:
    need(shutil.which("apt") is not None, "apt")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        scan_posture(LocalHost(), cancel=token, cache_dir=tmp_path)
    assert not list(tmp_path.glob("updates-*.json"))  # nothing half-done was cached
    ctx = CollectContext(host=LocalHost(), cancel=token, cache_dir=tmp_path)
    report = run_collectors([UpdatesCollector()], ctx)
    assert report.cancelled and report.sections["updates"].status == SectionStatus.CANCELLED


def test_missing_apt_lists_is_a_low_confidence_skip_not_a_crash(tmp_path: Path) -> None:
    need(shutil.which("apt") is not None, "apt")
    from diagnostics.updates.scan import Paths

    p = scan_posture(LocalHost(), paths=Paths(apt_lists=str(tmp_path / "no-lists")))
    assert "apt" in p.managers
    assert any(s.source == "apt package lists" and "sudo apt update" in s.reason for s in p.skipped)
    assert p.confidence.level == "low"
    assert any("no package lists" in r for r in p.confidence.reasons)
    apt_age = next(c for c in p.cache if c.manager == "apt")
    assert apt_age.stale and apt_age.age_days is None


@pytest.mark.parametrize("setting", ["false", "no", 1])
def test_allow_network_must_be_a_real_boolean_to_send_traffic(setting: object) -> None:
    """`allow_network = "false"` in quotes used to count as true (bool of a non-empty string) and asked the
    flatpak remotes over the network; anything but a TOML boolean now keeps the check offline, with the fix."""
    host = RecordedHost("linux", {"flatpak"}, {"uname -r": (0, "6.1.0\n", "")}, {"/etc/os-release": b"ID=debian\n"})
    ctx = CollectContext(host=host, options={"updates": {"allow_network": setting}})
    report = run_collectors([UpdatesCollector()], ctx)
    section = report.sections["updates"]
    assert not any(c.startswith("flatpak") for c in host.commands)  # no remote was contacted
    reasons = {s.item: s.reason for s in section.skips}
    assert "is not true or false, so the update check stays offline" in reasons["setting updates.allow_network"]
    assert "allow_network = true" in reasons["setting updates.allow_network"]
    # a real true is still honoured
    host2 = RecordedHost("linux", {"flatpak"}, {"uname -r": (0, "6.1.0\n", "")}, {"/etc/os-release": b"ID=debian\n"})
    run_collectors([UpdatesCollector()], CollectContext(host=host2, options={"updates": {"allow_network": True}}))
    assert any(c.startswith("flatpak remote-ls") for c in host2.commands)


def test_no_package_manager_is_not_reported_as_up_to_date() -> None:
    """With no apt/dnf/zypper/pacman (an unsupported distribution, or a PATH without them) the summary used to say
    "0 pending, 0 security" with no skip and no finding, which reads as "up to date"."""
    from diagnostics.render.text import render_text

    host = RecordedHost("linux", set(), {"uname -r": (0, "6.1.0\n", "")}, {"/etc/os-release": b"ID=alpine\n"})
    report = run_collectors([UpdatesCollector()], CollectContext(host=host))
    section = report.sections["updates"]
    assert section.status == SectionStatus.PARTIAL
    assert {s.item: s.reason for s in section.skips}["package manager"] == (
        "none of apt, dnf, zypper, pacman was found, so the pending system updates could not be listed")
    (f,) = [f for f in report.findings if f.id == "updates.not_checked"]
    assert f.severity.label == "warning"
    assert f.fix == ("Check for updates with this system's own update tool (its software centre or package manager); "
                     "Deskside can list the updates of apt, dnf, zypper and pacman.\nThen run the diagnosis again.")
    text = render_text(report)
    assert "pending updates not checked" in text and "0 pending" not in text
