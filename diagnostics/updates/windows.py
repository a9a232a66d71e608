"""Windows Update: a `Microsoft.Update.Session` search over the locally cached results (`Online = $false`, no
traffic), printed by PowerShell's ConvertTo-Json.

The parser takes either the plain search output (an array of updates, or a single object: ConvertTo-Json does not
wrap one result in an array, and prints nothing for none) or the wrapper our script prints
(`{"Updates": [...], "RebootPending": ..., "ProductName": ..., "DisplayVersion": ..., "CurrentBuild": ...}`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from common.text import CouldNotRead, clean_text

from ..cancel import CancelToken
from ..host import Host
from .common import SourceResult, first_lines
from .posture import PendingUpdate

NAME = "windows"

SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$session = New-Object -ComObject Microsoft.Update.Session
$searcher = $session.CreateUpdateSearcher()
$searcher.Online = $false
$result = $searcher.Search("IsInstalled=0 and IsHidden=0")
$updates = @($result.Updates | ForEach-Object {
  [pscustomobject]@{
    Title = $_.Title; KBArticleIDs = @($_.KBArticleIDs); MsrcSeverity = $_.MsrcSeverity
    Categories = @($_.Categories | ForEach-Object { $_.Name }); RebootRequired = $_.RebootRequired
    IsDownloaded = $_.IsDownloaded
  }
})
$reboot = Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
$cv = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$last = $null
try { $last = (New-Object -ComObject Microsoft.Update.AutoUpdate).Results.LastSearchSuccessDate } catch { }
[pscustomobject]@{ Updates = $updates; RebootPending = $reboot; ProductName = $cv.ProductName
  DisplayVersion = $cv.DisplayVersion; CurrentBuild = $cv.CurrentBuild; LastSearchSuccessDate = $last
} | ConvertTo-Json -Depth 4 -Compress
"""

SECURITY_CATEGORIES = {"security updates"}


class WindowsUpdateParseError(CouldNotRead):
    pass


@dataclass
class WindowsSearch:
    updates: list[PendingUpdate] = field(default_factory=list)
    reboot_pending: bool | None = None
    product: str | None = None  # "Windows 11 Pro"
    version: str | None = None  # EOL table key: "11-23H2", "10-22H2"
    last_search: str | None = None  # ISO 8601


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and "value" in value and isinstance(value["value"], list):
        return value["value"]  # ConvertTo-Json of a PowerShell array property on PS 5.1
    return [value]


_MS_DATE = re.compile(r"/Date\((-?\d+)")


def parse_date(value: Any) -> str | None:
    """PowerShell 5.1 dates are `/Date(1705312345000)/`, PowerShell 7 prints ISO 8601."""
    if not isinstance(value, str) or not value:
        return None
    m = _MS_DATE.search(value)
    try:
        if m:
            return dt.datetime.fromtimestamp(int(m.group(1)) / 1000, dt.UTC).isoformat(timespec="seconds")
        d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return (d if d.tzinfo else d.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")


def _update(item: dict[str, Any]) -> PendingUpdate:
    title = str(item.get("Title") or "").strip()
    kbs = [f"KB{k}" if not str(k).upper().startswith("KB") else str(k) for k in _as_list(item.get("KBArticleIDs"))]
    cats = [str(c.get("Name") if isinstance(c, dict) else c) for c in _as_list(item.get("Categories"))]
    severity = item.get("MsrcSeverity") or None
    security = any(c.lower() in SECURITY_CATEGORIES for c in cats) or bool(severity)
    m = re.search(r"\(Version ([^)]+)\)", title)
    return PendingUpdate(
        name=kbs[0] if kbs else title, manager=NAME, candidate=m.group(1) if m else None,
        source=", ".join(cats), security=security, advisories=kbs, severity=str(severity) if severity else None,
        title=title or None, reboot=bool(item.get("RebootRequired")),
    )


def _build_number(build: Any) -> int | None:
    """CurrentBuild as a number; None for "n/a", "", "22631.1" garbage and the like."""
    text = str(build).strip() if build is not None else ""
    return int(text) if text.isdigit() and len(text) < 10 else None


def windows_version(product: str | None, display_version: str | None, build: str | int | None) -> str | None:
    """EOL table key. Windows 11 still says "Windows 10" in ProductName; the build number (>= 22000) tells."""
    build_no = _build_number(build)
    major = None
    if build_no is not None:
        major = "11" if build_no >= 22000 else "10"
    elif product:
        m = re.search(r"Windows (\d+)", product)
        major = m.group(1) if m else None
    if major is None:
        return None
    return f"{major}-{display_version}" if display_version else major


def parse_search_json(text: str) -> WindowsSearch:
    text = clean_text(text).strip().lstrip("\ufeff")
    if not text:
        return WindowsSearch()  # ConvertTo-Json prints nothing for an empty result
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WindowsUpdateParseError(f"Windows Update output is not JSON: {exc}") from None
    out = WindowsSearch()
    if isinstance(doc, dict) and "Updates" in doc:
        items = _as_list(doc.get("Updates"))
        rp = doc.get("RebootPending")
        out.reboot_pending = bool(rp) if rp is not None else None
        product = doc.get("ProductName")
        build_no = _build_number(doc.get("CurrentBuild"))
        if product and build_no is not None and build_no >= 22000:
            product = str(product).replace("Windows 10", "Windows 11")
        out.product = str(product) if product is not None else None
        display = doc.get("DisplayVersion")
        out.version = windows_version(str(product) if product is not None else None,
                                      str(display) if display is not None else None, doc.get("CurrentBuild"))
        out.last_search = parse_date(doc.get("LastSearchSuccessDate"))
    else:
        items = _as_list(doc)
    for item in items:
        if not isinstance(item, dict):
            raise WindowsUpdateParseError("Windows Update output has an entry that is not an object")
        out.updates.append(_update(item))
    return out


def collect(host: Host, cancel: CancelToken | None = None) -> tuple[SourceResult, WindowsSearch | None]:
    result = SourceResult(NAME)
    res = host.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", SCRIPT], timeout=60.0, cancel=cancel)
    if not res.ok:
        result.ok = False
        return result.skip(res.why_failed() if res.missing or res.timed_out else
                           f"Windows Update search failed: {first_lines(res.stderr or res.stdout)}"), None
    try:
        search = parse_search_json(res.stdout)
    except WindowsUpdateParseError as exc:
        result.ok = False
        return result.skip(str(exc)), None
    result.pending = search.updates
    return result, search
