"""Opening a file a user named without hanging on it: a FIFO, a terminal or a device is refused at once."""

from __future__ import annotations

import os
import stat
from typing import BinaryIO


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "something other than a file"


class NotRegularFile(OSError):
    """The path is a FIFO, device, socket or folder: reading it could block for ever or never end."""


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open `path` for reading in binary, only if it is a regular file (after following links).

    The open itself does not block on a FIFO (O_NONBLOCK), and the type is checked on the opened descriptor, so a
    file swapped for a pipe between a check and the open is refused too. Raises NotRegularFile (an OSError whose
    strerror says what the path is) or the OSError of the open."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _kind(mode)
            raise NotRegularFile(0, f"it is {kind}, not a regular file; only regular files can be read "
                                    "(copy what you need into a file first)", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
