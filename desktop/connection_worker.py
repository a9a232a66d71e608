"""One long-lived worker thread per SSH connection.

The thread owns the `remote.connection.Connection` and every paramiko object behind it (they are not thread-safe):
it connects, pumps the interactive shells, lists folders, runs transfers and starts/stops forwards. The GUI talks
to it only through

- method calls that put a command on a queue and return at once (never any I/O on the caller's thread), and
- signals emitted from the worker thread. The worker object lives on the GUI thread, so a slot of a widget (or a
  function) connected to them runs queued, on the GUI thread.

Authentication questions (an unknown host key, a password, a key passphrase, keyboard-interactive prompts) are
asked by `GuiAuthCallbacks`: it emits `auth_requested(AuthRequest)` and BLOCKS THE WORKER THREAD until the GUI
calls `request.answer(value)` (or the connection is closed). The GUI thread never waits.

While a transfer runs, its progress callback keeps the shells alive (their output keeps flowing, typed keys keep
going out) so that one thread can own everything without freezing the terminal.
"""

from __future__ import annotations

import itertools
import logging
import queue
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from remote.cancel import Cancelled, CancelToken
from remote.connection import ConnectionLost
from remote.hosts import HostProfile
from remote.trust import HostKeyChanged, HostKeyRevoked, UnknownHostKey

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # seconds between two progress signals of one transfer


@dataclass
class AuthRequest:
    """One question to the user, asked from the worker thread. kind: host_key, password, passphrase,
    keyboard_interactive. `fields` holds what the dialog shows (see GuiAuthCallbacks)."""

    kind: str
    fields: dict[str, Any]
    _event: threading.Event = field(default_factory=threading.Event, repr=False)
    _answer: Any = field(default=None, repr=False)  # a password or passphrase: never in a repr or a log line

    def answer(self, value: Any) -> None:
        """Called on the GUI thread with the user's answer (None = cancelled); wakes the worker."""
        self._answer = value
        self._event.set()

    @property
    def answered(self) -> bool:
        return self._event.is_set()


class GuiAuthCallbacks:
    """remote.auth.AuthCallbacks for the GUI: each question blocks the worker thread until the GUI answers."""

    def __init__(self, ask: Callable[[AuthRequest], None], stopping: threading.Event) -> None:
        self._ask = ask
        self._stopping = stopping

    def _wait(self, kind: str, **fields: Any) -> Any:
        req = AuthRequest(kind, fields)
        self._ask(req)
        while not req._event.wait(0.1):
            if self._stopping.is_set():
                return None
        return req._answer

    def confirm_host_key(self, hostname: str, port: int, key_type: str, fingerprint: str) -> bool:
        return bool(self._wait("host_key", hostname=hostname, port=port, key_type=key_type, fingerprint=fingerprint))

    def ask_password(self, prompt: str) -> str | None:
        ans = self._wait("password", prompt=prompt)
        return str(ans) if ans is not None else None

    def ask_passphrase(self, key_path: str) -> str | None:
        ans = self._wait("passphrase", key_path=str(key_path))
        return str(ans) if ans is not None else None

    def keyboard_interactive(self, title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str] | None:
        ans = self._wait("keyboard_interactive", title=title, instructions=instructions, prompts=list(prompts))
        return [str(a) for a in ans] if ans is not None else None


@dataclass
class _Cmd:
    name: str
    args: tuple[Any, ...] = ()


# Commands that are served even while a transfer is running (they touch only the shells).
_SHELL_CMDS = {"send", "resize", "close_shell"}


class ConnectionWorker(QObject):
    """The GUI's handle on one SSH connection. Create it on the GUI thread, connect to its signals, then `start()`.

    `connection_factory()` returns a new, unconnected `remote.connection.Connection`; the worker calls
    `connect(profile, callbacks, timeout, cancel)` on it from its own thread.
    """

    state_changed = Signal(str, str)  # state (connecting, connected, failed, lost, closed), message
    auth_requested = Signal(object)  # AuthRequest
    shell_opened = Signal(int)
    shell_output = Signal(int, bytes)
    shell_closed = Signal(int, str)  # id, why
    listed = Signal(int, str, object, str)  # request id, path, entries (list) or None, error message
    transfer_progress = Signal(int, object, object)  # id, bytes done, bytes total
    transfer_finished = Signal(int, str, str)  # id, status (ok, cancelled, failed), message
    forward_changed = Signal(int, str, str)  # id, state (running, stopped, failed), message

    def __init__(
        self,
        profile: HostProfile,
        connection_factory: Callable[[], Any],
        *,
        timeout: float = 20.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self._factory = connection_factory
        self._timeout = timeout
        self._queue: queue.Queue[_Cmd] = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = threading.Event()
        self._connect_cancel = CancelToken()
        self._ids = itertools.count(1)
        self._transfer_tokens: dict[int, CancelToken] = {}
        self._thread: threading.Thread | None = None
        self.state = "new"
        # Owned by the worker thread only:
        self._conn: Any = None
        self._sftp: Any = None
        self._shells: dict[int, Any] = {}
        self._forwards: dict[int, Any] = {}
        self._deferred: list[_Cmd] = []
        self.callbacks = GuiAuthCallbacks(self.auth_requested.emit, self._stopping)

    # -- GUI-thread API: every method returns at once ------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread and connect."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"ssh-{self.profile.name}", daemon=True)
        self._thread.start()
        self._post("connect")

    def reconnect(self) -> None:
        self._connect_cancel = CancelToken()
        self._post("connect")

    def open_shell(self, cols: int, rows: int, term: str = "xterm-256color") -> int:
        sid = next(self._ids)
        self._post("open_shell", sid, cols, rows, term)
        return sid

    def send(self, shell_id: int, data: bytes) -> None:
        self._post("send", shell_id, bytes(data))

    def resize(self, shell_id: int, cols: int, rows: int) -> None:
        self._post("resize", shell_id, cols, rows)

    def close_shell(self, shell_id: int) -> None:
        self._post("close_shell", shell_id)

    def list_dir(self, path: str) -> int:
        rid = next(self._ids)
        self._post("list", rid, path)
        return rid

    def download(self, remote_path: str, local_dir: str, resume: bool = False) -> int:
        """Download a remote file or folder INTO local_dir; resume=True continues a partial download."""
        tid = next(self._ids)
        self._transfer_tokens[tid] = CancelToken()
        self._post("get", tid, remote_path, local_dir, resume)
        return tid

    def upload(self, local_path: str, remote_dir: str, resume: bool = False) -> int:
        """Upload a local file or folder INTO remote_dir; resume=True continues a partial upload."""
        tid = next(self._ids)
        self._transfer_tokens[tid] = CancelToken()
        self._post("put", tid, local_path, remote_dir, resume)
        return tid

    def cancel_transfer(self, transfer_id: int) -> None:
        token = self._transfer_tokens.get(transfer_id)
        if token is not None:
            token.cancel()  # thread-safe; the transfer notices it at its next block

    def start_forward(self, kind: str, spec: dict[str, Any]) -> int:
        """kind: "L" (local), "R" (remote) or "D" (dynamic SOCKS). spec: bind_host, bind_port and, for L/R,
        dest_host, dest_port."""
        fid = next(self._ids)
        self._post("forward", fid, kind, dict(spec))
        return fid

    def stop_forward(self, forward_id: int) -> None:
        self._post("stop_forward", forward_id)

    def close(self) -> None:
        """Close everything and end the thread (returns at once; the thread finishes on its own)."""
        self._stopping.set()
        self._connect_cancel.cancel()
        for token in list(self._transfer_tokens.values()):
            token.cancel()
        if self._thread is None:  # never started: nothing to wind down
            self._wake_r.close()
            self._wake_w.close()
            return
        self._post("quit")

    def wait(self, timeout: float = 5.0) -> bool:
        """For tests and application exit only: wait for the thread to end."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _post(self, name: str, *args: Any) -> None:
        self._queue.put(_Cmd(name, args))
        if self._wake_w.fileno() < 0:
            return
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    # -- worker thread ---------------------------------------------------------------------------------------------
    def _set_state(self, state: str, message: str = "") -> None:
        self.state = state
        self.state_changed.emit(state, message)

    def _run(self) -> None:
        try:
            while True:
                if not self._drain_queue(during_transfer=False):
                    break
                self._wait_for_io(0.5)
                self._pump_shells()
        except Exception as exc:  # a bug, not a network problem: say so and stop
            log.exception("SSH worker for %s crashed", self.profile.name)
            self._set_state("failed", f"internal error: {exc}")
        finally:
            self._teardown()
            self._set_state("closed", "")
            self._wake_r.close()
            self._wake_w.close()

    def _wait_for_io(self, timeout: float) -> None:
        fds: list[Any] = [self._wake_r]
        for shell in self._shells.values():
            try:
                fds.append(shell.fileno())
            except Exception:  # noqa: S112 (a closed shell is reaped by _pump_shells)
                continue
        try:
            readable, _, _ = select.select(fds, [], [], timeout)
        except (OSError, ValueError):  # a shell closed under us: _pump_shells reaps it; do not spin
            time.sleep(0.05)
            readable = []
        if self._wake_r in readable:
            try:
                while self._wake_r.recv(4096):
                    pass
            except (BlockingIOError, OSError):
                pass

    def _drain_queue(self, during_transfer: bool) -> bool:
        """Run queued commands; False when the worker must end."""
        if not during_transfer and self._deferred:
            pending, self._deferred = self._deferred, []
            for cmd in pending:
                if not self._do(cmd):
                    return False
        while True:
            try:
                cmd = self._queue.get_nowait()
            except queue.Empty:
                return True
            if cmd.name == "quit":
                if during_transfer:
                    self._deferred.append(cmd)
                    return True
                return False
            if during_transfer and cmd.name not in _SHELL_CMDS:
                self._deferred.append(cmd)
                continue
            if not self._do(cmd):
                return False

    def _do(self, cmd: _Cmd) -> bool:
        handler = getattr(self, f"_cmd_{cmd.name}", None)
        if cmd.name == "quit":
            return False
        if handler is None:
            log.error("unknown worker command %s", cmd.name)
            return True
        try:
            handler(*cmd.args)
        except Exception as exc:
            lost = exc if self._is_connection_lost(exc) else (self._conn.lost_error() if self._conn else None)
            if lost is None:
                log.warning("worker command %s failed: %s", cmd.name, _message(exc))
            # The request that failed always gets its answer (a transfer row must not stay "running").
            self._report_failure(cmd, _message(lost or exc))
            if lost is not None:
                self._lost(lost)
        return True

    def _report_failure(self, cmd: _Cmd, message: str) -> None:
        if cmd.name == "open_shell":
            self.shell_closed.emit(cmd.args[0], message)
        elif cmd.name == "list":
            self.listed.emit(cmd.args[0], cmd.args[1], None, message)
        elif cmd.name in ("get", "put"):
            self._transfer_tokens.pop(cmd.args[0], None)
            self.transfer_finished.emit(cmd.args[0], "failed", message)
        elif cmd.name == "forward":
            self.forward_changed.emit(cmd.args[0], "failed", message)
        elif cmd.name not in _SHELL_CMDS:
            self._set_state(self.state, message)

    @staticmethod
    def _is_connection_lost(exc: BaseException) -> bool:
        return isinstance(exc, ConnectionLost)

    def _lost(self, exc: BaseException) -> None:
        msg = str(exc) or "the connection was lost"
        for sid in list(self._shells):
            self.shell_closed.emit(sid, msg)
        self._teardown()
        self._set_state("lost", msg)

    def _require(self) -> Any:
        if self._conn is None:
            raise RuntimeError("not connected: connect (or reconnect) first")
        return self._conn

    # -- commands (worker thread) --------------------------------------------------------------------------------
    def _cmd_connect(self) -> None:
        self._teardown()
        self._set_state("connecting", f"connecting to {self.profile.display()}")
        conn = self._factory()
        try:
            conn.connect(self.profile, self.callbacks, self._timeout, self._connect_cancel)
        except Cancelled:
            self._set_state("failed", "connecting was cancelled")
            return
        except Exception as exc:
            try:
                conn.close()
            except Exception:
                log.debug("close after failed connect", exc_info=True)
            if isinstance(exc, HostKeyChanged | HostKeyRevoked):
                self._set_state("refused", _message(exc))
            elif isinstance(exc, UnknownHostKey):
                self._set_state("failed", "the host key was not accepted; nothing was sent to the server")
            else:
                self._set_state("failed", _message(exc))
            return
        # The keepalive watchdog reports a dead peer from its own thread: wake the worker to notice it.
        conn.on_lost = lambda _reason: self._post("noop")
        self._conn = conn
        self._set_state("connected", f"connected to {self.profile.display()}")

    def _cmd_noop(self) -> None:
        pass

    def _cmd_open_shell(self, sid: int, cols: int, rows: int, term: str) -> None:
        shell = self._require().open_shell(cols, rows, term)
        self._shells[sid] = shell
        self.shell_opened.emit(sid)

    def _cmd_send(self, sid: int, data: bytes) -> None:
        shell = self._shells.get(sid)
        if shell is not None and not shell.closed:
            shell.send(data)

    def _cmd_resize(self, sid: int, cols: int, rows: int) -> None:
        shell = self._shells.get(sid)
        if shell is not None and not shell.closed:
            shell.resize(cols, rows)

    def _cmd_close_shell(self, sid: int) -> None:
        shell = self._shells.pop(sid, None)
        if shell is not None:
            shell.close()
            self.shell_closed.emit(sid, "closed")

    def _sftp_client(self) -> Any:
        if self._sftp is None:
            self._sftp = self._require().sftp()
        return self._sftp

    def _cmd_list(self, rid: int, path: str) -> None:
        sftp = self._sftp_client()
        if path in ("", "."):
            path = sftp.home()
        entries = sftp.list(path)
        self.listed.emit(rid, path, list(entries), "")

    def _transfer(self, tid: int, fn: Callable[..., Any], *args: Any, resume: bool = False) -> None:
        token = self._transfer_tokens.get(tid) or CancelToken()
        last = [0.0]

        def progress(done: int, total: int, *_current: Any) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or done >= total:
                last[0] = now
                self.transfer_progress.emit(tid, int(done), int(total))
            # Keep the terminals alive while the transfer owns the thread.
            self._drain_queue(during_transfer=True)
            self._pump_shells()

        try:
            fn(*args, resume=resume, progress=progress, cancel=token)
        except Cancelled:
            self.transfer_finished.emit(tid, "cancelled", "cancelled; the partial file is kept and can be resumed")
            return
        finally:
            self._transfer_tokens.pop(tid, None)
        self.transfer_finished.emit(tid, "ok", "")

    def _cmd_get(self, tid: int, remote_path: str, local_dir: str, resume: bool) -> None:
        self._transfer(tid, self._sftp_client().get, remote_path, str(Path(local_dir)), resume=resume)

    def _cmd_put(self, tid: int, local_path: str, remote_dir: str, resume: bool) -> None:
        self._transfer(tid, self._sftp_client().put, local_path, remote_dir, resume=resume)

    def _cmd_forward(self, fid: int, kind: str, spec: dict[str, Any]) -> None:
        conn = self._require()
        bind_host = spec.get("bind_host") or "127.0.0.1"
        bind_port = int(spec["bind_port"])
        if kind == "L":
            fwd = conn.forward_local(bind_port, spec["dest_host"], int(spec["dest_port"]), listen_host=bind_host)
        elif kind == "R":
            fwd = conn.forward_remote(bind_port, spec["dest_host"], int(spec["dest_port"]), remote_host=bind_host)
        elif kind == "D":
            fwd = conn.forward_dynamic(bind_port, listen_host=bind_host)
        else:
            raise ValueError(f"unknown forward kind {kind!r}: use L, R or D")
        self._forwards[fid] = fwd
        self.forward_changed.emit(fid, "running", describe_forward(kind, spec, fwd))

    def _cmd_stop_forward(self, fid: int) -> None:
        fwd = self._forwards.pop(fid, None)
        if fwd is not None:
            fwd.stop()
            self.forward_changed.emit(fid, "stopped", "")

    def _pump_shells(self) -> None:
        ended: list[int] = []
        for sid, shell in list(self._shells.items()):
            try:
                data = shell.read_available()
            except Exception as exc:
                if self._is_connection_lost(exc):
                    self._lost(exc)
                    return
                data = b""
                log.debug("shell read failed", exc_info=True)
            if data:
                self.shell_output.emit(sid, bytes(data))
            elif shell.closed:
                ended.append(sid)
        # A dead connection closes every channel: say "connection lost", not "the shell ended".
        if self._conn is not None:
            lost = self._conn.lost_error()
            if lost is not None:
                self._lost(lost)
                return
        for sid in ended:
            shell = self._shells.pop(sid, None)
            if shell is None:
                continue
            try:
                shell.close()
            except Exception:
                log.debug("shell close", exc_info=True)
            self.shell_closed.emit(sid, "the remote shell ended")

    def _teardown(self) -> None:
        for fid, fwd in list(self._forwards.items()):
            try:
                fwd.stop()
            except Exception:
                log.debug("forward stop", exc_info=True)
            self.forward_changed.emit(fid, "stopped", "the connection closed")
        self._forwards.clear()
        for shell in self._shells.values():
            try:
                shell.close()
            except Exception:
                log.debug("shell close", exc_info=True)
        self._shells.clear()
        self._sftp = None
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("connection close", exc_info=True)
            self._conn = None


def describe_forward(kind: str, spec: dict[str, Any], fwd: Any = None) -> str:
    if fwd is not None and callable(getattr(fwd, "description", None)):
        return str(fwd.description())
    bind = f"{spec.get('bind_host') or '127.0.0.1'}:{getattr(fwd, 'bind_port', None) or spec.get('bind_port')}"
    if kind == "D":
        return f"-D {bind} (SOCKS5)"
    dest = f"{spec.get('dest_host')}:{spec.get('dest_port')}"
    return f"-{kind} {bind} -> {dest}"


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


# -- wiring for the Remote page -------------------------------------------------------------------------------------
def build_remote_services(parent: QObject | None = None) -> Any:
    """The Remote page's services, with the same files as the CLI (desktop/commands/remote.py): the address book,
    ~/.ssh/config import, and one ConnectionWorker per connection, each with a Connection that trusts
    ~/.ssh/known_hosts plus Deskside's own store, keeps secrets in the keyring and writes the audit log."""
    from remote.auth import KeyringSecrets
    from remote.hosts import AddressBook, import_ssh_config, resolve_target
    from ui.remote_services import RemoteServices

    from . import wiring as cli  # the wiring the CLI uses too

    book = AddressBook(cli.address_book_path())
    try:
        book.load()
    except Exception as exc:  # a broken file is left alone (never overwritten): the page works on a spare book
        log.error("%s", exc)
        book = AddressBook(cli.address_book_path().with_name("hosts.unreadable-fallback.toml"))
    secrets = KeyringSecrets()
    from . import settings

    try:
        remembered = bool(settings.load().get("remote", {}).get("save_secrets", False))
    except settings.ConfigError as exc:
        log.error("%s", exc)
        remembered = False
    state = {"save_secrets": remembered}

    def set_save_secrets(on: bool) -> str:
        state["save_secrets"] = on
        try:
            config = settings.load()
            config.setdefault("remote", {})["save_secrets"] = on
            settings.save(config)
        except (settings.ConfigError, OSError) as exc:
            return f"The choice applies until Deskside quits; it could not be saved: {exc}"
        return ""

    def connection_factory() -> Any:
        return cli.new_connection(book, secrets=secrets, save_secrets=state["save_secrets"])

    def new_session(profile: HostProfile) -> ConnectionWorker:
        return ConnectionWorker(profile, connection_factory, parent=parent)

    return RemoteServices(
        book=book,
        new_session=new_session,
        import_ssh_config=import_ssh_config,
        ssh_config_path=cli.ssh_config_path(),
        download_dir=Path.home() / "Downloads",
        resolve=lambda text: resolve_target(text, book, cli.ssh_config_path()),
        save_secrets=remembered,
        set_save_secrets=set_save_secrets,
        secrets_problem=lambda: secrets.problem,
    )
