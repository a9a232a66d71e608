"""`deskside patch --reboot-if-required` against a host that goes away and comes back: the Debian chroot host with
the power switch of tests/integration/chroot_power.py (its docstring says exactly what is real and what is
simulated: the sshd and every session are really killed and restarted, the boot id file the collector reads really
changes; no kernel reboots).

The host has nothing to install with --security-only (its security archive's lists are removed from this copy), so
the runs exercise the reboot alone: no reboot when none is required; a dry run that says it would reboot; the
reboot, the wait seeing the host go down and come back with a new boot id, the rescan, all in the audit log; and a
host that never comes back ends as `unknown` with the reason after the (small) deadline.
"""

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
from tests.integration.chroot_power import PowerSwitch, reboot_required
from tests.integration.debian_chroot import USER, chroot_host

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def power(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PowerSwitch]:
    need(os.geteuid() == 0, "root (chroot, mount)")
    with chroot_host(tmp_path_factory.mktemp("chroot-reboot"), "pw-" + secrets.token_hex(8)) as host:
        for lists in (host.root / "var/lib/apt/lists").glob("*security*"):
            lists.unlink()  # nothing to install with --security-only: the runs test the reboot alone
        (host.root / "etc/sudoers.d/deskside-test").write_text(f"{USER} ALL=(ALL:ALL) NOPASSWD: ALL\n")
        switch = PowerSwitch(host).install()
        try:
            yield switch
        finally:
            switch.close()


def deskside(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], env=env, capture_output=True, text=True,
                          timeout=900, stdin=subprocess.DEVNULL)


def reboot_entries(env: dict[str, str], port: int) -> list[str]:
    audit = Path(env["DESKSIDE_LOG_DIR"]) / "remote-audit.jsonl"
    entries = [json.loads(line) for line in audit.read_text().splitlines()] if audit.exists() else []
    return [e["command"] for e in entries if e.get("kind") == "reboot" and e.get("port") == port]


def test_reboot_only_when_required_wait_for_the_new_boot_and_rescan(power: PowerSwitch, tmp_path: Path) -> None:
    host = power.host
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    env = dict(os.environ, HOME=str(home), DESKSIDE_LOG_DIR=str(tmp_path / "logs"))
    env.pop("SSH_AUTH_SOCK", None)
    inv = tmp_path / "hosts.ini"
    inv.write_text("[debian]\n" + host.inventory_line("deb12") + "\n")
    args = ("patch", "-i", str(inv), "deb12", "--security-only", "--reboot-if-required", "--accept-new")

    # No reboot required: nothing is done, the host is not rebooted.
    r = deskside(env, *args, "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deb12: up to date" in r.stdout and power.reboots == 0

    # A kernel update left /run/reboot-required: the dry run says it would reboot, and does not.
    reboot_required(host)
    r = deskside(env, *args, "--dry-run")
    assert r.returncode == 0 and "deb12: would change" in r.stdout and "    reboot (the host requires one)" in r.stdout
    assert power.reboots == 0

    # The reboot: the host goes down, comes back with a new boot id, and is rescanned.
    first_boot = power.boot_id
    r = deskside(env, *args, "--yes", "--reboot-wait", "300")
    assert r.returncode == 0, r.stdout + r.stderr
    assert power.reboots == 1 and power.went_down.is_set() and power.came_back.is_set()
    assert "deb12: rebooted; now compliant" in r.stdout, r.stdout
    log = reboot_entries(env, host.port)
    assert log[0].startswith("reboot requested (") and log[0].endswith(f"boot id {first_boot}")
    assert log[1].startswith("the host went down (")
    assert log[2] == f"the host is back: boot id {first_boot} -> {power.boot_id}"
    assert log[3] == "rescan after the reboot: compliant"
    assert not (host.root / "run/reboot-required").exists()

    # A host that never comes back: a clear per-host result once the (small) deadline has passed.
    power.comes_back = False
    power.went_down.clear()
    reboot_required(host)
    r = deskside(env, *args, "--yes", "--reboot-wait", "5")
    assert r.returncode == 1, r.stdout + r.stderr
    assert power.reboots == 2 and power.went_down.is_set() and not power.came_back.is_set()
    assert "deb12: unknown: rebooted, but it went down and did not come back within 5 s (last: " in r.stdout
    assert reboot_entries(env, host.port)[-1].startswith("reboot wait ended: it went down and did not come back")
