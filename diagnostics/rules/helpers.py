"""Small helpers shared by rule modules."""

from __future__ import annotations

import shlex


def shell_word(text: str) -> str:
    """`text` as one shell word, for the commands a fix tells the user to type or paste. Names taken from the
    machine (a log tag any program can set, a crashed program's path, a mount point named after a USB stick's
    label) must not be able to add commands of their own; ordinary names (`nginx`, `/home`) are left as they are."""
    return shlex.quote(text)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"
