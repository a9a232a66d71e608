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

from common.text import CouldNotRead, clean_text

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


# Before macOS 10.15 each update was two lines: "   * <label>" and a tab-indented "<title> (<version>), <size>K
# [recommended] [restart]".
_OLD_LABEL = re.compile(r"^\*\s+(?P<label>\S.*?)\s*$")
_OLD_TITLE = re.compile(r"^(?P<title>.+?)\s*\((?P<version>[^()]*)\),\s*\d+K(?P<flags>.*)$")
_CHATTER = re.compile(r"^(Software Update Tool|Finding available software|Software Update found the following|"
                      r"No new software available|Copyright)", re.IGNORECASE)


def parse_softwareupdate_list(text: str) -> list[PendingUpdate]:
    """Parse `softwareupdate --list`. macOS 10.15+:

        * Label: macOS Sonoma 14.4.1-23E224
            Title: macOS Sonoma 14.4.1, Version: 14.4.1, Size: 1645962KiB, Recommended: YES, Action: restart,

    and the format before 10.15:

           * Safari12.0.1HighSierraAuto-12.0.1
                Safari (12.0.1), 67321K [recommended]

    Raises CouldNotRead when there are lines but none is an update or softwareupdate's own chatter.
    """
    out: list[PendingUpdate] = []
    unknown: list[str] = []
    label: str | None = None
    old_label: str | None = None
    for line in clean_text(text).splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        m = _LABEL.match(stripped)
        if m:
            if label is not None:
                out.append(PendingUpdate(name=label, manager=NAME, security=_is_security(label)))
            label = m["label"]
            continue
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
            continue
        old = _OLD_LABEL.match(stripped)
        if old and label is None:
            if old_label is not None:
                out.append(PendingUpdate(name=old_label, manager=NAME, security=_is_security(old_label)))
            old_label = old["label"]
            continue
        t = _OLD_TITLE.match(stripped)
        if t and old_label is not None:
            flags = t["flags"].lower()
            title = t["title"].strip()
            out.append(PendingUpdate(
                name=old_label, manager=NAME, candidate=t["version"].strip() or None, title=title,
                security=_is_security(title) or _is_security(old_label), reboot="[restart]" in flags,
                severity="recommended" if "[recommended]" in flags else None,
            ))
            old_label = None
            continue
        if not _CHATTER.match(stripped):
            unknown.append(stripped)
    for pending in (label, old_label):
        if pending is not None:
            out.append(PendingUpdate(name=pending, manager=NAME, security=_is_security(pending)))
    if not out and unknown:
        raise CouldNotRead(f"`softwareupdate --list` printed {len(unknown)} line(s) in a format Deskside does not "
                           f"know, e.g. {unknown[0][:120]!r}")
    return out


@dataclass
class PlistState:
    updates: list[PendingUpdate] = field(default_factory=list)
    last_check: str | None = None  # ISO 8601, UTC


def parse_softwareupdate_plist(data: bytes) -> PlistState:
    """The RecommendedUpdates that macOS found at its last background check (binary or XML plist)."""
    try:
        doc: Any = plistlib.loads(data)
    except Exception as exc:  # expat, binary-plist and value errors alike mean "not readable"
        # plistlib raises ExpatError on truncated XML, trailing garbage or UTF-16 text, InvalidFileException on
        # unknown headers, ValueError/TypeError/IndexError/OverflowError on damaged binary plists.
        raise CouldNotRead(f"{PLIST} cannot be read: {type(exc).__name__}: {exc}") from None
    if not isinstance(doc, dict):
        raise CouldNotRead(f"{PLIST} cannot be read: its root is a {type(doc).__name__}, not a dictionary")
    state = PlistState()
    last = doc.get("LastSuccessfulDate") or doc.get("LastFullSuccessfulDate")
    if isinstance(last, dt.datetime):
        state.last_check = (last if last.tzinfo else last.replace(tzinfo=dt.UTC)).isoformat(timespec="seconds")
    items = doc.get("RecommendedUpdates", []) or []
    if not isinstance(items, list):
        raise CouldNotRead(f"{PLIST} cannot be read: RecommendedUpdates is a {type(items).__name__}, not a list")
    for item in items:
        if not isinstance(item, dict):
            raise CouldNotRead(f"{PLIST} cannot be read: an entry of RecommendedUpdates is not a dictionary")
        name = str(item.get("Display Name") or item.get("Identifier") or "")
        ident = str(item.get("Identifier") or name)
        version = item.get("Display Version")
        state.updates.append(PendingUpdate(
            name=ident, manager=NAME, candidate=str(version) if version is not None else None, title=name or None,
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
            try:
                result.pending = parse_softwareupdate_list(res.stdout)
                return result, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            except CouldNotRead as exc:
                result.skip(f"could not read the output of softwareupdate --list: {exc}")
        else:
            result.skip(f"softwareupdate --list: {first_lines(res.stderr or res.stdout)}")
    data = host.read_file(PLIST)
    if data is None:
        result.ok = False
        return result.skip(f"{PLIST} is missing or unreadable; allow [diagnostics.updates] allow_network to ask "
                           "Apple's servers"), None
    try:
        state = parse_softwareupdate_plist(data)
    except CouldNotRead as exc:
        result.ok = False
        return result.skip(str(exc)), None
    result.pending = state.updates
    return result, state.last_check
