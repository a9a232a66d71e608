"""Patching from the Compliance page against real OpenSSH servers on 127.0.0.1 (this machine, with its real pending
updates; the test login has no sudo): select hosts, Patch…, the dry run shows per host what `deskside patch
--dry-run` shows, security-only narrows it, Install asks the sudo password once in a box that never echoes it, each
host comes back "sudo refused" and nothing changed, the table shows the fresh posture, the audit log has the
commands and never the password; Cancel stops a host that hangs and keeps the others."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QLineEdit

from tests.conftest import need
from tests.gui.test_compliance_page import line, load, make_page, scan
from tests.integration.sshd import Sshd, SshEnv, ssh_env, sshd_servers  # noqa: F401
from tests.integration.test_fleet_scan import apt_upgradable

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture(scope="module")
def servers(ssh_env: SshEnv) -> Iterator[list[Sshd]]:
    with sshd_servers(ssh_env, "patch", 2) as started:
        yield started


def select(page: Any, *names: str) -> None:
    sel = page.table.selectionModel()
    sel.clearSelection()
    for name in names:
        index = page.proxy.mapFromSource(page.model.index(page.model.row_of(name), 0))
        sel.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def cli_dry_run(inv: Path, host: str, *extra: str) -> list[str]:
    """What `deskside patch --dry-run` prints as the host's changes (the same HOME, known hosts and keys)."""
    r = subprocess.run([sys.executable, "-m", "desktop.cli", "patch", "-i", str(inv), host, "--dry-run",
                        "--no-ansible", *extra], capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{host}: would change" in r.stdout, r.stdout
    return [ln[4:] for ln in r.stdout.splitlines() if ln.startswith("    ")]


def tree_changes(dialog: Any, host: str) -> list[str]:
    item = dialog.items[host]
    return [item.child(i).text(2) for i in range(item.childCount())]


def test_patch_selected_hosts_dry_run_then_sudo_refused(qtbot: Any, task_runner: Any, tmp_path: Path,
                                                      user_home: Path, ssh_env: SshEnv,
                                                      servers: list[Sshd]) -> None:
    names, security = apt_upgradable()
    need(bool(names), "pending updates on this machine (apt list --upgradable)")
    need(shutil.which("sudo") is not None, "sudo on this machine (apt package sudo), which refuses the test login")
    inv = tmp_path / "hosts.ini"
    inv.write_text("[web]\n" + line("web1", ssh_env, servers[0].port) + "\n" + line("web2", ssh_env, servers[1].port)
                   + "\n[db]\n" + line("db1", ssh_env, servers[0].port) + "\n")
    page = make_page(qtbot, task_runner, tmp_path, history_path=tmp_path / "history.sqlite")
    load(qtbot, page, inv)
    page.trust_box.setChecked(True)
    scan(qtbot, page)
    before_scan = {r.name: r for r in page.scan_result.results}

    select(page, "web1", "web2")
    assert [h.name for h in page.hosts_to_patch()] == ["web1", "web2"]
    page.patch_action.trigger()
    d = page.patch_dialog
    assert d is not None and d.isVisible()
    with qtbot.waitSignal(d.dry_run_done, timeout=300_000):
        pass
    assert not d.install_button.isEnabled() or d.outcomes  # enabled only once the dry run is back
    want = cli_dry_run(inv, "web1")
    for host in ("web1", "web2"):
        o = d.outcomes[host]
        assert o.state == "would change", (o.state, o.detail)
        assert o.changes == want  # the same as deskside patch --dry-run says
        assert tree_changes(d, host) == want
        assert d.items[host].text(1) == "Would change"
    assert {c.split()[0] for c in want} >= names
    assert d.install_button.isEnabled()

    # Security updates only: a new dry run, narrowed to them.
    with qtbot.waitSignal(d.dry_run_done, timeout=300_000):
        d.security_box.setChecked(True)
    if security:
        assert d.outcomes["web1"].changes == cli_dry_run(inv, "web1", "--security-only")
        assert {c.split()[0] for c in d.outcomes["web1"].changes} >= security
        assert len(d.outcomes["web1"].changes) <= len(want)
    else:
        assert d.outcomes["web1"].state == "up to date"
        return

    # Install: the password is asked once for both hosts, never echoed; sudo refuses this login on each host.
    d.install_button.click()
    qtbot.waitUntil(lambda: d.asker is not None and d.asker.box is not None and d.asker.box.isVisible(),
                    timeout=120_000)
    box = d.asker.box
    assert box.field.echoMode() == QLineEdit.EchoMode.Password
    qtbot.keyClicks(box.field, ssh_env.password)
    with qtbot.waitSignal(d.patched, timeout=300_000) as sig:
        box.accept()
    assert d.asker.asked == 1
    outcomes = {o.host: o for o in sig.args[0]}
    assert set(outcomes) == {"web1", "web2"}
    for host, o in outcomes.items():
        assert o.state == "failed" and o.detail.startswith("sudo refused"), (o.state, o.detail)
        assert "not in the sudoers file" in o.detail
        assert d.items[host].text(1) == "Sudo refused"
    assert apt_upgradable() == (names, security)  # nothing was changed on the host
    assert "1 sudo refused" not in d.status.text() and "2 sudo refused" in d.status.text()

    # The table shows the posture read by the patch run (the hosts not patched keep the scan's).
    fresh = {r.name: r for r in page.scan_result.results}
    assert fresh["web1"] is outcomes["web1"].before and fresh["web2"] is outcomes["web2"].before
    assert fresh["db1"] is before_scan["db1"]
    assert page.model.row(page.model.row_of("web1")).result is outcomes["web1"].before
    assert page.scan_result.totals.hosts == 3

    # The audit log has every command (the sudo upgrade too), never the password.
    audit = (Path(os.environ["DESKSIDE_LOG_DIR"]) / "remote-audit.jsonl").read_text()
    assert "apt-get" in audit and "sudo -S" in audit and ssh_env.password not in audit
    d.close_button.click()
    qtbot.waitUntil(lambda: page.patch_dialog is None, timeout=10_000)


def test_patch_cancel_keeps_the_finished_hosts(qtbot: Any, task_runner: Any, tmp_path: Path, user_home: Path,
                                               ssh_env: SshEnv, servers: list[Sshd]) -> None:
    # a host that logs in and then never answers: every command it is sent runs `sleep` (until Cancel)
    hanging = ssh_env.sshd("patch-hangs", extra="ForceCommand sleep 3600")
    try:
        inv = tmp_path / "hosts.ini"
        inv.write_text("[all_here]\n" + line("web1", ssh_env, servers[0].port) + "\n"
                       + line("hangs", ssh_env, hanging.port) + "\n")
        page = make_page(qtbot, task_runner, tmp_path, use_history=False)
        load(qtbot, page, inv)
        page.trust_box.setChecked(True)
        assert [h.name for h in page.hosts_to_patch()] == ["web1", "hangs"]  # no row selected: the group's
        page.patch_action.trigger()
        d = page.patch_dialog
        qtbot.waitUntil(lambda: "web1" in d.outcomes, timeout=300_000)
        assert d.running, {n: (o.state, o.detail) for n, o in d.outcomes.items()}
        assert d.cancel_button.isEnabled() and not d.close_button.isEnabled()
        with qtbot.waitSignal(d.dry_run_done, timeout=60_000):
            d.cancel_button.click()
        assert d.outcomes["hangs"].state == "unknown"
        assert d.items["hangs"].text(1) == "Unknown"
        assert d.outcomes["web1"].state in ("would change", "up to date")
        assert not d.running and d.close_button.isEnabled()
    finally:
        hanging.stop()


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.integration.debian_chroot import chroot_host

    need(os.geteuid() == 0, "root (chroot, mount)")
    with chroot_host(tmp_path_factory.mktemp("chroot"), "pw-" + secrets.token_hex(8)) as host:
        yield host


def test_patch_a_debian_host_for_real(qtbot: Any, task_runner: Any, tmp_path: Path, user_home: Path,
                                      debian: Any) -> None:
    """The Debian chroot (not this machine, real pending security updates, a login whose sudo wants a password):
    the dry run, the password typed once in the box, the security updates installed, the row compliant."""
    inv = tmp_path / "hosts.ini"
    inv.write_text("[debian]\n" + debian.inventory_line("deb12") + "\n")
    strict = tmp_path / "policy.toml"
    strict.write_text("[policy]\nmax_security_age_days = 0\n")
    _names, security = debian.upgradable()
    assert security, "the chroot should have pending security updates"
    page = make_page(qtbot, task_runner, tmp_path, history_path=tmp_path / "history.sqlite")
    load(qtbot, page, inv)
    page.set_policy(strict)
    qtbot.waitUntil(lambda: page.policy.source == str(strict), timeout=30_000)
    page.trust_box.setChecked(True)
    scan(qtbot, page)
    assert page.model.row(page.model.row_of("deb12")).status == "non-compliant"

    page.patch_action.trigger()
    d = page.patch_dialog
    d.security_box.setChecked(True)  # while the first dry run runs: a second one, for the security updates only
    with qtbot.waitSignal(d.dry_run_done, timeout=300_000) as dry:
        pass
    o = d.outcomes["deb12"]
    assert dry.args[0] == [o]
    assert o.state == "would change" and {c.split()[0] for c in o.changes} >= security
    assert debian.upgradable()[1] == security  # the dry run changed nothing

    d.install_button.click()
    qtbot.waitUntil(lambda: d.asker is not None and d.asker.box is not None, timeout=120_000)
    qtbot.keyClicks(d.asker.box.field, debian.password)
    with qtbot.waitSignal(d.patched, timeout=1_500_000) as sig:
        d.asker.box.accept()
    (o,) = sig.args[0]
    assert o.state == "patched", (o.state, o.detail)
    assert o.after is not None and o.after.status == "compliant"
    assert d.items["deb12"].text(1) == "Patched: now compliant"
    assert debian.upgradable()[1] == set()
    row = page.model.row(page.model.row_of("deb12"))
    assert row.result is o.after and row.status == "compliant"
    assert page.scan_result.totals.compliant == 1
    audit = (Path(os.environ["DESKSIDE_LOG_DIR"]) / "remote-audit.jsonl").read_text()
    assert "apt-get" in audit and debian.password not in audit
