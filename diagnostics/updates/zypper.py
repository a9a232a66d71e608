"""zypper (openSUSE, SLES): `zypper --non-interactive --no-refresh --xmlout list-patches` and `list-updates`.

`--no-refresh` keeps zypper off the network and `ZYPP_READONLY_HACK=1` stops libzypp from taking its package lock.
Security data comes from patches of category "security"; on zypper the security count is a count of patches
(each may update several packages), the package list comes from `list-updates`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from common.text import CouldNotRead, clean_text

from ..cancel import CancelToken
from ..host import Host
from .common import SourceResult, first_lines
from .posture import PendingUpdate

NAME = "zypper"
FINGERPRINT_PATHS = ["/var/lib/rpm", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/etc/zypp/repos.d",
                     "/var/cache/zypp/solv"]
FINGERPRINT_GLOBS = ["/var/cache/zypp/solv/*/solv", "/etc/zypp/repos.d/*.repo"]
CACHE_AGE_PATHS: list[str] = []
CACHE_AGE_GLOBS = ["/var/cache/zypp/raw/*/repodata/repomd.xml", "/var/cache/zypp/solv/*/solv"]
# 0 nothing to do, 100 updates needed, 101 security updates needed, 102/103 reboot/restart needed
OK_CODES = (0, 100, 101, 102, 103)
ENV = {"ZYPP_READONLY_HACK": "1"}


class ZypperParseError(CouldNotRead):
    pass


def _root(xml_text: str) -> ET.Element:
    xml_text = clean_text(xml_text)
    start = xml_text.find("<")
    if start < 0:
        raise ZypperParseError("zypper printed no XML")
    body = xml_text[start:]
    if body.startswith("<?xml"):
        end = body.find("?>")
        body = body[end + 2:] if end >= 0 else body  # the text is decoded: its encoding declaration no longer holds
    try:
        root = ET.fromstring(body)  # noqa: S314
    except (ET.ParseError, ValueError) as exc:
        raise ZypperParseError(f"zypper printed XML that cannot be read: {exc}") from None
    if root.tag != "stream":
        raise ZypperParseError(f"zypper's XML has <{root.tag[:40]}> where <stream> was expected")
    return root


def parse_list_patches(xml_text: str) -> list[PendingUpdate]:
    """Needed security patches from `zypper --xmlout list-patches` (other categories are left out: their
    packages are in `list-updates`)."""
    out: list[PendingUpdate] = []
    for upd in _root(xml_text).iter("update"):
        if upd.get("kind", "patch") != "patch" or upd.get("category") != "security":
            continue
        if upd.get("status", "needed") not in ("needed", "applicable"):
            continue
        name = upd.get("name", "")
        issues = [i.get("id", "") for i in upd.iter("issue") if i.get("type") == "cve" and i.get("id")]
        src = upd.find("source")
        summary = upd.findtext("summary")
        sev = upd.get("severity")
        out.append(PendingUpdate(
            name=name, manager=NAME, candidate=upd.get("edition"),
            source=src.get("alias", "") if src is not None else "", arch=upd.get("arch"), security=True,
            advisories=[name, *issues], severity=sev if sev and sev != "unspecified" else None,
            title=summary.strip() if summary else None, reboot=upd.get("restart") == "true",
        ))
    return out


def parse_list_updates(xml_text: str) -> list[PendingUpdate]:
    """Package updates from `zypper --xmlout list-updates`."""
    out: list[PendingUpdate] = []
    for upd in _root(xml_text).iter("update"):
        if upd.get("kind", "package") != "package":
            continue
        src = upd.find("source")
        out.append(PendingUpdate(
            name=upd.get("name", ""), manager=NAME, installed=upd.get("edition-old"),
            candidate=upd.get("edition"), source=src.get("alias", "") if src is not None else "",
            arch=upd.get("arch"),
        ))
    return out


def collect(host: Host, cancel: CancelToken | None = None) -> SourceResult:
    result = SourceResult(NAME)
    base = ["zypper", "--non-interactive", "--no-refresh", "--xmlout"]
    upd = host.run([*base, "list-updates"], timeout=20.0, cancel=cancel, env=ENV)
    if upd.missing or upd.timed_out or upd.returncode not in OK_CODES:
        result.ok = False
        return result.skip(upd.why_failed() if upd.missing or upd.timed_out else
                           f"zypper list-updates: {first_lines(upd.stderr or upd.stdout)}")
    try:
        result.pending = parse_list_updates(upd.stdout)
    except ZypperParseError as exc:
        result.ok = False
        return result.skip(str(exc))
    pat = host.run([*base, "list-patches"], timeout=20.0, cancel=cancel, env=ENV)
    try:
        if pat.missing or pat.timed_out or pat.returncode not in OK_CODES:
            raise ZypperParseError(pat.why_failed())
        result.pending.extend(parse_list_patches(pat.stdout))
    except ZypperParseError as exc:
        result.security_data = False
        result.notes.append("zypper patches could not be read, so security updates cannot be told apart")
        result.skip(str(exc), item="zypper list-patches")
    return result
