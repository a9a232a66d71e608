"""`deskside scan --engine ansible`: the same posture script, sent by `ansible-playbook` instead of our SSH client.

The playbook and role are in `fleet/ansible/` (role `deskside_posture`: one `ansible.builtin.raw` task, so the hosts
need no Python). The script is generated for each scan from `diagnostics.updates.snapshot.build_script` plus the
fleet's extra runs (installed packages, reboot time, the policy's checks) and the probe `SshHost` makes, so both
engines ask the hosts exactly the same. A small stdout callback (`fleet/ansible/callback_plugins`) prints one JSON
line per host event; each host's raw answer is parsed with `snapshot.parse`, served to the same parsers through
`SnapshotHost` (with no live host behind it: what the script did not foresee is "could not tell", never a guess) and
scored by `fleet.evaluate`. Unreachable hosts and failed logins are `unknown` with Ansible's reason.

Ansible is optional: nothing here imports it; `ansible-playbook` is looked up on PATH or beside this Python.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from common.cancel import CancelToken
from diagnostics.host import CommandResult
from diagnostics.updates.snapshot import Run, SnapshotError, build_script, parse

from .evaluate import HostResult, evaluate, totals, unknown
from .inventory import InventoryHost
from .policy import Policy
from .scan import PROBE, Progress, ScanResult, evidence_from_snapshot, evidence_runs

ASSETS = Path(__file__).resolve().parent / "ansible"
PLAYBOOK = ASSETS / "posture.yml"
MARK = "DESKSIDE-ANSIBLE "
PLATFORMS = {"linux": "linux", "darwin": "darwin"}
NOT_ASKED = "not collected: the Ansible engine asks each host only what its posture script foresees"


class AnsibleError(Exception):
    """ansible-playbook is missing or could not run at all; the message says what to do."""


def ansible_playbook() -> str:
    """ansible-playbook on PATH, or beside this Python (a virtualenv that is not activated)."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = shutil.which("ansible-playbook") or (str(beside) if beside.is_file() else None)
    if found is None:
        raise AnsibleError("--engine ansible needs ansible-playbook, which is not installed (pip install "
                           "ansible-core, or your distribution's ansible package), or use the built-in engine")
    return found


def script_text(policy: Policy, env: dict[str, str] | None = None) -> tuple[str, list[Run]]:
    """The posture script for `policy` (exactly the built-in engine's), with `env` set first, and its runs."""
    body, runs = build_script(extra=evidence_runs(policy))  # evidence_runs includes PROBE
    head = "".join(f"{k}={shlex.quote(v)}; export {k}\n" for k, v in (env or {}).items()
                   if k.replace("_", "").isalnum() and not k[:1].isdigit())
    return head + body, runs


class OfflineHost:
    """The `Host` behind a snapshot Ansible brought back: nothing more can be asked. A question the script did not
    foresee gets a failed answer saying so (the parsers make it a skip: "could not tell"), and is recorded."""

    is_local = False

    def __init__(self, name: str, platform: str) -> None:
        self.name, self.platform = name, platform
        self.misses: list[str] = []

    def run(self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        self.misses.append(shlex.join(argv))
        return CommandResult(list(argv), -1, "", NOT_ASKED)

    def read_file(self, path: str, max_bytes: int = 0) -> bytes | None:
        self.misses.append(f"read {path}")
        return None

    def which(self, program: str) -> str | None:
        self.misses.append(f"command -v {program}")
        return None


def _probe(snap_runs: dict[str, CommandResult], fallback: str) -> tuple[str, str]:
    res = snap_runs.get(PROBE.key)
    lines = res.stdout.splitlines() if res is not None and res.ok else []
    if len(lines) < 2:
        return "linux", fallback
    kernel = lines[0].strip().lower()
    return PLATFORMS.get(kernel, kernel or "unknown"), lines[1].strip() or fallback


def host_result(inv: InventoryHost, event: dict[str, Any], runs: list[Run], policy: Policy,
                first_seen: dict[str, str] | None) -> HostResult:
    """One host's result from its Ansible event (ok, failed, unreachable, skipped)."""
    kind, msg = event.get("event"), str(event.get("msg") or "").strip()
    if kind == "unreachable":
        return unknown(inv.name, inv.groups, f"unreachable (Ansible): {msg or 'no reason given'}")
    if kind == "skipped":
        return unknown(inv.name, inv.groups, f"Ansible skipped the host{': ' + msg if msg else ''}")
    if kind != "ok":
        err = str(event.get("stderr") or "").strip().splitlines()
        why = msg or (err[-1] if err else "") or f"exit status {event.get('rc')}"
        return unknown(inv.name, inv.groups, f"the posture script failed (Ansible): {why}")
    try:
        snap = parse(str(event.get("stdout") or ""), runs)
    except SnapshotError as exc:
        return unknown(inv.name, inv.groups, f"the posture script's answer could not be read: {exc}")
    platform, name = _probe(snap.runs, inv.name)
    host = OfflineHost(name, platform)
    evidence, _misses = evidence_from_snapshot(host, snap, policy)
    result = evaluate(inv.name, inv.groups, evidence, policy, first_seen)
    if host.misses:
        shown = "; ".join(host.misses[:5]) + (f"; and {len(host.misses) - 5} more" if len(host.misses) > 5 else "")
        result.notes.append(f"could not tell what needs more than the posture script ({shown}): the Ansible engine "
                            "asks nothing else")
        result.notes += [f"apt list was needed because {note}" for note in snap.notes]
    return result


def _inventory_for(hosts: list[InventoryHost], folder: Path) -> Path:
    """An inventory Ansible reads (YAML plugin, JSON text) for hosts that came from CSV."""
    entries: dict[str, dict[str, Any]] = {}
    for h in hosts:
        v: dict[str, Any] = {k: val for k, val in h.vars.items() if isinstance(val, str | int | float | bool)}
        v["ansible_host"] = h.address
        if h.port:
            v["ansible_port"] = h.port
        if h.user:
            v["ansible_user"] = h.user
        if h.identity_file:
            v["ansible_ssh_private_key_file"] = str(Path(h.identity_file).expanduser())
        entries[h.name] = v
    path = folder / "inventory.yml"
    path.write_text(json.dumps({"all": {"hosts": entries}}), encoding="utf-8")
    return path


@dataclass
class AnsibleEngine:
    """How to run Ansible for a scan: trust files and options from `desktop.wiring`."""

    known_hosts: list[Path] = field(default_factory=list)  # UserKnownHostsFile, the first one gets --accept-new keys
    accept_new: bool = False
    connect_timeout: float = 20.0
    remote_env: dict[str, str] = field(default_factory=dict)  # set before the script runs (PATH with sbin, locale)
    executable: str | None = None  # ansible-playbook; looked up when None

    def ssh_extra_args(self) -> str:
        files = " ".join(f'"{p}"' if " " in str(p) else str(p) for p in self.known_hosts)
        words = ["-o", "BatchMode=yes", "-o", f"StrictHostKeyChecking={'accept-new' if self.accept_new else 'yes'}"]
        if files:
            words += ["-o", f"UserKnownHostsFile={files}"]
        return shlex.join(words)

    def environment(self, results_env: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CALLBACK_PLUGINS": str(ASSETS / "callback_plugins"),
            "ANSIBLE_STDOUT_CALLBACK": "deskside_posture",
            "ANSIBLE_ROLES_PATH": str(ASSETS / "roles"),
            "ANSIBLE_HOST_KEY_CHECKING": "True",  # never a silent trust; --accept-new only for keys not known yet
            "ANSIBLE_SSH_EXTRA_ARGS": self.ssh_extra_args(),
            "ANSIBLE_SSH_USETTY": "False",  # no pty: stdout stays apart from stderr, no \r\n
            "ANSIBLE_TIMEOUT": str(max(1, int(self.connect_timeout))),
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
        })
        env.update(results_env or {})
        return env

    def command(self, exe: str, inventory: Path, limit: Path, extra_vars: Path, forks: int) -> list[str]:
        return [exe, "-i", str(inventory), "--limit", f"@{limit}", "-f",
                str(max(1, forks)), "-e", f"@{extra_vars}", str(PLAYBOOK)]

    def scan(self, hosts: list[InventoryHost], policy: Policy, inventory: Path | None, *, concurrency: int = 8,
             host_timeout: float = 180.0, cancel: CancelToken | None = None,
             first_seen: Any = None, progress: Progress | None = None) -> ScanResult:
        """Scan `hosts` with ansible-playbook. `inventory` is the Ansible inventory they came from (None or a CSV
        file: one is written from `hosts`). Raises AnsibleError only when Ansible is missing."""
        exe = self.executable or ansible_playbook()
        cancel = cancel or CancelToken()
        out = ScanResult(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        by_name = {h.name: h for h in hosts}
        results: dict[str, HostResult] = {}
        started: dict[str, float] = {}
        stamp: dict[str, str] = {}

        def say(name: str, state: str, result: HostResult | None = None) -> None:
            if progress is not None:
                progress(name, state, result)

        with tempfile.TemporaryDirectory(prefix="deskside-ansible-") as tmp:
            folder = Path(tmp)
            script, runs = script_text(policy, self.remote_env)
            (folder / "posture.sh").write_text(script, encoding="utf-8")
            if inventory is None or inventory.suffix.lower() == ".csv":
                inventory = _inventory_for(hosts, folder)
            (folder / "limit").write_text("".join(f"{h.name}\n" for h in hosts), encoding="utf-8")
            (folder / "vars.json").write_text(json.dumps({
                "deskside_posture_script": str(folder / "posture.sh"),
                "deskside_posture_timeout": max(1, int(host_timeout))}), encoding="utf-8")
            cmd = self.command(exe, inventory, folder / "limit", folder / "vars.json", concurrency)
            errors: deque[str] = deque(maxlen=20)
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=self.environment(), cwd=tmp, start_new_session=True, text=True,
                                    encoding="utf-8", errors="replace")
            assert proc.stdout is not None and proc.stderr is not None
            err_reader = threading.Thread(target=_tail, args=(proc.stderr, errors), daemon=True)
            err_reader.start()
            stopper = threading.Thread(target=_stop_on_cancel, args=(proc, cancel), daemon=True)
            stopper.start()
            for line in proc.stdout:
                if not line.startswith(MARK):
                    continue
                try:
                    event = json.loads(line[len(MARK):])
                except json.JSONDecodeError:
                    continue
                name = str(event.get("host") or "")
                inv = by_name.get(name)
                if inv is None or name in results:
                    continue
                if event.get("event") == "start":
                    started[name] = time.monotonic()
                    stamp[name] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                    say(name, "connecting")
                    continue
                result = host_result(inv, event, runs, policy, first_seen(name) if first_seen else None)
                results[name] = self._finish(result, inv, started, stamp)
                say(name, "done", results[name])
            rc = proc.wait()
            err_reader.join(5)
        tail = [ln for ln in errors if ln.strip()]
        for h in hosts:
            if h.name in results:
                continue
            if cancel.cancelled:
                why = "not finished: the scan was cancelled"
            else:
                detail = tail[-1].strip() if tail else "no result for this host"
                why = f"Ansible gave no result for this host (ansible-playbook exit status {rc}): {detail}"
            if h.name not in started:
                say(h.name, "connecting")
            results[h.name] = self._finish(unknown(h.name, h.groups, why), h, started, stamp)
            say(h.name, "done", results[h.name])
        out.results = [results[h.name] for h in hosts]
        out.totals = totals(out.results)
        out.cancelled = cancel.cancelled
        out.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return out

    @staticmethod
    def _finish(result: HostResult, inv: InventoryHost, started: dict[str, float], stamp: dict[str, str]) -> HostResult:
        result.target = inv.target()
        result.scanned_at = stamp.get(inv.name) or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result.duration_s = round(time.monotonic() - started[inv.name], 3) if inv.name in started else 0.0
        return result


def _tail(stream: IO[str], keep: deque[str]) -> None:
    for line in stream:
        keep.append(line.rstrip("\n"))


def _stop_on_cancel(proc: subprocess.Popen[str], cancel: CancelToken) -> None:
    """Interrupt ansible-playbook (its whole process group) when the scan is cancelled; kill it if it lingers."""
    while proc.poll() is None:
        if cancel.wait(0.2):
            break
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    """`python -m fleet.ansible_engine script [--policy FILE]`: print the posture script (to read or audit it)."""
    import argparse

    from . import policy as pol

    p = argparse.ArgumentParser(prog="python -m fleet.ansible_engine")
    p.add_argument("what", choices=["script"])
    p.add_argument("--policy", type=Path)
    args = p.parse_args(argv)
    policy = pol.load(args.policy) if args.policy else pol.DEFAULT
    sys.stdout.write(script_text(policy)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
