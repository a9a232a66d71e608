"""Run one command on an open SSH transport: exit status, stdout and stderr apart, streamed, with timeout and cancel."""

from __future__ import annotations

import contextlib
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cancel import Cancelled, CancelToken
from .channel_request import send_channel_request

if TYPE_CHECKING:
    import paramiko

CHUNK = 65536


class ExecTimeout(Exception):
    """The command did not finish within its timeout; it was stopped (its channel closed)."""

    def __init__(self, command: str, timeout: float, stdout: bytes, stderr: bytes):
        self.command, self.timeout, self.stdout, self.stderr = command, timeout, stdout, stderr
        super().__init__(
            f"the command did not finish within {timeout:g} s and was stopped: {command!r}. "
            "Give it a longer --timeout if it needs more time."
        )


@dataclass
class ExecResult:
    exit_status: int  # -1 when the server sent none (e.g. the command was killed by a signal)
    stdout: bytes
    stderr: bytes
    duration: float
    exit_signal: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")


def run_command(
    transport: paramiko.Transport,
    command: str,
    *,
    timeout: float | None = None,
    cancel: CancelToken | None = None,
    on_stdout: Callable[[bytes], None] | None = None,
    on_stderr: Callable[[bytes], None] | None = None,
    stdin: bytes | None = None,
    lost: Callable[[], Exception | None] | None = None,
    open_timeout: float = 15.0,
) -> ExecResult:
    """Run `command`. Raises ExecTimeout, Cancelled, or whatever `lost()` returns when the connection died."""
    start = time.monotonic()
    deadline = start + timeout if timeout else None
    chan = transport.open_session(timeout=min(open_timeout, timeout) if timeout else open_timeout)
    out: list[bytes] = []
    err: list[bytes] = []
    try:
        if stdin is None:
            _exec_pipelined(chan, command)
        else:
            chan.exec_command(command)
        if stdin is not None:
            chan.sendall(stdin)
            chan.shutdown_write()
        fd = chan.fileno()
        while True:
            got = False
            while chan.recv_ready():
                data = chan.recv(CHUNK)
                if not data:
                    break
                got = True
                out.append(data)
                if on_stdout is not None:
                    on_stdout(data)
            while chan.recv_stderr_ready():
                data = chan.recv_stderr(CHUNK)
                if not data:
                    break
                got = True
                err.append(data)
                if on_stderr is not None:
                    on_stderr(data)
            if chan.closed or (chan.eof_received and chan.exit_status_ready()):
                if not chan.recv_ready() and not chan.recv_stderr_ready():
                    break
                continue
            if cancel is not None and cancel.cancelled:
                raise Cancelled(f"cancelled by the user: {command!r}")
            if lost is not None:
                exc = lost()
                if exc is not None:
                    raise exc
            wait = 0.25
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ExecTimeout(command, float(timeout or 0), b"".join(out), b"".join(err))
                wait = min(wait, remaining)
            if not got:
                if chan.eof_received:
                    # Output is over but the exit status is still on its way. The pipe stays readable after EOF,
                    # so select() would spin: wait on the status event (set by exit-status and by close).
                    chan.status_event.wait(wait)
                else:
                    select.select([fd], [], [], wait)
        if not chan.exit_status_ready() and lost is not None:
            exc = lost()
            if exc is not None:
                raise exc
        if not chan.exit_status_ready() and chan.event.is_set() and not chan.event_ready:
            import paramiko  # the server refused the exec request (what exec_command would have raised)

            raise transport.get_exception() or paramiko.SSHException("Channel closed.")
        status = chan.recv_exit_status() if chan.exit_status_ready() else -1
        return ExecResult(status, b"".join(out), b"".join(err), time.monotonic() - start)
    finally:
        with contextlib.suppress(Exception):  # over a dead link; the error that matters is already raised
            # close() closes the pipe fileno() made, but data the server sent before it saw our close still
            # arrives; paramiko would signal it on the closed pipe (EBADF in its transport thread, which kills the
            # connection). Signal a plain Event from here on (paramiko internals, pinned by
            # tests/unit/test_paramiko_internals.py).
            chan.in_buffer.set_event(threading.Event())
            chan.in_stderr_buffer.set_event(threading.Event())
            chan.close()


def _exec_pipelined(chan: paramiko.Channel, command: str) -> None:
    """`chan.exec_command(command)` without waiting for the server's answer to the request before reading, as OpenSSH
    does: the output follows the answer anyway, so waiting only costs a round trip. A refusal closes the channel
    (paramiko's handler), which the read loop sees; run() then raises what exec_command would have raised. Only
    without stdin: its data is sent once the command surely runs."""
    send_channel_request(chan, "exec", command, wait=False)


class CallbackError(Exception):
    """Carries an exception raised by a caller's output callback through the network error handling unchanged."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def own_errors(callback: Callable[[bytes], None] | None) -> Callable[[bytes], None] | None:
    if callback is None:
        return None

    def call(data: bytes) -> None:
        try:
            callback(data)
        except Exception as exc:
            raise CallbackError(exc) from exc

    return call
