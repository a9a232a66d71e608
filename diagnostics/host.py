"""The `Host` protocol collectors read through, so the same collectors can later run on a remote host.

`LocalHost` runs commands with a timeout and a cancel token and never raises on missing tools: a missing
program is a `CommandResult` with `missing=True`, which collectors turn into a recorded skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from common.text import decode_bytes

from .cancel import Cancelled, CancelToken

MAX_OUTPUT = 16 * 1024 * 1024  # bytes kept per stream; the rest of a huge output is read and dropped


@dataclass
class CommandResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float = 0.0
    timed_out: bool = False
    missing: bool = False  # the program is not installed
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.missing

    def why_failed(self) -> str:
        """A short reason for a skip record."""
        if self.missing:
            return f"{self.argv[0]} is not installed"
        if self.timed_out:
            return f"{self.argv[0]} did not finish within its timeout"
        err = (self.stderr or self.stdout).strip().splitlines()
        tail = err[-1] if err else ""
        return f"{self.argv[0]} exited with status {self.returncode}" + (f": {tail[:200]}" if tail else "")


@runtime_checkable
class Host(Protocol):
    """What a collector may do to the machine it inspects."""

    name: str
    is_local: bool
    platform: str  # "linux", "windows", "darwin"

    def run(
        self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
        env: dict[str, str] | None = None,
    ) -> CommandResult: ...

    def read_file(self, path: str, max_bytes: int = MAX_OUTPUT) -> bytes | None:
        """The file's bytes (at most max_bytes), or None if it does not exist or cannot be read."""
        ...

    def which(self, program: str) -> str | None: ...


def decode(data: bytes) -> str:
    """Bytes from a log or a command as text, never an exception: UTF-8, UTF-16/32 (BOM or NUL pattern), per-line
    cp1252/Latin-1 fallback, NUL bytes removed (see common.text.decode_bytes)."""
    return decode_bytes(data)


class LocalHost:
    """This machine."""

    is_local = True

    def __init__(self) -> None:
        import socket

        self.name = socket.gethostname()
        self.platform = {"win32": "windows", "darwin": "darwin"}.get(sys.platform, "linux")

    def which(self, program: str) -> str | None:
        return shutil.which(program)

    def read_file(self, path: str, max_bytes: int = MAX_OUTPUT) -> bytes | None:
        try:
            with open(path, "rb") as fh:
                return fh.read(max_bytes)
        except OSError:
            return None

    def run(
        self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
        env: dict[str, str] | None = None,
    ) -> CommandResult:
        start = time.monotonic()
        if self.which(argv[0]) is None and not Path(argv[0]).is_file():
            return CommandResult(argv, 127, "", "", missing=True)
        full_env = dict(os.environ)
        full_env.update({"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "SYSTEMD_PAGER": "", "PAGER": "cat"})
        if env:
            full_env.update(env)
        try:
            proc = subprocess.Popen(
                # stdin is an empty pipe (closed at once), not /dev/null: some sandboxes deny it to users
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                start_new_session=True,
            )
        except OSError as exc:
            return CommandResult(argv, 126, "", str(exc), missing=True)
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        try:
            proc.stdin.close()
        except OSError:
            pass
        # Each stream is read by its own thread into a buffer that stops growing at MAX_OUTPUT; the rest is read and
        # dropped, so a command that prints far more than asked (a huge journal) costs time, never memory.
        out, err = _Drain(proc.stdout), _Drain(proc.stderr)
        deadline = start + timeout
        timed_out = False
        while True:
            try:
                proc.wait(timeout=min(0.05, max(0.01, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.cancelled:
                    _kill(proc)
                    proc.wait()
                    raise Cancelled(f"{argv[0]} cancelled") from None
                if time.monotonic() >= deadline:
                    timed_out = True
                    _kill(proc)
                    proc.wait()
                    break
        out.join()
        err.join()
        return CommandResult(
            argv, proc.returncode if not timed_out else -9, decode(bytes(out.data)), decode(bytes(err.data)),
            duration_s=time.monotonic() - start, timed_out=timed_out, truncated=out.truncated or err.truncated,
        )


class _Drain:
    """Reads a pipe to its end on a thread, keeping at most MAX_OUTPUT bytes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.data = bytearray()
        self.truncated = False
        self._stream = stream
        self._thread = threading.Thread(target=self._run, name="command-output", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while chunk := self._stream.read(65536):
                room = MAX_OUTPUT - len(self.data)
                if room > 0:
                    self.data += chunk[:room]
                if len(chunk) > room:
                    self.truncated = True
        except (OSError, ValueError):
            pass
        finally:
            try:
                self._stream.close()
            except OSError:
                pass

    def join(self) -> None:
        # A grandchild that kept the pipe open (a daemon it started) must not hold the run up.
        self._thread.join(2.0)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, 9)
    except (OSError, AttributeError):
        proc.kill()
