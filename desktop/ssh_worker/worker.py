"""One long-lived worker thread per SSH connection, plus a transfer thread.

The worker thread owns the `remote.connection.Connection` and the paramiko objects it uses (they are not
thread-safe): it connects, pumps the interactive shells, lists folders (on an SFTP channel of its own) and
starts/stops forwards. Transfers run on the connection's `TransferLane` (transfers.py): a second thread with a second
SFTP channel, so that neither the terminals nor a folder listing wait for a long download.

The GUI talks to the worker only through
- method calls that queue a typed command (commands.py) and return at once (never any I/O on the caller's thread),
- signals emitted from the worker's threads. The worker object lives on the GUI thread, so a slot of a widget (or a
  function) connected to them runs queued, on the GUI thread.

Authentication questions are asked by `GuiAuthCallbacks` (auth_callbacks.py): the worker thread blocks until the GUI
answers. The GUI thread never waits.
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
from typing import Any

from PySide6.QtCore import QObject, Signal

from remote.cancel import Cancelled, CancelToken
from remote.connection import Connection, ConnectionLost
from remote.forward import Forward
from remote.hosts import HostProfile
from remote.sftp import SftpClient
from remote.trust import HostKeyChanged, HostKeyRevoked, UnknownHostKey
from ui.remote_services import ForwardKind, ForwardSpec, ForwardState, SessionState, TransferStatus

from .auth_callbacks import GuiAuthCallbacks
from .commands import (
    CloseShell,
    Command,
    Connect,
    Download,
    ListDir,
    OpenShell,
    Quit,
    Resize,
    Send,
    StartForward,
    StopForward,
    Upload,
    Wake,
)
from .shells import Shells
from .transfers import TransferLane, error_message

log = logging.getLogger(__name__)


class ConnectionWorker(QObject):
    """The GUI's handle on one SSH connection (a `ui.remote_services.RemoteSession`). Create it on the GUI thread,
    connect to its signals, then `start()`.

    `connection_factory()` returns a new, unconnected Connection; the worker calls
    `connect(profile, callbacks, timeout, cancel)` on it from its own thread.
    """

    state_changed = Signal(object, str)  # SessionState, message
    auth_requested = Signal(object)  # AuthRequest
    shell_opened = Signal(int)
    shell_output = Signal(int, bytes)
    shell_closed = Signal(int, str)  # id, why
    listed = Signal(int, str, object, str)  # request id, path, entries (list) or None, error message
    transfer_progress = Signal(int, object, object)  # id, bytes done, bytes total
    transfer_finished = Signal(int, object, str)  # id, TransferStatus, message
    forward_changed = Signal(int, object, str)  # id, ForwardState, message

    def __init__(
        self,
        profile: HostProfile,
        connection_factory: Callable[[], Connection],
        *,
        timeout: float = 20.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self._factory = connection_factory
        self._timeout = timeout
        self._queue: queue.Queue[Command] = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = threading.Event()
        self._connect_cancel = CancelToken()
        self._ids = itertools.count(1)
        self._transfer_tokens: dict[int, CancelToken] = {}
        self._thread: threading.Thread | None = None
        self.state = SessionState.NEW
        # Owned by the worker thread only:
        self._conn: Connection | None = None
        self._sftp: SftpClient | None = None  # for listings; transfers have their own (self._lane)
        self._lane: TransferLane | None = None
        self._shells = Shells(self.shell_opened.emit, self.shell_output.emit, self.shell_closed.emit)
        self._forwards: dict[int, Forward] = {}
        self.callbacks = GuiAuthCallbacks(self.auth_requested.emit, self._stopping)
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            Connect: self._connect,
            Wake: lambda _cmd: None,
            OpenShell: lambda cmd: self._shells.open(self._require(), cmd),
            Send: self._shells.send,
            Resize: self._shells.resize,
            CloseShell: self._shells.close,
            ListDir: self._list,
            Download: self._transfer,
            Upload: self._transfer,
            StartForward: self._start_forward,
            StopForward: self._stop_forward,
        }

    # -- GUI-thread API: every method returns at once ------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread and connect."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"ssh-{self.profile.name}", daemon=True)
        self._thread.start()
        self._post(Connect())

    def reconnect(self) -> None:
        self._connect_cancel = CancelToken()
        self._post(Connect())

    def open_shell(self, cols: int, rows: int, term: str = "xterm-256color") -> int:
        sid = next(self._ids)
        self._post(OpenShell(sid, cols, rows, term))
        return sid

    def send(self, shell_id: int, data: bytes) -> None:
        self._post(Send(shell_id, bytes(data)))

    def resize(self, shell_id: int, cols: int, rows: int) -> None:
        self._post(Resize(shell_id, cols, rows))

    def close_shell(self, shell_id: int) -> None:
        self._post(CloseShell(shell_id))

    def list_dir(self, path: str) -> int:
        rid = next(self._ids)
        self._post(ListDir(rid, path))
        return rid

    def download(self, remote_path: str, local_dir: str, resume: bool = False) -> int:
        """Download a remote file or folder INTO local_dir; resume=True continues a partial download."""
        tid = next(self._ids)
        self._transfer_tokens[tid] = CancelToken()
        self._post(Download(tid, remote_path, str(local_dir), resume))
        return tid

    def upload(self, local_path: str, remote_dir: str, resume: bool = False) -> int:
        """Upload a local file or folder INTO remote_dir; resume=True continues a partial upload."""
        tid = next(self._ids)
        self._transfer_tokens[tid] = CancelToken()
        self._post(Upload(tid, str(local_path), remote_dir, resume))
        return tid

    def cancel_transfer(self, transfer_id: int) -> None:
        token = self._transfer_tokens.get(transfer_id)
        if token is not None:
            token.cancel()  # thread-safe; the transfer notices it at its next block

    def start_forward(self, spec: ForwardSpec) -> int:
        fid = next(self._ids)
        self._post(StartForward(fid, spec))
        return fid

    def stop_forward(self, forward_id: int) -> None:
        self._post(StopForward(forward_id))

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
        self._post(Quit())

    def wait(self, timeout: float = 5.0) -> bool:
        """For tests and application exit only: wait for the thread to end."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _post(self, cmd: Command) -> None:
        """Queue a command for the worker thread (any thread may call this)."""
        self._queue.put(cmd)
        if self._wake_w.fileno() < 0:
            return
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    # -- signals from the transfer thread ---------------------------------------------------------------------------
    def _transfer_progress(self, tid: int, done: int, total: int) -> None:
        self.transfer_progress.emit(tid, done, total)

    def _transfer_finished(self, tid: int, status: TransferStatus, message: str) -> None:
        self._transfer_tokens.pop(tid, None)
        self.transfer_finished.emit(tid, status, message)

    # -- worker thread ---------------------------------------------------------------------------------------------
    def _set_state(self, state: SessionState, message: str = "") -> None:
        self.state = state
        self.state_changed.emit(state, message)

    def _run(self) -> None:
        try:
            while self._drain_queue():
                self._wait_for_io(0.5)
                self._pump_shells()
        except Exception as exc:  # a bug, not a network problem: say so and stop
            log.exception("SSH worker for %s crashed", self.profile.name)
            self._set_state(SessionState.FAILED, f"internal error: {exc}")
        finally:
            self._teardown()
            self._set_state(SessionState.CLOSED, "")
            self._wake_r.close()
            self._wake_w.close()

    def _wait_for_io(self, timeout: float) -> None:
        fds: list[Any] = [self._wake_r, *self._shells.filenos()]
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

    def _drain_queue(self) -> bool:
        """Run the queued commands; False when the worker must end."""
        while True:
            try:
                cmd = self._queue.get_nowait()
            except queue.Empty:
                return True
            if isinstance(cmd, Quit):
                return False
            self._do(cmd)

    def _do(self, cmd: Command) -> None:
        try:
            self._handlers[type(cmd)](cmd)
        except Exception as exc:
            lost = exc if isinstance(exc, ConnectionLost) else (self._conn.lost_error() if self._conn else None)
            if lost is None:
                log.warning("worker command %s failed: %s", type(cmd).__name__, error_message(exc))
            # The request that failed always gets its answer (a transfer row must not stay "running").
            self._report_failure(cmd, error_message(lost or exc))
            if lost is not None:
                self._lost(lost)

    def _report_failure(self, cmd: Command, message: str) -> None:
        match cmd:
            case OpenShell(shell_id=sid):
                self.shell_closed.emit(sid, message)
            case ListDir(request_id=rid, path=path):
                self.listed.emit(rid, path, None, message)
            case Download(transfer_id=tid) | Upload(transfer_id=tid):
                self._transfer_finished(tid, TransferStatus.FAILED, message)
            case StartForward(forward_id=fid):
                self.forward_changed.emit(fid, ForwardState.FAILED, message)
            case Send() | Resize() | CloseShell():
                pass
            case _:
                self._set_state(self.state, message)

    def _lost(self, exc: BaseException) -> None:
        msg = str(exc) or "the connection was lost"
        self._shells.close_all(msg)
        self._teardown()
        self._set_state(SessionState.LOST, msg)

    def _require(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("not connected: connect (or reconnect) first")
        return self._conn

    # -- command handlers (worker thread) ------------------------------------------------------------------------
    def _connect(self, _cmd: Connect) -> None:
        self._teardown()
        self._set_state(SessionState.CONNECTING, f"connecting to {self.profile.display()}")
        try:
            conn = self._factory()
        except Exception as exc:  # a setting or a file the connection needs is broken: say so, do not stay "connecting"
            log.warning("cannot set up the connection to %s: %s", self.profile.name, error_message(exc))
            self._set_state(SessionState.FAILED, error_message(exc))
            return
        try:
            conn.connect(self.profile, self.callbacks, self._timeout, self._connect_cancel)
        except Cancelled:
            self._set_state(SessionState.FAILED, "connecting was cancelled")
            return
        except Exception as exc:
            try:
                conn.close()
            except Exception:
                log.debug("close after failed connect", exc_info=True)
            notes = "".join(f"\n{n}" for n in getattr(conn, "notes", []))
            if isinstance(exc, HostKeyChanged | HostKeyRevoked):
                self._set_state(SessionState.REFUSED, error_message(exc) + notes)
            elif isinstance(exc, UnknownHostKey):
                self._set_state(SessionState.FAILED,
                                "the host key was not accepted; nothing was sent to the server" + notes)
            else:
                self._set_state(SessionState.FAILED, error_message(exc) + notes)
            return
        # The keepalive watchdog (and the transfer thread) report a dead peer from their own thread: wake the
        # worker to notice it (_pump_shells asks the connection).
        conn.on_lost = lambda _reason: self._post(Wake())
        self._conn = conn
        self._lane = TransferLane(conn, self.profile.name, self._transfer_progress, self._transfer_finished,
                                  on_lost=lambda _exc: self._post(Wake()))  # fmt: skip
        # Settings not honoured, weak algorithms in use, keys added: the status line says there are some, its tooltip
        # lists them (the CLI prints them on stderr).
        conn_notes: list[str] = list(getattr(conn, "notes", []))
        head = f"connected to {self.profile.display()}"
        if conn_notes:
            head += f" ({len(conn_notes)} note{'s' if len(conn_notes) > 1 else ''}: {conn_notes[0]})"
        self._set_state(SessionState.CONNECTED, head + "".join(f"\n{n}" for n in conn_notes))

    def _list(self, cmd: ListDir) -> None:
        if self._sftp is None:
            self._sftp = self._require().sftp()
        path = self._sftp.home() if cmd.path in ("", ".") else cmd.path
        entries = self._sftp.list(path)
        self.listed.emit(cmd.request_id, path, list(entries), "")

    def _transfer(self, cmd: Download | Upload) -> None:
        self._require()
        assert self._lane is not None  # set together with self._conn
        self._lane.submit(cmd, self._transfer_tokens.get(cmd.transfer_id) or CancelToken())

    def _start_forward(self, cmd: StartForward) -> None:
        conn, spec = self._require(), cmd.spec
        bind_host = spec.bind_host or "127.0.0.1"
        if spec.kind is ForwardKind.LOCAL:
            fwd = conn.forward_local(spec.bind_port, spec.dest_host, spec.dest_port, listen_host=bind_host)
        elif spec.kind is ForwardKind.REMOTE:
            fwd = conn.forward_remote(spec.bind_port, spec.dest_host, spec.dest_port, remote_host=bind_host)
        else:
            fwd = conn.forward_dynamic(spec.bind_port, listen_host=bind_host)
        self._forwards[cmd.forward_id] = fwd
        self.forward_changed.emit(cmd.forward_id, ForwardState.RUNNING, fwd.description())

    def _stop_forward(self, cmd: StopForward) -> None:
        fwd = self._forwards.pop(cmd.forward_id, None)
        if fwd is not None:
            fwd.stop()
            self.forward_changed.emit(cmd.forward_id, ForwardState.STOPPED, "")

    def _pump_shells(self) -> None:
        lost = self._shells.pump(self._conn)
        if lost is not None:
            self._lost(lost)

    def _teardown(self) -> None:
        for fid, fwd in list(self._forwards.items()):
            try:
                fwd.stop()
            except Exception:
                log.debug("forward stop", exc_info=True)
            self.forward_changed.emit(fid, ForwardState.STOPPED, "the connection closed")
        self._forwards.clear()
        self._shells.close_all()
        if self._lane is not None:  # before the connection closes: a cancelled transfer ends as "cancelled"
            self._lane.stop()
            self._lane = None
        if self._sftp is not None:
            self._sftp.close()
            self._sftp = None
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("connection close", exc_info=True)
            self._conn = None
