"""snap: `snap refresh --list`.

snapd answers `refresh --list` by asking the Snap Store, i.e. network traffic, so Deskside only runs it when the
user allows it (`[diagnostics.updates] allow_network = true`). Snaps also refresh themselves automatically.
"""

from __future__ import annotations

from common.text import CouldNotRead, clean_text

from ..cancel import CancelToken
from ..host import Host
from .common import SourceResult, first_lines, unreadable
from .posture import PendingUpdate

NAME = "snap"
FINGERPRINT_PATHS = ["/var/lib/snapd/state.json"]
FINGERPRINT_GLOBS: list[str] = []
NETWORK_SKIP = ("`snap refresh --list` asks the Snap Store over the network; allow it with "
                "[diagnostics.updates] allow_network = true (snaps also refresh themselves automatically)")


def parse_refresh_list(text: str) -> list[PendingUpdate]:
    """Parse the table of `snap refresh --list`:
    `Name  Version  Rev  Size  Publisher  Notes` (or "All snaps up to date.")."""
    out: list[PendingUpdate] = []
    lines = [ln for ln in clean_text(text).splitlines() if ln.strip()]
    if not lines or (len(lines) == 1 and "up to date" in lines[0].lower()):
        return out
    if not lines[0].split()[:2] == ["Name", "Version"]:
        raise CouldNotRead(f"`snap refresh --list` printed no table, but {lines[0].strip()[:120]!r}")
    header = lines[0].split()
    for line in lines[1:]:
        cols = line.split()
        if len(cols) < 2:
            continue
        row = dict(zip(header, cols, strict=False))
        out.append(PendingUpdate(name=row["Name"], manager=NAME, candidate=row.get("Version"),
                                 source=row.get("Publisher", "").rstrip("✓*"), title=None))
    return out


def collect(host: Host, cancel: CancelToken | None = None, allow_network: bool = False) -> SourceResult:
    result = SourceResult(NAME, security_data=False)
    if not allow_network:
        result.ok = False
        return result.skip(NETWORK_SKIP)
    res = host.run(["snap", "refresh", "--list"], timeout=20.0, cancel=cancel)
    if not res.ok:
        result.ok = False
        return result.skip(res.why_failed() if res.missing or res.timed_out else
                           f"snap refresh --list: {first_lines(res.stderr or res.stdout)}")
    try:
        result.pending = parse_refresh_list(res.stdout)
    except CouldNotRead as exc:
        return unreadable(result, "snap refresh --list", exc)
    result.notes.append("snap has no security data")
    return result
