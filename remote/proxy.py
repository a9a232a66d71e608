"""ProxyCommand as OpenSSH runs it: `exec COMMAND` through the user's shell, its stdin/stdout the SSH stream.

The command talks to us over one end of a socket pair, so the transport sees an ordinary socket (EOF, timeouts and
closing behave as for TCP). Its stderr is kept (the last 4 KiB) for the error message when it fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading


class ProxyCommandError(Exception):
    pass


class ProxyProcess:
    """The running command and our end of its socket pair."""

    def __init__(self, command: str) -> None:
        self.command = command
        ours, theirs = socket.socketpair()
        shell = os.environ.get("SHELL") or "/bin/sh"
        try:
            self.process = subprocess.Popen(
                [shell, "-c", f"exec {command}"], stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=subprocess.PIPE,
                start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            ours.close()
            raise ProxyCommandError(f"cannot run ProxyCommand {command!r}: {exc.strerror or exc}") from exc
        finally:
            theirs.close()
        self.sock = ours
        self._stderr = b""
        self._reader = threading.Thread(target=self._drain, name="ssh-proxycommand-stderr", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        fd = self.process.stderr.fileno()
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            self._stderr = (self._stderr + chunk)[-4096:]

    def failure(self) -> str:
        """What went wrong with the command, when it has ended (else '')."""
        try:
            code = self.process.wait(2)  # only asked after the stream failed: the command is ending or stuck
        except subprocess.TimeoutExpired:
            return ""
        self._reader.join(1.0)
        err = self._stderr.decode(errors="replace").strip()
        return (f"ProxyCommand {self.command!r} exited with status {code}" + (f": {err}" if err else "")
                + " before the SSH connection was set up")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(2)
