"""A scan in a child process, for the Compliance page: the SSH work (paramiko's handshakes and crypto on up to N
threads) runs in a child process (`deskside __scan-child__`), so the app's GIL stays free for the GUI thread
(issue 9: no event-loop stall over 50 ms during a 100-host scan).

The parent (`scan_in_child`, called on a worker thread) writes one request to the child's standard input (a length
and the JSON of the hosts, the policy and the options), then keeps that pipe open:
closing it is Cancel. The child runs `fleet.scan.scan` with the app's own connector (`wiring.fleet_connector`: the
same known_hosts, address book, keyring and audit log) and streams one JSON line per event on its standard output:
`{"p": [name, state]}` while a host is scanned, `{"r": HostResult}` when it is done, and `{"end": {...}}` last. The
parent rebuilds the same `ScanResult` the in-process scan gives. The child's stderr (its log) goes to the app's log.

On Cancel the child stops the running hosts and still reports what finished; if it does not end within
`CANCEL_GRACE` seconds it is terminated (then killed), and the hosts the parent has results for are kept. If the
parent dies, the child sees its standard input close and stops the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Any

from common.cancel import CancelToken
from common.errors import UserError
from fleet.evaluate import HostResult, totals, unknown
from fleet.inventory import InventoryHost
from fleet.policy import CommandCheck, Policy, Rules
from fleet.scan import ScanResult

log = logging.getLogger(__name__)

CHILD_ARG = "__scan-child__"  # desktop/cli.py hands this argument to child_main()
NICE = 10  # the child's scheduling priority below the app's
CANCEL_GRACE = 15.0  # seconds the child has to stop after Cancel before it is terminated
_LEN = struct.Struct("!I")
Progress = Callable[[str, str, HostResult | None], None]


@dataclass
class ScanRequest:
    hosts: list[InventoryHost]
    policy: Policy
    accept_new: bool
    concurrency: int
    host_timeout: float
    history_path: str | None  # where first_seen is read (the parent records the scan)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ScanRequest:
        d = json.loads(data)
        p = d["policy"]
        tuples = {f.name for f in fields(Rules) if "tuple" in str(f.type)}

        def settings(d: dict[str, Any]) -> dict[str, Any]:  # JSON made the tuples lists
            return {k: tuple(v) if k in tuples else v for k, v in d.items()}

        policy = Policy(rules=Rules(**settings(p["rules"])), checks=tuple(CommandCheck(**c) for c in p["checks"]),
                        groups={g: settings(o) for g, o in p["groups"].items()}, source=p["source"])
        return cls(hosts=[InventoryHost(**h) for h in d["hosts"]], policy=policy, accept_new=bool(d["accept_new"]),
                   concurrency=int(d["concurrency"]), host_timeout=float(d["host_timeout"]),
                   history_path=d["history_path"])


# ------------------------------------------------------------------------------------------------ the parent
def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])  # the source tree, for a run from a checkout
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def child_argv() -> list[str]:
    """The child's command line: the same program as the app (`deskside __scan-child__`; a frozen build is its own
    Python)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_ARG]
    return [sys.executable, "-m", "desktop.cli", CHILD_ARG]


def _drain_stderr(stream: IO[bytes], tail: list[str]) -> None:
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            log.warning("scan process: %s", line)
            tail[:] = [*tail[-4:], line]


def _stop(proc: subprocess.Popen[bytes], cancel: CancelToken, ended: threading.Event) -> None:
    """On Cancel: close the child's stdin (it stops and reports what finished), terminate it after CANCEL_GRACE."""
    while not ended.is_set():
        if cancel.wait(0.2):
            break
    if ended.is_set():
        return
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass
    if ended.wait(CANCEL_GRACE):
        return
    log.warning("the scan process did not stop within %.0f s of Cancel: terminating it", CANCEL_GRACE)
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def scan_in_child(request: ScanRequest, *, cancel: CancelToken, progress: Progress | None = None) -> ScanResult:
    """The scan of `request.hosts` run by a child process; the same ScanResult as `fleet.scan.scan`. Raises
    UserError when the child could not run at all."""
    proc = subprocess.Popen(child_argv(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env(), close_fds=True)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    tail: list[str] = []
    errors = threading.Thread(target=_drain_stderr, args=(proc.stderr, tail), name="scan-child-stderr", daemon=True)
    errors.start()
    ended = threading.Event()
    stopper = threading.Thread(target=_stop, args=(proc, cancel, ended), name="scan-child-cancel", daemon=True)
    by_name: dict[str, HostResult] = {}
    end: dict[str, Any] | None = None
    try:
        data = request.to_json()
        try:
            proc.stdin.write(_LEN.pack(len(data)) + data)
            proc.stdin.flush()
        except OSError:
            pass  # the child died at once: said below
        stopper.start()
        for raw in proc.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                log.warning("scan process: not a scan event: %r", raw[:200])
                continue
            if "p" in event:
                name, state = event["p"]
                if progress is not None:
                    progress(str(name), str(state), None)
            elif "r" in event:
                result = HostResult.from_dict(event["r"])
                by_name[result.name] = result
                if progress is not None:
                    progress(result.name, "done", result)
            elif "end" in event:
                end = event["end"]
        proc.wait()
    finally:
        ended.set()
        try:
            proc.stdin.close()
        except OSError:
            pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        errors.join(5)
    if end is None and not by_name and not cancel.cancelled:
        why = tail[-1] if tail else f"exit status {proc.returncode}"
        raise UserError(f"the scan process failed: {why}")
    out = ScanResult(started_at=(end or {}).get("started_at", ""), finished_at=(end or {}).get("finished_at", ""),
                     cancelled=bool((end or {}).get("cancelled", cancel.cancelled)))
    if end is None:  # terminated: keep what finished, say why of the rest
        why = ("not finished: the scan was cancelled" if cancel.cancelled else
               f"not finished: the scan process ended unexpectedly ({tail[-1] if tail else proc.returncode})")
        for h in request.hosts:
            by_name.setdefault(h.name, unknown(h.name, h.groups, why))
        out.cancelled = cancel.cancelled
    out.results = [by_name[h.name] for h in request.hosts if h.name in by_name]
    out.totals = totals(out.results)
    return out


# ------------------------------------------------------------------------------------------------ the child
def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _read_request(fd: int) -> ScanRequest:
    head = _read_exactly(fd, _LEN.size)
    if len(head) != _LEN.size:
        raise SystemExit("no scan request on standard input")
    (size,) = _LEN.unpack(head)
    try:
        return ScanRequest.from_json(_read_exactly(fd, size))
    except (ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"not a scan request: {exc}") from exc


def child_main() -> int:
    from fleet.scan import scan

    from . import wiring
    from .cli import _quiet_library_logs

    _quiet_library_logs()
    with contextlib.suppress(OSError):
        os.nice(NICE)  # the window the user looks at comes first; the scan takes what the CPUs have left
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr  # nothing else may write into the event stream
    fd = sys.stdin.fileno()  # read unbuffered: no lock left held by the watcher at exit
    request = _read_request(fd)
    cancel = CancelToken()

    def watch() -> None:  # the parent closes our stdin on Cancel (or when it dies)
        while os.read(fd, 4096):
            pass
        cancel.cancel()

    threading.Thread(target=watch, name="scan-cancel", daemon=True).start()
    lock = threading.Lock()

    def send(event: dict[str, Any]) -> None:
        line = json.dumps(event, separators=(",", ":"), default=str)
        with lock:
            out.write(line + "\n")

    sent: set[str] = set()

    def progress(name: str, state: str, result: HostResult | None) -> None:
        if result is not None:
            sent.add(name)
        send({"r": result.to_dict()} if result is not None else {"p": [name, state]})

    history = None
    if request.history_path:
        from fleet.history import History, HistoryError

        try:
            history = History(Path(request.history_path))
        except (HistoryError, OSError) as exc:
            log.error("scan history: %s; scanning without it", exc)
    try:
        result = scan(request.hosts, request.policy, wiring.fleet_connector(accept_new=request.accept_new),
                      concurrency=request.concurrency, host_timeout=request.host_timeout, cancel=cancel,
                      first_seen=history.first_seen if history is not None else None, progress=progress,
                      answers=wiring.fleet_apt_answers())
    finally:
        if history is not None:
            history.close()
    for r in result.results:  # the hosts never started (cancelled) have had no progress event
        if r.name not in sent:
            send({"r": r.to_dict()})
    send({"end": {"started_at": result.started_at, "finished_at": result.finished_at,
                  "cancelled": result.cancelled}})
    out.flush()
    return 0


if __name__ == "__main__":  # `python -m desktop.scan_process` also works (as the module of this package, not __main__)
    from desktop.scan_process import child_main as _main

    sys.exit(_main())
