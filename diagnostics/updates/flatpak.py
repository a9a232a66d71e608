"""flatpak: `flatpak remote-ls --updates --cached`.

Asking a remote which apps have updates is network traffic, so Deskside only does it when the user allows it
(`[diagnostics.updates] allow_network = true`); then `--cached` makes flatpak prefer the summaries it already
has. Otherwise flatpak is listed as detected and skipped with that reason. Flatpak has no security data.
"""

from __future__ import annotations

from common.text import CouldNotRead, clean_text

from ..cancel import CancelToken
from ..host import Host
from .common import SourceResult, first_lines, unreadable
from .posture import PendingUpdate

NAME = "flatpak"
COLUMNS = "name,application,version,branch,origin"
FINGERPRINT_PATHS = ["/var/lib/flatpak/repo/refs/remotes", "/var/lib/flatpak/app"]
FINGERPRINT_GLOBS: list[str] = []
NETWORK_SKIP = ("checking flatpak remotes for updates contacts them over the network; allow it with "
                "[diagnostics.updates] allow_network = true")


def parse_remote_ls(text: str) -> list[PendingUpdate]:
    """Parse `flatpak remote-ls --updates --columns=name,application,version,branch,origin` (tab-separated
    when not on a terminal; a header line "Name Application ID ..." may come first)."""
    out: list[PendingUpdate] = []
    unknown: list[str] = []
    for line in clean_text(text).splitlines():
        if not line.strip():
            continue
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) > 1 and cols[1] in ("Application ID", "Application"):
            continue
        if len(cols) < 5:
            if not line.strip().lower().startswith(("looking for updates", "nothing to do")):
                unknown.append(line.strip())
            continue
        name, app, version, branch, origin = cols[:5]
        out.append(PendingUpdate(name=app, manager=NAME, candidate=version or branch or None, source=origin,
                                 title=name or None))
    if not out and unknown:
        raise CouldNotRead(f"`flatpak remote-ls` printed {len(unknown)} line(s) that are not tab-separated "
                           f"columns, e.g. {unknown[0][:120]!r}")
    return out


def collect(host: Host, cancel: CancelToken | None = None, allow_network: bool = False) -> SourceResult:
    result = SourceResult(NAME, security_data=False)
    if not allow_network:
        result.ok = False
        return result.skip(NETWORK_SKIP)
    res = host.run(["flatpak", "remote-ls", "--updates", "--cached", f"--columns={COLUMNS}"], timeout=20.0,
                   cancel=cancel)
    if not res.ok:
        result.ok = False
        return result.skip(res.why_failed() if res.missing or res.timed_out else
                           f"flatpak remote-ls: {first_lines(res.stderr or res.stdout)}")
    try:
        result.pending = parse_remote_ls(res.stdout)
    except CouldNotRead as exc:
        return unreadable(result, "flatpak remote-ls", exc)
    result.notes.append("flatpak has no security data")
    return result
