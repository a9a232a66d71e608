"""The Ansible engine's reading of Ansible's per-host events (no Ansible needed): unreachable, failed, an answer
that is not the script's, and a real answer of the posture script run here by sh."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fleet import policy as pol
from fleet.ansible_engine import NOT_ASKED, PROBE, OfflineHost, host_result, script_text
from fleet.inventory import InventoryHost

INV = InventoryHost(name="web1", hostname="10.0.0.5", user="ops", groups=["web"])


def test_failures_are_unknown_with_ansibles_reason() -> None:
    _script, runs = script_text(pol.DEFAULT)
    r = host_result(INV, {"event": "unreachable", "msg": "Failed to connect to the host via ssh: Permission denied"},
                    runs, pol.DEFAULT, None)
    assert r.status == "unknown" and "Permission denied" in (r.error or "")
    r = host_result(INV, {"event": "failed", "rc": 90, "stderr": "mkdir: cannot create\n"}, runs, pol.DEFAULT, None)
    assert r.status == "unknown" and "mkdir: cannot create" in (r.error or "")
    r = host_result(INV, {"event": "ok", "rc": 0, "stdout": "Welcome to fish\n"}, runs, pol.DEFAULT, None)
    assert r.status == "unknown" and "could not be read" in (r.error or "")


def test_the_script_run_here_reads_as_this_host() -> None:
    script, runs = script_text(pol.DEFAULT, {"LC_ALL": "C.UTF-8"})
    assert PROBE in runs
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=300, check=False).stdout
    r = host_result(INV, {"event": "ok", "rc": 0, "stdout": out}, runs, pol.DEFAULT, None)
    assert r.status in ("compliant", "non-compliant") and r.error is None, r
    assert r.updates is not None and "apt" in r.updates["checked"]
    assert not [n for n in r.notes if "posture script" in n]  # nothing had to be asked on an apt host


def test_an_offline_host_answers_nothing_it_was_not_told() -> None:
    host = OfflineHost("h", "linux")
    res = host.run(["dnf", "check-update"])
    assert not res.ok and res.stderr == NOT_ASKED
    assert host.read_file("/etc/x") is None and host.which("dnf") is None
    assert len(host.misses) == 3


def test_apt_cache_failing_is_could_not_tell_with_its_reason(tmp_path: Path) -> None:
    """Where apt-cache policy fails, the Ansible engine cannot ask apt list itself: the updates are "could not
    tell" with apt-cache's reason, never "no updates"."""
    fake = tmp_path / "apt-cache"
    fake.write_text("#!/bin/sh\necho 'E: The package lists or status file could not be parsed or opened.' >&2\n"
                    "exit 100\n")
    fake.chmod(0o755)
    script, runs = script_text(pol.DEFAULT)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=300, check=False,
                         env=env).stdout
    r = host_result(INV, {"event": "ok", "rc": 0, "stdout": out}, runs, pol.DEFAULT, None)
    assert any("apt-cache policy exited with status 100: E: The package lists" in n for n in r.notes), r.notes
    assert any("could not tell" in n and "apt list --upgradable" in n for n in r.notes), r.notes
    assert r.updates is not None and r.updates["checked"] == [] and r.updates["skipped"][0]["source"] == "apt"
    assert r.status == "unknown"
