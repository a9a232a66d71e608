"""Writing a rendered report to a file the user chose: atomically, and safe in a shared folder."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a new temporary file in the same folder, then rename it over `path`: a reader
    never sees half a report, a failure leaves no partial file behind, and a file or symlink planted under a
    predictable temporary name (in /tmp, say, when run with sudo) is never written through. An existing report
    keeps its permissions; a new one gets the usual ones (0666 minus the umask). Raises OSError."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # O_EXCL, mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            umask = os.umask(0o022)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
