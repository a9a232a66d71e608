"""SendEnv for the terminal: LANG and LC_* reach the remote shell where sshd's AcceptEnv takes them, and the
names it refuses are known (the Remote page says so) instead of silently leaving programs in the C locale."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import select
import time

from remote.shell import Shell
from tests.integration.sshd import Sshd, SshEnv, ssh_env, sshd_server  # noqa: F401


def shell_says(sh: Shell, command: str, timeout: float = 20) -> str:
    """Run `command` in the shell; its output up to a marker the shell prints after it (waits on the channel)."""
    marker = f"marker-{time.monotonic_ns()}"
    sh.send(f"{command}; echo {marker[:7]}\"{marker[7:]}\"\n".encode())  # the echoed line does not hold it
    out = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in out and (left := deadline - time.monotonic()) > 0:
        select.select([sh.fileno()], [], [], left)
        out += sh.read_available()
    return out.decode("utf-8", "replace")


def test_accepted_variables_reach_the_shell_and_refused_ones_are_named(ssh_env: SshEnv) -> None:
    server = ssh_env.sshd("acceptenv", extra="AcceptEnv LANG LC_MESSAGES")
    conn = ssh_env.connect(server)
    try:
        env = {"LANG": "C.UTF-8", "LC_TIME": "C.UTF-8", "LC_MESSAGES": "C.UTF-8"}
        sh = conn.open_shell(env=env)
        assert sh.refused_env == ["LC_TIME"]
        assert "L=C.UTF-8 T=unset M=C.UTF-8" in shell_says(sh, 'echo "L=$LANG T=${LC_TIME:-unset} M=$LC_MESSAGES"')
        sh.close()
        again = conn.open_shell(env=env)  # the answers are kept for the connection: not asked twice
        assert again.refused_env == ["LC_TIME"]
        assert "L=C.UTF-8" in shell_says(again, 'echo "L=$LANG"')
        again.close()
    finally:
        conn.close()
        server.stop()


def test_a_server_without_accept_env_refuses_all(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    conn = ssh_env.connect(sshd_server)
    try:
        sh = conn.open_shell(env={"LANG": "C.UTF-8"})
        assert sh.refused_env == ["LANG"]
        assert "L=unset" in shell_says(sh, 'echo "L=${LANG:-unset}"')
        sh.close()
    finally:
        conn.close()
