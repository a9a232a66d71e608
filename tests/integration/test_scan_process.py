"""The Compliance page's scan in a child process (desktop/scan_process.py) against real OpenSSH servers on
127.0.0.1: the same results as the scan on the calling thread, per-host progress on the way, and Cancel that keeps
the finished hosts and leaves no process behind."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from common.cancel import CancelToken
from desktop.compliance_hub import ComplianceHub
from fleet import policy as pol
from fleet.inventory import InventoryHost
from tests.integration.sshd import Sshd, SshEnv, free_port, sshd_servers

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def servers(ssh_env: SshEnv) -> Iterator[list[Sshd]]:
    with sshd_servers(ssh_env, "scanproc", 2) as started:
        yield started


def host(name: str, ssh_env: SshEnv, port: int) -> InventoryHost:
    return InventoryHost(name=name, hostname="127.0.0.1", port=port, user=ssh_env.user,
                         identity_file=str(ssh_env.client_key), groups=["web"])


def comparable(r: Any) -> dict[str, Any]:
    d = r.to_dict()
    for k in ("scanned_at", "duration_s"):
        d.pop(k)
    if d["updates"]:
        d["updates"]["collected_at"] = None  # when the host was asked: the only difference between two scans...
        d["updates"]["from_cache"] = None  # ...besides the second one reading the first one's kept apt answer
    return d


def scan_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if "__scan-child__" in p.cmdline()]


def test_child_scan_equals_the_in_process_scan(ssh_env: SshEnv, servers: list[Sshd], user_home: Path,
                                               tmp_path: Path) -> None:
    hosts = [host("web1", ssh_env, servers[0].port), host("web2", ssh_env, servers[1].port),
             host("gone", ssh_env, free_port())]
    policy = pol.parse("[policy]\nmax_security_age_days = 0\nrequired_packages = [\"deskside-no-such-package\"]\n")
    seen: list[tuple[str, str]] = []
    child = ComplianceHub(use_ansible=False, home=tmp_path, history_path=tmp_path / "h.sqlite")
    assert child.isolate
    got = child.scan(hosts, policy, accept_new=True, cancel=CancelToken(),
                     progress=lambda name, state, _r: seen.append((name, state)))
    inproc = ComplianceHub(use_ansible=False, home=tmp_path, history_path=tmp_path / "h2.sqlite", isolate=False)
    want = inproc.scan(hosts, policy, accept_new=True, cancel=CancelToken(), progress=lambda *_a: None)

    assert [comparable(r) for r in got.results] == [comparable(r) for r in want.results]
    # The page's scans keep each host's apt answer: the second scan of the unchanged hosts read it instead of apt.
    assert [r.updates["from_cache"] for r in got.results[:2]] == [False, False]
    assert [r.updates["from_cache"] for r in want.results[:2]] == [True, True]
    assert got.totals == want.totals and not got.cancelled
    assert got.results[0].status == "non-compliant" and got.results[2].status == "unknown"
    assert "refused" in (got.results[2].error or "").lower()
    assert ("web1", "connecting") in seen and ("web1", "done") in seen and ("gone", "done") in seen
    assert child.trend() and len(child.trend()) == 1  # recorded in the history by the app, as before
    assert not scan_children()


def test_cancel_keeps_finished_hosts_and_stops_the_child(ssh_env: SshEnv, servers: list[Sshd], user_home: Path,
                                                         tmp_path: Path) -> None:
    silent = socket.socket()  # accepts connections and never says a word: a host that hangs
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        hosts = [host("web1", ssh_env, servers[0].port), host("hangs", ssh_env, silent.getsockname()[1]),
                 *[host(f"later{i}", ssh_env, servers[1].port) for i in range(3)]]
        cancel = CancelToken()
        hangs_started = threading.Event()
        web1_done = threading.Event()

        def progress(name: str, state: str, _r: Any) -> None:
            if name == "hangs":
                hangs_started.set()
            if name == "web1" and state == "done":
                web1_done.set()
            if hangs_started.is_set() and web1_done.is_set():
                cancel.cancel()

        hub = ComplianceHub(use_ansible=False, home=tmp_path, concurrency=2, use_history=False)
        result = hub.scan(hosts, pol.DEFAULT, accept_new=True, cancel=cancel, progress=progress)
    finally:
        silent.close()
    by = {r.name: r for r in result.results}
    assert result.cancelled
    assert list(by) == ["web1", "hangs", "later0", "later1", "later2"]
    assert by["web1"].error is None and by["web1"].updates
    assert by["hangs"].error == "not finished: the scan was cancelled"
    assert any(by[f"later{i}"].error == "not scanned: the scan was cancelled" for i in range(3))
    assert result.totals.hosts == 5
    assert not scan_children()
