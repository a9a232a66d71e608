"""`deskside scan --engine ansible`: a real ansible-playbook run (the role in fleet/ansible, raw task, no Python
needed on the host) against the same real sshd hosts as the built-in engine gives the same per-host records; an
unreachable host, a failed login and an unknown host key come back unknown with Ansible's reason; a CSV inventory
works too; the history is shared with the built-in engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fleet import export
from fleet.ansible_engine import ansible_playbook
from tests.conftest import need
from tests.integration.sshd import Sshd, SshEnv, free_port
from tests.integration.test_fleet_scan import _env, _line, apt_upgradable, deskside

POLICY = """[policy]
max_security_age_days = 0
required_packages = ["openssh-server", "no-such-package-deskside"]
forbidden_packages = ["telnetd"]

[[policy.check]]
name = "has a shell"
command = "test -x /bin/sh"
expect_exit = 0

[[policy.check]]
name = "says hello"
command = "echo hello"
expect_output = "^bye"
severity = "warning"
"""


@pytest.fixture(scope="module")
def servers(ssh_env: SshEnv) -> Iterator[list[Sshd]]:
    need(shutil.which("ansible-playbook") is not None or (Path(sys.executable).parent / "ansible-playbook").is_file(),
         "ansible-playbook (ansible-core, in the dev extras)")
    started = [ssh_env.sshd(f"ansible{i}") for i in range(2)]
    yield started
    for s in started:
        s.stop()


def _record(h: dict[str, Any]) -> dict[str, Any]:
    """What both engines must agree on for a host (times aside)."""
    updates = dict(h["updates"] or {})
    updates.pop("collected_at", None)
    return {"status": h["status"], "score": h["score"], "error": h["error"], "notes": h["notes"],
            "reasons": h["reasons"], "groups": h["groups"], "target": h["target"], "updates": updates}


def test_ansible_engine_gives_the_same_records(ssh_env: SshEnv, servers: list[Sshd], tmp_path: Path) -> None:
    env = _env(tmp_path)
    locked_out = ssh_env.sshd("ansible-nokey", authorize=False)
    try:
        inv = tmp_path / "hosts.ini"
        inv.write_text("[web]\n" + _line("web1", ssh_env, servers[0].port) + "\n"
                       + _line("web2", ssh_env, servers[1].port) + "\n"
                       "[odd]\n" + _line("gone", ssh_env, free_port()) + "\n"
                       + _line("locked", ssh_env, locked_out.port) + "\n")
        policy = tmp_path / "policy.toml"
        policy.write_text(POLICY)
        # The built-in engine first: it trusts the new keys (--accept-new) into Deskside's store, which the Ansible
        # engine's ssh reads too, so the second run needs no --accept-new.
        ours = deskside(env, "scan", "-i", str(inv), "--policy", str(policy), "--accept-new", "--json")
        theirs = deskside(env, "scan", "-i", str(inv), "--policy", str(policy), "--engine", "ansible", "--json")
        assert theirs.returncode == ours.returncode, theirs.stderr
        a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
        jsonschema.validate(b, export.schema())
        hosts_a = {h["name"]: h for h in a["hosts"]}
        hosts_b = {h["name"]: h for h in b["hosts"]}
        assert set(hosts_b) == {"web1", "web2", "gone", "locked"}
        names, security = apt_upgradable()
        for name in ("web1", "web2"):
            assert _record(hosts_b[name]) == _record(hosts_a[name])
            pending = hosts_b[name]["updates"]["pending"]
            assert {p["name"] for p in pending} == names  # what `apt list --upgradable` says on that host
            assert {p["name"] for p in pending if p["security"]} == security
            rules = {r["key"] for r in hosts_b[name]["reasons"]}
            assert {"required-package:no-such-package-deskside", "check:says hello"} <= rules, rules
            assert "check:has a shell" not in rules
        assert b["totals"] == a["totals"]
        gone, locked = hosts_b["gone"], hosts_b["locked"]
        assert gone["status"] == "unknown" and "unreachable (Ansible)" in gone["error"]
        assert "refused" in gone["error"].lower()
        assert locked["status"] == "unknown" and "permission denied" in locked["error"].lower(), locked
        # Both runs went into the same history: the second compares with the first.
        assert b["compared_with_scan"] is not None
        assert not b["changes"]["newly_non_compliant"] and not b["changes"]["fixed"]
        assert len(b["changes"]["still_open"]) == len(a["changes"]["newly_non_compliant"]) > 0
    finally:
        locked_out.stop()


def test_ansible_engine_csv_inventory_and_unknown_key(ssh_env: SshEnv, servers: list[Sshd], tmp_path: Path) -> None:
    env = _env(tmp_path)
    inv = tmp_path / "hosts.csv"
    inv.write_text("name,hostname,port,user,identity_file,groups\n"
                   f"db1,127.0.0.1,{servers[0].port},{ssh_env.user},{ssh_env.client_key},db\n")
    # Not known yet and no --accept-new: refused, never trusted silently.
    r = deskside(env, "scan", "-i", str(inv), "--engine", "ansible", "--json", "--no-history")
    h = json.loads(r.stdout)["hosts"][0]
    assert r.returncode == 3 and h["status"] == "unknown", h
    assert "host key verification failed" in h["error"].lower(), h
    r = deskside(env, "scan", "-i", str(inv), "--engine", "ansible", "--json", "--no-history", "--accept-new")
    h = json.loads(r.stdout)["hosts"][0]
    assert h["status"] != "unknown" and h["groups"] == ["db"], h
    assert {p["name"] for p in h["updates"]["pending"]} == apt_upgradable()[0]
    # The key --accept-new stored is the one Deskside's own SSH client now trusts.
    r = deskside(env, "scan", "-i", str(inv), "--json", "--no-history")
    assert json.loads(r.stdout)["hosts"][0]["status"] == h["status"], r.stdout


def test_ansible_engine_needs_ansible_playbook_and_an_inventory(tmp_path: Path) -> None:
    env = _env(tmp_path)
    inv = tmp_path / "hosts.csv"
    inv.write_text("name,hostname\nh1,127.0.0.1\n")
    r = deskside(env, "scan", "--engine", "ansible", "h1")
    assert r.returncode == 64 and "needs an inventory" in r.stderr
    # A Python with no ansible-playbook beside it, and none on PATH.
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python3").symlink_to(sys.executable)
    env["PATH"] = str(bare)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    r = subprocess.run([str(bare / "python3"), "-m", "desktop.cli", "scan", "-i", str(inv), "--engine", "ansible"],
                       env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 64 and "needs ansible-playbook" in r.stderr, r.stderr
    assert ansible_playbook()  # here, in the dev environment, it is found


def test_ansible_engine_timeout_and_cancel(ssh_env: SshEnv, servers: list[Sshd], tmp_path: Path) -> None:
    import signal

    env = _env(tmp_path)
    inv = tmp_path / "hosts.ini"
    inv.write_text("[web]\n" + _line("slow1", ssh_env, servers[0].port) + "\n")
    policy = tmp_path / "slow.toml"
    policy.write_text('[[policy.check]]\nname = "slow"\ncommand = "sleep 120"\nexpect_exit = 0\ntimeout_s = 300\n')
    r = deskside(env, "scan", "-i", str(inv), "--engine", "ansible", "--accept-new", "--policy", str(policy),
                 "--timeout", "2", "--json", "--no-history")
    h = json.loads(r.stdout)["hosts"][0]
    assert r.returncode == 3 and h["status"] == "unknown" and "Timed out after 2" in h["error"], h
    # Ctrl-C while the host is being scanned: ansible-playbook is stopped, the partial results are printed.
    offset = servers[0].log_size()
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli", "scan", "-i", str(inv), "--engine", "ansible",
                             "--policy", str(policy), "--json", "--no-history"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        # A new session on the server (the login itself may ride on the ssh ControlMaster of the first run).
        assert "input_session_request" in servers[0].wait_log("input_session_request", timeout=120, offset=offset)
        proc.send_signal(signal.SIGINT)
        out, _err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    doc = json.loads(out)
    assert proc.returncode == 130 and doc["cancelled"] is True
    assert doc["hosts"][0]["status"] == "unknown" and "cancelled" in doc["hosts"][0]["error"]
