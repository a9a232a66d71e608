"""Many commands at once over ONE connection, as the diagnostics runner does (one thread per collector)."""

from __future__ import annotations

import threading

import pytest

from desktop.remote_host import SshHost
from tests.integration.sshd import SshEnv

pytestmark = [pytest.mark.integration, pytest.mark.root]


def test_parallel_commands_over_one_connection_each_get_their_own_output(ssh_env: SshEnv) -> None:
    # 8 collector-like threads share one connection on a server that allows 4 sessions: every command must come
    # back with its own output (channels are never mixed up) and refusals are retried, never reported as failures.
    server = ssh_env.sshd("parallel", extra="MaxSessions 4")
    conn = ssh_env.connect(server)
    failures: list[str] = []
    try:
        host = SshHost(conn, max_channels=8)

        done: list[int] = []

        def work(i: int) -> None:
            try:
                for j in range(40):
                    r = host.run(["echo", f"{i}-{j}"], timeout=30)
                    if r.returncode != 0 or r.stdout != f"{i}-{j}\n":
                        failures.append(f"{i}-{j}: {r.returncode} {r.stderr.strip()}")
                    done.append(1)
            except Exception as exc:
                failures.append(repr(exc))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert failures == []
        assert len(done) == 8 * 40
        assert host.max_channels <= 4
    finally:
        conn.close()
        server.stop()

