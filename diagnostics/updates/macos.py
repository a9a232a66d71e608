"""macOS Software Update.

By default Deskside reads what macOS already knows: `/Library/Preferences/com.apple.SoftwareUpdate.plist`
(RecommendedUpdates, LastSuccessfulDate), no traffic. `softwareupdate --list` asks Apple's servers, so it runs only
when allowed (`[diagnostics.updates] allow_network = true`). macOS does not label security updates, except
Rapid/Background Security Responses and the old "Security Update YYYY-NNN" packages.
"""

from __future__ import annotations

import datetime as dt
import plistlib
import re
from dataclasses import dataclass, field
from typing import Any

from ..cancel import CancelToken
from ..host import Host
from .common import SourceResult, first_lines
from .posture import PendingUpdate

NAME = "macos"
PLIST = "/Library/Preferences/com.apple.SoftwareUpdate.plist"
NO_SECURITY_DATA = "macOS does not say which updates are security updates"

_LABEL = re.compile(r"^\*\s*Label:\s*(?P<label>.+?)\s*$")
_FIELD = re.compile(r"(?P<key>[A-Za-z ]+):\s*(?P<value>[^,]*)")
_SECURITY = re.compile(r"security (response|update)|\(\w\)$|^XProtect", re.IGNORECASE)


def _is_security(text: str) -> bool:
    return bool(_SECURITY.search(text))


def parse_softwareupdate_list(text: str) -> list[PendingUpdate]:
    """Parse `softwareupdate --list` (macOS 10.15+):

        * Label: macOS Sonoma 14.4.1-23E224
            Title: macOS Sonoma 14.4.1, Version: 14.4.1, Size: 1645962KiB, Recommended: YES, Action: restart,
    """
    out: list[PendingUpdate] = []
    label: str | None = None
    for line in text.splitlines():
        m = _LABEL.match(line.strip())
        if m:
            if label is not None:
                out.append(PendingUpdate(name=label, manager=NAME, security=_is_security(label)))
            label = m["label"]
            continue
        stripped = line.strip()
        if label is not None and stripped.startswith("Title:"):
            fields = {f["key"].strip(): f["value"].strip() for f in _FIELD.finditer(stripped)}
            title = fields.get("Title") or label
            out.append(PendingUpdate(
                name=label, manager=NAME, candidate=fields.get("Version") or None, title=title,
                security=_is_security(title) or _is_security(label),
                reboot=fields.get("Action", "").lower() in ("restart", "shut down"),
                severity="recommended" if fields.get("Recommended", "").upper() == "YES" else None,
            ))
            label = None
    if label is not None:
        out.append(PendingUpdate(name=label, manager=NAME, security=_is_security(label)))
    return out


@dataclass
class PlistState:
    updates: list[PendingUpdate] = field(default_factory=list)
    last_check: str | None = None  # ISO 8601, UTC


def parse_softwareupdate_plist(data: bytes) -> PlistState:
    """The RecommendedUpdates that macOS found at its last background check (binary or XML plist)."""
    try:
        doc: Any = plistlib.loads(data)
    except (plistlib.InvalidFileException, ValueError, TypeError) as exc:
        raise ValueError(f"{PLIST} cannot be read: {exc}") from None
    state = PlistState()
    last = doc.get("LastSuccessfulDate") or doc.get("LastFullSuccessfulDate")
    if isinstance(last, dt.datetime):
        state.last_check = (last if last.tzinfo else last.replace(tzinfo=dt.UTC)).isoformat(timespec="seconds")
    for item in doc.get("RecommendedUpdates", []) or []:
        name = str(item.get("Display Name") or item.get("Identifier") or "")
        ident = str(item.get("Identifier") or name)
        state.updates.append(PendingUpdate(
            name=ident, manager=NAME, candidate=item.get("Display Version"), title=name or None,
            security=_is_security(name),
        ))
    return state


def collect(host: Host, cancel: CancelToken | None = None,
            allow_network: bool = False) -> tuple[SourceResult, str | None]:
    """The updates and the time of macOS's last successful check (for the cache age)."""
    result = SourceResult(NAME, security_data=False)
    result.notes.append(NO_SECURITY_DATA)
    if allow_network:
        res = host.run(["softwareupdate", "--list"], timeout=120.0, cancel=cancel)
        if res.ok or "No new software available" in res.stderr:
            result.pending = parse_softwareupdate_list(res.stdout)
            return result, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result.skip(f"softwareupdate --list: {first_lines(res.stderr or res.stdout)}")
    data = host.read_file(PLIST)
    if data is None:
        result.ok = False
        return result.skip(f"{PLIST} is missing or unreadable; allow [diagnostics.updates] allow_network to ask "
                           "Apple's servers"), None
    try:
        state = parse_softwareupdate_plist(data)
    except ValueError as exc:
        result.ok = False
        return result.skip(str(exc)), None
    result.pending = state.updates
    return result, state.last_check
