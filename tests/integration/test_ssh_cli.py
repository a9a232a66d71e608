"""The `deskside hosts|ssh|sftp|forward` commands as a user runs them, against real sshd processes."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.sshd import Sshd, SshEnv

pytestmark = [pytest.mark.integration, pytest.mark.root]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    env = dict(os.environ, HOME=str(home))
    env.pop("SSH_AUTH_SOCK", None)
    return env


def deskside(env: dict[str, str], *args: str, timeout: float = 60, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, input=stdin if stdin is not None else "")


def test_unknown_key_refused_without_tty_then_accept_new(ssh_env: SshEnv, sshd_server: Sshd,
                                                         cli_env: dict[str, str]) -> None:
    target = f"{ssh_env.user}@127.0.0.1:{sshd_server.port}"
    key = str(ssh_env.client_key)
    r = deskside(cli_env, "ssh", "-i", key, target, "--", "echo", "hi")
    assert r.returncode == 255
    assert sshd_server.fingerprint() in r.stderr
    assert "--accept-new" in r.stderr
    assert r.stdout == ""
    r = deskside(cli_env, "ssh", "-i", key, "--accept-new", target, "--", "echo out; echo err >&2; exit 5")
    assert r.returncode == 5
    assert r.stdout == "out\n" and "err\n" in r.stderr
    store = Path(cli_env["DESKSIDE_DATA_DIR"]) / "known_hosts"
    assert store.read_text().startswith(f"[127.0.0.1]:{sshd_server.port} ssh-ed25519 ")
    r = deskside(cli_env, "ssh", target, "--timeout", "1", "-i", key, "--", "sleep 10")
    assert r.returncode == 124 and "did not finish within 1 s" in r.stderr
    audit = (Path(cli_env["DESKSIDE_LOG_DIR"]) / "remote-audit.jsonl").read_text()
    assert '"command": "echo out; echo err >&2; exit 5", "exit_status": 5' in audit


def test_ssh_config_alias_with_proxyjump_and_import(ssh_env: SshEnv, sshd_server: Sshd,
                                                    cli_env: dict[str, str]) -> None:
    jump0 = ssh_env.sshd("clijump0")
    jump = ssh_env.sshd("clijump")
    try:
        ssh = Path(cli_env["HOME"]) / ".ssh"
        (ssh / "conf.d").mkdir()
        (ssh / "conf.d" / "jump.conf").write_text(  # jumpbox is itself reached through outer (a nested chain)
            f"Host jumpbox\n  HostName 127.0.0.1\n  Port {jump.port}\n  User {ssh_env.user}\n  ProxyJump outer\n"
            f"Host outer\n  HostName 127.0.0.1\n  Port {jump0.port}\n"
        )
        (ssh / "config").write_text(
            "Include conf.d/*.conf\n"
            f"Host target\n  HostName 127.0.0.1\n  Port {sshd_server.port}\n  ProxyJump jumpbox\n"
            "  ServerAliveInterval 5\n  LocalForward 8080 127.0.0.1:80\n"
            "Match host foo\n  User bar\n"
            f"Host *\n  User {ssh_env.user}\n  IdentityFile {ssh_env.client_key}\n"
        )
        r = deskside(cli_env, "ssh", "--accept-new", "target", "--", "echo", "via-jump")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "via-jump\n"
        assert f"target 127.0.0.1 port {jump.port}" in jump0.wait_log(f"port {jump.port}")
        assert f"target 127.0.0.1 port {sshd_server.port}" in jump.wait_log(f"port {sshd_server.port}")
        r = deskside(cli_env, "hosts", "import")
        assert r.returncode == 0, r.stderr
        assert "imported 3 host(s)" in r.stdout
        assert "LocalForward 8080 127.0.0.1:80 - not honoured" in r.stdout
        assert "Match" not in r.stdout  # Match blocks are honoured now (`Match host foo` applies to no host here)
        r = deskside(cli_env, "hosts", "list")
        assert "target" in r.stdout and "via jumpbox" in r.stdout
    finally:
        jump.stop()
        jump0.stop()


def test_sftp_and_local_forward_commands(ssh_env: SshEnv, sshd_server: Sshd, cli_env: dict[str, str],
                                         tmp_path: Path) -> None:
    target = f"{ssh_env.user}@127.0.0.1:{sshd_server.port}"
    key = str(ssh_env.client_key)
    r = deskside(cli_env, "hosts", "add", "box", target, "-i", key, "--group", "lab")
    assert r.returncode == 0, r.stderr
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(1_500_000))
    r = deskside(cli_env, "sftp", "--accept-new", "box", "put", str(src), "/tmp")
    assert r.returncode == 0, r.stderr
    assert "put: 1 file(s), 1500000 bytes" in r.stdout
    dl = tmp_path / "dl"
    dl.mkdir()
    r = deskside(cli_env, "sftp", "box", "get", "/tmp/payload.bin", str(dl))
    assert r.returncode == 0, r.stderr
    assert (dl / "payload.bin").read_bytes() == src.read_bytes()
    os.unlink("/tmp/payload.bin")
    # forward -L to the server's own sshd port: the banner comes back through the tunnel
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        lport = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli", "forward", "box", "-L",
                             f"{lport}:127.0.0.1:{sshd_server.port}"], env=cli_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"-L 127.0.0.1:{lport} -> 127.0.0.1:{sshd_server.port}" in line
        with socket.create_connection(("127.0.0.1", lport), timeout=10) as c:
            assert c.recv(100).startswith(b"SSH-2.0-OpenSSH")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_interactive_shell_on_a_terminal(ssh_env: SshEnv, sshd_server: Sshd, cli_env: dict[str, str]) -> None:
    target = f"{ssh_env.user}@127.0.0.1:{sshd_server.port}"
    argv = [sys.executable, "-m", "desktop.cli", "ssh", "-i", str(ssh_env.client_key), target]
    pid, fd = pty.fork()
    if pid == 0:  # child: deskside with a real terminal, asking about the host key on it
        os.execve(sys.executable, argv, cli_env)  # noqa: S606
    buf = b""

    def read_until(marker: bytes, timeout: float = 20) -> bytes:
        nonlocal buf
        end = time.monotonic() + timeout
        while marker not in buf and time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    buf += os.read(fd, 4096)
                except OSError:
                    break
        return buf

    try:
        assert b"(yes/no)?" in read_until(b"(yes/no)?")
        assert sshd_server.fingerprint().encode() in buf
        os.write(fd, b"yes\n")
        os.write(fd, b"echo $((6*7))-$TERM\n")
        assert b"42-" in read_until(b"42-")
        os.write(fd, b"exit 3\n")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 3
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def test_interactive_shell_reports_a_dead_server(ssh_env: SshEnv, fresh_sshd: Sshd, cli_env: dict[str, str]) -> None:
    target = f"{ssh_env.user}@127.0.0.1:{fresh_sshd.port}"
    argv = [sys.executable, "-m", "desktop.cli", "ssh", "--accept-new", "--keepalive", "1", "-i",
            str(ssh_env.client_key), target]
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, argv, cli_env)  # noqa: S606
    buf = b""

    def read_until(marker: bytes, timeout: float = 20) -> bytes:
        nonlocal buf
        end = time.monotonic() + timeout
        while marker not in buf and time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    buf += os.read(fd, 4096)
                except OSError:
                    break
        return buf

    try:
        os.write(fd, b"echo $((6*7))-ready\n")
        assert b"42-ready" in read_until(b"42-ready")
        assert fresh_sshd.signal_sessions(signal.SIGSTOP)  # the server stops answering; TCP stays up
        assert b"lost" in read_until(b"Reconnect", timeout=30)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 255
        assert b"no answer from the server to 3 keepalives" in buf
    finally:
        fresh_sshd.signal_sessions(signal.SIGCONT)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def test_sftp_names_with_control_characters_are_shown_not_obeyed(ssh_env: SshEnv, sshd_server: Sshd,
                                                                cli_env: dict[str, str], tmp_path: Path) -> None:
    import shutil
    import tempfile

    remote = Path(tempfile.mkdtemp(prefix="deskside-esc-"))  # on the server (the same machine), readable by the user
    remote.chmod(0o755)
    try:
        (remote / "evil\x1b]0;PWNED\x07\x1b[2J name").write_text("x")  # would retitle the window and clear it
        (remote / "lnk\x1b[31mred").symlink_to("/etc/passwd")
        target = f"{ssh_env.user}@127.0.0.1:{sshd_server.port}"
        key = str(ssh_env.client_key)
        r = deskside(cli_env, "sftp", "--accept-new", "-i", key, target, "ls", str(remote))
        assert r.returncode == 0, r.stderr
        assert "\x1b" not in r.stdout and "\x07" not in r.stdout
        assert "evil\\x1b]0;PWNED\\x07\\x1b[2J name" in r.stdout
        dl = tmp_path / "dl"
        dl.mkdir()
        r = deskside(cli_env, "sftp", "-i", key, target, "get", str(remote), str(dl))
        assert r.returncode == 0, r.stderr
        assert "\x1b" not in r.stdout
        assert "skipped: " in r.stdout and "lnk\\x1b[31mred: a symbolic link on the server" in r.stdout
        assert (dl / remote.name / "evil\x1b]0;PWNED\x07\x1b[2J name").read_text() == "x"  # the file itself is kept
    finally:
        shutil.rmtree(remote)


def test_ssh_output_into_a_pipe_closed_early_ends_quietly(ssh_env: SshEnv, sshd_server: Sshd,
                                                         cli_env: dict[str, str]) -> None:
    target = f"{ssh_env.user}@127.0.0.1:{sshd_server.port}"
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli", "ssh", "--accept-new", "-i",
                             str(ssh_env.client_key), target, "--", "seq 1 5000000"], env=cli_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"1\n"
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141
    assert "lost" not in err and "Traceback" not in err and "unexpected error" not in err


def test_login_needing_a_password_without_a_terminal_says_so(ssh_env: SshEnv, sshd_server: Sshd,
                                                              cli_env: dict[str, str]) -> None:
    target = f"{ssh_env.user}@127.0.0.1:{sshd_server.port}"
    r = deskside(cli_env, "ssh", "--accept-new", "--no-agent", "-i", "/nonexistent-key", target, "--", "true")
    assert r.returncode == 255
    assert "cancelled by the user" not in r.stderr  # nobody cancelled anything
    assert "there is no terminal to ask on" in r.stderr and "key file /nonexistent-key (not found)" in r.stderr
