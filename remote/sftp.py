"""SFTP: list, get and put files and folders, with throttled progress, cancel and resume.

Parts: this module (the client: listing, and get/put of files and folders: what to copy, in which order), and
- `sftp_paths`: the path guard (downloads never write outside the chosen local folder, whatever names the server
  sends; remote symlinks are never followed nor recreated: they are listed as skipped) and the errors;
- `sftp_transfer`: one file's transfer in steps (plan, open, the pipelined loop, finish), resume by `.part` files;
- `sftp_wire`: the one adapter over paramiko's internal request API that the pipelined loops use.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import posixpath
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cancel import CancelToken
from .sftp_paths import SftpError, UnsafePath, check_remote_name, make_local_dir, safe_local_path
from .sftp_transfer import (
    PART_SUFFIX,
    RemoteEntry,
    Transfer,
    TransferResult,
    download_file,
    net_errors,
    upload_file,
)

if TYPE_CHECKING:
    import paramiko

__all__ = ["PART_SUFFIX", "RemoteEntry", "SftpClient", "SftpError", "TransferResult", "UnsafePath",
           "check_remote_name", "safe_local_path", "tune_allocator"]

PROGRESS_INTERVAL = 0.1

ProgressCallback = Callable[[int, int, str], None]  # (bytes done, bytes total, current file)
AuditHook = Callable[[str, str, int, dict[str, Any]], None]  # (kind, what, status 0/1, details)


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
        except net_errors() as exc:
            raise self._wrap(exc, path) from exc
        return RemoteEntry(posixpath.basename(path.rstrip("/")) or path, path, a.st_size or 0, a.st_mtime or 0,
                           a.st_mode or 0)

    def list(self, path: str = ".") -> list[RemoteEntry]:
        """Entries of a remote folder (symlinks are reported as links, not followed), sorted by name."""
        try:
            attrs = self._sftp.listdir_attr(path)
        except net_errors() as exc:
            raise self._wrap(exc, f"cannot list {path}") from exc
        out = [
            RemoteEntry(a.filename, posixpath.join(path, a.filename), a.st_size or 0, a.st_mtime or 0, a.st_mode or 0)
            for a in attrs
        ]
        return sorted(out, key=lambda e: (not e.is_dir, e.name))

    def mkdir(self, path: str) -> None:
        try:
            self._sftp.mkdir(path)
        except net_errors() as exc:
            raise self._wrap(exc, f"cannot create the folder {path}") from exc

    def remove(self, path: str) -> None:
        try:
            self._sftp.remove(path)
        except net_errors() as exc:
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

    def _transfer(self, progress: ProgressCallback | None, total: int, cancel: CancelToken | None, resume: bool,
                  result: TransferResult | None = None) -> Transfer:
        return Transfer(self._sftp, self._wrap, _Progress(progress, total), cancel, resume,
                        result if result is not None else TransferResult())

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
        if not entry.is_dir:
            t = self._transfer(progress, entry.size, cancel, resume)
            download_file(t, entry, safe_local_path(root, [name]))
            t.progress.add(0, name, force=True)
            return t.result
        if name in ("", ".", ".."):
            name = posixpath.basename(str(self._sftp.normalize(remote_path)).rstrip("/")) or "remote"
        plan: builtins.list[tuple[RemoteEntry, builtins.list[str]]] = []
        result = TransferResult()
        self._plan_folder(remote_path, [name], plan, result)
        t = self._transfer(progress, sum(e.size for e, _ in plan), cancel, resume, result)
        make_local_dir(safe_local_path(root, [name]))
        for e, parts in plan:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if e.is_dir:
                make_local_dir(safe_local_path(root, parts))
            else:
                download_file(t, e, safe_local_path(root, parts))
        t.progress.add(0, "", force=True)
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
        if not src.is_dir():
            t = self._transfer(progress, src.stat().st_size, cancel, resume)
            upload_file(t, src, posixpath.join(remote_dir, src.name))
            t.progress.add(0, src.name, force=True)
            return t.result
        result = TransferResult()
        dirs, files = _plan_local_folder(src, posixpath.join(remote_dir, src.name), result)
        t = self._transfer(progress, sum(p.stat().st_size for p, _ in files), cancel, resume, result)
        for d in dirs:
            self._ensure_remote_dir(d)
        for p, r in files:
            if cancel is not None:
                cancel.raise_if_cancelled()
            upload_file(t, p, r)
        t.progress.add(0, "", force=True)
        return result

    def _ensure_remote_dir(self, d: str) -> None:
        try:
            self._sftp.mkdir(d)
        except OSError:
            if not self.stat(d).is_dir:
                raise SftpError(f"{d} exists on the server and is not a folder") from None


def _plan_local_folder(src: Path, base: str, result: TransferResult) -> tuple[list[str], list[tuple[Path, str]]]:
    """The remote folders to create (`base` first) and the (local file, remote path) pairs to send for the local
    folder `src`; symlinks and special files are listed in `result.skipped`."""
    dirs = [base]
    files: list[tuple[Path, str]] = []
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
    return dirs, files
