"""Exec (streaming, exit status, stderr apart, timeout, cancel), PTY shell, audit log, keepalive dead-peer detection,
reconnect and jump hosts, all against real sshd processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from remote.audit import AuditLog
from remote.cancel import Cancelled, CancelToken
from remote.connection import ConnectError, Connection, ConnectionLost
from remote.exec import ExecTimeout
from remote.hosts import HostProfile
from tests.integration.sshd import Answers, Sshd, SshEnv

pytestmark = [pytest.mark.integration, pytest.mark.root]


def test_exec_streams_stdout_and_stderr_apart(ssh_env: SshEnv, sshd_server: Sshd, tmp_path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    conn = ssh_env.connect(sshd_server, audit=audit)
    seen: list[tuple[str, bytes]] = []
    # The command prints "one", then waits until the test has SEEN "one" (it creates the flag file from the output
    # callback): if the output were not streamed as it came, the command would never end and exec would time out.
    flag_dir = Path(tempfile.mkdtemp(prefix="deskside-stream-"))
    flag_dir.chmod(0o755)
    flag = flag_dir / "seen-one"

    def on_stdout(b: bytes) -> None:
        seen.append(("out", b))
        if b"one" in b:
            flag.touch()

    try:
        r = conn.exec(
            f"echo one; echo warn >&2; while [ ! -e {flag} ]; do sleep 0.05; done; echo two; exit 7",
            timeout=30,
            on_stdout=on_stdout,
            on_stderr=lambda b: seen.append(("err", b)),
        )
    finally:
        conn.close()
        shutil.rmtree(flag_dir, ignore_errors=True)
    assert r.exit_status == 7
    assert r.stdout == b"one\ntwo\n"
    assert r.stderr == b"warn\n"
    first = next(s for s in seen if s[0] == "out")
    assert first[1].startswith(b"one")  # streamed as it came: "one" arrived on its own, before "two" was written
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert entries[-1]["host"] == "127.0.0.1" and entries[-1]["user"] == ssh_env.user
    assert entries[-1]["exit_status"] == 7 and entries[-1]["command"].startswith("echo one")


def test_exec_timeout_and_cancel_stop_the_command(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    conn = ssh_env.connect(sshd_server)
    try:
        with pytest.raises(ExecTimeout) as err:
            conn.exec("echo started; sleep 30", timeout=1.0)
        assert err.value.stdout == b"started\n"
        assert "did not finish within 1 s" in str(err.value)
        token = CancelToken()
        # cancelled once the command runs; without the cancel it would end normally after 30 s, with no exception
        with pytest.raises(Cancelled):
            conn.exec("echo running; sleep 30", cancel=token, on_stdout=lambda b: token.cancel())
        assert conn.exec("echo still-usable").stdout == b"still-usable\n"
    finally:
        conn.close()


def test_pty_shell_runs_commands_and_resizes(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    conn = ssh_env.connect(sshd_server)
    try:
        sh = conn.open_shell(cols=100, rows=30)

        def read_until(marker: bytes, timeout: float = 10) -> bytes:
            buf = b""
            end = time.monotonic() + timeout
            while marker not in buf and time.monotonic() < end:
                buf += sh.read_available()
                time.sleep(0.02)
            return buf

        sh.send(b"echo TERM=$TERM; stty size\n")
        out = read_until(b"30 100")
        assert b"TERM=xterm-256color" in out and b"30 100" in out
        sh.resize(120, 40)
        sh.send(b"stty size\n")
        assert b"40 120" in read_until(b"40 120")
        sh.send(b"exit 4\n")
        end = time.monotonic() + 10
        while not sh.closed and time.monotonic() < end:
            sh.read_available()
            time.sleep(0.02)
        assert sh.closed
        assert sh.wait_exit() == 4
        sh.close()
    finally:
        conn.close()


def test_dead_peer_is_detected_by_unanswered_keepalives(ssh_env: SshEnv, fresh_sshd: Sshd) -> None:
    # How fast the dead peer is found, against OpenSSH's ServerAliveInterval, is measured in bench/bench_session.py.
    off = fresh_sshd.log_size()
    conn = ssh_env.connect(fresh_sshd, keepalive_interval=1, keepalive_count_max=2)
    lost: list[str] = []
    found = threading.Event()

    def on_lost(reason: str) -> None:
        lost.append(reason)
        found.set()

    conn.on_lost = on_lost
    try:
        assert conn.exec("echo alive").stdout == b"alive\n"
        # A keepalive is only sent once the one before it was answered: two in the server's log mean one answered.
        def keepalives_seen() -> int:
            return fresh_sshd.log.read_bytes()[off:].count(b"rtype keepalive@openssh.com")

        deadline = time.monotonic() + 60  # only against a hang: this waits on the server's log, not on a clock
        while keepalives_seen() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert keepalives_seen() >= 2
        assert conn.lost_error() is None and not lost
        stopped = fresh_sshd.signal_sessions(signal.SIGSTOP)  # the server stops answering, TCP stays up
        assert stopped
        assert found.wait(60), "the dead peer was not detected"
        assert "no answer from the server to 2 keepalives" in lost[0]
        with pytest.raises(ConnectionLost) as err:
            conn.exec("echo x", timeout=5)
        assert "Reconnect" in str(err.value)
    finally:
        fresh_sshd.signal_sessions(signal.SIGCONT)
        conn.close()
    # reconnect works once the server answers again
    conn.reconnect(timeout=20)
    try:
        assert conn.exec("echo back").stdout == b"back\n"
    finally:
        conn.close()


def test_killed_server_gives_connection_lost(ssh_env: SshEnv, fresh_sshd: Sshd) -> None:
    conn = ssh_env.connect(fresh_sshd, keepalive_interval=1, keepalive_count_max=3)
    try:
        assert conn.exec("true").exit_status == 0
        fresh_sshd.signal_sessions(signal.SIGKILL)
        with pytest.raises(ConnectionLost):
            for _ in range(50):
                conn.exec("true", timeout=5)
                time.sleep(0.1)
    finally:
        conn.close()


def test_jump_host_chain_reaches_target_through_the_jumps(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    jump1 = ssh_env.sshd("jump1")
    jump2 = ssh_env.sshd("jump2")
    try:
        store = ssh_env.trusted_store(jump1, jump2, sshd_server)
        key = [str(ssh_env.client_key)]

        def resolve(text: str) -> HostProfile:
            port = int(text.rsplit(":", 1)[1])
            return HostProfile(name=text, hostname="127.0.0.1", user=ssh_env.user, port=port, identity_files=key)

        conn = Connection(store, use_agent=False, resolve_jump=resolve)
        target = ssh_env.profile(sshd_server, identity_files=key,
                                 proxy_jump=[f"127.0.0.1:{jump1.port}", f"127.0.0.1:{jump2.port}"])
        off = sshd_server.log_size()
        conn.connect(target, Answers(accept=False), timeout=30)
        try:
            assert len(conn.hops) == 3
            assert conn.exec("echo through-jumps").stdout == b"through-jumps\n"
            with conn.sftp() as sftp:
                assert sftp.home() == f"/home/{ssh_env.user}"
            fwd = conn.forward_local(0, "127.0.0.1", sshd_server.port)  # a tunnel through both jump hosts
            with socket.create_connection(("127.0.0.1", fwd.listen_port), timeout=10) as s:  # type: ignore[attr-defined]
                assert s.recv(100).startswith(b"SSH-2.0-OpenSSH")
            fwd.stop()
        finally:
            conn.close()
        # jump1 opened a channel to jump2, and jump2 one to the target: read from their own logs
        assert f"target 127.0.0.1 port {jump2.port}" in jump1.wait_log(f"target 127.0.0.1 port {jump2.port}")
        assert f"target 127.0.0.1 port {sshd_server.port}" in jump2.wait_log(
            f"target 127.0.0.1 port {sshd_server.port}")
        # the target saw a login coming from jump2's direct-tcpip channel, not from us directly
        assert "Accepted publickey for dsktest" in sshd_server.wait_log("Accepted publickey", offset=off)
    finally:
        jump1.stop()
        jump2.stop()


def test_connect_to_a_hung_server_times_out_or_is_cancelled(ssh_env: SshEnv, fresh_sshd: Sshd) -> None:
    from remote.connection import ConnectError

    assert fresh_sshd.proc is not None
    os.kill(fresh_sshd.proc.pid, signal.SIGSTOP)  # TCP connects (kernel backlog), but no SSH banner ever comes
    try:
        with pytest.raises(ConnectError) as err:  # the handshake's own deadline, not a hang
            ssh_env.connect_with(fresh_sshd, timeout=1.5)
        assert "did not complete the SSH handshake in time" in str(err.value)
        token = CancelToken()
        threading.Timer(0.5, token.cancel).start()
        with pytest.raises(Cancelled):  # long before the 60 s deadline, which would raise ConnectError instead
            ssh_env.connect_with(fresh_sshd, timeout=60, cancel=token)
    finally:
        os.kill(fresh_sshd.proc.pid, signal.SIGCONT)


def test_an_error_in_the_callers_output_callback_is_not_a_lost_connection(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    # e.g. the CLI's stdout pipe closed (`| head`): that used to be reported as "connection lost" and the
    # connection was closed
    conn = ssh_env.connect(sshd_server)

    def closed_pipe(data: bytes) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    try:
        with pytest.raises(BrokenPipeError):
            conn.exec("seq 1 100000", timeout=20, on_stdout=closed_pipe)
        assert conn.connected
        assert conn.exec("echo still-here", timeout=20).stdout == b"still-here\n"
    finally:
        conn.close()


def test_a_refused_channel_says_what_limits_it(ssh_env: SshEnv) -> None:
    server = ssh_env.sshd("onesession", extra="MaxSessions 1")
    conn = ssh_env.connect(server)
    try:
        sh = conn.open_shell()  # the one session the server allows
        with pytest.raises(ConnectError) as err:
            conn.exec("true", timeout=20)
        assert "refused to open another channel" in str(err.value) and "MaxSessions" in str(err.value)
        sh.close()
    finally:
        conn.close()
        server.stop()
