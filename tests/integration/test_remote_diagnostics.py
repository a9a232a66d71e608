"""The diagnostics collectors run on a remote host over SSH (desktop.remote_host.SshHost, `deskside diagnose --host`).

The server is a real OpenSSH sshd on 127.0.0.1 started inside its own UTS namespace with its own host name, so a
value that came over SSH (the host name) differs from this machine's: the report can only show it if the commands
really ran on the far side. The sshd log and our audit log show the sessions too.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import secrets
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.integration.sshd as sshd_mod
from desktop.remote_host import SshHost
from desktop.wiring import run_diagnostics
from diagnostics.cancel import Cancelled, CancelToken
from diagnostics.render.json import dumps
from diagnostics.schema import validation_errors
from remote.audit import AuditLog
from tests.conftest import need
from tests.integration.sshd import Sshd, SshEnv, free_port

pytestmark = [pytest.mark.integration, pytest.mark.root]

REMOTE_NAME = "deskside-remote-box"


@pytest.fixture(scope="module")
def remote_sshd(ssh_env: SshEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """An sshd whose processes live in their own UTS namespace with host name REMOTE_NAME."""
    assert socket.gethostname() != REMOTE_NAME
    uts = subprocess.run(["unshare", "--uts", "true"], capture_output=True)
    need(uts.returncode == 0, "unshare --uts (util-linux, run as root) for an sshd with a host name of its own")
    wrapper = tmp_path_factory.mktemp("uts") / "sshd-in-uts-namespace"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec unshare --uts sh -c 'hostname {REMOTE_NAME} && exec {sshd_mod.SSHD} \"$@\"' sshd \"$@\"\n"
    )
    wrapper.chmod(0o755)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sshd_mod, "SSHD", str(wrapper))
        server = ssh_env.sshd("remote-diag")
    yield server
    server.stop()


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl")


@pytest.fixture
def host(ssh_env: SshEnv, remote_sshd: Sshd, audit: AuditLog) -> Iterator[SshHost]:
    conn = ssh_env.connect(remote_sshd, audit=audit)
    try:
        yield SshHost(conn)
    finally:
        conn.close()


def test_remote_report_shows_the_remote_machine(ssh_env: SshEnv, remote_sshd: Sshd, host: SshHost,
                                                audit: AuditLog) -> None:
    log_start = remote_sshd.log_size()
    assert host.name == REMOTE_NAME and host.platform == "linux"
    assert host.is_admin is False  # logged in as the throwaway user, although the tests run as root

    report = run_diagnostics(host=host, options={})

    assert report.host == REMOTE_NAME
    system = report.sections["system"]
    assert system.status.value in ("ok", "partial"), system
    assert system.data["hostname"] == REMOTE_NAME  # read over SSH: this machine's own name is different
    assert system.data["kernel"]["release"] == os.uname().release  # same kernel: the sshd runs on this machine
    assert system.data["os"]["id"]
    updates = report.sections["updates"]
    assert updates.status.value in ("ok", "partial"), (updates.status, updates.error, updates.skips)
    assert updates.data["host"] == REMOTE_NAME and updates.data["managers"] == ["apt"]  # the remote's apt
    for name in ("cpu", "memory", "storage", "processes"):
        assert report.sections[name].status.value in ("ok", "partial"), (name, report.sections[name])
    assert report.sections["memory"].data  # /proc/meminfo came back
    assert not validation_errors(json.loads(dumps(report)))

    # It ran over SSH: sshd started a session per command for the test user, and our audit log has them.
    log = remote_sshd.wait_log("Starting session: command", offset=log_start)
    assert f"for {ssh_env.user} from 127.0.0.1" in log
    commands = [e["command"] for e in audit.entries()]
    assert any("/etc/os-release" in c for c in commands), commands
    assert all(e["host"] == "127.0.0.1" and e["user"] == ssh_env.user for e in audit.entries())
    # One round trip per command, several channels at once over the one connection.
    assert host.commands_run == len(commands)  # the probe (uname) included
    assert 1 < host.max_parallel <= 6


def test_host_primitives(host: SshHost) -> None:
    assert host.read_file("/no/such/file") is None
    assert host.read_file("/etc/shadow") is None  # unreadable for the remote user
    assert host.read_file("/root") is None  # a folder is not a file
    assert host.read_file("/proc/sys/kernel/hostname") == f"{REMOTE_NAME}\n".encode()
    assert host.read_file("/etc/os-release", 4) == Path("/etc/os-release").read_bytes()[:4]

    res = host.run(["no-such-program-deskside", "--help"])
    assert res.missing and res.returncode == 127 and not res.ok
    assert "not installed" in res.why_failed()

    res = host.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (res.returncode, res.stdout, res.stderr, res.missing) == (3, "out\n", "err\n", False)

    # Every word arrives as one argument, nothing is expanded or run by the remote shell.
    words = ["a b", "$HOME", "'q'", "; touch /tmp/deskside-pwned", "$(id)", "*"]
    res = host.run(["printf", "%s|", *words])
    assert res.ok and res.stdout == "|".join(words) + "|"
    assert not Path("/tmp/deskside-pwned").exists()

    assert host.run(["sh", "-c", "echo $LC_ALL $FOO"], env={"FOO": "bar baz"}).stdout == "C.UTF-8 bar baz\n"
    assert host.which("sh") in ("/usr/bin/sh", "/bin/sh")
    assert host.which("sysctl") is not None  # sbin is on the PATH although the user's login PATH has none
    assert host.which("no-such-program-deskside") is None


def test_timeout_and_huge_output(ssh_env: SshEnv, remote_sshd: Sshd) -> None:
    nap = f"30.{secrets.randbelow(10**6)}"  # a name of its own for this run's remote program
    conn = ssh_env.connect(remote_sshd)
    try:
        small = SshHost(conn, max_output=1 << 20)
        res = small.run(["yes", "deskside"], timeout=60)  # endless output: loading it whole could never finish
        assert res.truncated and not res.timed_out
        assert len(res.stdout) == 1 << 20 and res.stdout.startswith("deskside\ndeskside\n")
        assert small.read_file("/dev/zero", 10) == b"\0" * 10

        res = small.run(["sleep", nap], timeout=1)
        assert res.timed_out and not res.ok and "did not finish" in res.why_failed()
    finally:
        conn.close()
    _wait_gone(ssh_env.user, "yes deskside")
    _wait_gone(ssh_env.user, f"sleep {nap}")  # the timed-out remote program was ended, not left running


def _remote_procs(user: str, pattern: str) -> list[str]:
    out = subprocess.run(["pgrep", "-u", user, "-f", "-a", pattern], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


def _wait_gone(user: str, pattern: str) -> None:
    deadline = time.monotonic() + 10
    while _remote_procs(user, pattern) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _remote_procs(user, pattern) == []


def test_cancel_stops_a_remote_command_and_a_run(ssh_env: SshEnv, host: SshHost) -> None:
    nap = f"47.{secrets.randbelow(10**6)}"
    token = CancelToken()
    outcome: list[BaseException | object] = []

    def work() -> None:
        try:
            outcome.append(host.run(["sleep", nap], timeout=120, cancel=token))
        except BaseException as exc:
            outcome.append(exc)

    t = threading.Thread(target=work)
    t.start()
    deadline = time.monotonic() + 10
    while not _remote_procs(ssh_env.user, f"sleep {nap}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _remote_procs(ssh_env.user, f"sleep {nap}"), "the remote command never started"
    token.cancel()
    t.join(10)
    assert not t.is_alive() and isinstance(outcome[0], Cancelled)
    _wait_gone(ssh_env.user, f"sleep {nap}")  # closing the channel ended the remote program

    # A whole run: cancelled as soon as the first collector is done, while the others still wait on the remote host.
    token = CancelToken()

    def progress(name: str, state: str, done: int, total: int) -> None:
        if state != "running":
            token.cancel()

    report = run_diagnostics(host=host, options={}, cancel=token, progress=progress)
    assert report.cancelled
    states = {n: s.status.value for n, s in report.sections.items()}
    assert states["updates"] == "cancelled", states  # the slowest one (tens of remote commands)
    assert report.host == REMOTE_NAME


# -- the CLI ------------------------------------------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    env = dict(os.environ, HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env.pop("SSH_AUTH_SOCK", None)
    env.pop("DISPLAY", None)
    return env


def deskside(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_cli_diagnose_host_json(ssh_env: SshEnv, remote_sshd: Sshd, cli_env: dict[str, str]) -> None:
    target = f"{ssh_env.user}@127.0.0.1:{remote_sshd.port}"
    r = deskside(cli_env, "diagnose", "--host", target, "-i", str(ssh_env.client_key), "--accept-new", "--json",
                 "--network")
    assert r.returncode in (0, 1, 2), r.stderr
    doc = json.loads(r.stdout)
    assert not validation_errors(doc)
    assert doc["host"] == REMOTE_NAME
    assert doc["sections"]["system"]["data"]["hostname"] == REMOTE_NAME
    assert "updates" in doc["sections"]
    conn = doc["sections"]["connectivity"]  # checks from this machine cannot speak for the remote one
    assert conn["status"] == "skipped"
    assert "only available on the local machine" in json.dumps(conn["skips"])
    assert "Warning: permanently added" in r.stderr
    audit = (Path(cli_env["DESKSIDE_LOG_DIR"]) / "remote-audit.jsonl").read_text()
    assert "/etc/os-release" in audit

    # The text report, as locally: findings and the summary, with the remote host's name; and the HTML file.
    html = Path(cli_env["HOME"]) / "far.html"
    r = deskside(cli_env, "diagnose", "--host", target, "-i", str(ssh_env.client_key), "--only", "system,memory",
                 "--html", str(html))
    assert r.returncode in (0, 1, 2), r.stderr
    assert REMOTE_NAME in r.stdout and f"HTML report written to {html}" in r.stdout
    assert REMOTE_NAME in html.read_text()


def test_cli_diagnose_through_a_jump_host(ssh_env: SshEnv, remote_sshd: Sshd, cli_env: dict[str, str]) -> None:
    """An ~/.ssh/config alias with ProxyJump: the report is the target's, reached through the jump host."""
    jump = ssh_env.sshd("diagjump")
    try:
        (Path(cli_env["HOME"]) / ".ssh" / "config").write_text(
            f"Host jumpbox\n  HostName 127.0.0.1\n  Port {jump.port}\n"
            f"Host far\n  HostName 127.0.0.1\n  Port {remote_sshd.port}\n  ProxyJump jumpbox\n"
            f"Host *\n  User {ssh_env.user}\n  IdentityFile {ssh_env.client_key}\n"
        )
        r = deskside(cli_env, "diagnose", "--host", "far", "--accept-new", "--json", "--only", "system")
        assert r.returncode in (0, 1, 2), r.stderr
        assert json.loads(r.stdout)["sections"]["system"]["data"]["hostname"] == REMOTE_NAME
        assert f"127.0.0.1 port {remote_sshd.port}" in jump.wait_log(f"port {remote_sshd.port}")  # forwarded
    finally:
        jump.stop()


def test_cli_diagnose_host_errors(ssh_env: SshEnv, remote_sshd: Sshd, cli_env: dict[str, str]) -> None:
    key = str(ssh_env.client_key)
    r = deskside(cli_env, "diagnose", "--host", f"{ssh_env.user}@127.0.0.1:{free_port()}", "-i", key)
    assert r.returncode == 3
    assert "cannot connect to 127.0.0.1" in r.stderr and "Traceback" not in r.stderr and r.stdout == ""

    target = f"{ssh_env.user}@127.0.0.1:{remote_sshd.port}"
    r = deskside(cli_env, "diagnose", "--host", target, "-i", key)  # unknown key, no terminal to ask on
    assert r.returncode == 3
    assert remote_sshd.fingerprint() in r.stderr and "--accept-new" in r.stderr and r.stdout == ""
    assert not (Path(cli_env["DESKSIDE_DATA_DIR"]) / "known_hosts").exists()

    r = deskside(cli_env, "diagnose", "--host", target, "--accept-new", "--no-agent")  # no key, no terminal
    assert r.returncode == 3
    assert f"login as {ssh_env.user}@127.0.0.1:{remote_sshd.port}" in r.stderr and "Traceback" not in r.stderr

    r = deskside(cli_env, "diagnose", "--host", "no-such-alias-deskside")
    assert r.returncode == 3 and "Traceback" not in r.stderr and r.stderr.strip()


def test_cli_wrong_password_on_a_terminal(ssh_env: SshEnv, remote_sshd: Sshd, cli_env: dict[str, str]) -> None:
    """A person at a terminal types a wrong password: asked on the terminal, then a clear error and exit code 3."""
    target = f"{ssh_env.user}@127.0.0.1:{remote_sshd.port}"
    pid, fd = pty.fork()
    if pid == 0:  # the child: deskside on the pty
        with contextlib.suppress(BaseException):
            argv = [sys.executable, "-m", "desktop.cli", "diagnose", "--host", target, "--accept-new", "--no-agent"]
            os.execve(sys.executable, argv, cli_env)  # noqa: S606
        os._exit(99)
    seen = b""
    answered = last = 0
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if seen[last:].rstrip().lower().endswith(b"password:"):  # a new prompt waiting for an answer
                answered += 1
                last = len(seen)
                os.write(fd, b"not-the-password\n")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = seen.decode(errors="replace")
    assert answered >= 2, text  # keyboard-interactive (PAM), then the password prompts
    assert os.waitstatus_to_exitcode(status) == 3, text
    assert f"login as {ssh_env.user}@127.0.0.1:{remote_sshd.port} failed" in text
    assert "not-the-password" not in text  # never echoed
    assert "Traceback" not in text


def test_diagnose_takes_the_same_connection_flags_as_ssh() -> None:
    """`diagnose --host` declares the flags of `deskside ssh` itself (so a local run never imports the SSH
    modules); this keeps the two in step."""
    import argparse

    from desktop.commands import diagnose, remote

    def flags(register: object) -> dict[str, tuple[object, object]]:
        p = argparse.ArgumentParser()
        sub = p.add_subparsers()
        register(sub)  # type: ignore[operator]
        parser = next(iter(sub.choices.values())) if register is diagnose.register else sub.choices["ssh"]
        return {a.dest: (tuple(a.option_strings), a.default) for a in parser._actions if a.option_strings}

    ssh = flags(remote.register)
    diag = flags(diagnose.register)
    shared = {k: v for k, v in ssh.items() if k not in ("help", "timeout")}
    assert {k: diag.get(k) for k in shared} == shared


def test_cli_ticket_with_remote_diagnostics(ssh_env: SshEnv, remote_sshd: Sshd, cli_env: dict[str, str]) -> None:
    """`deskside ticket new --attach-diagnostics --host HOST`: the remote report goes into the ticket's bundle, and
    the remote machine's name is masked like this machine's."""
    target = f"{ssh_env.user}@127.0.0.1:{remote_sshd.port}"
    r = deskside(cli_env, "ticket", "new", "--summary", "web server is slow", "--attach-diagnostics",
                 "--host", target, "-i", str(ssh_env.client_key), "--accept-new", "--dry-run", "--show-all")
    assert r.returncode == 0, r.stderr
    assert f"Collecting diagnostics on {target}" in r.stderr
    bundle = next(line for line in r.stdout.splitlines() if line.startswith("Bundle:"))
    assert "report.json" in bundle, r.stdout
    masked = [line for line in r.stdout.splitlines() if line.strip().startswith("masked")]
    assert any(REMOTE_NAME in line for line in masked), r.stdout
    assert "Dry run: nothing was saved or sent." in r.stdout

    r = deskside(cli_env, "ticket", "new", "--summary", "x", "--host", target, "--dry-run")
    assert r.returncode == 2 and "--host goes with --attach-diagnostics" in r.stderr

    r = deskside(cli_env, "ticket", "new", "--summary", "x", "--attach-diagnostics", "--dry-run",
                 "--host", f"{ssh_env.user}@127.0.0.1:{free_port()}")
    assert r.returncode == 2 and "cannot connect to 127.0.0.1" in r.stderr and "nothing was saved or sent" in r.stderr
    assert "Traceback" not in r.stderr


def test_server_allowing_fewer_channels(ssh_env: SshEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """An sshd with `MaxSessions 2`: refused channels are retried and SshHost settles on fewer at once; the
    report is as complete as with the default server. Every command waits for one of two channels, so on a loaded
    machine the collectors' own time limits (2-8 s) are not what this test is about: they are lifted here."""
    from diagnostics.collectors import all_collectors

    for collector in all_collectors():
        monkeypatch.setattr(type(collector), "timeout_s", 300.0)
    server = ssh_env.sshd("maxsessions", extra="MaxSessions 2")
    conn = ssh_env.connect(server)
    try:
        host = SshHost(conn)
        report = run_diagnostics(host=host, options={})
        assert host.max_channels <= 2 < 6
        for name, section in report.sections.items():
            assert section.status.value in ("ok", "partial", "skipped"), (name, section.status, section.error)
            assert not any("cannot run the command" in s.reason for s in section.skips), (name, section.skips)
        assert report.sections["system"].status.value in ("ok", "partial")
        assert report.sections["updates"].status.value in ("ok", "partial")
    finally:
        conn.close()
        server.stop()
