"""The one place Deskside uses paramiko's internal SFTP request API: pipelined reads and writes.

Why: a transfer keeps up to 64 READ or WRITE requests in flight at offsets it chooses (as OpenSSH's sftp does):
that makes downloads and uploads fast, and lets a transfer resume from the size of its `.part` file. paramiko's
public API (`SFTPFile.prefetch`, `SFTPFile.set_pipelined`) keeps the requests in flight out of our hands: the
prefetch copies every block through its own buffer, writes wait for acknowledgements, and after a cancel we could
not collect the answers still in flight within a time limit (see `Pipeline.drain`).

So `Pipeline` sends requests with `SFTPClient._async_request(fileobj, type, *args)` (returns the request number;
paramiko files the answer under it) and reads answers with `SFTPClient._read_response()` (reads one message and
hands it to `fileobj._async_response(type, msg, number)`); it also reads the channel's `out_max_packet_size`.

Checked with paramiko 3.4.0 (the oldest version pyproject allows) and 5.1.0: both methods have the same signature
and behaviour in each. If a paramiko release changes them, only this module needs to follow.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import paramiko

DRAIN_LIMIT = 5.0  # seconds to collect the answers still in flight after a cancel
SSH_FX_OK = 0
SSH_FX_EOF = 1


@dataclass
class Answer:
    """The server's answer to one pipelined request."""

    offset: int
    length: int
    data: bytes | None = None  # a READ's data (None when the answer was a status)
    status: int | None = None  # the SSH_FX_* code of a status answer (SSH_FX_OK, SSH_FX_EOF, an error)
    message: str = ""  # the server's text with an error status


class Pipeline:
    """READ and WRITE requests in flight on one SFTP session, and their answers. Owned by the transfer's thread."""

    def __init__(self, sftp: paramiko.SFTPClient) -> None:
        self._sftp: Any = sftp  # the private methods are not in paramiko's type stubs
        self.pending: dict[int, tuple[int, int]] = {}  # request number -> (offset, length)
        self._got: dict[int, tuple[int, Any]] = {}  # request number -> (message type, message), not yet handed out

    def _async_response(self, t: int, msg: Any, num: int) -> None:
        """Called by paramiko's `_read_response` with the answer to one of our requests."""
        self._got[num] = (t, msg)

    def packet_size(self) -> int:
        """The largest SSH packet the server accepts on this channel (32 KiB if it does not say)."""
        return int(getattr(self._sftp.sock, "out_max_packet_size", 0) or 32768)

    def read(self, handle: Any, offset: int, length: int) -> None:
        from paramiko.sftp import CMD_READ, int64

        num = self._sftp._async_request(self, CMD_READ, handle, int64(offset), int(length))
        self.pending[num] = (offset, length)

    def write(self, handle: Any, offset: int, data: bytes) -> None:
        from paramiko.sftp import CMD_WRITE, int64

        num = self._sftp._async_request(self, CMD_WRITE, handle, int64(offset), data)
        self.pending[num] = (offset, len(data))

    def answers(self) -> list[Answer]:
        """Wait for at least one answer; return every answer collected, each request leaving `pending`."""
        from paramiko.sftp import CMD_DATA, CMD_STATUS

        while not self._got:
            self._sftp._read_response()
        out = []
        for num, (t, msg) in list(self._got.items()):
            del self._got[num]
            offset, length = self.pending.pop(num)
            if t == CMD_DATA:
                out.append(Answer(offset, length, data=msg.get_string()))
            elif t == CMD_STATUS:
                code = msg.get_int()
                out.append(Answer(offset, length, status=code, message=msg.get_text() if code > 1 else ""))
            else:
                out.append(Answer(offset, length))
        return out

    def drain(self, why: BaseException | None = None, limit: float | None = None) -> None:
        """Read the answers to requests still in flight so the session stays usable after a cancel.

        Never blocks beyond `limit` seconds: each read waits at most the time left. When the answers do not all come
        in time, or the stop was an asynchronous KeyboardInterrupt (it can land in the middle of reading a message,
        so the stream is no longer in step), the SFTP channel is closed instead: the session is over, the caller's
        error stands, and nothing hangs."""
        limit = DRAIN_LIMIT if limit is None else limit
        chan: Any = getattr(self._sftp, "sock", None)
        if isinstance(why, KeyboardInterrupt) or chan is None:
            _abandon(chan)
            return
        end = time.monotonic() + limit
        old_timeout = chan.gettimeout()
        try:
            while self.pending:
                for num in list(self._got):
                    self.pending.pop(num, None)
                    del self._got[num]
                if not self.pending:
                    break
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the server did not answer the requests in flight")
                chan.settimeout(left)
                self._sftp._read_response()
        except Exception:
            _abandon(chan)
            return
        finally:
            with contextlib.suppress(Exception):
                chan.settimeout(old_timeout)


def _abandon(chan: Any) -> None:
    if chan is not None:
        with contextlib.suppress(Exception):
            chan.close()
