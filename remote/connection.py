"""An SSH connection: through ProxyJump chains, host key verified BEFORE any credential is sent, keepalive with
dead-peer detection, reconnect, and the sessions (exec, shell, SFTP, forwards) on top.
(Long because: the hop chain, its teardown and the session openers share the transport's state; the steps are in
handshake, route, proxy, keepalive and options.)

Order of events for every hop (jump hosts and the target alike):
  TCP (TCP_NODELAY), a ProxyCommand, or a direct-tcpip channel of the previous hop (route.py) -> key exchange with
  OpenSSH's default algorithms (handshake.py, algorithms.py) -> the host key checked against known_hosts, host
  certificates and our store as StrictHostKeyChecking says (handshake.py, trust.py) -> only then authentication
  (auth.py). What the user should know (settings not honoured, weak algorithms, keys added) goes to `notes`/`on_note`.

Threading: paramiko objects are not thread-safe. ONE thread owns a Connection and makes all calls on it. The
Connection itself starts only a keepalive watchdog thread (it sends keepalive@openssh.com global requests under a
lock) and, for forwards, pump threads that each own their own channel.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audit import AuditLog
from .auth import AuthCallbacks, Authenticator, AuthPlan, SecretStore
from .cancel import Cancelled, CancelToken
from .exec import CallbackError, ExecResult, ExecTimeout, own_errors, run_command
from .handshake import ConnectError, Hop, _CancelGuard, start_transport, verify_host_key
from .hosts import HostProfile
from .keepalive import start_watchdog
from .proxy import ProxyProcess
from .route import default_jump_resolver, expand_jumps, jump_channel, proxy_command, tcp
from .shell import Shell
from .trust import HostKeyStore

if TYPE_CHECKING:
    import paramiko

    from .forward import Forward, RemoteForwardRouter
    from .sftp import SftpClient

__all__ = ["Cancelled", "ConnectError", "Connection", "ConnectionLost", "ExecResult", "ExecTimeout"]


class ConnectionLost(Exception):
    """The connection died: the server stopped answering keepalives, or closed it. Reconnect to continue."""


class Connection:
    """One SSH connection (with its jump hosts). See the module docstring for the threading rule."""

    def __init__(
        self,
        trust: HostKeyStore,
        *,
        secrets: SecretStore | None = None,
        audit: AuditLog | None = None,
        resolve_jump: Callable[[str], HostProfile] | None = None,
        use_agent: bool = True,
        default_identity_dir: Path | None = None,
        save_secrets: bool = False,
        batch: bool = False,
    ) -> None:
        self.trust = trust
        self.batch = batch  # BatchMode for every host: never ask anything, fail instead
        self.secrets = secrets
        self.audit = audit
        self.resolve_jump = resolve_jump or default_jump_resolver
        self.use_agent = use_agent
        self.default_identity_dir = default_identity_dir
        self.save_secrets = save_secrets
        self.profile: HostProfile | None = None
        self.callbacks: AuthCallbacks | None = None
        self.auth_method = ""
        self.hops: list[str] = []
        # what the user should read about the last connect: settings not honoured, weak algorithms in use, keys added
        self.notes: list[str] = []
        self.on_note: Callable[[str], None] | None = None  # called (from the connecting thread) with each note
        self._proxies: list[ProxyProcess] = []
        self._transports: list[paramiko.Transport] = []
        self._sock: socket.socket | None = None
        self._lost: str | None = None
        self._global_lock = threading.Lock()
        self._watchdog: threading.Thread | None = None
        self._stop_watchdog = threading.Event()
        self._forwards: list[Forward] = []
        self._router: RemoteForwardRouter | None = None  # routes -R connections; one per transport
        self._env_verdicts: dict[str, bool] = {}  # SendEnv: does the server accept this variable (its AcceptEnv)
        self.on_lost: Callable[[str], None] | None = None  # called from the watchdog thread

    # -- connect ------------------------------------------------------------------------------------------------
    @property
    def transport(self) -> paramiko.Transport:
        self._ensure()
        return self._transports[-1]

    @property
    def connected(self) -> bool:
        return bool(self._transports) and self._lost is None and self._transports[-1].is_active()

    def connect(
        self,
        profile: HostProfile,
        callbacks: AuthCallbacks,
        timeout: float = 15.0,
        cancel: CancelToken | None = None,
    ) -> Connection:
        """Connect (through profile.proxy_jump hops) and log in. Raises ConnectError, TrustError, AuthError,
        Cancelled."""

        self.close()
        self.profile, self.callbacks = profile, callbacks
        self._lost = None
        hops = [*expand_jumps(profile, self.resolve_jump, {(profile.hostname, profile.port)}), profile]
        self.hops = [h.display() for h in hops]
        deadline = time.monotonic() + timeout

        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConnectError(f"connecting to {profile.display()} took longer than {timeout:g} s")
            return left

        self.notes = []
        try:
            with _CancelGuard(cancel) as guard:
                sock: Any = None
                for i, prof in enumerate(hops):
                    label = prof.display() + (f" (jump host {i + 1} of {len(hops) - 1})" if i < len(hops) - 1 else "")
                    hop = Hop.of(prof, label, self._note)
                    if prof.ignored_settings:
                        self._note(f"note: ignoring ssh_config settings for {prof.name}: "
                                   f"{', '.join(prof.ignored_settings)}")
                    if hop.options.proxy_command and i > 0:
                        raise ConnectError(f"{label}: ProxyCommand on a host reached through a jump host is not "
                                           "supported by Deskside; it did not connect by another route")
                    if i == 0 and hop.options.proxy_command:
                        proc = proxy_command(hop)
                        self._proxies.append(proc)
                        sock = proc.sock
                        guard.add(sock)
                    elif i == 0:
                        sock = self._sock = tcp(prof, remaining())
                        guard.add(sock)
                    else:
                        sock = jump_channel(self._transports[-1], hops[i - 1], prof, remaining())
                    t = self._handshake(sock, hop, callbacks, remaining, cancel)
                    guard.add(t)
                    self._transports.append(t)
                    if cancel is not None:
                        cancel.raise_if_cancelled()
        except BaseException:
            cancelled = cancel is not None and cancel.cancelled
            self.close()
            if cancelled:
                raise Cancelled(f"connecting to {profile.display()} was cancelled") from None
            raise
        self._start_watchdog(profile.keepalive_interval, profile.keepalive_count_max)
        return self

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)

    def reconnect(self, timeout: float = 15.0, cancel: CancelToken | None = None) -> Connection:
        if self.profile is None or self.callbacks is None:
            raise ConnectError("reconnect() before any connect()")
        return self.connect(self.profile, self.callbacks, timeout, cancel)

    def _handshake(
        self,
        sock: Any,
        hop: Hop,
        callbacks: AuthCallbacks,
        remaining: Callable[[], float],
        cancel: CancelToken | None,
    ) -> paramiko.Transport:
        batch = self.batch or hop.options.batch_mode
        try:
            t = start_transport(sock, hop, self.trust, remaining, cancel)
        except ConnectError as exc:
            failed = next((f for f in (p.failure() for p in self._proxies) if f), "")
            if failed:
                raise ConnectError(f"{hop.label}: {failed}") from exc
            raise
        try:
            # Verify the host key BEFORE anything else is sent: no credential has left this machine yet.
            verify_host_key(t, hop, self.trust, callbacks, batch, cancel)
            prof = hop.profile
            plan = AuthPlan(
                user=prof.login_user,
                hostname=prof.hostname,
                port=prof.port,
                identity_files=list(prof.identity_files),
                use_agent=self.use_agent,
                default_identity_dir=self.default_identity_dir,
                save_secrets=self.save_secrets,
                identities_only=hop.options.identities_only,
                batch=batch,
            )
            method = Authenticator(callbacks, self.secrets).run(t, plan)
        except BaseException:
            t.close()
            raise
        if hop.profile is self.profile:
            self.auth_method = method
        return t

    # -- liveness -----------------------------------------------------------------------------------------------
    def _start_watchdog(self, interval: int, count: int) -> None:
        self._stop_watchdog = threading.Event()
        if interval > 0:
            self._watchdog = start_watchdog(lambda: list(self._transports), self._global_lock, self._mark_lost,
                                            float(interval), max(1, count), self._stop_watchdog)

    def _mark_lost(self, reason: str) -> None:
        name = self.profile.display() if self.profile else "the server"
        self._lost = f"connection to {name} lost: {reason}. Reconnect to continue."
        for t in reversed(self._transports):
            with contextlib.suppress(Exception):
                t.close()
        if self.on_lost is not None:
            with contextlib.suppress(Exception):
                self.on_lost(self._lost)

    def lost_error(self) -> ConnectionLost | None:
        """The ConnectionLost to raise now, or None while the connection is alive."""
        if self._lost is not None:
            return ConnectionLost(self._lost)
        if self._transports and not all(t.is_active() for t in self._transports):
            name = self.profile.display() if self.profile else "the server"
            self._lost = f"connection to {name} lost: the server closed the connection. Reconnect to continue."
            return ConnectionLost(self._lost)
        return None

    def _net_error(self, exc: BaseException, what: str) -> Exception:
        """The exception to raise for a network/protocol error: ConnectionLost when the link is gone."""
        lost = self.lost_error()
        if lost is None and self._transports and isinstance(exc, (OSError, EOFError)):
            self._transports[-1].close()  # a socket error means the link is unusable
            lost = self.lost_error()
        if lost is not None:
            return lost
        import paramiko

        if isinstance(exc, paramiko.ChannelException) or str(exc) == "Unable to open channel.":
            return ConnectError(f"{what}: the server refused to open another channel on this connection; it limits "
                                "how many can be open at once (sshd MaxSessions). Close a terminal or transfer, or "
                                "try again")
        return ConnectError(f"{what}: {exc}")

    def _ensure(self) -> None:
        if not self._transports:
            raise ConnectError("not connected")
        exc = self.lost_error()
        if exc is not None:
            raise exc

    # -- sessions -----------------------------------------------------------------------------------------------
    def exec(
        self,
        command: str,
        timeout: float | None = None,
        cancel: CancelToken | None = None,
        on_stdout: Callable[[bytes], None] | None = None,
        on_stderr: Callable[[bytes], None] | None = None,
        stdin: bytes | None = None,
    ) -> ExecResult:
        import paramiko

        t = self.transport
        status: int | None = None
        try:
            try:
                res = run_command(
                    t, command, timeout=timeout, cancel=cancel, on_stdout=own_errors(on_stdout),
                    on_stderr=own_errors(on_stderr), stdin=stdin, lost=self.lost_error,
                )
            except CallbackError as exc:  # the caller's own error (e.g. its stdout pipe closed): not the network's
                raise exc.error from None
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self._net_error(exc, "cannot run the command") from exc
            status = res.exit_status
            return res
        finally:
            if self.audit is not None and self.profile is not None:
                self.audit.record(
                    host=self.profile.hostname, port=self.profile.port, user=self.profile.login_user,
                    command=command, exit_status=status,
                )

    def open_shell(self, cols: int = 80, rows: int = 24, term: str = "xterm-256color",
                   timeout: float = 15.0, env: dict[str, str] | None = None) -> Shell:
        """A shell on a PTY; `env` as SendEnv where the server accepts it (refused names: `shell.refused_env`)."""
        import paramiko

        try:
            shell = Shell.open(self.transport, cols, rows, term, timeout=timeout, env=env, verdicts=self._env_verdicts)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise self._net_error(exc, "cannot open a shell") from exc
        if self.audit is not None and self.profile is not None:
            self.audit.record(host=self.profile.hostname, port=self.profile.port, user=self.profile.login_user,
                              command="(interactive shell)", exit_status=None, kind="shell")
        return shell

    def sftp(self, timeout: float = 15.0) -> SftpClient:
        import paramiko

        from .sftp import SftpClient

        audit = None
        if self.audit is not None and self.profile is not None:
            log, prof = self.audit, self.profile

            def audit(kind: str, what: str, status: int, details: dict[str, Any]) -> None:
                log.record(host=prof.hostname, port=prof.port, user=prof.login_user, command=what,
                           exit_status=status, kind=kind, extra=details)

        try:
            return SftpClient.open(self.transport, timeout=timeout, lost=self.lost_error, audit=audit)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise self._net_error(exc, "cannot start SFTP") from exc

    def forward_local(
        self, listen_port: int, dest_host: str, dest_port: int, listen_host: str = "127.0.0.1"
    ) -> Forward:
        from .forward import LocalForward

        f = LocalForward(self.transport, listen_host, listen_port, dest_host, dest_port)
        f.start()
        self._forwards.append(f)
        self._audit_forward(f)
        return f

    def forward_remote(self, remote_port: int, dest_host: str, dest_port: int, remote_host: str = "127.0.0.1",
                       timeout: float = 15.0) -> Forward:
        from .forward import RemoteForward, RemoteForwardRouter

        if self._router is None:
            self._router = RemoteForwardRouter()
        f = RemoteForward(self.transport, remote_host, remote_port, dest_host, dest_port, self._global_lock,
                          self._router)
        f.start(timeout=timeout)
        self._forwards.append(f)
        self._audit_forward(f)
        return f

    def forward_dynamic(self, listen_port: int, listen_host: str = "127.0.0.1") -> Forward:
        from .forward import DynamicForward

        f = DynamicForward(self.transport, listen_host, listen_port)
        f.start()
        self._forwards.append(f)
        self._audit_forward(f)
        return f

    def _audit_forward(self, f: Forward) -> None:
        if self.audit is not None and self.profile is not None:
            self.audit.record(host=self.profile.hostname, port=self.profile.port, user=self.profile.login_user,
                              command=f.description(), exit_status=None, kind="forward")

    @property
    def forwards(self) -> list[Forward]:
        self._forwards = [f for f in self._forwards if f.active]
        return list(self._forwards)

    # -- close --------------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._stop_watchdog.set()
        for f in self._forwards:
            with contextlib.suppress(Exception):
                f.stop()
        self._forwards = []
        self._router = None
        for t in reversed(self._transports):
            with contextlib.suppress(Exception):
                t.close()
        self._transports = []
        for proc in self._proxies:
            proc.close()
        self._proxies = []
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def connected(conn: Connection, profile: HostProfile, callbacks: AuthCallbacks, timeout: float = 15.0,
              cancel: CancelToken | None = None) -> Iterator[Connection]:
    conn.connect(profile, callbacks, timeout, cancel)
    try:
        yield conn
    finally:
        conn.close()
