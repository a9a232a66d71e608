"""The Compliance page stays responsive during a 100-host scan (issue 9: "no event-loop stall over 50 ms").

The page (desktop.compliance_hub over desktop.wiring, as the app builds it, with throwaway files) scans 100 inventory
hosts: BENCH_COMPLIANCE_REAL (default 20) entries on real OpenSSH servers on 127.0.0.1 (4 sshd processes, each
listed several times under different names: a full posture scan over SSH on worker threads), the rest on closed
ports of 127.0.0.1 (refused at once: a flood of per-host progress). The scan runs in the page's child process
(desktop/scan_process.py), or in the app process with BENCH_COMPLIANCE_IN_PROCESS=1 (as before). A QTimer ticks
every 10 ms on the GUI thread; a stall is how much later than 10 ms a tick comes. Printed: the longest stall and the
99th percentile during the scan, and the same for the idle event loop in the same run (the baseline); the longest
stalls with the GUI thread's CPU time and its time waiting for a CPU (Linux schedstat: other processes' load) in
each; the longest stall less that wait; the app process's garbage collections. Offscreen Qt; needs root and sshd
(as the integration tests). Exits 0 (a measurement, not a test).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HOSTS = int(os.environ.get("BENCH_COMPLIANCE_HOSTS", "100"))
REAL = int(os.environ.get("BENCH_COMPLIANCE_REAL", "20"))
SERVERS = 4
IN_PROCESS = os.environ.get("BENCH_COMPLIANCE_IN_PROCESS") == "1"  # the scan on the app's worker threads (before)
TICK_MS = 10
OWN: list[float] = []  # per measure(): the longest stall less the time the GUI thread waited for a CPU
LONGEST: list[str] = []  # the longest stalls of each measure() and when they came (seconds after its start)


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="deskside-bench-compliance-"))
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    os.environ.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    for name in ("CONFIG", "DATA", "CACHE", "LOG"):
        os.environ[f"DESKSIDE_{name}_DIR"] = str(base / name.lower())
    os.environ.pop("SSH_AUTH_SOCK", None)

    from PySide6.QtWidgets import QApplication

    from desktop.compliance_hub import ComplianceHub
    from desktop.tasks import TaskRunner
    from tests.integration.sshd import SshEnv, free_port
    from ui.compliance_page import CompliancePage

    env = SshEnv(base / "ssh")
    servers = [env.sshd(f"bench-compliance{i}") for i in range(SERVERS if REAL else 0)]
    _app = QApplication.instance() or QApplication(sys.argv[:1])
    tasks = TaskRunner()
    try:
        lines = []
        for i in range(HOSTS):
            if i < REAL:
                port = servers[i % SERVERS].port
                lines.append(f"real{i:03d} ansible_host=127.0.0.1 ansible_port={port} ansible_user={env.user} "
                             f"ansible_ssh_private_key_file={env.client_key}")
            else:
                lines.append(f"closed{i:03d} ansible_host=127.0.0.1 ansible_port={free_port()} ansible_user=nobody")
        inv = base / "hosts.ini"
        inv.write_text("[bench]\n" + "\n".join(lines) + "\n")

        page = CompliancePage(ComplianceHub(use_ansible=False, home=base, isolate=not IN_PROCESS), tasks)
        page.resize(1280, 800)
        page.show()
        page.set_inventory(inv)
        wait(lambda: page.inventory_path == inv and not page._loading, 60)
        page.trust_box.setChecked(True)

        handler: list[float] = []  # how long the page's own progress handler runs (independent of the load)
        apply = page._apply_progress

        handler_cpu: list[float] = []

        def timed() -> None:
            t, c = time.perf_counter(), time.thread_time()
            apply()
            handler.append((time.perf_counter() - t) * 1000)
            handler_cpu.append((time.thread_time() - c) * 1000)

        page._apply_progress = timed  # type: ignore[method-assign]
        gc_pauses: list[tuple[float, int]] = []  # the GUI process's garbage collections: (ms, generation)
        gc_start = [0.0]

        def gc_watch(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_start[0] = time.perf_counter()
            else:
                gc_pauses.append(((time.perf_counter() - gc_start[0]) * 1000, info["generation"]))

        gc.callbacks.append(gc_watch)
        gc.freeze()  # as desktop/app.py does once a page is built
        load_before = os.getloadavg()[0]
        idle = measure(lambda: None, seconds=2.0)
        done: list[object] = []
        page.scan_finished.connect(done.append)
        start = time.monotonic()
        busy = measure(page.scan, until=lambda: bool(done), seconds=900)
        took = time.monotonic() - start
        result = done[0] if done else None
        totals = getattr(result, "totals", None)
        print(f"Compliance page, {HOSTS} hosts ({REAL} on {len(servers)} real sshd, {HOSTS - REAL} closed ports), "
              f"{'in the app process' if IN_PROCESS else 'in a child process'}, "
              f"scan took {took:.1f} s" + (f": {totals.compliant} compliant, {totals.non_compliant} non-compliant, "
                                           f"{totals.unknown} unknown" if totals else " (did not finish)"))
        print(f"{'':28}{'max stall ms':>14}{'p99 ms':>10}{'ticks':>8}")
        for name, stalls in (("idle event loop", idle), ("during the 100-host scan", busy)):
            p99 = statistics.quantiles(stalls, n=100)[98] if len(stalls) >= 100 else max(stalls, default=0.0)
            print(f"{name:28}{max(stalls, default=0.0):>14.1f}{p99:>10.1f}{len(stalls):>8}")
        print(f"longest stalls during the scan: {LONGEST[-1]}")
        print(f"garbage collections in the app process: {len(gc_pauses)}, longest "
              f"{max(gc_pauses, default=(0.0, 0))[0]:.1f} ms (generation {max(gc_pauses, default=(0.0, 0))[1]})")
        print(f"page's progress handler: {len(handler)} runs, longest {max(handler, default=0.0):.1f} ms, "
              f"median {statistics.median(handler) if handler else 0.0:.1f} ms; on a CPU at most "
              f"{max(handler_cpu, default=0.0):.1f} ms")
        print(f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before the scan, "
              f"{os.getloadavg()[0]:.1f} after (stalls include time the OS gave to other processes)")
        print(f"max stall during the scan: {max(busy, default=0.0):.1f} ms (issue 9 asks for at most 50 ms); without "
              f"the time the GUI thread waited for a CPU (other processes' load): {OWN[-1]:.1f} ms")
        page.close()
    finally:
        tasks.shutdown(10_000)
        for s in servers:
            s.stop()
    return 0


def wait(cond: Callable[[], bool], seconds: float) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while not cond() and time.monotonic() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def run_queue_ms() -> float:
    """How long this thread has been runnable but waiting for a CPU, in ms (Linux schedstat; 0 elsewhere): a stall
    with this much waiting is the OS's doing; one without it is the thread waiting for a lock (the GIL) or working."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


def measure(start: Callable[[], object], *, seconds: float, until: Callable[[], bool] | None = None) -> list[float]:
    """Run the event loop with a 10 ms ticking timer, call `start()` in it, stop when `until()` is true or after
    `seconds`; return each tick's delay beyond 10 ms."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    stalls: list[float] = []
    when: list[float] = []
    cpu: list[float] = []  # the GUI thread's own CPU time between two ticks, ms
    clock = QElapsedTimer()
    loop = QEventLoop()
    last = [0]
    last_cpu = [time.thread_time()]
    queued: list[float] = []  # how long the GUI thread was runnable but waiting for a CPU between two ticks, ms
    last_wait = [run_queue_ms()]

    def tick() -> None:
        now = clock.elapsed()
        stalls.append(max(0.0, float(now - last[0] - TICK_MS)))
        when.append(now / 1000)
        t = time.thread_time()
        cpu.append((t - last_cpu[0]) * 1000)
        last_cpu[0] = t
        w = run_queue_ms()
        queued.append(w - last_wait[0])
        last_wait[0] = w
        last[0] = now
        if until is not None and until():
            loop.quit()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    clock.start()
    timer.start()
    QTimer.singleShot(0, start)
    loop.exec()
    timer.stop()
    worst = sorted(zip(stalls[1:], when[1:], cpu[1:], queued[1:], strict=True), reverse=True)[:5]
    OWN.append(max((max(0.0, ms - q) for ms, q in zip(stalls[1:], queued[1:], strict=True)), default=0.0))
    LONGEST.append("; ".join(f"{ms:.0f} ms at {at:.1f} s (GUI thread on a CPU {c:.0f} ms, waiting for a CPU "
                             f"{q:.0f} ms)" for ms, at, c, q in worst))
    return stalls[1:]


if __name__ == "__main__":
    sys.exit(main())
