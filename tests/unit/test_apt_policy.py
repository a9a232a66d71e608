"""apt list's answer from `apt-cache policy` (diagnostics/updates/apt_policy.py): equal to the real `apt list
--upgradable` on this machine, and "could not tell" (the host is asked apt list) where the mapping is not sure."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from common.text import CouldNotRead
from diagnostics.updates import apt
from diagnostics.updates.apt_policy import POLICY_SCRIPT, as_list_upgradable, list_file_name

LISTS = Path(apt.LISTS_DIR)


def _releases(folder: Path = LISTS) -> dict[str, dict[str, str]]:
    return {p.name: apt.parse_release_header(p.read_bytes()[:4096].decode("utf-8", "replace"))
            for p in folder.glob("*Release")}


def _policy(status: str = apt.DPKG_STATUS, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", POLICY_SCRIPT, "sh", status], capture_output=True, text=True, check=False,
                          env=env)


def test_equals_apt_list_upgradable_on_this_machine() -> None:
    """The whole chain against apt itself: the script's apt-cache policy answer, mapped to archives through the
    Release files of this machine's lists, is line for line what `apt list --upgradable` prints."""
    real = subprocess.run(["apt", "list", "--upgradable"], capture_output=True, text=True, check=True)
    want = sorted(line for line in real.stdout.splitlines() if "[upgradable from:" in line)
    res = _policy()
    assert res.returncode == 0, res.stderr
    mine = as_list_upgradable(res.stdout, _releases()).splitlines()
    assert mine == want
    assert want, "this machine has pending updates (the image is older than its package lists)"
    assert [u.name for u in apt.parse_list_upgradable("".join(f"{x}\n" for x in mine))] == \
        [u.name for u in apt.parse_list_upgradable(real.stdout)]


def test_the_script_names_architectures_and_keeps_apt_cache_s_exit_code(tmp_path: Path) -> None:
    """The filter on the host (a stand-in apt-cache printing a recorded answer): native, `all` and foreign
    architectures named, unchanged packages dropped, apt-cache's exit code kept (an error is never "no updates")."""
    status = tmp_path / "status"
    status.write_text("".join(f"Package: {n}\nStatus: install ok installed\nArchitecture: {a}\nVersion: 1\n\n"
                              for n, a in (("dpkg", "amd64"), ("bash", "amd64"), ("tzdata", "all"),
                                           ("libc6", "i386"), ("same", "amd64"))))
    answer = ("bash:\n  Installed: 1\n  Candidate: 2\n  Version table:\n     2 500\n        500 http://h/d b/main "
              "amd64 Packages\n *** 1 100\n        100 /var/lib/dpkg/status\n"
              "tzdata:\n  Installed: 1\n  Candidate: 3\n  Version table:\n     3 500\n        500 x\n *** 1 100\n"
              "libc6:i386:\n  Installed: 1\n  Candidate: 2\n  Version table:\n     2 500\n *** 1 100\n"
              "same:\n  Installed: 1\n  Candidate: 1\n  Version table:\n *** 1 500\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apt-cache").write_text(f"#!/bin/sh\necho \"$*\" >{tmp_path}/args\ncat <<'EOF'\n{answer}EOF\n"
                                    "exit ${RC:-0}\n")
    (fake / "apt-cache").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    res = _policy(str(status), env)
    assert res.returncode == 0
    heads = [line for line in res.stdout.splitlines() if not line.startswith(" ")]
    assert heads == ["bash:amd64:", "tzdata:all:", "libc6:i386:"]
    assert (tmp_path / "args").read_text().split() == ["policy", "dpkg:amd64", "bash:amd64", "tzdata:all", "libc6:i386",
                                                       "same:amd64"]
    assert _policy(str(status), {**env, "RC": "100"}).returncode == 100
    empty = tmp_path / "empty"
    empty.write_text("")
    res = _policy(str(empty), env)
    assert res.returncode == 3 and "lists no packages" in res.stderr


REL = {"h.example_debian_dists_bookworm_InRelease": {"Suite": "stable"},
       "h.example_debian-security_dists_bookworm-security_InRelease": {"Suite": "stable-security"},
       "h.example_debian_dists_bookworm-updates_Release": {"Suite": "stable-updates"}}
MAIN = "http://h.example/debian bookworm/main amd64 Packages"
SEC = "http://h.example/debian-security bookworm-security/main amd64 Packages"
UPD = "http://h.example/debian bookworm-updates/main amd64 Packages"


def _stanza(head: str, installed: str, candidate: str, table: list[tuple[str, bool, list[str]]]) -> str:
    lines = [head, f"  Installed: {installed}", f"  Candidate: {candidate}", "  Version table:"]
    for ver, mine, descs in table:
        lines.append(f" {'***' if mine else '   '} {ver} 500")
        lines += [f"        500 {d}" for d in descs]
    return "\n".join(lines) + "\n"


def test_archives_architecture_and_what_apt_list_would_not_show() -> None:
    text = (_stanza("zlib:amd64:", "1", "2", [("2", False, [SEC, UPD]), ("1", True, [MAIN, "/var/lib/dpkg/status"])])
            + _stanza("libc6:i386:", "1", "1.5", [("1.5", False, [MAIN]), ("1", True, [])])
            .replace("     1.5 500", "     1.5 500 (phased 10%)")
            + _stanza("old:all:", "3", "2", [("3", True, []), ("2", False, [MAIN])]))  # pinned down: not upgradable
    assert as_list_upgradable(text, REL) == (
        "libc6/stable 1.5 i386 [upgradable from: 1]\n"
        "zlib/stable-security,stable-updates 2 amd64 [upgradable from: 1]\n")
    assert as_list_upgradable("", REL) == ""


@pytest.mark.parametrize(("text", "why"), [
    (_stanza("a:amd64:", "1", "2", [("2", False, ["http://other.example/debian bookworm/main amd64 Packages"]),
                                     ("1", True, [])]), "no Release file"),
    (_stanza("a:amd64:", "1", "2", [("2", False, ["http://h.example/flat ./ Packages"]), ("1", True, [])]),
     "cannot map"),
    (_stanza("a:amd64:", "1", "2", [("2", False, ["file:/srv/repo bookworm/main amd64 Packages"]), ("1", True, [])]),
     "cannot map"),
    (_stanza("a:amd64:", "1", "2", [("2", False, [MAIN]), ("2", False, [SEC]), ("1", True, [])]), "more than once"),
    (_stanza("a:amd64:", "1", "1", [("1", False, [MAIN]), ("1", True, [])]), "more than once"),
    (_stanza("a:amd64:", "1", "2", [("2", False, []), ("1", True, [])]), "no index"),
    (_stanza("a:amd64:", "1", "3", [("2", False, [MAIN]), ("1", True, [])]), "not in its version table"),
    (_stanza("a:amd64:", "1", "2", [("2", False, [MAIN])]), "installed version"),
    (_stanza("a:amd64:", "1", "2", [("2", False, [MAIN]), ("1", True, [])]).replace("Installed", "Installiert"),
     "does not know"),
    ("a:\n  Installed: 1\n", "does not know"),
    ("Package files:\n 100 /var/lib/dpkg/status\n", "does not know"),
])
def test_what_it_cannot_tell_is_an_error_not_a_guess(text: str, why: str) -> None:
    rel = {**REL, "h.example_nosuite_dists_x_InRelease": {"Origin": "x"}}
    with pytest.raises(CouldNotRead, match=why):
        as_list_upgradable(text, rel)


def test_a_release_without_suite_is_not_guessed() -> None:
    text = _stanza("a:amd64:", "1", "2", [("2", False, ["http://h.example/nosuite x/main amd64 Packages"]),
                                          ("1", True, [])])
    with pytest.raises(CouldNotRead, match="names no Suite"):
        as_list_upgradable(text, {"h.example_nosuite_dists_x_InRelease": {"Origin": "x"}})


def test_list_file_names_are_apt_s() -> None:
    assert list_file_name("http://deb.debian.org/debian/dists/bookworm/InRelease") == \
        "deb.debian.org_debian_dists_bookworm_InRelease"
    assert list_file_name("https://user:secret@repo.example:8443/a~b_c/dists/x/") == \
        "repo.example:8443_a%7eb%5fc_dists_x_"
    assert list_file_name("http://[::1]:8080/debian/") == "%5b::1%5d:8080_debian_"
    # apt's own names for this machine's indexes
    pairs = [line.split(" ", 1) for line in subprocess.run(
        ["apt-get", "indextargets", "--format", "$(URI) $(FILENAME)"], capture_output=True, text=True,
        check=True).stdout.splitlines() if line.strip()]
    assert pairs
    for uri, filename in pairs:
        assert Path(filename).name.startswith(list_file_name(uri)), (uri, filename)
