"""dnf / yum (Fedora, RHEL, Rocky, Alma, CentOS): `dnf -q -C check-update` and `dnf -q -C updateinfo list --security`.

`-C` (cache only) keeps dnf off the network: it reads the repository metadata it already has. `check-update` exits
with 100 when updates are available, 0 when there are none, 1 on error. `updateinfo` gives the advisory ids
(RHSA-, RLSA-, ALSA-, FEDORA-...) and the vendor's severity for security updates.
"""

from __future__ import annotations

import re

from common.text import CouldNotRead, clean_text

from ..cancel import CancelToken
from ..host import Host
from .common import _ARCHES, SourceResult, first_lines, split_nevra, unreadable
from .posture import PendingUpdate

NAME = "dnf"
PROGRAMS = ["dnf", "dnf5", "yum"]
FINGERPRINT_PATHS = ["/var/lib/rpm", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/etc/yum.repos.d",
                     "/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum"]
_REPOMD = ["/var/cache/dnf/*/repodata/repomd.xml", "/var/cache/libdnf5/*/repodata/repomd.xml",
           "/var/cache/yum/*/*/*/repomd.xml"]
FINGERPRINT_GLOBS = [*_REPOMD, "/etc/yum.repos.d/*.repo"]
CACHE_AGE_PATHS: list[str] = []
CACHE_AGE_GLOBS = _REPOMD


def _is_name_arch(token: str) -> bool:
    return "." in token and token.rsplit(".", 1)[1] in _ARCHES


def parse_check_update(text: str) -> list[PendingUpdate]:
    """Parse `dnf check-update` (and `yum check-update`): `name.arch  [epoch:]version-release  repo`.

    A long name may stand alone on its line with version and repo on the next. The "Obsoleting Packages" block
    at the end is not a list of updates and is ignored.
    """
    out: list[PendingUpdate] = []
    unknown: list[str] = []
    carry: str | None = None
    for raw in clean_text(text).splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.lower().startswith("obsoleting packages"):
            break
        tokens = line.split()
        if carry is not None:
            tokens = [carry, *tokens]
            carry = None
        if len(tokens) == 1 and _is_name_arch(tokens[0]):
            carry = tokens[0]
            continue
        if len(tokens) != 3 or not _is_name_arch(tokens[0]):
            if not _CHATTER.match(line):
                unknown.append(line)
            continue  # headers, "Last metadata expiration check", "Security: ..." notes
        name, arch = tokens[0].rsplit(".", 1)
        out.append(PendingUpdate(name=name, manager=NAME, candidate=tokens[1], source=tokens[2], arch=arch))
    if not out and unknown:
        raise CouldNotRead(f"check-update printed {len(unknown)} line(s) that are not package lines, "
                           f"e.g. {unknown[0][:120]!r}")
    return out


# What dnf and yum print around the list that is not a package.
_CHATTER = re.compile(r"^(Last metadata expiration check|Security:|Updating Subscription Management|Obsoleting|"
                      r"Waiting for process|Updating and loading repositories|Repositories loaded|Loaded plugins|"
                      r"Loading mirror speeds|\* |This system is)", re.IGNORECASE)


_SEVERITY = re.compile(r"^(?P<sev>[A-Za-z]+)/Sec\.?$")


def parse_updateinfo(text: str) -> list[tuple[str, str | None, str, str]]:
    """Parse `dnf updateinfo list --security` into (advisory id, severity, package name, arch).

    dnf 4: `RHSA-2024:0310 Important/Sec.  kernel-5.14.0-362.18.1.el9_3.x86_64`
    dnf 5: `FEDORA-2024-1a2b3c4d5e security Moderate curl-8.6.0-8.fc40.x86_64 2024-04-01 02:13:07`
    """
    out: list[tuple[str, str | None, str, str]] = []
    unknown: list[str] = []
    recognised = 0
    for line in clean_text(text).splitlines():
        tokens = line.split()
        if not tokens or tokens[0] in ("Name", "Advisory") or _CHATTER.match(line.strip()):
            continue
        nevra = next((t for t in tokens[1:] if _is_name_arch(t) and "-" in t), None)
        if len(tokens) < 3 or nevra is None:
            unknown.append(line.strip())
            continue
        recognised += 1
        advisory = tokens[0]
        severity: str | None = None
        m = _SEVERITY.match(tokens[1])
        if m:
            severity = m["sev"]
        elif tokens[1] == "security" and len(tokens) > 2 and tokens[2] != nevra:
            severity = tokens[2]
        elif tokens[1] != "security" and not tokens[1].endswith("/Sec."):
            continue  # a bugfix or enhancement advisory
        name, _ver, arch = split_nevra(nevra)
        out.append((advisory, severity if severity not in ("None", "Unknown") else None, name, arch))
    if not recognised and unknown:
        raise CouldNotRead(f"updateinfo printed {len(unknown)} line(s) that are not advisories, "
                           f"e.g. {unknown[0][:120]!r}")
    return out


def merge_advisories(pending: list[PendingUpdate], advisories: list[tuple[str, str | None, str, str]]) -> None:
    by_key = {(p.name, p.arch): p for p in pending}
    by_name: dict[str, PendingUpdate] = {}
    for p in pending:
        by_name.setdefault(p.name, p)
    for advisory, severity, name, arch in advisories:
        found = by_key.get((name, arch)) or by_name.get(name)
        if found is None:
            continue
        p = found
        p.security = True
        if advisory not in p.advisories:
            p.advisories.append(advisory)
        if severity and not p.severity:
            p.severity = severity


def parse_rpm_query(text: str) -> dict[str, str]:
    """`name.arch [epoch:]version-release` lines from our `rpm -q --qf` call -> {name.arch: version}."""
    text = clean_text(text)
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = parts[1]
    return out


def collect(host: Host, cancel: CancelToken | None = None) -> SourceResult:
    result = SourceResult(NAME)
    prog = next((p for p in PROGRAMS if host.which(p)), None)
    if prog is None:
        result.ok = False
        return result.skip("dnf is not installed")
    res = host.run([prog, "-q", "-C", "check-update"], timeout=20.0, cancel=cancel)
    if res.missing or res.timed_out or res.returncode not in (0, 100):
        result.ok = False
        text = first_lines(res.stderr or res.stdout)
        if "cache" in text.lower():
            result.notes.append(f"{prog} has no metadata cache (`{prog} makecache` never ran)")
        return result.skip(res.why_failed() if res.missing or res.timed_out else f"{prog} check-update: {text}")
    try:
        result.pending = parse_check_update(res.stdout)
    except CouldNotRead as exc:
        return unreadable(result, f"`{prog} check-update`", exc)
    if res.returncode == 100 and not result.pending:
        # 100 means "updates are available": an empty list would be wrong.
        return unreadable(result, f"`{prog} check-update`",
                          CouldNotRead("it said updates are available but printed no package line Deskside knows"))
    if result.pending:
        info = host.run([prog, "-q", "-C", "updateinfo", "list", "--security"], timeout=20.0, cancel=cancel)
        advisories = None
        if info.ok:
            try:
                advisories = parse_updateinfo(info.stdout)
            except CouldNotRead as exc:
                result.security_data = False
                result.notes.append(f"{prog} updateinfo could not be read, so security updates cannot be told apart")
                result.skip(f"could not read {prog} updateinfo: {exc}", item="dnf updateinfo")
        if advisories is not None:
            merge_advisories(result.pending, advisories)
        elif not info.ok:
            result.security_data = False
            result.notes.append(f"{prog} updateinfo failed, so security updates cannot be told apart")
            result.skip(info.why_failed(), item="dnf updateinfo")
        names = sorted({f"{p.name}.{p.arch}" for p in result.pending})
        rpm = host.run(["rpm", "-q", "--qf", "%{NAME}.%{ARCH} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n",
                        *names], timeout=10.0, cancel=cancel)
        installed = parse_rpm_query(rpm.stdout)
        for p in result.pending:
            p.installed = installed.get(f"{p.name}.{p.arch}")
    return result
