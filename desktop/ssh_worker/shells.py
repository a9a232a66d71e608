"""The interactive shells of one connection, served by its worker thread: open, type, resize, close, and pump
their output into signals. A dead connection closes every channel; `pump` then says so instead of "the shell ended"."""

from __future__ import annotations

import logging
from collections.abc import Callable

from remote.connection import Connection, ConnectionLost
from remote.shell import Shell

from .commands import CloseShell, OpenShell, Resize, Send

log = logging.getLogger(__name__)


class Shells:
    """Owned by the worker thread. `output(id, data)`, `opened(id)` and `closed(id, why)` emit the signals."""

    def __init__(self, opened: Callable[[int], None], output: Callable[[int, bytes], None],
                 closed: Callable[[int, str], None]) -> None:  # fmt: skip
        self._opened = opened
        self._output = output
        self._closed = closed
        self._shells: dict[int, Shell] = {}

    def open(self, conn: Connection, cmd: OpenShell) -> None:
        self._shells[cmd.shell_id] = conn.open_shell(cmd.cols, cmd.rows, cmd.term)
        self._opened(cmd.shell_id)

    def send(self, cmd: Send) -> None:
        shell = self._shells.get(cmd.shell_id)
        if shell is not None and not shell.closed:
            shell.send(cmd.data)

    def resize(self, cmd: Resize) -> None:
        shell = self._shells.get(cmd.shell_id)
        if shell is not None and not shell.closed:
            shell.resize(cmd.cols, cmd.rows)

    def close(self, cmd: CloseShell) -> None:
        shell = self._shells.pop(cmd.shell_id, None)
        if shell is not None:
            shell.close()
            self._closed(cmd.shell_id, "closed")

    def filenos(self) -> list[int]:
        fds: list[int] = []
        for shell in self._shells.values():
            try:
                fds.append(shell.fileno())
            except Exception:  # noqa: S112 (a closed shell is reaped by pump)
                continue
        return fds

    def pump(self, conn: Connection | None) -> ConnectionLost | None:
        """Emit what the shells have to say and reap the ended ones. Returns the error when the connection is dead
        (the caller tears it down); the shells are then left for `close_all`."""
        ended: list[int] = []
        for sid, shell in list(self._shells.items()):
            try:
                data = shell.read_available()
            except ConnectionLost as exc:
                return exc
            except Exception:
                data = b""
                log.debug("shell read failed", exc_info=True)
            if data:
                self._output(sid, bytes(data))
            elif shell.closed:
                ended.append(sid)
        lost = conn.lost_error() if conn is not None else None
        if lost is not None:
            return lost
        for sid in ended:
            shell = self._shells.pop(sid)
            try:
                shell.close()
            except Exception:
                log.debug("shell close", exc_info=True)
            self._closed(sid, "the remote shell ended")
        return None

    def close_all(self, why: str | None = None) -> None:
        """Close every shell; with `why`, tell each terminal why it ended."""
        for sid, shell in list(self._shells.items()):
            if why is not None:
                self._closed(sid, why)
            try:
                shell.close()
            except Exception:
                log.debug("shell close", exc_info=True)
        self._shells.clear()
