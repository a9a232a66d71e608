"""The SFTP path guard: remote names never lead a download outside the chosen local folder.

A remote name is refused when it is empty, `.` or `..`, contains `/`, `\\` or NUL, or looks like a drive (`C:`);
on Windows also names Windows would misread (see `check_remote_name`). The final path is checked to resolve inside
the target folder (so a local symlink cannot lead out), and files are opened with O_NOFOLLOW.

Also here: the errors of SFTP (`SftpError`, and `UnsafePath` for a refused name) and the local file steps of a
download (open a part file, make a folder) with the plain messages the user reads.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path


class SftpError(Exception):
    """A transfer or listing problem, with the path and what to do."""


class UnsafePath(SftpError):
    """A remote name that would lead outside the chosen local folder; nothing was written for it."""


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


def open_local_for_write(path: Path, append: bool) -> int:
    """A file descriptor to write `path` (appending to resume), never through a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    flags |= os.O_APPEND if append else os.O_TRUNC
    try:
        return os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(f"refused {path}: it is a symlink") from exc
        raise SftpError(f"cannot write {path}: {exc.strerror}") from exc


def make_local_dir(d: Path) -> None:
    """Create the local folder `d` (fine when it exists); a file in the way is a clear error."""
    if d.exists() and not d.is_dir():
        raise SftpError(f"cannot create the folder {d}: a file of that name is in the way here; move it or pick "
                        "another target folder")
    try:
        d.mkdir(exist_ok=True)
    except OSError as exc:
        raise SftpError(f"cannot create the folder {d}: {exc.strerror or exc}") from exc
