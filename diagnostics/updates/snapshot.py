"""The patch posture of a remote host in one round trip.

`scan_posture` asks its `Host` one question at a time (a file, a `command -v`, a command): about 24 round trips on a
Debian host, each one a network latency. `take_snapshot` sends ONE shell script that answers, in advance, every
question the posture scan of an apt host asks (and the common ones of the others), framed and base64-encoded; then
`SnapshotHost` serves the parsers from it. The parsers stay the one truth; a question the script did not foresee
is asked of the real host (correct, only slower) and recorded in `misses`, which the tests keep empty for apt.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import secrets
import shlex
from dataclasses import dataclass, field

from common.text import CouldNotRead

from ..cancel import CancelToken
from ..host import MAX_OUTPUT, CommandResult, Host, decode
from . import apt, apt_policy, reboot
from .common import stat_argv
from .scan import _DETECT, SYSTEM_MANAGERS, Paths, _age_specs, _specs

BEGIN, END = "DESKSIDE-SNAPSHOT-1", "DESKSIDE-SNAPSHOT-END"
PROGRAMS = sorted({p for progs in _DETECT.values() for p in progs} | {"checkupdates", "rpm", "dpkg-query", "uname"})
RELEASE_CAP = 4096  # apt reads the head of each Release file only
WHOLE = 1 << 62  # the cap of a file the script sent whole


class SnapshotError(Exception):
    """The script's answer could not be read (no POSIX shell, no base64, output cut short)."""


@dataclass(frozen=True)
class Run:
    """A command the script runs ahead, and under which condition (a program that must exist)."""

    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    needs: str = ""  # run only where `command -v needs` finds it
    timeout_s: float = 30.0
    # One of our own fixed commands that answers at once with a few lines (uname, ls, stat): run in turn, without
    # `timeout`, its answer written straight into the stream; an `sh -c` one runs in a subshell, not a new shell
    quick: bool = False
    # Shell text the script runs in place of argv (a quick run): an answer that means the same to the parsers with
    # fewer processes (shell builtins reading /proc where the host has it, argv itself where it does not)
    inline: str = ""

    @property
    def key(self) -> str:
        return json.dumps([list(self.argv), dict(self.env)])


@dataclass
class Reuse:
    """A host's earlier answers to slow runs (apt list), offered to the script: when the stat of everything the
    posture depends on (`stat_out`, which covers dpkg's status, apt's lists, sources, pinning and configuration) is
    still what it was, the host does not run them again and the earlier answers stand."""

    stat_out: str
    results: dict[str, CommandResult]  # by Run.key


_APT_LIST_KEY = Run(tuple(apt.LIST_ARGV)).key


def _policy_run(paths: Paths) -> Run:
    """apt list's answer at less CPU (apt_policy.py); the script runs it in place of apt list."""
    return Run(("sh", "-c", apt_policy.POLICY_SCRIPT, "sh", paths.dpkg_status), needs="apt-cache")


def answer_key(run: Run) -> str:
    """The key under which a Snapshot keeps what `run` answers: apt list's for the apt-cache policy run."""
    return _APT_LIST_KEY if run.argv[:3] == ("sh", "-c", apt_policy.POLICY_SCRIPT) else run.key


def reusable_key(key: str) -> bool:
    """Whether the run with this `Run.key` (a Snapshot keeps its answers by key) has an answer that depends only on
    the files the stat of everything covers: apt list, without extra environment."""
    return key == _APT_LIST_KEY


def reusable(run: Run) -> bool:
    return reusable_key(answer_key(run))


def proc_line(path: str, fallback: str) -> str:
    """Shell text printing the first line of a /proc file with builtins, or running `fallback` where the host has
    no such file (the kernel's own /proc answers are what uname prints)."""
    q = shlex.quote(path)
    return f"if [ -r {q} ]; then read -r v <{q}; printf '%s\\n' \"$v\"; else {fallback}; fi"


def ls_names(folder: str) -> str:
    """Shell text answering `ls -1A -- folder` with the same names (the scan sorts them; ls sorts by locale) from
    shell globs, without a process; for a missing folder, ls's error (exit 2, the prelude's `a`); a folder that cannot
    be read, or is not a folder, gets the real `ls`."""
    q = shlex.quote(folder)
    return (f"if [ -d {q} ] && [ -r {q} ] && [ -x {q} ]; then for v in {q}/* {q}/.[!.]* {q}/..?*; do "
            f"if [ -e \"$v\" ] || [ -L \"$v\" ]; then printf '%s\\n' \"${{v##*/}}\"; fi; done; "
            f"elif [ -e {q} ] || [ -L {q} ]; then ls -1A -- {q}; else a {q}; fi")


def _ls(folder: str) -> Run:
    return Run(("ls", "-1A", "--", folder), quick=True, inline=ls_names(folder))


def _runs(paths: Paths) -> list[Run]:
    runs = [Run(("uname", "-r"), quick=True, inline=proc_line("/proc/sys/kernel/osrelease", "uname -r")),
            _ls(paths.apt_lists), _ls(paths.boot_dir)]
    runs += [_ls(d) for d in paths.modules_dirs]
    runs.append(_all_stats(paths))
    runs.append(_policy_run(paths))
    return list(dict.fromkeys(runs))


def _all_stats(paths: Paths) -> Run:
    """One stat of everything any manager's fingerprint or cache age looks at, and of the reboot flag: `SnapshotHost`
    answers each narrower stat command of the scan from it."""
    want_paths, want_globs = [*paths.os_release, paths.reboot_flag], []
    for manager in _DETECT:
        for p, g in (_specs(manager, paths), _age_specs(manager, paths) if manager in SYSTEM_MANAGERS else ([], [])):
            want_paths += p
            want_globs += g
    return Run(tuple(stat_argv(list(dict.fromkeys(want_paths)), list(dict.fromkeys(want_globs)))), quick=True)


_STAT_HEAD, _STAT_TAIL = "stat -c '%Y|%s|%n' -- ", " 2>/dev/null; true"


def _stat_words(argv: list[str]) -> list[str] | None:
    """The words of a stat_argv command, or None when argv is not one."""
    if len(argv) != 3 or argv[:2] != ["sh", "-c"] or not argv[2].startswith(_STAT_HEAD):
        return None
    if not argv[2].endswith(_STAT_TAIL):
        return None
    try:
        return shlex.split(argv[2][len(_STAT_HEAD): -len(_STAT_TAIL)])
    except ValueError:
        return None


def _glob_match(name: str, pattern: str) -> bool:
    """A shell glob: `*` never crosses a `/`."""
    a, b = name.split("/"), pattern.split("/")
    return len(a) == len(b) and all(fnmatch.fnmatchcase(x, y) for x, y in zip(a, b, strict=True))


# Every process the script starts costs the host CPU (a fleet scan runs it on each host), so it starts few (about
# 12 on a Debian host besides apt's own). Everything after the `W` lines is ONE stream encoded by one base64,
# records framed by a random marker (`S` line): a quick run writes its answer straight into it, its stderr into a
# file; the slow runs (apt list, package lists, policy checks) run in the background under `timeout`, each into
# files that start with their own record header; the files to send whole (os-release, distro-info tables) get a
# header file; and ONE `cat` sends all those files at the end. `w` answers `command -v` without a subshell.
_PRELUDE = r"""
d=$(mktemp -d 2>/dev/null) || { d=/tmp/deskside-snap.$$; mkdir -m 700 "$d" || exit 90; }
trap 'rm -rf "$d"' EXIT
T=; command -v timeout >/dev/null 2>&1 && T=1
b() { base64 -w0 2>/dev/null || base64 | tr -d '\n'; }
e() { printf '%s' "$1" | b; }
q() { case $1 in *[!A-Za-z0-9/._+@:-]*) k=$(e "$1");; *) k="=$1";; esac; }
w() { printf 'W %s ' "$1"; command -v -- "$1" 2>/dev/null || echo; }
f() { q "$1"; if [ -f "$1" ] && [ -r "$1" ]; then m=$((m+1)); printf '\n%s F %s 0\n' "$n" "$k" >"$d/h$m"
      else printf '\n%s F %s 1\n' "$n" "$k"; return 1; fi; }
g() { q "$1"; if [ -f "$1" ] && [ -r "$1" ]; then printf '\n%s F %s %(cap)d\n' "$n" "$k"; head -c %(cap)d -- "$1"
      else printf '\n%s F %s 1\n' "$n" "$k"; fi; }
o() { printf '\n%s O %s\n' "$n" "$1"; printf '\n%s E %s\n' "$n" "$1" >"$d/e$1"; }
x() { printf '\n%s C %s %s\n' "$n" "$1" "$2"; }
a() { printf "ls: cannot access '%s': No such file or directory\n" "$1" >&2; return 2; }
"""


def _guarded(run: Run, body: str) -> str:
    return f"if command -v {shlex.quote(run.needs)} >/dev/null 2>&1; then {body}; fi" if run.needs else body


def _quick_body(run: Run, argv_text: str) -> str:
    if run.inline:
        return f"{{ {run.inline}\n}}"
    if run.argv[:2] == ("sh", "-c") and len(run.argv) == 3:
        return f"( {run.argv[2]}\n)"
    return argv_text


def build_script(paths: Paths | None = None, extra: list[Run] | None = None,
                 reuse: Reuse | None = None) -> tuple[str, list[Run]]:
    """The script, and the runs it makes (their index is their id in the output). With `reuse`, the runs it holds
    answers for run only if the host's stat of everything differs from `reuse.stat_out`; otherwise the script
    says `U <id>` and the earlier answer stands."""
    paths = paths or Paths()
    runs = _runs(paths) + list(extra or [])
    lines = [_PRELUDE.replace("%(cap)d", str(RELEASE_CAP)), f"n={secrets.token_hex(16)}"]
    stat_at = runs.index(_all_stats(paths))
    skippable = {i for i, run in enumerate(runs) if reuse is not None and not run.quick and reusable(run)
                 and answer_key(run) in reuse.results}

    def cmd(i: int) -> str:
        run = runs[i]
        words = [f"{k}={v}" for k, v in run.env]
        return shlex.join(["env", *words, *run.argv]) if words else shlex.join(list(run.argv))

    # The slow runs start first, all at once in the background (apt takes most of the time; the quick runs and the
    # reads happen meanwhile), apt first of all.
    slow = [i for i, run in enumerate(runs) if not run.quick]
    slow.sort(key=lambda i: answer_key(runs[i]) != _APT_LIST_KEY)
    quick = [i for i, run in enumerate(runs) if run.quick]
    lines.append("u= m=0")
    if skippable and reuse is not None:
        # The stat goes first (a few milliseconds); `$(...)` drops trailing newlines, as the comparison here does.
        quick.remove(stat_at)
        lines.append(f'{_quick_body(runs[stat_at], cmd(stat_at))} >"$d/s" 2>/dev/null </dev/null; s=$?')
        lines.append(f'[ "$(cat "$d/s")" = {shlex.quote(reuse.stat_out.rstrip(chr(10)))} ] && u=1')
    lines.append(f"echo {BEGIN}")
    lines += [f'[ -z "$u" ] || echo "U {i}"' for i in sorted(skippable)]
    lines += [f"w {shlex.quote(p)}" for p in PROGRAMS]
    lines.append("printf 'S %s ' \"$n\"; {")
    lines.append("set --")
    for i in slow:
        t = max(1, int(runs[i].timeout_s))
        head = f"printf '\\n%s O {i}\\n' \"$n\"; printf '\\n%s E {i}\\n' \"$n\" >&2"
        job = (f'{{ {head}; if [ -n "$T" ]; then exec timeout {t} {cmd(i)}; else exec {cmd(i)}; fi; }} '
               f'>"$d/o{i}" 2>"$d/e{i}" </dev/null & j{i}=$!; set -- "$@" "$d/o{i}" "$d/e{i}"')
        lines.append(f"j{i}=")
        start = _guarded(runs[i], job)
        lines.append(f'[ -n "$u" ] || {{ {start}; }}' if i in skippable else start)
    if skippable:
        lines.append(f"printf '\\n%s O {stat_at}\\n' \"$n\" >\"$d/h\"; printf '\\n%s E {stat_at}\\n' \"$n\" >\"$d/e\"; "
                     f'x {stat_at} "$s"; set -- "$@" "$d/h" "$d/s" "$d/e"')
    for i in quick:
        body = _quick_body(runs[i], cmd(i))
        lines.append(_guarded(runs[i], f'o {i}; set -- "$@" "$d/e{i}"; {body} 2>>"$d/e{i}" </dev/null; x {i} $?'))
    for p in (*paths.os_release, paths.reboot_flag, f"{paths.run_dir}/{reboot.FLAG_PKGS}"):
        lines.append(f'f {shlex.quote(p)} && set -- "$@" "$d/h$m" {shlex.quote(p)}')
    lines.append(f'for y in {shlex.quote(paths.distro_info_dir)}/*.csv; do [ -e "$y" ] && f "$y" && '
                 'set -- "$@" "$d/h$m" "$y"; done')
    lines.append(f'for y in {shlex.quote(paths.apt_lists)}/*Release; do [ -e "$y" ] && g "$y"; done')
    lines += [f'[ -z "$j{i}" ] || {{ wait "$j{i}"; x {i} $?; }}' for i in slow]
    lines.append('[ $# = 0 ] || cat -- "$@"')
    lines.append("} | b; echo")
    lines.append(f"echo {END}")
    return "\n".join(lines) + "\n", runs


@dataclass
class Snapshot:
    which: dict[str, str | None] = field(default_factory=dict)
    files: dict[str, bytes | None] = field(default_factory=dict)  # None: missing or unreadable
    caps: dict[str, int] = field(default_factory=dict)
    runs: dict[str, CommandResult] = field(default_factory=dict)
    stat_key: str = ""  # the key of the one stat of everything
    reused: list[str] = field(default_factory=list)  # keys of the runs answered by `Reuse` (the host had not changed)
    notes: list[str] = field(default_factory=list)  # why a run's answer was left for the host to give


def _b64(text: str) -> bytes:
    """A value of the answer: base64, or `=` and the value itself (the script sends plain names and paths as they
    are, saving a base64 process each)."""
    if text in ("", "-"):
        return b""
    if text.startswith("="):
        return text[1:].encode()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SnapshotError(f"a value in the answer is not base64 ({exc})") from None


def _result(snap: Snapshot, run: Run, code: str, out_b: bytes, err_b: bytes) -> None:
    rc = int(code) if code.lstrip("-").isdigit() else -1
    out, err = decode(out_b), decode(err_b)
    snap.runs[run.key] = CommandResult(list(run.argv), -9 if rc == 124 else rc, out, err, timed_out=rc == 124,
                                       missing=rc == 127 and ("No such file" in err or "not found" in err))


def _stream(snap: Snapshot, marker: bytes, data: bytes, runs: list[Run]) -> None:
    """The records of the `S` line, each `\n<marker> <head>\n<body>`, in any order: `F <path> <0|1|N>` a file (0: the
    whole file, 1: missing or unreadable, N: its first N bytes at most), `O <id>` a run's stdout, `E <id>` its
    stderr, `C <id> <exit code>` (no body). A run's answer is whole when its O and C records are there."""
    records = data.split(b"\n" + marker + b" ")
    if records[0]:
        raise SnapshotError("the host's answer is garbled (a stream that does not start with its marker)")
    outs: dict[int, bytes] = {}
    errs: dict[int, bytes] = {}
    codes: dict[int, str] = {}
    for rec in records[1:]:
        head, _, body = rec.partition(b"\n")
        words = head.decode("ascii", "replace").split(" ")
        run_id = int(words[1]) if len(words) > 1 and words[1].isdigit() and int(words[1]) < len(runs) else -1
        if words[0] == "F" and len(words) == 3 and words[2].isdigit():
            path = decode(_b64(words[1]))
            snap.files[path] = None if words[2] == "1" else body
            snap.caps[path] = WHOLE if words[2] == "0" else int(words[2])
        elif words[0] in ("O", "E") and len(words) == 2 and run_id >= 0:
            (outs if words[0] == "O" else errs)[run_id] = body
        elif words[0] == "C" and len(words) == 3 and run_id >= 0 and not body:
            codes[run_id] = words[2]
        else:
            raise SnapshotError(f"an unexpected record in the host's answer: {head[:80]!r}")
    if set(outs) != set(codes) or not set(errs) <= set(codes):
        raise SnapshotError("the host's answer was cut short (a command without its output or its exit code)")
    for run_id, code in codes.items():
        _result(snap, runs[run_id], code, outs[run_id], errs.get(run_id, b""))


def parse(output: str, runs: list[Run], paths: Paths | None = None, reuse: Reuse | None = None) -> Snapshot:
    paths = paths or Paths()
    lines = output.splitlines()
    if BEGIN not in lines or END not in lines:
        raise SnapshotError("the host's answer is incomplete (no POSIX shell with base64 and head, or it was cut "
                            "short)")
    snap = Snapshot(stat_key=_all_stats(paths).key)
    for line in lines[lines.index(BEGIN) + 1: lines.index(END)]:
        parts = line.split(" ")
        kind = parts[0]
        if kind == "W" and len(parts) >= 3:  # the path as `command -v` printed it (it may hold spaces)
            snap.which[parts[1]] = line.split(" ", 2)[2].strip() or None
        elif kind == "S" and len(parts) == 3 and len(parts[1]) == 32:
            _stream(snap, parts[1].encode(), _b64(parts[2]), runs)
        elif kind == "U" and len(parts) == 2 and parts[1].isdigit() and int(parts[1]) < len(runs) \
                and reuse is not None and answer_key(runs[int(parts[1])]) in reuse.results:
            key = answer_key(runs[int(parts[1])])
            snap.runs[key] = reuse.results[key]
            snap.reused.append(key)
        else:
            raise SnapshotError(f"an unexpected line in the host's answer: {line[:80]!r}")
    res = snap.runs.pop(_policy_run(paths).key, None)
    if res is not None and _APT_LIST_KEY not in snap.runs:  # apt list's answer, where it can be told for sure
        try:
            snap.runs[_APT_LIST_KEY] = apt_policy.apt_list_answer(res, snap.files, paths.apt_lists)
        except CouldNotRead as exc:  # SnapshotHost asks the host apt list itself
            snap.notes.append(str(exc))
    return snap


def take_snapshot(host: Host, cancel: CancelToken | None = None, timeout: float = 120.0,
                  extra: list[Run] | None = None, paths: Paths | None = None,
                  reuse: Reuse | None = None) -> Snapshot:
    """Run the script on `host` (one command). Raises SnapshotError when its answer cannot be read."""
    script, runs = build_script(paths, extra, reuse)
    res = host.run(["sh", "-c", script], timeout=timeout, cancel=cancel)
    if res.timed_out:
        raise SnapshotError(f"the posture script did not finish within {timeout:.0f} s")
    if res.truncated:
        raise SnapshotError("the posture script's answer was larger than Deskside keeps")
    return parse(res.stdout, runs, paths, reuse)


class SnapshotHost:
    """A `Host` that answers from a snapshot first and asks the real host only what the snapshot lacks."""

    def __init__(self, host: Host, snapshot: Snapshot) -> None:
        self.host = host
        self.snapshot = snapshot
        self.name = host.name
        self.is_local = host.is_local
        self.platform = host.platform
        self.misses: list[str] = []  # what had to be asked of the real host

    def run(self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        key = Run(tuple(argv), tuple(sorted((env or {}).items()))).key
        found = self.snapshot.runs.get(key)
        if found is not None:
            return found
        words = _stat_words(argv) if not env else None
        everything = self.snapshot.runs.get(self.snapshot.stat_key) if words is not None else None
        if words is not None and everything is not None and everything.ok:
            lines = [ln for ln in everything.stdout.splitlines()
                     if any(ln.split("|", 2)[-1] == w or _glob_match(ln.split("|", 2)[-1], w) for w in words)]
            return CommandResult(list(argv), 0, "".join(f"{ln}\n" for ln in lines), "")
        self.misses.append(f"run {shlex.join(argv)}")
        return self.host.run(argv, timeout=timeout, cancel=cancel, env=env)

    def read_file(self, path: str, max_bytes: int = MAX_OUTPUT) -> bytes | None:
        if path in self.snapshot.files:
            data = self.snapshot.files[path]
            if data is None:
                return None
            cap = self.snapshot.caps.get(path, 0)
            if len(data) < cap or max_bytes <= cap:
                return data[:max_bytes]
        self.misses.append(f"read {path}")
        return self.host.read_file(path, max_bytes)

    def which(self, program: str) -> str | None:
        if program in self.snapshot.which:
            return self.snapshot.which[program]
        self.misses.append(f"which {program}")
        return self.host.which(program)


__all__ = ["Reuse", "Run", "Snapshot", "SnapshotError", "SnapshotHost", "build_script", "ls_names", "parse",
           "proc_line", "take_snapshot"]
