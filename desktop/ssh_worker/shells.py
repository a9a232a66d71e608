"""The interactive shells of one connection, served by its worker thread: open, type, resize, close, and pump
their output into signals. A dead connection closes every channel; `pump` then says so instead of "the shell ended"."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable

from remote.connection import Connection, ConnectionLost
from remote.shell import Shell

from .commands import CloseShell, OpenShell, Resize, Send

log = logging.getLogger(__name__)


def locale_environment() -> dict[str, str]:
    """LANG and LC_* of this app, sent to each shell as OpenSSH's default `SendEnv LANG LC_*` does (names and values
    restricted to what a locale name can be: nothing else of the local environment leaves the machine)."""
    return {k: v for k, v in os.environ.items()
            if (k == "LANG" or k.startswith("LC_")) and v and _LOCALE_VALUE.fullmatch(v)}  # fmt: skip


_LOCALE_VALUE = re.compile(r"[A-Za-z0-9_.@+=-]{1,64}")


class Shells:
    """Owned by the worker thread. `output(id, data)`, `opened(id)` and `closed(id, why)` emit the signals."""

    def __init__(self, opened: Callable[[int], None], output: Callable[[int, bytes], None],
                 closed: Callable[[int, str], None]) -> None:  # fmt: skip
        self._opened = opened
        self._output = output
        self._closed = closed
        self._shells: dict[int, Shell] = {}
        self._told_env = False

    def open(self, conn: Connection, cmd: OpenShell) -> None:
        shell = conn.open_shell(cmd.cols, cmd.rows, cmd.term, env=locale_environment())
        self._shells[cmd.shell_id] = shell
        self._opened(cmd.shell_id)
        if shell.refused_env and not self._told_env:
            self._told_env = True  # once per connection: the next terminals get the same answer
            names = ", ".join(shell.refused_env)
            log.info("the server did not accept %s (its AcceptEnv)", names)
            self._output(cmd.shell_id, (f"\x1b[0;33m[the server did not accept {names} (its sshd AcceptEnv setting): "
                                        "programs there use its default locale]\x1b[0m\r\n").encode())

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
