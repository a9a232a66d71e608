"""What `apt list --upgradable` says, for about a quarter less of the host's CPU: `apt-cache policy`.

`apt list --upgradable` builds apt's dependency cache (every installed package's dependencies checked, about a
quarter of its CPU) only to ask, per package, whether the candidate comes before the installed version. `apt-cache
policy` answers from the same package cache and pinning without it: per package, the installed version, the
candidate and the version table in apt's own order. The posture script (snapshot.py) runs `POLICY_SCRIPT` over the
packages in dpkg's status, keeps the packages whose candidate differs, and `as_list_upgradable` writes the lines
`apt list --upgradable` prints, so that one parser (`apt.parse_list_upgradable`) reads both. It follows apt list:

- a package is upgradable when its candidate is listed above the installed version in the version table (apt's test
  is that position, not a comparison of version strings);
- the architecture is the installed version's; the name has no architecture qualifier;
- the archives are the Suite of the Release file behind each index that offers the candidate, in apt's order.

What it cannot tell for sure raises CouldNotRead, and the caller asks `apt list --upgradable` itself: an index whose
Release file is not among the host's lists (a flat or local repository), a Release file without a Suite, a candidate
version listed twice, a line it does not know.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from common.text import CouldNotRead

from ..host import CommandResult, decode
from .apt import LIST_ARGV, parse_release_header

# Run with `sh -c`; $1 is dpkg's status file, read once. The `name:arch` words go to apt-cache as arguments (names and
# architectures cannot hold spaces or glob characters), and to the awk filter, which takes them from ARGV (then reads
# standard input only) for the architecture apt does not print: the native one (dpkg itself is always native) or
# `all`. The filter passes on only the packages whose candidate differs from the installed version, or whose
# candidate's version is listed twice. The exit code is apt-cache's.
POLICY_SCRIPT = r"""set -- $(awk '$1 == "Package:" { p = $2 } $1 == "Architecture:" { print p ":" $2 }' "$1")
[ $# -gt 0 ] || { echo "dpkg's status file lists no packages" >&2; exit 3; }
{ LC_ALL=C apt-cache policy "$@"; echo "X $?"; } | awk '
BEGIN { for (j = 1; j < ARGC; j++) { split(ARGV[j], q, ":"); if (q[1] == "dpkg") n = q[2]
    if (q[2] == "all") a[q[1]] = 1 }
  ARGC = 1 }
function out() { if (h != "" && i != "(none)" && c != "(none)" && (i != c || k)) printf "%s%s\n", h, b; h = "" }
/^X -?[0-9]+$/ { r = $2; next }
/^[^ ]/ { out(); h = $0; b = ""; i = ""; c = ""; k = 0
  if (h !~ /:.*:$/) { sub(/:$/, "", h); h = h ":" ((h in a) ? "all" : n) ":" }
  next }
{ b = b "\n" $0 }
$1 == "Installed:" { i = $2 }
$1 == "Candidate:" { c = $2 }
/^     [^ ]/ && $1 == c { k = 1 }
END { out(); exit r }' "$@"
"""

_HEAD = re.compile(r"^(?P<name>[^\s:]+):(?P<arch>[^\s:]+):$")
_FIELD = re.compile(r"^  (?P<key>Installed|Candidate|Package pin|Version table):(?: (?P<value>\S+))?\s*$")
_VERSION = re.compile(r"^ (?P<mark>\*\*\*|   ) (?P<ver>\S+) -?\d+(?: \(phased \d+%\))?$")
_SOURCE = re.compile(r"^ {7}\s*-?\d+ (?P<desc>.+)$")
# apt's URItoFileName quotes these (and anything not printable ASCII) as %xx before turning / into _.
_QUOTED = set('\\|{}[]<>"^~_=!@#$%&*')


def list_file_name(uri: str) -> str:
    """The file name apt gives a URI's download in its lists folder (apt's URItoFileName): without the scheme, the
    user and the password; special characters as %xx; `/` as `_`."""
    parts = urlsplit(uri)
    host = parts.netloc.rpartition("@")[2]
    rest = host + parts.path if parts.netloc else parts.path
    quoted = "".join(f"%{ord(ch):02x}" if ch in _QUOTED or not (0x20 < ord(ch) < 0x7F) else ch for ch in rest)
    return quoted.replace("/", "_")


def _release_prefixes(releases: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """List-file prefix (`deb.debian.org_debian_dists_bookworm_`) -> the fields of its InRelease / Release file."""
    out: dict[str, dict[str, str]] = {}
    for name, fields in releases.items():
        for tail in ("InRelease", "Release"):
            if name.endswith(tail) and name[: -len(tail)].endswith("_"):
                out.setdefault(name[: -len(tail)], fields)
                break
    return out


def _suite(desc: str, prefixes: dict[str, dict[str, str]]) -> str:
    """The Suite of the archive behind an index as `apt-cache policy` describes it
    (`http://deb.debian.org/debian bookworm-security/main amd64 Packages`)."""
    words = desc.split(" ")
    if len(words) != 4 or words[3] != "Packages" or "://" not in words[0]:
        raise CouldNotRead(f"an index Deskside cannot map to its archive: {desc[:120]!r}")
    key = list_file_name(f"{words[0].rstrip('/')}/dists/{words[1]}/")
    found = [p for p in prefixes if key.startswith(p)]
    if not found:
        raise CouldNotRead(f"no Release file among apt's lists for the index {desc[:120]!r}")
    suite = prefixes[max(found, key=len)].get("Suite", "")
    if not suite:
        raise CouldNotRead(f"the Release file of {desc[:120]!r} names no Suite")
    return suite


def as_list_upgradable(text: str, releases: dict[str, dict[str, str]]) -> str:
    """The lines `apt list --upgradable` prints, from the filtered `apt-cache policy` answer of POLICY_SCRIPT.

    `releases`: the fields of the Release files in apt's lists folder, by file name
    (`deb.debian.org_debian_dists_bookworm_InRelease`). Raises CouldNotRead for what it cannot tell."""
    prefixes = _release_prefixes(releases)
    lines: list[str] = []
    for stanza in re.split(r"\n(?=\S)", text.strip("\n")) if text.strip() else []:
        head, *body = stanza.split("\n")
        m = _HEAD.match(head)
        if not m:
            raise CouldNotRead(f"`apt-cache policy` printed a line Deskside does not know: {head[:120]!r}")
        fields: dict[str, str] = {}
        versions: list[tuple[str, bool, list[str]]] = []  # version, installed, index descriptions
        for line in body:
            if (f := _FIELD.match(line)) is not None and not versions:
                fields[f["key"]] = f["value"] or ""
            elif (v := _VERSION.match(line)) is not None:
                versions.append((v["ver"], v["mark"] == "***", []))
            elif (s := _SOURCE.match(line)) is not None and versions:
                versions[-1][2].append(s["desc"])
            else:
                raise CouldNotRead(f"`apt-cache policy` printed a line Deskside does not know: {line[:120]!r}")
        installed, candidate = fields.get("Installed", ""), fields.get("Candidate", "")
        mine = [i for i, v in enumerate(versions) if v[1]]
        theirs = [i for i, v in enumerate(versions) if v[0] == candidate and not v[1]]
        if not installed or not candidate or len(mine) != 1 or versions[mine[0]][0] != installed:
            raise CouldNotRead(f"`apt-cache policy` of {m['name']} does not show its installed version and candidate")
        if len(theirs) > 1 or (theirs and candidate == installed):
            raise CouldNotRead(f"the candidate of {m['name']} ({candidate}) is listed more than once")
        if not theirs:
            raise CouldNotRead(f"the candidate of {m['name']} ({candidate}) is not in its version table")
        if theirs[0] > mine[0]:
            continue  # the installed version comes before the candidate (pinned to a downgrade): not upgradable
        archives = [_suite(d, prefixes) for d in versions[theirs[0]][2]]
        if not archives:
            raise CouldNotRead(f"the candidate of {m['name']} ({candidate}) is offered by no index")
        lines.append(f"{m['name']}/{','.join(archives)} {candidate} {m['arch']} [upgradable from: {installed}]")
    return "".join(f"{line}\n" for line in sorted(lines))


def apt_list_answer(res: CommandResult, files: dict[str, bytes | None], lists_dir: str) -> CommandResult:
    """What `apt list --upgradable` would have answered, from POLICY_SCRIPT's run `res` and the heads of the
    Release files in `lists_dir` among `files` (path -> bytes). Raises CouldNotRead, saying why, where it cannot
    be told for sure."""
    if not res.ok or res.truncated:
        tail = (res.stderr or res.stdout).strip().splitlines()
        why = ("apt-cache policy did not finish within its timeout" if res.timed_out else
               f"apt-cache policy exited with status {res.returncode}")
        raise CouldNotRead(why + (f": {tail[-1][:200]}" if tail else ""))
    folder = lists_dir.rstrip("/") + "/"
    releases = {path[len(folder):]: parse_release_header(decode(data)) for path, data in files.items()
                if data is not None and path.startswith(folder) and "/" not in path[len(folder):]}
    return CommandResult(list(LIST_ARGV), 0, as_list_upgradable(res.stdout, releases), "")


__all__ = ["POLICY_SCRIPT", "apt_list_answer", "as_list_upgradable", "list_file_name"]
