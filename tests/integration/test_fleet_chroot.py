"""A host that is not this machine (a Debian 12 chroot with its own sshd and real pending security updates): the
scan sees exactly what its `apt list --upgradable` says, `deskside patch` shows a dry run, refuses a wrong sudo
password, installs the security updates with the right one (from the real keyring), and the rescan is compliant."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need
from tests.integration.debian_chroot import USER, ChrootHost, chroot_host

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChrootHost]:
    need(os.geteuid() == 0, "root (chroot, mount)")
    with chroot_host(tmp_path_factory.mktemp("chroot"), "pw-" + secrets.token_hex(8)) as host:
        yield host


def deskside(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], env=env, capture_output=True, text=True,
                          timeout=1800, stdin=subprocess.DEVNULL)


@pytest.fixture
def cli(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    env = dict(os.environ, HOME=str(home))
    env.pop("SSH_AUTH_SOCK", None)
    return env


def test_scan_patch_and_rescan_a_debian_host(debian: ChrootHost, cli: dict[str, str], tmp_path: Path) -> None:
    need(os.environ.get("DESKSIDE_TEST_KEYRING") == "1", "a real Secret Service keyring (run via scripts/run-tests.sh)")
    import keyring

    inv = tmp_path / "hosts.ini"
    inv.write_text("[debian]\n" + debian.inventory_line("deb12") + "\n")
    names, security = debian.upgradable()
    assert security, "the chroot should have pending security updates"
    strict = tmp_path / "policy.toml"
    strict.write_text("[policy]\nmax_security_age_days = 0\n")

    r = deskside(cli, "scan", "-i", str(inv), "--accept-new", "--policy", str(strict), "--json")
    host = json.loads(r.stdout)["hosts"][0]
    assert host["status"] == "non-compliant", host
    assert {p["name"] for p in host["updates"]["pending"]} == names
    # Whole records, as the chroot's apt list prints them (the host answered through apt-cache policy)
    assert {f"{p['name']}/{p['source']} {p['candidate']} {p['arch']} [upgradable from: {p['installed']}]"
            for p in host["updates"]["pending"]} == debian.upgradable_lines()
    assert {p["name"] for p in host["updates"]["pending"] if p["security"]} == security
    assert host["reasons"][0]["rule"] == "security-updates"
    # Each security update's publication bound is the Date of bookworm-security's Release file in the host's own
    # lists (no network), and the age in the evidence counts from it where it is earlier than this first scan.
    from diagnostics.updates import apt

    lists = debian.root / "var/lib/apt/lists"
    heads = [apt.parse_release_header(p.read_text(errors="replace")[:4096]) for p in lists.glob("*InRelease")]
    released = apt.release_dates(heads)
    sec_date = next(v for k, v in released.items() if k.endswith("-security"))
    assert {p["published"] for p in host["updates"]["pending"] if p["security"]} == {sec_date}
    assert f"(its archive's Release file is dated {sec_date[:10]})" in host["reasons"][0]["evidence"]
    assert host["updates"]["eol"]["os_id"] == "debian" and host["updates"]["eol"]["version"] == "12"
    assert r.returncode == 2

    # The dry run shows what would change and changes nothing.
    r = deskside(cli, "patch", "-i", str(inv), "deb12", "--security-only", "--dry-run")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deb12: would change" in r.stdout
    for name in security:
        assert f"    {name} " in r.stdout
    assert debian.upgradable()[1] == security

    # No terminal and no stored password: a clear per-host failure, nothing changed.
    key = f"sudo:{USER}@127.0.0.1:{debian.port}"
    with pytest.raises(keyring.errors.PasswordDeleteError):
        keyring.delete_password("deskside-ssh", key)
    r = deskside(cli, "patch", "-i", str(inv), "deb12", "--security-only", "--yes")
    assert r.returncode == 1 and "sudo needs a password" in r.stdout

    # A wrong password: sudo refuses, said per host.
    keyring.set_password("deskside-ssh", key, "not-the-password")
    r = deskside(cli, "patch", "-i", str(inv), "deb12", "--security-only", "--yes")
    assert r.returncode == 1 and "sudo refused" in r.stdout, r.stdout + r.stderr
    assert debian.upgradable()[1] == security

    # The right one, from the real keyring: the security updates are installed and the rescan is compliant.
    keyring.set_password("deskside-ssh", key, debian.password)
    try:
        r = deskside(cli, "patch", "-i", str(inv), "deb12", "--security-only", "--yes", "--policy", str(strict))
    finally:
        keyring.delete_password("deskside-ssh", key)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deb12: patched; now compliant" in r.stdout
    assert debian.upgradable()[1] == set()
    audit = (Path(cli["DESKSIDE_LOG_DIR"]) / "remote-audit.jsonl").read_text()
    assert "apt-get" in audit and debian.password not in audit and "not-the-password" not in audit
    r = deskside(cli, "scan", "-i", str(inv), "--policy", str(strict))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deb12" in r.stdout and "1 compliant" in r.stdout
    assert "Since the last scan: 0 new, 1 fixed, 0 still open." in r.stdout  # the history saw the fix
    assert "Time to patch security updates (median days, by group): debian 0" in r.stdout
