"""Moving one file over SFTP, in steps: plan (where it goes, where to resume), open, the pipelined transfer loop,
finish (rename the part file into place, keep the modification time).

Resume: a transfer writes to `<name>.part` and renames it when complete. With resume=True an existing `.part` is
continued by appending from its size (the part file only ever holds a contiguous prefix).

Speed: reads of 252 KiB and writes of about 128 KiB, up to 64 requests in flight (see `sftp_wire`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .cancel import Cancelled, CancelToken
from .sftp_paths import SftpError, UnsafePath, open_local_for_write
from .sftp_wire import SSH_FX_EOF, SSH_FX_OK, Pipeline

if TYPE_CHECKING:
    import paramiko

READ_SIZE = 252 * 1024
WRITE_SIZE = 128 * 1024  # trimmed to whole SSH packets (see _write_chunk); measured best with paramiko
MAX_OUTSTANDING = 64
SFTP_WRITE_OVERHEAD = 64  # length, type, id, handle, offset and data length of an SSH_FXP_WRITE, with room
PART_SUFFIX = ".part"


def net_errors() -> tuple[type[BaseException], ...]:
    """Errors of the link and of paramiko (imported lazily: evaluated only when an exception is being matched)."""
    from paramiko.ssh_exception import SSHException

    return (OSError, EOFError, SSHException)


@dataclass
class RemoteEntry:
    name: str
    path: str
    size: int
    mtime: int
    mode: int

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)


@dataclass
class TransferResult:
    files: int = 0
    bytes: int = 0
    resumed_from: int = 0
    skipped: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


class Progress(Protocol):
    def add(self, n: int, name: str, force: bool = False) -> None: ...


@dataclass
class Transfer:
    """What the files of one get or put share."""

    sftp: paramiko.SFTPClient
    wrap: Callable[[BaseException, str], Exception]  # a link or server error -> the error the user reads
    progress: Progress
    cancel: CancelToken | None
    resume: bool
    result: TransferResult = field(default_factory=TransferResult)

    def stop_if_cancelled(self, message: str) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled(message)

    def moved(self, n: int, name: str) -> None:
        """`n` more bytes of `name` arrived (download) or were acknowledged (upload)."""
        self.result.bytes += n
        self.progress.add(n, name)


@contextlib.contextmanager
def _in_flight(t: Transfer, pipe: Pipeline, failed: Callable[[], str]) -> Iterator[None]:
    """Around a transfer loop: a link or server error becomes the user's error (`failed()` says what was kept);
    any other stop (cancel, Ctrl-C, a refused answer) first collects the answers still in flight."""
    try:
        yield
    except net_errors() as exc:
        raise t.wrap(exc, failed()) from exc
    except BaseException as exc:
        pipe.drain(exc)
        raise


# -- download ------------------------------------------------------------------------------------------------
def download_file(t: Transfer, entry: RemoteEntry, dest: Path) -> None:
    """Fetch the remote file `entry` to the local path `dest` (already checked by the path guard)."""
    part, start = _plan_download(t, entry, dest)
    t.result.resumed_from += start
    t.progress.add(start, entry.name)
    try:
        rf = t.sftp.open(entry.path, "rb")
    except net_errors() as exc:
        raise t.wrap(exc, f"cannot open {entry.path}") from exc
    fd = open_local_for_write(part, append=start > 0)
    try:
        _fetch(t, Pipeline(t.sftp), rf.handle, entry, fd, start, part)
    finally:
        os.close(fd)
        with contextlib.suppress(Exception):
            rf.close()
    _finish_download(t, entry, part, dest)


def _plan_download(t: Transfer, entry: RemoteEntry, dest: Path) -> tuple[Path, int]:
    """The part file, and the offset to start from; refuses what is in the way before any byte is fetched."""
    part = dest.with_name(dest.name + PART_SUFFIX)
    if part.is_symlink() or dest.is_symlink():
        raise UnsafePath(f"refused {dest}: a symlink is in the way")
    for p in (dest, part):
        if p.is_dir():
            raise SftpError(f"cannot download {entry.path} to {dest}: there is a folder {p} in the way here; "
                            "move it or pick another target folder")
    start = 0
    if t.resume and part.exists():
        start = part.stat().st_size
        if start > entry.size:
            start = 0
    return part, start


def _fetch(t: Transfer, pipe: Pipeline, handle: Any, entry: RemoteEntry, fd: int, start: int, part: Path) -> None:
    """The download loop: keep reads in flight, write the data in order as it becomes contiguous."""
    ready: dict[int, bytes] = {}  # offset -> data not yet contiguous
    next_req = written = start
    eof_at: int | None = None
    with _in_flight(t, pipe, lambda: f"download of {entry.path} failed ({written} bytes kept in {part})"):
        while True:
            t.stop_if_cancelled(f"download of {entry.path} cancelled; {written} bytes kept in {part}")
            while len(pipe.pending) < MAX_OUTSTANDING and next_req < (entry.size if eof_at is None else eof_at):
                n = min(READ_SIZE, entry.size - next_req)
                pipe.read(handle, next_req, n)
                next_req += n
            if not pipe.pending:
                break
            for a in pipe.answers():
                if a.data is not None:
                    if len(a.data) < a.length:  # short read: ask for the rest
                        pipe.read(handle, a.offset + len(a.data), a.length - len(a.data))
                    if a.data:
                        ready[a.offset] = a.data
                elif a.status == SSH_FX_EOF:  # the file shrank
                    eof_at = a.offset if eof_at is None else min(eof_at, a.offset)
                else:
                    raise SftpError(f"reading {entry.path} failed: {a.message}")
            while written in ready:
                data = ready.pop(written)
                os.write(fd, data)
                written += len(data)
                t.moved(len(data), entry.name)


def _finish_download(t: Transfer, entry: RemoteEntry, part: Path, dest: Path) -> None:
    try:
        os.replace(part, dest)
        if entry.mtime:
            os.utime(dest, (entry.mtime, entry.mtime))
    except OSError as exc:
        raise SftpError(f"cannot finish {dest} (the data is in {part}): {exc.strerror or exc}") from exc
    t.result.files += 1
    t.result.paths.append(str(dest))


# -- upload --------------------------------------------------------------------------------------------------
def upload_file(t: Transfer, src: Path, remote: str) -> None:
    """Send the local file `src` to the remote path `remote`."""
    size = src.stat().st_size
    part = remote + PART_SUFFIX
    start = _resume_offset(t, part, size)
    t.result.resumed_from += start
    t.progress.add(start, src.name)
    try:
        wf = t.sftp.open(part, "r+" if start else "w")
    except net_errors() as exc:
        raise t.wrap(exc, f"cannot write {part} on the server") from exc
    try:
        _send(t, Pipeline(t.sftp), wf.handle, src, size, start, part)
    finally:
        with contextlib.suppress(Exception):
            wf.close()
    _finish_upload(t, src, part, remote)


def _resume_offset(t: Transfer, part: str, size: int) -> int:
    """Where to continue an upload: the size of the server's part file (0 without resume, or when it is bigger)."""
    if not t.resume:
        return 0
    try:
        start = int(t.sftp.stat(part).st_size or 0)
    except OSError:
        return 0
    return 0 if start > size else start


def _write_chunk(pipe: Pipeline) -> int:
    """Fill whole SSH packets: a 64 KiB write plus its SFTP header would take two full packets and a tiny third."""
    pkt = pipe.packet_size()
    return max(4096, (WRITE_SIZE // pkt) * pkt - SFTP_WRITE_OVERHEAD) if pkt <= WRITE_SIZE else WRITE_SIZE


def _send(t: Transfer, pipe: Pipeline, handle: Any, src: Path, size: int, start: int, part: str) -> None:
    """The upload loop: keep writes in flight; count bytes as the server acknowledges them."""
    chunk = _write_chunk(pipe)
    acked = start
    with _in_flight(t, pipe, lambda: f"upload of {src} failed"), open(src, "rb") as fh:
        fh.seek(start)
        offset = start
        while True:
            t.stop_if_cancelled(f"upload of {src} cancelled; {acked} bytes kept in {part} on the server")
            while len(pipe.pending) < MAX_OUTSTANDING and offset < size:
                data = fh.read(chunk)
                if not data:
                    break
                pipe.write(handle, offset, data)
                offset += len(data)
            if not pipe.pending:
                break
            for a in pipe.answers():
                if a.status != SSH_FX_OK:
                    raise SftpError(f"writing {part} on the server failed")
                acked += a.length
                t.moved(a.length, src.name)


def _finish_upload(t: Transfer, src: Path, part: str, remote: str) -> None:
    sftp: Any = t.sftp
    try:
        try:
            sftp.posix_rename(part, remote)
        except OSError:
            with contextlib.suppress(OSError):
                sftp.remove(remote)
            sftp.rename(part, remote)
        st = src.stat()
        sftp.utime(remote, (int(st.st_atime), int(st.st_mtime)))
    except net_errors() as exc:
        raise t.wrap(exc, f"cannot finish {remote} (the data is in {part})") from exc
    t.result.files += 1
    t.result.paths.append(remote)
