"""SendEnv for the terminal: LANG and LC_* reach the remote shell where sshd's AcceptEnv takes them, and the
names it refuses are known (the Remote page says so) instead of silently leaving programs in the C locale."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import time

from remote.shell import Shell
from tests.integration.sshd import Sshd, SshEnv, ssh_env, sshd_server  # noqa: F401


def read_until(sh: Shell, marker: bytes, timeout: float = 20) -> bytes:
    buf = b""
    end = time.monotonic() + timeout
    while marker not in buf and time.monotonic() < end:
        buf += sh.read_available()
        time.sleep(0.02)
    return buf


def test_accepted_variables_reach_the_shell_and_refused_ones_are_named(ssh_env: SshEnv) -> None:
    server = ssh_env.sshd("acceptenv", extra="AcceptEnv LANG LC_MESSAGES")
    conn = ssh_env.connect(server)
    try:
        env = {"LANG": "C.UTF-8", "LC_TIME": "C.UTF-8", "LC_MESSAGES": "C.UTF-8"}
        sh = conn.open_shell(env=env)
        assert sh.refused_env == ["LC_TIME"]
        sh.send(b"echo \"L=$LANG T=${LC_TIME:-unset} M=$LC_MESSAGES\"; echo done-$((1+1))\n")
        out = read_until(sh, b"done-2")
        assert b"L=C.UTF-8 T=unset M=C.UTF-8" in out
        sh.close()
        again = conn.open_shell(env=env)  # the answers are kept for the connection: not asked twice
        assert again.refused_env == ["LC_TIME"]
        again.send(b"echo \"L=$LANG\"; echo done-$((2+1))\n")
        assert b"L=C.UTF-8" in read_until(again, b"done-3")
        again.close()
    finally:
        conn.close()
        server.stop()


def test_a_server_without_accept_env_refuses_all(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    conn = ssh_env.connect(sshd_server)
    try:
        sh = conn.open_shell(env={"LANG": "C.UTF-8"})
        assert sh.refused_env == ["LANG"]
        sh.send(b"echo \"L=${LANG:-unset}\"; echo done-$((1+1))\n")
        assert b"L=unset" in read_until(sh, b"done-2")
        sh.close()
    finally:
        conn.close()
