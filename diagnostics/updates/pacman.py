"""pacman (Arch and derivatives): `checkupdates --nosync` when pacman-contrib has its own database copy, else
`pacman -Qu`. Both read local databases only (no sync, no lock). Arch publishes no security metadata to pacman,
so no update is marked as a security update and the posture says so."""

from __future__ import annotations

import os
import re

from common.text import CouldNotRead, clean_text, meaningful_lines

from ..cancel import CancelToken
from ..host import Host
from .common import SourceResult, first_lines, unreadable
from .posture import PendingUpdate

NAME = "pacman"
FINGERPRINT_PATHS = ["/var/lib/pacman/local", "/var/lib/pacman/sync", "/etc/pacman.conf"]
FINGERPRINT_GLOBS = ["/var/lib/pacman/sync/*.db"]
CACHE_AGE_PATHS: list[str] = []
CACHE_AGE_GLOBS = ["/var/lib/pacman/sync/*.db"]
NO_SECURITY_DATA = "pacman has no security data: updates cannot be classed as security updates"

_LINE = re.compile(r"^(?P<name>\S+)\s+(?P<old>\S+)\s+->\s+(?P<new>\S+)(?P<rest>.*)$")


def parse_updates(text: str) -> list[PendingUpdate]:
    """Parse `checkupdates` / `pacman -Qu`: `name installed -> candidate` (pacman adds `[ignored]`)."""
    out: list[PendingUpdate] = []
    unknown: list[str] = []
    recognised = 0
    for line in meaningful_lines(clean_text(text)):
        m = _LINE.match(line)
        if not m:
            if not line.startswith(("warning:", "::", "==>")):
                unknown.append(line)
            continue
        recognised += 1
        if "[ignored]" in m["rest"]:
            continue
        out.append(PendingUpdate(name=m["name"], manager=NAME, installed=m["old"], candidate=m["new"]))
    if not recognised and unknown:
        raise CouldNotRead(f"the list of updates has {len(unknown)} line(s) that are not `name old -> new`, "
                           f"e.g. {unknown[0][:120]!r}")
    return out


def _checkupdates_db(host: Host) -> bool:
    """pacman-contrib keeps its own database copy; `--nosync` is only meaningful when it exists."""
    if not host.is_local or not hasattr(os, "getuid"):
        return False
    base = os.environ.get("CHECKUPDATES_DB") or f"{os.environ.get('TMPDIR', '/tmp')}/checkup-db-{os.getuid()}"
    try:
        return any(n.endswith(".db") for n in os.listdir(f"{base}/sync"))
    except OSError:
        return False


def collect(host: Host, cancel: CancelToken | None = None) -> SourceResult:
    result = SourceResult(NAME, security_data=False)
    result.notes.append(NO_SECURITY_DATA)
    if host.which("checkupdates") and _checkupdates_db(host):
        res = host.run(["checkupdates", "--nosync"], timeout=20.0, cancel=cancel)
        if res.returncode in (0, 2) and not res.timed_out:  # 2: no updates
            try:
                result.pending = parse_updates(res.stdout)
            except CouldNotRead as exc:
                return unreadable(result, "checkupdates", exc)
            return result
    res = host.run(["pacman", "-Qu"], timeout=20.0, cancel=cancel)
    # pacman -Qu exits 1 when nothing matched, i.e. no updates
    if res.missing or res.timed_out or (res.returncode != 0 and (res.returncode != 1 or res.stderr.strip())):
        result.ok = False
        return result.skip(res.why_failed() if res.missing or res.timed_out else
                           f"pacman -Qu: {first_lines(res.stderr or res.stdout)}")
    try:
        result.pending = parse_updates(res.stdout)
    except CouldNotRead as exc:
        return unreadable(result, "pacman -Qu", exc)
    return result
