"""The posture script (`diagnostics.updates.snapshot`) run for real by this machine's `sh` over a made-up file tree:
every answer it brings back equals what the host gives when asked directly, for awkward names too (spaces,
quotes, non-ASCII, a Release file larger than the part apt reads), and nothing has to be asked again."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

from diagnostics.host import CommandResult, LocalHost
from diagnostics.updates import apt, snapshot
from diagnostics.updates.scan import Paths
from diagnostics.updates.snapshot import (
    PROGRAMS,
    RELEASE_CAP,
    Reuse,
    Run,
    SnapshotHost,
    ls_names,
    proc_line,
    take_snapshot,
)


def _tree(tmp_path: Path) -> Paths:
    etc, run, boot, mods, info, lists = (tmp_path / n for n in ("etc", "run", "boot", "modules", "info", "lists"))
    for d in (etc, run, boot, mods, info, lists):
        d.mkdir()
    (etc / "os-release").write_text('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    (run / "reboot-required").write_text("*** System restart required ***\n")
    (run / "reboot-required.pkgs").write_text("linux-image-6.1.0-99-amd64\nlibc6\n")
    (boot / "vmlinuz-6.1.0-99-amd64").write_bytes(b"\x7fELF")
    (mods / "6.1.0-99-amd64").mkdir()
    (info / "debian.csv").write_text("version,codename,series,created,release,eol\n12,Bookworm,bookworm,2021-08-14\n")
    head = "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nDate: Tue, 01 Dec 2026 10:00:00 UTC\n"
    (lists / "deb.example_debian-security_dists_bookworm-security_InRelease").write_text(head + "x" * 10000 + "\n")
    (lists / "my repo's \u00e9t\u00e9 Release").write_text("Origin: Local repo\nSuite: stable main\n")
    (lists / "deb.example_debian_dists_bookworm_main_binary-amd64_Packages").write_text("Package: a\n")
    return Paths(os_release=(str(etc / "os-release"), str(etc / "missing-os-release")), run_dir=str(run),
                 boot_dir=str(boot), modules_dirs=(str(mods), str(tmp_path / "no-modules")),
                 distro_info_dir=str(info), apt_lists=str(lists), dpkg_status=str(tmp_path / "status"))


def test_the_script_answers_what_the_host_answers(tmp_path: Path) -> None:
    paths = _tree(tmp_path)
    host = LocalHost()
    failing = Run(("sh", "-c", "echo out; echo 'it went wrong' >&2; exit 3"), quick=True)
    slow = Run(("sh", "-c", "printf 'a\\nb\\n'"), timeout_s=20)
    snap = take_snapshot(host, paths=paths, extra=[failing, slow])
    view = SnapshotHost(host, snap)

    for program in PROGRAMS:
        assert view.which(program) == shutil.which(program), program
    releases = sorted(str(p) for p in Path(paths.apt_lists).glob("*Release"))
    assert len(releases) == 2
    for path in releases:
        assert view.read_file(path, RELEASE_CAP) == Path(path).read_bytes()[:RELEASE_CAP]
    big = next(p for p in releases if "InRelease" in p)
    assert len(view.read_file(big, RELEASE_CAP) or b"") == RELEASE_CAP
    for path in (*paths.os_release, f"{paths.run_dir}/reboot-required", f"{paths.run_dir}/reboot-required.pkgs",
                 f"{paths.distro_info_dir}/debian.csv"):
        assert view.read_file(path, 65536) == host.read_file(path, 65536), path
    # ls is answered from shell globs: the same names (the scan sorts them) and, for a missing folder, ls's error
    for argv in (["ls", "-1A", "--", paths.apt_lists], ["ls", "-1A", "--", paths.boot_dir],
                 ["ls", "-1A", "--", paths.modules_dirs[1]]):
        got, direct = view.run(argv), host.run(argv)
        assert (got.returncode, sorted(got.stdout.splitlines())) == \
            (direct.returncode, sorted(direct.stdout.splitlines())), argv
    assert view.run(["ls", "-1A", "--", paths.modules_dirs[1]]).returncode != 0  # a missing folder stays a failure
    assert "No such file" in view.run(["ls", "-1A", "--", paths.modules_dirs[1]]).stderr
    assert view.run(["uname", "-r"]).stdout == host.run(["uname", "-r"]).stdout == f"{os.uname().release}\n"

    res = view.run(list(failing.argv))
    assert (res.returncode, res.stdout, res.stderr) == (3, "out\n", "it went wrong\n")
    assert view.run(list(slow.argv)).stdout == "a\nb\n"
    assert view.misses == []


def _sh(text: str) -> str:
    return subprocess.run(["sh", "-c", text], capture_output=True, text=True, check=True).stdout


def test_the_builtin_answers_name_what_the_commands_name(tmp_path: Path) -> None:
    """The script's cheaper answers: a folder's names from globs (dot files, spaces, quotes, a name that is a glob,
    a name starting with a dash; no `.` or `..`), /proc's first line, and the commands where there is no /proc."""
    names = [".hidden", "..two-dots", "...", "a b", "it's", "*", "-n", "\u00e9t\u00e9", "x\\y"]
    for name in names:
        (tmp_path / name).write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "gone")  # a dangling link is still a name
    assert sorted(_sh(ls_names(str(tmp_path))).splitlines()) == sorted([*names, "sub", "link"])
    empty = tmp_path / "sub"
    assert _sh(ls_names(str(empty))) == ""
    assert _sh(proc_line("/proc/sys/kernel/osrelease", "uname -r")) == f"{os.uname().release}\n"
    assert _sh(proc_line(str(tmp_path / "no-such-file"), "echo from the command")) == "from the command\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_an_answer_it_cannot_read_is_an_error_not_an_empty_host() -> None:
    _script, runs = snapshot.build_script()
    begin, end = "DESKSIDE-SNAPSHOT-1\n", "DESKSIDE-SNAPSHOT-END\n"
    cut = b"\n" + b"a" * 32 + b" O 0\n6.1.0\n"
    for broken in ("", f"{begin}W apt /usr/bin/apt\n", f"{begin}Z what\n{end}",
                   f"{begin}R 0 0 !!!notbase64 \n{end}",
                   f"{begin}S {'a' * 32} {_b64(b'junk')}\n{end}",  # a stream that does not start with its marker
                   f"{begin}S {'a' * 32} {_b64(cut)}\n{end}"):  # a command's output without its exit code
        try:
            snapshot.parse(broken, runs)
        except snapshot.SnapshotError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"accepted {broken!r}")


def test_the_kept_stat_is_compared_on_the_host_and_never_run(tmp_path: Path) -> None:
    """With `Reuse`, the host skips apt list only when its stat output is exactly the kept one; the kept text goes
    into the script as data (quotes, `$(...)` and newlines in it run nothing)."""
    paths = _tree(tmp_path)
    host = LocalHost()
    first = take_snapshot(host, paths=paths)
    apt_key = Run(tuple(apt.LIST_ARGV)).key
    kept = CommandResult(list(apt.LIST_ARGV), 0, "Listing...\nzz/stable 2 amd64 [upgradable from: 1]\n", "")
    same = take_snapshot(host, paths=paths, reuse=Reuse(first.runs[first.stat_key].stdout, {apt_key: kept}))
    assert same.reused == [apt_key] and same.runs[apt_key] is kept

    trap = tmp_path / "ran"
    hostile = f"x'; touch {trap}; '\n$(touch {trap})\n`touch {trap}`"
    other = take_snapshot(host, paths=paths, reuse=Reuse(hostile, {apt_key: kept}))
    assert other.reused == [] and not trap.exists()
    if shutil.which("apt"):  # the host ran apt itself (here dpkg's status is made up: the host is asked apt list)
        assert other.runs.get(apt_key) is not kept


def test_the_fleet_evidence_from_the_script(tmp_path: Path) -> None:
    """The identity answered from /proc is what uname and id print, and the reboot flag's age comes from the stat
    of everything (the flag file's modification time)."""
    from fleet.policy import Policy
    from fleet.scan import PROBE, evidence_from_snapshot, evidence_runs

    paths = _tree(tmp_path)
    os.utime(f"{paths.run_dir}/reboot-required", (1_796_000_000, 1_796_000_000))
    host = LocalHost()
    snap = take_snapshot(host, paths=paths, extra=evidence_runs(Policy()))
    assert snap.runs[PROBE.key].stdout == _sh("uname -s; uname -n; id -u")
    evidence, misses = evidence_from_snapshot(host, snap, Policy(), paths=paths)
    # The made-up tree has no dpkg status for apt-cache policy: apt list is asked of the host, and only that.
    assert snap.notes and "apt-cache policy exited with status" in snap.notes[0]
    assert evidence.reboot_since == "2026-11-30T00:53:20+00:00" and misses == ["run apt list --upgradable"]

    os.remove(f"{paths.run_dir}/reboot-required")
    snap = take_snapshot(host, paths=paths, extra=evidence_runs(Policy()))
    assert evidence_from_snapshot(host, snap, Policy(), paths=paths)[0].reboot_since is None


def test_what_apt_cache_policy_cannot_tell_is_asked_of_the_host(tmp_path: Path) -> None:
    """A lists folder without the Release files of the host's indexes: the apt-cache policy answer cannot be mapped
    to archives, so apt list is left unanswered and the host itself is asked (the same answer, one more command)."""
    host = LocalHost()
    snap = take_snapshot(host, paths=Paths(apt_lists=str(tmp_path)))
    assert snap.notes and "no Release file among apt's lists" in snap.notes[0], snap.notes
    view = SnapshotHost(host, snap)
    res = view.run(list(apt.LIST_ARGV))
    assert view.misses == ["run apt list --upgradable"]
    assert res.ok and "[upgradable from:" in res.stdout
