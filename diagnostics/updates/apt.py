"""apt (Debian, Ubuntu and derivatives): `apt list --upgradable`.

It works offline, without root, takes no package lock and never runs `apt update`: it reads the package lists
apt already has. A candidate is a security update when any archive offering it is a security archive
(`bookworm-security`, `jammy-security`, `oldstable-security`, Ubuntu Pro's `jammy-infra-security`...), or when
the archive's Release file is labelled as a security archive.

Each candidate also gets `published`: the Date of the Release file of the archive(s) offering it, as the host's lists
show it (read with the lists, no network): the archive offered the candidate by then, so it has been available at
least since that date (an upper bound on its publication; the age of a pending update counts from it where it is
earlier than a scan's first sighting).
"""

from __future__ import annotations

import datetime as dt
import re

from common.text import CouldNotRead, clean_text, meaningful_lines

from ..cancel import CancelToken
from ..host import Host, decode
from .common import SourceResult, first_lines, list_dir, unreadable
from .posture import PendingUpdate

NAME = "apt"
LIST_ARGV = ("apt", "list", "--upgradable")  # also sent ahead by the posture snapshot (snapshot.py)
LISTS_DIR = "/var/lib/apt/lists"
DPKG_STATUS = "/var/lib/dpkg/status"
UPDATE_STAMP = "/var/lib/apt/periodic/update-success-stamp"



def fingerprint_spec(lists_dir: str = LISTS_DIR, dpkg_status: str = DPKG_STATUS) -> tuple[list[str], list[str]]:
    """What `apt list --upgradable` depends on (paths, globs): the key of Deskside's result cache (dpkg's status and
    its journal of an interrupted run, the package lists, sources, pinning and apt's configuration).

    Not /var/cache/apt/pkgcache.bin: it is derived from these files, and `apt list` run as root rewrites it
    when it is stale, which would make the run after a cold one miss the cache once more.
    """
    dpkg_dir = dpkg_status.rsplit("/", 1)[0]
    paths = [dpkg_status, f"{dpkg_dir}/updates", f"{dpkg_dir}/arch", lists_dir, "/etc/apt/sources.list",
             "/etc/apt/sources.list.d", "/etc/apt/preferences", "/etc/apt/preferences.d", "/etc/apt/apt.conf",
             "/etc/apt/apt.conf.d", "/var/lib/apt/extended_states"]
    globs = [f"{lists_dir}/*_Packages*", f"{lists_dir}/*Release", "/etc/apt/sources.list.d/*",
             "/etc/apt/preferences.d/*", "/etc/apt/apt.conf.d/*"]
    return paths, globs


def cache_age_spec(lists_dir: str = LISTS_DIR) -> tuple[list[str], list[str]]:
    """When `apt update` last ran: the newest of these."""
    # Not lists/partial: apt-get install touches it too.
    return [UPDATE_STAMP, lists_dir], [f"{lists_dir}/*Release"]

# The archive list may hold spaces: third-party repositories name their suite freely ("Stable Release",
# "stable main"), and apt prints the Release file's Suite/Archive as it is. The two tokens before the bracket are
# always the candidate version and the architecture, so everything between the slash and them is the archive list.
_LINE = re.compile(
    r"^(?P<name>[^/\s]+)/(?P<archives>.*?)\s+(?P<cand>\S+)\s+(?P<arch>\S+)\s+"
    r"\[upgradable from:\s*(?P<inst>[^\]]+)\]"
)
# Lines apt prints around the list that are not packages.
_NOISE = re.compile(r"^(Listing\.*|WARNING:|N:|W:|Notice:|Warning:)|does not have a stable CLI interface", re.I)


def is_security_archive(archive: str, security_suites: set[str] | frozenset[str] = frozenset()) -> bool:
    return archive.endswith("-security") or archive in security_suites


def parse_list_upgradable(
    text: str, security_suites: set[str] | frozenset[str] = frozenset(),
) -> list[PendingUpdate]:
    """Parse `apt list --upgradable`: `name/archive1,archive2 candidate arch [upgradable from: installed]`.

    Lines that are not package lines ("Listing...", warnings) are ignored. Raises CouldNotRead when there are
    lines but none is a package line and none is apt's own chatter (another format, another tool, garbage).
    """
    out: list[PendingUpdate] = []
    unknown: list[str] = []
    for line in meaningful_lines(clean_text(text)):
        m = _LINE.match(line)
        if not m:
            if not _NOISE.search(line):
                unknown.append(line)
            continue
        archives = [a.strip() for a in m["archives"].split(",") if a.strip()]
        out.append(PendingUpdate(
            name=m["name"],
            manager=NAME,
            installed=m["inst"].strip(),
            candidate=m["cand"],
            source=",".join(archives),
            arch=m["arch"],
            security=any(is_security_archive(a, security_suites) for a in archives),
        ))
    if not out and unknown:
        raise CouldNotRead(f"`apt list --upgradable` printed {len(unknown)} line(s) that are not package lines, "
                           f"e.g. {unknown[0][:120]!r}")
    return out


def parse_release_header(text: str) -> dict[str, str]:
    """The fields at the top of a Release / InRelease file (Origin, Label, Suite, Codename...)."""
    text = clean_text(text)
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("-----BEGIN") or line.startswith("Hash:") or not line.strip():
            continue
        if line.startswith((" ", "-----")):
            break
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if key in ("MD5Sum", "SHA1", "SHA256", "SHA512"):
            break
        fields[key.strip()] = value.strip()
    return fields


def security_suites(headers: list[dict[str, str]]) -> set[str]:
    """Suite names that only security archives use (so `oldoldstable` of buster-security is not confused with
    buster's main archive, which shares that suite name)."""
    secure: set[str] = set()
    plain: set[str] = set()
    for h in headers:
        names = {h.get("Suite", "")} - {""}  # `apt list` shows the Suite (the "archive")
        if "security" in (h.get("Label", "") + " " + h.get("Origin", "")).lower():
            secure |= names
        else:
            plain |= names
    return secure - plain


_DATE = re.compile(r"^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                   r"\s*(UTC|GMT|Z|[+-]\d{4})?\s*$")
_MONTHS = {m: i for i, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), 1)}


def release_date(text: str) -> dt.datetime | None:
    """A Release file's `Date:` (RFC 2822, `Tue, 01 Dec 2026 01:33:13 UTC`) in UTC; None when it is not one."""
    m = _DATE.match(text.strip())
    if not m or m[2].lower() not in _MONTHS:
        return None
    try:
        when = dt.datetime(int(m[3]), _MONTHS[m[2].lower()], int(m[1]), int(m[4]), int(m[5]), int(m[6] or 0),
                           tzinfo=dt.UTC)
    except ValueError:
        return None
    zone = m[7] or "UTC"
    if zone[0] in "+-":
        sign = 1 if zone[0] == "+" else -1
        when -= sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    return when


def release_dates(headers: list[dict[str, str]]) -> dict[str, str]:
    """Suite (the codename where there is no suite) -> the Date of its Release file, ISO UTC. Several Release files
    of one suite (mirrors, origins): the latest date, as it is not known which of them offers a candidate (the
    bound stays true)."""
    out: dict[str, dt.datetime] = {}
    for h in headers:
        when = release_date(h.get("Date", ""))
        if when is None:
            continue
        name = h.get("Suite") or h.get("Codename")  # what `apt list` shows as the archive
        if name:
            out[name] = max(out.get(name, when), when)
    return {k: v.isoformat(timespec="seconds") for k, v in out.items()}


def mark_published(pending: list[PendingUpdate], dates: dict[str, str]) -> None:
    """Set each update's `published` from the Release dates of the archives offering it (the earliest of them)."""
    for u in pending:
        found = [dates[a] for a in u.source.split(",") if a in dates]
        u.published = min(found, key=dt.datetime.fromisoformat) if found else None


def read_release_headers(host: Host, lists_dir: str = LISTS_DIR) -> list[dict[str, str]]:
    names = list_dir(host, lists_dir) or []
    headers = []
    for name in names:
        if name.endswith("Release") and not name.endswith(".gpg"):
            data = host.read_file(f"{lists_dir}/{name}", max_bytes=4096)
            if data:
                headers.append(parse_release_header(decode(data)))
    return headers


def has_package_lists(names: list[str] | None) -> bool:
    return any("_Packages" in n for n in names or [])


def collect(host: Host, cancel: CancelToken | None = None, lists_dir: str = LISTS_DIR) -> SourceResult:
    result = SourceResult(NAME)
    names = list_dir(host, lists_dir, cancel)
    if not has_package_lists(names):
        result.notes.append(f"apt has no package lists in {lists_dir} (`apt update` never ran, or they were "
                            "cleaned): the pending list cannot be known")
        result.skip("no package lists: run `sudo apt update` to let Deskside see pending updates",
                    item="apt package lists")
    res = host.run(list(LIST_ARGV), timeout=15.0, cancel=cancel)
    if not res.ok:
        result.ok = False
        return result.skip(res.why_failed() if res.missing or res.timed_out else
                           f"apt list failed: {first_lines(res.stderr or res.stdout)}")
    headers = read_release_headers(host, lists_dir)
    try:
        result.pending = parse_list_upgradable(res.stdout, security_suites(headers))
    except CouldNotRead as exc:
        return unreadable(result, "apt's list of updates", exc)
    mark_published(result.pending, release_dates(headers))
    return result
