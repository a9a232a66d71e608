"""Helpers shared by the update sources: a source's result, file metadata through a Host, version sorting."""

from __future__ import annotations

import glob
import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from common.text import clean_text

from ..cancel import CancelToken
from ..host import Host
from .posture import PendingUpdate, SourceSkip


@dataclass
class SourceResult:
    """What one update source (apt, dnf, ...) found."""

    manager: str
    pending: list[PendingUpdate] = field(default_factory=list)
    ok: bool = True  # the pending list was read
    security_data: bool = True  # the source tells security updates apart
    skips: list[SourceSkip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # reasons that lower the confidence

    def skip(self, reason: str, item: str | None = None) -> SourceResult:
        self.skips.append(SourceSkip(item or self.manager, reason))
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "manager": self.manager,
            "pending": [vars(p) for p in self.pending],
            "ok": self.ok,
            "security_data": self.security_data,
            "skips": [vars(s) for s in self.skips],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SourceResult:
        return cls(
            manager=d["manager"],
            pending=[PendingUpdate(**p) for p in d.get("pending", [])],
            ok=bool(d.get("ok", True)),
            security_data=bool(d.get("security_data", True)),
            skips=[SourceSkip(**s) for s in d.get("skips", [])],
            notes=list(d.get("notes", [])),
        )


# path -> (mtime in seconds, size in bytes)
Stat = tuple[float, int]


def stat_paths(
    host: Host, paths: list[str], globs: list[str] | None = None, cancel: CancelToken | None = None,
) -> dict[str, Stat]:
    """mtime and size of each existing path (and of each file matching a glob). Missing paths are left out.

    On the local machine this is os.stat (microseconds); on another Host it is one `stat` command.
    """
    globs = globs or []
    out: dict[str, Stat] = {}
    if host.is_local:
        names = list(paths)
        for pattern in globs:
            names.extend(sorted(glob.glob(pattern)))
        for name in names:
            try:
                st = os.stat(name)
            except OSError:
                continue
            out[name] = (st.st_mtime, st.st_size)
        return out
    argv = stat_argv(list(paths), globs)
    if not argv:
        return out
    res = host.run(argv, timeout=5.0, cancel=cancel)
    for line in res.stdout.splitlines():
        parts = line.split("|", 2)
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            out[parts[2]] = (float(parts[0]), int(parts[1]))
    return out


def stat_argv(paths: list[str], globs: list[str]) -> list[str]:
    """The one command stat_paths runs on another host (also sent ahead by the posture snapshot); [] for nothing."""
    if not paths and not globs:
        return []
    # Literal paths are quoted; globs are our own constants and are left for the shell to expand.
    words = " ".join([shlex.quote(p) for p in paths] + globs)
    return ["sh", "-c", f"stat -c '%Y|%s|%n' -- {words} 2>/dev/null; true"]


def list_dir(host: Host, path: str, cancel: CancelToken | None = None) -> list[str] | None:
    """Names in a directory, or None if it does not exist or cannot be read."""
    if host.is_local:
        try:
            return sorted(os.listdir(path))
        except OSError:
            return None
    res = host.run(["ls", "-1A", "--", path], timeout=5.0, cancel=cancel)
    if not res.ok:
        return None
    return sorted(line for line in res.stdout.splitlines() if line)


_NUM_OR_TEXT = re.compile(r"(\d+)|([A-Za-z]+)|([~^])")


def version_key(version: str) -> tuple[Any, ...]:
    """A sort key that orders versions the way a person reads them: 6.1.0-21 > 6.1.0-9, 5.14.0-362 > 5.14.0-70.

    Not a full dpkg/rpm comparison; it is used to find the newest installed kernel.
    """
    key: list[tuple[int, int, str]] = []
    for num, text, tilde in _NUM_OR_TEXT.findall(version):
        if num:
            key.append((2, int(num), ""))
        elif text:
            key.append((1, 0, text))
        else:
            key.append((0, 0, tilde))  # "~" sorts before everything, as in dpkg
    return tuple(key)


def split_nevra(nevra: str) -> tuple[str, str, str]:
    """`kernel-core-5.14.0-362.13.1.el9_3.x86_64` -> (`kernel-core`, `5.14.0-362.13.1.el9_3`, `x86_64`)."""
    arch = ""
    base = nevra
    if "." in nevra:
        head, tail = nevra.rsplit(".", 1)
        if tail in _ARCHES:
            base, arch = head, tail
    parts = base.rsplit("-", 2)
    if len(parts) == 3:
        return parts[0], f"{parts[1]}-{parts[2]}", arch
    return base, "", arch


_ARCHES = {
    "x86_64", "noarch", "i686", "i586", "i386", "aarch64", "ppc64le", "ppc64", "s390x", "armv7hl", "armv7l",
    "riscv64", "src", "any",
}


_ERRORISH = re.compile(r"error|fail|cannot|can't|could not|couldn't|unable|no such|denied|not found|invalid",
                       re.IGNORECASE)


def first_lines(text: str, n: int = 3, limit: int = 600) -> str:
    """A tool's failure in one line for a skip reason. Tools wrap the real error in progress and banner lines
    ("Errors during downloading metadata for repository...", a mirror progress bar): the lines that read like an
    error are kept first, whatever their position, then the first lines if none does."""
    lines = [ln.strip() for ln in clean_text(text).strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if _ERRORISH.search(ln)]
    chosen = errors if errors else lines[:n]
    out = " / ".join(chosen)
    return out if len(out) <= limit else out[: limit - 1] + "\u2026"


def unreadable(result: SourceResult, what: str, exc: Exception) -> SourceResult:
    """The source's output was not understood: a skip saying so, never an empty "up to date" list."""
    result.ok = False
    result.pending = []
    return result.skip(f"could not read {what}: {exc}")
