"""A real OpenSSH sshd for the remote tests: 127.0.0.1, a random free port, throwaway host keys, its own config and
log (`-E`), and a throwaway local account with a password. Needs root (sshd switches users; the account is made with
useradd). Used by tests/integration/test_ssh_*.py.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from remote.cancel import CancelToken
from remote.connection import Connection
from remote.hosts import HostProfile
from remote.trust import HostKeyStore
from tests.conftest import need

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
TEST_USER = "dsktest"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path, kind: str = "ed25519", passphrase: str = "", comment: str = "deskside-test") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", comment, "-f", str(path)],
        check=True, capture_output=True,
    )
    return path


def need_sshd() -> None:
    need(os.path.exists(SSHD) and shutil.which("ssh-keygen") is not None, "OpenSSH sshd (apt package openssh-server)")
    need(os.geteuid() == 0, "root (sshd must switch to the test account)")


PASSWORD_FILE = Path("/run/deskside-test-user.pw")


def shared_password() -> str:
    """One random password per boot for the throwaway account, shared by concurrent test sessions on this machine
    (each setting its own would break the others' password logins). Kept in a root-only file under /run."""
    try:
        fd = os.open(PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            text = PASSWORD_FILE.read_text().strip()
            if text:
                return text
            time.sleep(0.05)
        raise
    password = "pw-" + secrets.token_hex(12)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    return password


def ensure_test_user(password: str) -> str:
    """Create (once) the throwaway account and set its password for this run."""
    if subprocess.run(["id", TEST_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", TEST_USER], check=True, capture_output=True)
    subprocess.run(["chpasswd"], input=f"{TEST_USER}:{password}\n", text=True, check=True, capture_output=True)
    return TEST_USER


class Sshd:
    """One sshd process. `log_text()` reads its log; `session_pids()` are its per-connection children."""

    def __init__(self, base: Path, user: str, *, extra: str = "", name: str = "sshd") -> None:
        # sshd reads authorized_keys as the test user: the folder must be reachable by it (pytest's are 0700).
        self.base = Path(tempfile.mkdtemp(prefix=f"deskside-{name}-"))
        self.base.chmod(0o755)
        self.user = user
        self.port = free_port()
        self.host_key = keygen(self.base / "ssh_host_ed25519_key", comment="host")
        self.authorized_keys = self.base / f"authorized_keys_{user}"
        self.authorized_keys.touch()
        self.ca_keys = self.base / "trusted_user_ca.pub"
        self.ca_keys.touch()
        self.log = self.base / "sshd.log"
        self.pidfile = self.base / "sshd.pid"
        self.config = self.base / "sshd_config"
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host_pub_line(self) -> str:
        return (self.host_key.with_suffix(".pub")).read_text().strip()

    def fingerprint(self) -> str:
        out = subprocess.run(["ssh-keygen", "-lf", str(self.host_key.with_suffix(".pub"))], capture_output=True,
                             text=True, check=True).stdout
        return out.split()[1]

    def authorize(self, pub: Path) -> None:
        with open(self.authorized_keys, "a") as fh:
            fh.write(pub.read_text())
        os.chmod(self.authorized_keys, 0o644)

    def trust_ca(self, ca_pub: Path) -> None:
        self.ca_keys.write_text(ca_pub.read_text())

    def write_config(self) -> None:
        self.config.write_text(
            f"""{self.extra}
Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.host_key}
PidFile {self.pidfile}
AuthorizedKeysFile {self.base}/authorized_keys_%u
TrustedUserCAKeys {self.ca_keys}
StrictModes no
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers {self.user}
AllowTcpForwarding yes
GatewayPorts no
MaxAuthTries 20
MaxStartups 100:30:200
LogLevel DEBUG1
PrintMotd no
Subsystem sftp internal-sftp
"""
        )

    def start(self) -> Sshd:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        self.write_config()
        check = subprocess.run([SSHD, "-t", "-f", str(self.config)], capture_output=True, text=True)
        assert check.returncode == 0, f"sshd rejects its test config: {check.stderr}"
        # -D: stay in the foreground (we own the process); -E: log to our file.
        self.proc = subprocess.Popen([SSHD, "-D", "-f", str(self.config), "-E", str(self.log)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-"):
                    return self
            time.sleep(0.05)
        raise AssertionError(f"sshd did not start; log:\n{self.log_text()}")

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text: str, timeout: float = 10.0, offset: int = 0) -> str:
        """The log from `offset` once it contains `text` (sshd's monitor logs "Accepted" a moment after the reply)."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log_since(offset)
            if text in log or time.monotonic() > deadline:
                return log
            time.sleep(0.05)

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode(errors="replace")

    def session_pids(self) -> list[int]:
        """Every process below the listening sshd (the per-connection sshd processes and the user's programs)."""
        assert self.proc is not None
        out: list[int] = []
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for k in kids:
                out.append(int(k))
                todo.append(int(k))
        return out

    def signal_sessions(self, sig: int) -> list[int]:
        pids = self.session_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        return pids

    def stop(self) -> None:
        if self.proc is None:
            return
        for pid in self.session_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.base, ignore_errors=True)


class Answers:
    """AuthCallbacks for tests: fixed answers, and a record of every question asked."""

    def __init__(self, *, accept: bool = True, password: str | None = None, passphrase: str | None = None,
                 kbd: list[str] | None = None) -> None:
        self.accept, self.password, self.passphrase, self.kbd = accept, password, passphrase, kbd
        self.asked: list[tuple[str, object]] = []

    def confirm_host_key(self, hostname: str, port: int, key_type: str, fingerprint: str) -> bool:
        self.asked.append(("host_key", (hostname, port, key_type, fingerprint)))
        return self.accept

    def ask_password(self, prompt: str) -> str | None:
        self.asked.append(("password", prompt))
        return self.password

    def ask_passphrase(self, key_path: str) -> str | None:
        self.asked.append(("passphrase", key_path))
        return self.passphrase

    def keyboard_interactive(self, title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str] | None:
        self.asked.append(("kbd", prompts))
        return None if self.kbd is None else self.kbd[: len(prompts)]


class SshEnv:
    """Everything a test needs: the user, its password, a client key authorized on the server, known_hosts paths."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.password = shared_password()
        self.user = ensure_test_user(self.password)
        self.client_key = keygen(base / "client" / "id_ed25519")
        self.home = base / "home"
        (self.home / ".ssh").mkdir(parents=True, exist_ok=True)

    def profile(self, server: Sshd, **kw: object) -> HostProfile:
        args: dict[str, object] = {"name": "test", "hostname": "127.0.0.1", "user": self.user, "port": server.port}
        args.update(kw)
        return HostProfile(**args)  # type: ignore[arg-type]

    def store(self, path: Path | None = None) -> HostKeyStore:
        return HostKeyStore([], path or (self.base / f"known_hosts_{secrets.token_hex(3)}"))

    def trusted_store(self, *servers: Sshd) -> HostKeyStore:
        st = self.store()
        for srv in servers:
            kind, b64 = srv.host_pub_line.split()[:2]
            st.accept("127.0.0.1", srv.port, kind, base64.b64decode(b64))
        return st

    def connect(self, server: Sshd, answers: Answers | None = None, store: HostKeyStore | None = None,
                **kw: object) -> Connection:
        prof_kw = {k: v for k, v in kw.items() if k in HostProfile.__dataclass_fields__}
        conn_kw = {k: v for k, v in kw.items() if k not in prof_kw}
        conn = Connection(store or self.trusted_store(server), use_agent=False, **conn_kw)  # type: ignore[arg-type]
        prof_kw.setdefault("identity_files", [str(self.client_key)])
        conn.connect(self.profile(server, **prof_kw), answers or Answers(), timeout=20)
        return conn

    def connect_with(self, server: Sshd, timeout: float = 20, cancel: CancelToken | None = None) -> Connection:
        conn = Connection(self.trusted_store(server), use_agent=False)
        conn.connect(self.profile(server, identity_files=[str(self.client_key)]), Answers(), timeout=timeout,
                     cancel=cancel)
        return conn

    def sshd(self, name: str = "sshd", extra: str = "", authorize: bool = True) -> Sshd:
        d = Sshd(self.base, self.user, extra=extra, name=name)
        if authorize:
            d.authorize(self.client_key.with_suffix(".pub"))
        return d.start()


@contextlib.contextmanager
def sshd_servers(env: SshEnv, prefix: str, count: int) -> Iterator[list[Sshd]]:
    """`count` servers of their own (for a module's fixture), stopped at the end."""
    started = [env.sshd(f"{prefix}{i}") for i in range(count)]
    try:
        yield started
    finally:
        for s in started:
            s.stop()


@pytest.fixture(scope="session")
def ssh_env(tmp_path_factory: pytest.TempPathFactory) -> SshEnv:
    need_sshd()
    return SshEnv(tmp_path_factory.mktemp("ssh"))


@pytest.fixture(scope="session")
def sshd_server(ssh_env: SshEnv) -> Iterator[Sshd]:
    d = ssh_env.sshd("main")
    yield d
    d.stop()


@pytest.fixture
def fresh_sshd(ssh_env: SshEnv) -> Iterator[Sshd]:
    """A server of its own for tests that stop or break it."""
    d = ssh_env.sshd(f"fresh-{secrets.token_hex(3)}")
    yield d
    d.stop()
