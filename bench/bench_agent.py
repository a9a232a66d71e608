"""What the background agent costs: `deskside agent run` is a oneshot started by a systemd timer (every 15 min by
default), so between runs there is no process at all (idle CPU 0, memory 0). Measured here: one run with nothing to
do (no ticket due, checks not due: the common case), and one run with the daily checks; CPU time (user+sys), wall
time and peak memory (max RSS) of each, and the CPU share averaged over an hour at the default interval.
Prints a table; exits 0.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_AGENT_RUNS", "5"))
DESKSIDE = str(Path(sys.executable).with_name("deskside"))
INTERVAL_S = 15 * 60


def one(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, cpu s, max RSS KiB) of one `deskside agent run ...` process."""
    t0 = time.perf_counter()
    p = subprocess.Popen([DESKSIDE, "agent", "run", "--no-notify", *args], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"deskside agent run failed with {p.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> int:
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, **{f"DESKSIDE_{n}_DIR": str(Path(d) / n.lower()) for n in ("CONFIG", "DATA", "CACHE",
                                                                                         "LOG")}}
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        one([], env)  # the first run checks (never checked before); later ones find nothing due
        rows = {"nothing due": [one([], env) for _ in range(RUNS)],
                "with the checks": [one(["--check-now"], env) for _ in range(RUNS)]}
    print(f"{'deskside agent run':<20} {'wall s':>8} {'CPU s':>8} {'max RSS MiB':>12}   (median of {RUNS})")
    for name, samples in rows.items():
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        rss = statistics.median(s[2] for s in samples) / 1024
        print(f"{name:<20} {wall:8.2f} {cpu:8.2f} {rss:12.1f}")
    idle_cpu = statistics.median(s[1] for s in rows["nothing due"])
    check_cpu = statistics.median(s[1] for s in rows["with the checks"])
    per_hour = idle_cpu * (3600 / INTERVAL_S - 1 / 24) + check_cpu / 24  # 4 runs an hour, the checks once a day
    print(f"Between runs: no process (0 CPU, 0 memory). Averaged over an hour at a {INTERVAL_S // 60}-min interval "
          f"with daily checks: {per_hour:.2f} CPU s/hour = {100 * per_hour / 3600:.3f}% of one core.")
    print(f"load average now: {os.getloadavg()[0]:.1f} (timings on a busy machine are longer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
