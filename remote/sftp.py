"""SFTP: list, get and put files and folders, with throttled progress, cancel and resume.

Safety: downloads never write outside the chosen local target folder, whatever names the server sends. A remote name
is refused when it is empty, `.` or `..`, contains `/`, `\\` or NUL, or looks like a drive (`C:`); the final path is
checked to resolve inside the target folder (so a local symlink cannot lead out), and files are opened with
O_NOFOLLOW. Remote symlinks are never followed nor recreated when copying folders: they are listed as skipped.

Resume: a transfer writes to `<name>.part` and renames it when complete. With resume=True an existing `.part` is
continued by appending from its size (the part file only ever holds a contiguous prefix).

Speed: reads and writes are pipelined by hand (up to 64 requests in flight, like OpenSSH's sftp: reads of
252 KiB, writes of about 128 KiB), which avoids paramiko's prefetch buffer copying and its per-write acknowledgements.
This uses paramiko's internal request API (`_async_request`, `_read_response`), stable for many years.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import posixpath
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cancel import Cancelled, CancelToken

if TYPE_CHECKING:
    import paramiko


def _net_errors() -> tuple[type[BaseException], ...]:
    """Errors of the link and of paramiko (imported lazily: evaluated only when an exception is being matched)."""
    from paramiko.ssh_exception import SSHException

    return (OSError, EOFError, SSHException)

READ_SIZE = 252 * 1024
WRITE_SIZE = 128 * 1024  # trimmed to whole SSH packets in _put_file; measured best with paramiko
MAX_OUTSTANDING = 64
SFTP_WRITE_OVERHEAD = 64  # length, type, id, handle, offset and data length of an SSH_FXP_WRITE, with room
PROGRESS_INTERVAL = 0.1
DRAIN_LIMIT = 5.0  # seconds to collect the answers still in flight after a cancel
PART_SUFFIX = ".part"

ProgressCallback = Callable[[int, int, str], None]  # (bytes done, bytes total, current file)
AuditHook = Callable[[str, str, int, dict[str, Any]], None]  # (kind, what, status 0/1, details)


class SftpError(Exception):
    """A transfer or listing problem, with the path and what to do."""


class UnsafePath(SftpError):
    """A remote name that would lead outside the chosen local folder; nothing was written for it."""


_tuned = False


def tune_allocator() -> bool:
    """Keep glibc from giving every large buffer back to the kernel and faulting it in again.

    A transfer allocates a few hundred KiB per SFTP message; with glibc's defaults each one is a fresh mmap, and
    page faults cost about a third of a download's time in a new process. Raising the mmap and trim thresholds keeps
    those buffers in the heap. Process-wide and harmless; a no-op where glibc is absent. Returns True when applied.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 16 << 20) == 1
        ok = libc.mallopt(m_trim_threshold, 64 << 20) == 1 and ok
        return bool(ok)
    except (OSError, AttributeError):
        return False


# -- the path guard -----------------------------------------------------------------------------------------
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10)), "COM\u00b9", "COM\u00b2", "COM\u00b3", "LPT\u00b9", "LPT\u00b2",
                    "LPT\u00b3"}


def check_remote_name(name: str, windows: bool = os.name == "nt") -> str:
    """Return `name` when it is one safe path component, else raise UnsafePath.

    On Windows also refused: a `:` anywhere (drive-relative paths, alternate data streams), a trailing dot or space
    (Windows drops them, so `...` or `x.` would name another entry), and device names such as `CON` or `nul.txt`,
    which open a device instead of a file in the folder."""
    if windows:
        stem = name.split(".", 1)[0].rstrip(" ").upper()
        if ":" in name:
            raise UnsafePath(f"refused the remote name {name!r}: it contains ':', which Windows reads as a drive or "
                             "a data stream")
        if name.endswith((".", " ")) and name not in (".", ".."):
            raise UnsafePath(f"refused the remote name {name!r}: Windows drops a trailing dot or space, so it "
                             "would name another entry")
        if stem in _WINDOWS_DEVICES:
            raise UnsafePath(f"refused the remote name {name!r}: it is a Windows device name")
    if name in ("", ".", ".."):
        raise UnsafePath(f"refused the remote name {name!r}: it is not a file name")
    for bad, what in (("/", "a slash"), ("\\", "a backslash"), ("\0", "a NUL byte")):
        if bad in name:
            raise UnsafePath(f"refused the remote name {name!r}: it contains {what} and could escape the target folder")
    if _DRIVE_RE.match(name):
        raise UnsafePath(f"refused the remote name {name!r}: it looks like a drive path")
    return name


def safe_local_path(root: Path, parts: list[str]) -> Path:
    """`root/parts...`, refusing names that escape `root`, including through symlinks already on disk."""
    for p in parts:
        check_remote_name(p)
    root_real = Path(os.path.realpath(root))
    target = root.joinpath(*parts)
    parent_real = Path(os.path.realpath(target.parent))
    if parent_real != root_real and root_real not in parent_real.parents:
        raise UnsafePath(f"refused {'/'.join(parts)!r}: it would be written outside {root} (through a symlink)")
    if target.is_symlink():
        raise UnsafePath(f"refused {target}: it is a symlink on this machine; Deskside does not write through links")
    return target


def _open_local_for_write(path: Path, append: bool) -> int:
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    flags |= os.O_APPEND if append else os.O_TRUNC
    try:
        return os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(f"refused {path}: it is a symlink") from exc
        raise SftpError(f"cannot write {path}: {exc.strerror}") from exc


def _make_local_dir(d: Path) -> None:
    if d.exists() and not d.is_dir():
        raise SftpError(f"cannot create the folder {d}: a file of that name is in the way here; move it or pick "
                        "another target folder")
    try:
        d.mkdir(exist_ok=True)
    except OSError as exc:
        raise SftpError(f"cannot create the folder {d}: {exc.strerror or exc}") from exc


# -- data ---------------------------------------------------------------------------------------------------
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


class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0
        self._last = 0.0

    def add(self, n: int, name: str, force: bool = False) -> None:
        self.done += n
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.callback(self.done, self.total, name)


class _Responses:
    """Collects the answers to our pipelined requests (paramiko calls `_async_response`)."""

    def __init__(self) -> None:
        self.got: dict[int, tuple[int, Any]] = {}

    def _async_response(self, t: int, msg: Any, num: int) -> None:
        self.got[num] = (t, msg)


class SftpClient:
    """SFTP on an open connection. Owned by the connection's thread."""

    def __init__(self, sftp: paramiko.SFTPClient, lost: Callable[[], Exception | None] | None = None,
                 audit: AuditHook | None = None) -> None:
        self._sftp = sftp
        self._lost = lost
        self._audit = audit

    @classmethod
    def open(cls, transport: paramiko.Transport, timeout: float = 15.0,
             lost: Callable[[], Exception | None] | None = None, audit: AuditHook | None = None) -> SftpClient:
        import paramiko

        global _tuned
        if not _tuned:
            _tuned = True
            tune_allocator()
        from ._chunkpipe import ChunkPipe

        chan = transport.open_session(timeout=timeout)
        chan.in_buffer = ChunkPipe()  # before any data arrives; see _chunkpipe.py (downloads ~25 % faster)
        chan.invoke_subsystem("sftp")
        client = paramiko.SFTPClient(chan)
        return cls(client, lost, audit)

    @property
    def paramiko_client(self) -> paramiko.SFTPClient:
        return self._sftp

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing over a dead link must not hide the error that matters
            self._sftp.close()

    def __enter__(self) -> SftpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wrap(self, exc: BaseException, what: str) -> Exception:
        if self._lost is not None:
            lost = self._lost()
            if lost is not None:
                return lost
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            return SftpError(f"{what}: no such file or folder on the server")
        if isinstance(exc, OSError) and exc.errno == errno.EACCES:
            return SftpError(f"{what}: permission denied on the server")
        return SftpError(f"{what}: {exc}")

    # -- listing ----------------------------------------------------------------------------------------------
    def home(self) -> str:
        return str(self._sftp.normalize("."))

    def stat(self, path: str) -> RemoteEntry:
        try:
            a = self._sftp.stat(path)
        except _net_errors() as exc:
            raise self._wrap(exc, path) from exc
        return RemoteEntry(posixpath.basename(path.rstrip("/")) or path, path, a.st_size or 0, a.st_mtime or 0,
                           a.st_mode or 0)

    def list(self, path: str = ".") -> list[RemoteEntry]:
        """Entries of a remote folder (symlinks are reported as links, not followed), sorted by name."""
        try:
            attrs = self._sftp.listdir_attr(path)
        except _net_errors() as exc:
            raise self._wrap(exc, f"cannot list {path}") from exc
        out = [
            RemoteEntry(a.filename, posixpath.join(path, a.filename), a.st_size or 0, a.st_mtime or 0, a.st_mode or 0)
            for a in attrs
        ]
        return sorted(out, key=lambda e: (not e.is_dir, e.name))

    def mkdir(self, path: str) -> None:
        try:
            self._sftp.mkdir(path)
        except _net_errors() as exc:
            raise self._wrap(exc, f"cannot create the folder {path}") from exc

    def remove(self, path: str) -> None:
        try:
            self._sftp.remove(path)
        except _net_errors() as exc:
            raise self._wrap(exc, f"cannot remove {path}") from exc

    # -- download ---------------------------------------------------------------------------------------------
    def _audited(self, kind: str, what: str, fn: Callable[[], TransferResult]) -> TransferResult:
        result: TransferResult | None = None
        error = ""
        try:
            result = fn()
            return result
        except BaseException as exc:
            error = str(exc) or type(exc).__name__
            raise
        finally:
            if self._audit is not None:
                details: dict[str, Any] = {}
                if result is not None:
                    details = {"files": result.files, "bytes": result.bytes, "skipped": len(result.skipped)}
                else:
                    details = {"error": error[:300]}
                with contextlib.suppress(Exception):
                    self._audit(kind, what, 0 if result is not None else 1, details)

    def get(
        self,
        remote_path: str,
        local_dir: Path | str,
        *,
        resume: bool = False,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TransferResult:
        """Download a remote file or folder INTO the local folder `local_dir`."""
        return self._audited(
            "sftp-get", f"get {remote_path} -> {local_dir}",
            lambda: self._get(remote_path, local_dir, resume=resume, progress=progress, cancel=cancel),
        )

    def _get(
        self,
        remote_path: str,
        local_dir: Path | str,
        *,
        resume: bool,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> TransferResult:
        root = Path(local_dir)
        if not root.is_dir():
            raise SftpError(f"the local target folder {root} does not exist; create it first")
        entry = self.stat(remote_path)
        name = posixpath.basename(remote_path.rstrip("/"))
        if entry.is_dir:
            if name in ("", ".", ".."):
                name = posixpath.basename(str(self._sftp.normalize(remote_path)).rstrip("/")) or "remote"
            plan: builtins.list[tuple[RemoteEntry, builtins.list[str]]] = []
            result = TransferResult()
            self._plan_folder(remote_path, [name], plan, result)
            total = sum(e.size for e, _ in plan)
            prog = _Progress(progress, total)
            dest_dir = safe_local_path(root, [name])
            _make_local_dir(dest_dir)
            for e, parts in plan:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                if e.is_dir:
                    d = safe_local_path(root, parts)
                    _make_local_dir(d)
                    continue
                self._get_file(e, safe_local_path(root, parts), resume, prog, cancel, result)
            prog.add(0, "", force=True)
            return result
        result = TransferResult()
        prog = _Progress(progress, entry.size)
        self._get_file(entry, safe_local_path(root, [name]), resume, prog, cancel, result)
        prog.add(0, name, force=True)
        return result

    def _plan_folder(self, remote_dir: str, parts: builtins.list[str],
                     plan: builtins.list[tuple[RemoteEntry, builtins.list[str]]],
                     result: TransferResult) -> None:
        for e in self.list(remote_dir):
            try:
                check_remote_name(e.name)
            except UnsafePath as exc:
                result.skipped.append(str(exc))
                continue
            sub = [*parts, e.name]
            if e.is_link:
                result.skipped.append(f"{e.path}: a symbolic link on the server, not followed")
            elif e.is_dir:
                plan.append((e, sub))
                self._plan_folder(e.path, sub, plan, result)
            elif e.is_file:
                plan.append((e, sub))
            else:
                result.skipped.append(f"{e.path}: not a regular file")

    def _get_file(self, entry: RemoteEntry, dest: Path, resume: bool, prog: _Progress, cancel: CancelToken | None,
                  result: TransferResult) -> None:
        from paramiko.sftp import CMD_DATA, CMD_READ, CMD_STATUS, int64

        part = dest.with_name(dest.name + PART_SUFFIX)
        if part.is_symlink() or dest.is_symlink():
            raise UnsafePath(f"refused {dest}: a symlink is in the way")
        for p in (dest, part):  # found before any byte is fetched, not after the whole file came
            if p.is_dir():
                raise SftpError(f"cannot download {entry.path} to {dest}: there is a folder {p} in the way here; "
                                "move it or pick another target folder")
        start = 0
        if resume and part.exists():
            start = part.stat().st_size
            if start > entry.size:
                start = 0
        result.resumed_from += start
        prog.add(start, entry.name)
        try:
            rf = self._sftp.open(entry.path, "rb")
        except _net_errors() as exc:
            raise self._wrap(exc, f"cannot open {entry.path}") from exc
        fd = _open_local_for_write(part, append=start > 0)
        sftp: Any = self._sftp
        resp = _Responses()
        pending: dict[int, tuple[int, int]] = {}  # request number -> (offset, length)
        ready: dict[int, bytes] = {}  # offset -> data not yet contiguous
        next_req = start
        written = start
        eof_at: int | None = None
        try:
            while True:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled(f"download of {entry.path} cancelled; {written} bytes kept in {part}")
                while len(pending) < MAX_OUTSTANDING and next_req < (entry.size if eof_at is None else eof_at):
                    n = min(READ_SIZE, entry.size - next_req)
                    num = sftp._async_request(resp, CMD_READ, rf.handle, int64(next_req), int(n))
                    pending[num] = (next_req, n)
                    next_req += n
                if not pending:
                    break
                while not resp.got:
                    sftp._read_response()
                for num, (t, msg) in list(resp.got.items()):
                    del resp.got[num]
                    off, n = pending.pop(num)
                    if t == CMD_DATA:
                        data = msg.get_string()
                        if len(data) < n:  # short read: ask for the rest
                            more = sftp._async_request(resp, CMD_READ, rf.handle, int64(off + len(data)),
                                                       int(n - len(data)))
                            pending[more] = (off + len(data), n - len(data))
                        if data:
                            ready[off] = data
                    elif t == CMD_STATUS:
                        code = msg.get_int()
                        if code == 1:  # SSH_FX_EOF: the file shrank
                            eof_at = off if eof_at is None else min(eof_at, off)
                        else:
                            raise SftpError(f"reading {entry.path} failed: {msg.get_text()}")
                while written in ready:
                    data = ready.pop(written)
                    os.write(fd, data)
                    written += len(data)
                    result.bytes += len(data)
                    prog.add(len(data), entry.name)
        except _net_errors() as exc:
            if isinstance(exc, SftpError):
                raise
            raise self._wrap(exc, f"download of {entry.path} failed ({written} bytes kept in {part})") from exc
        except BaseException as exc:
            self._drain(resp, pending, exc)
            raise
        finally:
            os.close(fd)
            with contextlib.suppress(Exception):
                rf.close()
        try:
            os.replace(part, dest)
            if entry.mtime:
                os.utime(dest, (entry.mtime, entry.mtime))
        except OSError as exc:
            raise SftpError(f"cannot finish {dest} (the data is in {part}): {exc.strerror or exc}") from exc
        result.files += 1
        result.paths.append(str(dest))

    def _drain(self, resp: _Responses, pending: dict[int, Any], why: BaseException | None = None,
               limit: float | None = None) -> None:
        """Read the answers to requests still in flight so the session stays usable after a cancel.

        Never blocks beyond `limit` seconds: each read waits at most the time left. When the answers do not all come
        in time, or the stop was an asynchronous KeyboardInterrupt (it can land in the middle of reading a message,
        so the stream is no longer in step), the SFTP channel is closed instead: the session is over, the caller's
        error stands, and nothing hangs."""
        limit = DRAIN_LIMIT if limit is None else limit
        chan: Any = getattr(self._sftp, "sock", None)
        if isinstance(why, KeyboardInterrupt) or chan is None:
            self._abandon(chan)
            return
        end = time.monotonic() + limit
        old_timeout = chan.gettimeout()
        try:
            while pending:
                for num in list(resp.got):
                    pending.pop(num, None)
                    del resp.got[num]
                if not pending:
                    break
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the server did not answer the requests in flight")
                chan.settimeout(left)
                sftp_any: Any = self._sftp
                sftp_any._read_response()
        except Exception:
            self._abandon(chan)
            return
        finally:
            with contextlib.suppress(Exception):
                chan.settimeout(old_timeout)

    @staticmethod
    def _abandon(chan: Any) -> None:
        if chan is not None:
            with contextlib.suppress(Exception):
                chan.close()

    # -- upload -----------------------------------------------------------------------------------------------
    def put(
        self,
        local_path: Path | str,
        remote_dir: str,
        *,
        resume: bool = False,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TransferResult:
        """Upload a local file or folder INTO the remote folder `remote_dir`."""
        return self._audited(
            "sftp-put", f"put {local_path} -> {remote_dir}",
            lambda: self._put(local_path, remote_dir, resume=resume, progress=progress, cancel=cancel),
        )

    def _put(
        self,
        local_path: Path | str,
        remote_dir: str,
        *,
        resume: bool,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> TransferResult:
        src = Path(local_path)
        if not src.exists():
            raise SftpError(f"{src} does not exist")
        try:
            if not self.stat(remote_dir).is_dir:
                raise SftpError(f"the remote target {remote_dir} is not a folder")
        except SftpError as exc:
            raise SftpError(f"the remote target folder {remote_dir} is not usable: {exc}") from exc
        result = TransferResult()
        if src.is_dir():
            files: builtins.list[tuple[Path, str]] = []
            dirs: builtins.list[str] = []
            base = posixpath.join(remote_dir, src.name)
            dirs.append(base)
            for dirpath, dirnames, filenames in os.walk(src):
                rel = Path(dirpath).relative_to(src)
                rdir = posixpath.join(base, *rel.parts) if rel.parts else base
                for d in sorted(dirnames):
                    if (Path(dirpath) / d).is_symlink():
                        result.skipped.append(f"{Path(dirpath) / d}: a symbolic link, not followed")
                        dirnames.remove(d)
                        continue
                    dirs.append(posixpath.join(rdir, d))
                for f in sorted(filenames):
                    p = Path(dirpath) / f
                    if p.is_symlink() or not p.is_file():
                        result.skipped.append(f"{p}: not a regular file")
                        continue
                    files.append((p, posixpath.join(rdir, f)))
            prog = _Progress(progress, sum(p.stat().st_size for p, _ in files))
            for d in dirs:
                try:
                    self._sftp.mkdir(d)
                except OSError:
                    try:
                        if not self.stat(d).is_dir:
                            raise SftpError(f"{d} exists on the server and is not a folder") from None
                    except SftpError:
                        raise
            for p, r in files:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                self._put_file(p, r, resume, prog, cancel, result)
            prog.add(0, "", force=True)
            return result
        prog = _Progress(progress, src.stat().st_size)
        self._put_file(src, posixpath.join(remote_dir, src.name), resume, prog, cancel, result)
        prog.add(0, src.name, force=True)
        return result

    def _put_file(self, src: Path, remote: str, resume: bool, prog: _Progress, cancel: CancelToken | None,
                  result: TransferResult) -> None:
        from paramiko.sftp import CMD_STATUS, CMD_WRITE, int64

        size = src.stat().st_size
        part = remote + PART_SUFFIX
        start = 0
        if resume:
            try:
                start = int(self._sftp.stat(part).st_size or 0)
            except OSError:
                start = 0
            if start > size:
                start = 0
        result.resumed_from += start
        prog.add(start, src.name)
        try:
            wf = self._sftp.open(part, "r+" if start else "w")
        except _net_errors() as exc:
            raise self._wrap(exc, f"cannot write {part} on the server") from exc
        sftp: Any = self._sftp
        resp = _Responses()
        pending: dict[int, int] = {}
        acked = start
        # Fill whole SSH packets: a 64 KiB write plus its SFTP header would take two full packets and a tiny third.
        pkt = int(getattr(sftp.sock, "out_max_packet_size", 0) or 32768)
        chunk = max(4096, (WRITE_SIZE // pkt) * pkt - SFTP_WRITE_OVERHEAD) if pkt <= WRITE_SIZE else WRITE_SIZE
        try:
            with open(src, "rb") as fh:
                fh.seek(start)
                offset = start
                while True:
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled(f"upload of {src} cancelled; {acked} bytes kept in {part} on the server")
                    while len(pending) < MAX_OUTSTANDING and offset < size:
                        data = fh.read(chunk)
                        if not data:
                            break
                        num = sftp._async_request(resp, CMD_WRITE, wf.handle, int64(offset), data)
                        pending[num] = len(data)
                        offset += len(data)
                    if not pending:
                        break
                    while not resp.got:
                        sftp._read_response()
                    for num, (t, msg) in list(resp.got.items()):
                        del resp.got[num]
                        n = pending.pop(num)
                        if t != CMD_STATUS or msg.get_int() != 0:
                            raise SftpError(f"writing {part} on the server failed")
                        acked += n
                        result.bytes += n
                        prog.add(n, src.name)
        except _net_errors() as exc:
            if isinstance(exc, SftpError):
                raise
            raise self._wrap(exc, f"upload of {src} failed") from exc
        except BaseException as exc:
            self._drain(resp, pending, exc)
            raise
        finally:
            with contextlib.suppress(Exception):
                wf.close()
        try:
            try:
                sftp.posix_rename(part, remote)
            except OSError:
                try:
                    sftp.remove(remote)
                except OSError:
                    pass
                sftp.rename(part, remote)
            st = src.stat()
            sftp.utime(remote, (int(st.st_atime), int(st.st_mtime)))
        except _net_errors() as exc:
            raise self._wrap(exc, f"cannot finish {remote} (the data is in {part})") from exc
        result.files += 1
        result.paths.append(remote)
