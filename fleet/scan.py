"""Scan many hosts: bounded concurrency, a per-host timeout, cancel, progress, partial results.

Each host's evidence is collected in one round trip after login (`diagnostics.updates.snapshot`), including the
installed package names and the policy's command checks, then scored (`fleet.evaluate`). How a host is reached is
not this module's business: `connect(host, cancel)` comes from `desktop` (SSH) and yields a `diagnostics.host.Host`.
Any failure to reach or read a host makes it `unknown` with the reason; it never stops the scan.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from common.cancel import Cancelled, CancelToken
from diagnostics.host import Host
from diagnostics.updates.common import stat_argv
from diagnostics.updates.scan import Paths, scan_posture
from diagnostics.updates.snapshot import Run, Snapshot, SnapshotError, SnapshotHost, proc_line, take_snapshot

from .apt_answers import AptAnswers
from .evaluate import CheckOutcome, FleetTotals, HostEvidence, HostResult, evaluate, totals, unknown
from .inventory import InventoryHost
from .policy import Policy

Connect = Callable[[InventoryHost, CancelToken], AbstractContextManager[Host]]
Progress = Callable[[str, str, HostResult | None], None]  # host name, state, result when done

DPKG_ADMINDIR = "/var/lib/dpkg"
_DPKG_FORMAT = "${Status} ${Package}\\n"
# One stanza per package, stanzas apart by an empty line; Package and Status are single-line fields at the start of a
# line. Like dpkg-query -W without names, it leaves out packages that are not installed (purged), keeps removed ones.
_DPKG_AWK = ('function out() { if (p != "" && s != "") { split(s, w, " "); if (w[3] != "not-installed") print s " " p }'
             ' p = ""; s = "" }\n'
             '/^Package:/ { p = $0; sub(/^Package:[ \\t]*/, "", p); next }\n'
             '/^Status:/ { s = $0; sub(/^Status:[ \\t]*/, "", s); next }\n'
             '/^$/ { out() }\nEND { out() }')


def dpkg_installed(admindir: str = DPKG_ADMINDIR) -> str:
    """Shell text giving the lines of `dpkg-query -W -f '${Status} ${Package}\\n'` (in the status file's order)
    with one awk over dpkg's status file (documented in dpkg(1); apt reads it the same way) at a third of
    dpkg-query's CPU. dpkg-query itself answers where awk is missing, the status file cannot be read, or dpkg's
    journal (updates/) holds changes not yet merged into it."""
    q = shlex.quote(admindir)
    query = shlex.join(["dpkg-query", *([f"--admindir={admindir}"] if admindir != DPKG_ADMINDIR else []), "-W", "-f",
                        _DPKG_FORMAT])
    return (f'z=; for v in {q}/updates/[0-9]*; do [ -e "$v" ] && z=1; done\n'
            f"if [ -z \"$z\" ] && [ -f {q}/status ] && [ -r {q}/status ] && command -v awk >/dev/null 2>&1; "
            f"then awk {shlex.quote(_DPKG_AWK)} {q}/status; else {query}; fi")


# dpkg also lists packages that were removed but left their configuration files ("rc"); the status says which.
INSTALLED = {"dpkg-query": Run(("dpkg-query", "-W", "-f", _DPKG_FORMAT), needs="dpkg-query", quick=True,
                               inline=dpkg_installed()),
             "rpm": Run(("rpm", "-qa", "--qf", "%{NAME}\\n"), needs="rpm"),
             "pacman": Run(("pacman", "-Qq"), needs="pacman")}
# The identity an SSH host asks first (OS kernel, host name, user id): answered by the script, it saves that round
# trip (a Host with `adopt_probe`, as desktop's SshHost made with probe=False, takes it from here). On Linux the
# script answers it with builtins from /proc (what uname and id print), elsewhere with the commands themselves.
_UID = ("while read -r v w x y; do [ \"$v\" = Uid: ] && break; done </proc/self/status; "
        "if [ \"$v\" = Uid: ]; then printf '%s\\n' \"$x\"; else id -u; fi")
PROBE = Run(("sh", "-c", "uname -s; uname -n; id -u"), quick=True,
            inline="\n".join([proc_line("/proc/sys/kernel/ostype", "uname -s"),
                               proc_line("/proc/sys/kernel/hostname", "uname -n"),
                               f"if [ -r /proc/self/status ]; then {_UID}; else id -u; fi"]))


class HostUnavailable(Exception):
    """Raised by a `connect` function: the host cannot be scanned; the message is the reason the user reads."""


def _check_run(command: str, timeout: float) -> Run:
    return Run(("sh", "-c", command), timeout_s=timeout)


_DPKG_ABSENT = {"not-installed", "config-files"}  # the third word of dpkg's Status: nothing of the package is left


def present_packages(program: str, out: str) -> list[str] | None:
    """The packages whose files are on the host, from `program`'s answer in INSTALLED; None when the answer is not
    in the shape asked for (could not tell)."""
    lines = [ln.split() for ln in out.splitlines() if ln.strip()]
    shape = 4 if program == "dpkg-query" else 1  # "install ok installed NAME", "deinstall ok config-files NAME"
    if not lines or not all(len(words) == shape for words in lines):  # a host with a package manager has packages
        return None
    if program != "dpkg-query":
        return sorted({words[0] for words in lines})
    return sorted({words[3] for words in lines if words[2] not in _DPKG_ABSENT})


def _installed(snap: Snapshot) -> list[str] | None:
    for program, run in INSTALLED.items():
        res = snap.runs.get(run.key)
        if res is not None and res.ok:
            return present_packages(program, res.stdout)
    return None


def evidence_runs(policy: Policy) -> list[Run]:
    """What the posture script runs besides the posture itself: the identity probe, installed packages, policy checks
    (the reboot flag's age comes from the posture's stat of everything)."""
    return [PROBE, *INSTALLED.values(), *(_check_run(c.command, c.timeout_s) for c in policy.checks)]


def evidence_from_snapshot(host: Host, snap: Snapshot, policy: Policy, cancel: CancelToken | None = None,
                           paths: Paths | None = None) -> tuple[HostEvidence, list[str]]:
    """The evidence from a snapshot the script answered (`host` is asked what it did not foresee; `paths` as the
    snapshot was taken with). Returns the evidence and the questions that had to be asked of `host`."""
    paths = paths or Paths()
    view = SnapshotHost(host, snap)
    posture = scan_posture(view, cancel=cancel, paths=paths)
    since = None
    res = view.run(stat_argv([paths.reboot_flag], []))  # answered by the stat of everything
    stamp = res.stdout.split("|", 1)[0] if res.ok else ""
    if stamp.isdigit():
        since = dt.datetime.fromtimestamp(int(stamp), dt.UTC).isoformat(timespec="seconds")
    checks = {}
    for check in policy.checks:
        out = snap.runs.get(_check_run(check.command, check.timeout_s).key)
        if out is None:
            checks[check.name] = CheckOutcome(error="the host did not run it")
        elif out.timed_out:
            checks[check.name] = CheckOutcome(error=f"it did not finish within {check.timeout_s:.0f} s")
        else:
            checks[check.name] = CheckOutcome(exit_code=out.returncode, output=out.stdout)
    return HostEvidence(posture=posture, installed=_installed(snap), reboot_since=since, checks=checks), \
        view.misses


def collect_evidence(host: Host, policy: Policy, cancel: CancelToken | None = None,
                     answers: AptAnswers | None = None, target: str = "") -> tuple[HostEvidence, int]:
    """The host's posture and what the policy needs, in one round trip where the host allows it. Returns the
    evidence and how many extra questions had to be sent (0 on an apt host). With `answers`, the host's last apt
    answer is offered and reused when nothing it depends on has changed (the posture is then `from_cache`)."""
    reuse = answers.offer(target) if answers is not None else None
    try:
        snap = take_snapshot(host, cancel=cancel, extra=evidence_runs(policy), reuse=reuse)
    except SnapshotError:
        snap = None
    if snap is None:  # no POSIX shell tools: ask one question at a time (Windows, a minimal host)
        posture = scan_posture(host, cancel=cancel)
        return HostEvidence(posture=posture, installed=None), -1
    probe, adopt = snap.runs.get(PROBE.key), getattr(host, "adopt_probe", None)
    if probe is not None and probe.ok and adopt is not None:
        adopt(probe.stdout)
    evidence, misses = evidence_from_snapshot(host, snap, policy, cancel)
    evidence.posture.from_cache = bool(snap.reused)
    if answers is not None:
        answers.keep(target, snap)
    return evidence, len(misses)


@dataclass
class ScanResult:
    results: list[HostResult] = field(default_factory=list)
    totals: FleetTotals = field(default_factory=FleetTotals)
    started_at: str = ""
    finished_at: str = ""
    cancelled: bool = False


@contextlib.contextmanager
def _deadline(parent: CancelToken, seconds: float) -> Iterator[tuple[CancelToken, threading.Event]]:
    """A token cancelled when `parent` is or when `seconds` have passed (the event tells which)."""
    token = CancelToken()
    expired = threading.Event()
    done = threading.Event()

    def watch() -> None:
        end = time.monotonic() + seconds
        while not done.is_set():
            if parent.cancelled:
                token.cancel()
                return
            left = end - time.monotonic()
            if left <= 0:
                expired.set()
                token.cancel()
                return
            done.wait(min(0.2, left))

    t = threading.Thread(target=watch, name="scan-deadline", daemon=True)
    t.start()
    try:
        yield token, expired
    finally:
        done.set()


def scan_host(inv: InventoryHost, policy: Policy, connect: Connect, cancel: CancelToken, timeout: float,
              first_seen: Callable[[str], dict[str, str]] | None = None,
              progress: Progress | None = None, answers: AptAnswers | None = None) -> HostResult:
    start = time.monotonic()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def say(state: str, result: HostResult | None = None) -> None:
        if progress is not None:
            progress(inv.name, state, result)

    with _deadline(cancel, timeout) as (token, expired):
        try:
            say("connecting")
            with connect(inv, token) as host:
                say("collecting")
                evidence, _misses = collect_evidence(host, policy, token, answers, f"{inv.name} {inv.target()}")
            result = evaluate(inv.name, inv.groups, evidence, policy,
                              first_seen(inv.name) if first_seen is not None else None)
        except Cancelled:
            why = f"no answer within {timeout:.0f} s (the per-host timeout)" if expired.is_set() else \
                "not finished: the scan was cancelled"
            result = unknown(inv.name, inv.groups, why)
        except HostUnavailable as exc:
            result = unknown(inv.name, inv.groups, str(exc))
        except Exception as exc:  # one host's failure never stops the scan; the reason is shown for that host
            result = unknown(inv.name, inv.groups, f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))
    result.target = inv.target()
    result.scanned_at = stamp
    result.duration_s = round(time.monotonic() - start, 3)
    say("done", result)
    return result


def scan(hosts: list[InventoryHost], policy: Policy, connect: Connect, *, concurrency: int = 8,
         host_timeout: float = 180.0, cancel: CancelToken | None = None,
         first_seen: Callable[[str], dict[str, str]] | None = None, progress: Progress | None = None,
         answers: AptAnswers | None = None) -> ScanResult:
    """Scan `hosts` at most `concurrency` at a time. On cancel, running hosts stop, hosts not started are reported
    as not scanned, and everything finished is kept. `answers`: see `collect_evidence`."""
    cancel = cancel or CancelToken()
    out = ScanResult(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    by_name: dict[str, HostResult] = {}
    todo = list(hosts)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="scan") as pool:
        running: dict[Future[HostResult], InventoryHost] = {}
        while todo or running:
            while todo and len(running) < max(1, concurrency) and not cancel.cancelled:
                h = todo.pop(0)
                running[pool.submit(scan_host, h, policy, connect, cancel, host_timeout, first_seen, progress,
                                    answers)] = h
            if cancel.cancelled:
                for h in todo:
                    by_name[h.name] = unknown(h.name, h.groups, "not scanned: the scan was cancelled")
                todo = []
            if not running:
                break
            done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            for f in done:
                h = running.pop(f)
                by_name[h.name] = f.result()
    out.results = [by_name[h.name] for h in hosts if h.name in by_name]
    out.totals = totals(out.results)
    out.cancelled = cancel.cancelled
    out.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return out
