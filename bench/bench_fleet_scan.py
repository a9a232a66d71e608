"""50 hosts: `deskside scan` against OpenSSH running `apt list --upgradable` through `xargs -P` at the same
concurrency, in the same run (issue 9). The hosts are inventory entries pointing at a few loopback sshd servers
(BENCH_FLEET_SERVERS x BENCH_FLEET_HOSTS / servers entries), throwaway keys and known_hosts.

Prints hosts per second for each and the ratios (target: deskside no slower, ratio >= 1.0x) for two scans:
`--fresh`, where every host asks apt for its updates as the reference does (Deskside through `apt-cache policy`,
see docs/scan.md), and the default rescan, where a host on which nothing apt depends on has changed since the last
scan is spared apt (its kept answer is read).
With ansible-playbook installed also `deskside scan --engine ansible` once. Needs root (sshd); exits 0.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleet_common import DESKSIDE, fleet, timed, usable

HOSTS = int(os.environ.get("BENCH_FLEET_HOSTS", "50"))
SERVERS = int(os.environ.get("BENCH_FLEET_SERVERS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_FLEET_CONCURRENCY", "10"))
RUNS = int(os.environ.get("BENCH_FLEET_RUNS", "4"))


def busy_seconds() -> float:
    """CPU time the whole machine has spent (all cores, not idle), from /proc/stat."""
    with open("/proc/stat") as fh:
        ticks = [int(x) for x in fh.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    why = usable()
    if why:
        print(f"fleet scan benchmark skipped: {why}")
        return 0
    with fleet(SERVERS) as f, tempfile.TemporaryDirectory() as tmp:
        ports = [f.servers[i % SERVERS].port for i in range(HOSTS)]
        inv = f.csv(Path(tmp) / "hosts.csv", ports)
        env = f.process_env()
        ssh = f.ssh_argv(0)
        p = ssh.index("-p")
        # xargs fills in the port: `ssh ... -p PORT user@127.0.0.1 apt list --upgradable`, N at a time.
        xargs = ["sh", "-c", f"xargs -P {CONCURRENCY} -I PORT {subprocess.list2cmdline(ssh[:p + 1])} PORT "
                 f"{ssh[p + 2]} apt list --upgradable < {tmp}/ports >/dev/null 2>&1; echo done"]
        Path(tmp, "ports").write_text("".join(f"{port}\n" for port in ports))
        scan = [DESKSIDE, "scan", "-i", str(inv), "-j", str(CONCURRENCY), "--json"]
        timed(scan, env, check_out='"hosts"')  # warm-up (page cache), and the history's first scan
        ours: list[float] = []
        fresh: list[float] = []
        theirs: list[float] = []
        cpu = {"xargs": 0.0, "fresh": 0.0, "rescan": 0.0}
        sides = [("xargs", xargs, "done", theirs), ("fresh", [*scan, "--fresh"], '"compliant', fresh),
                 ("rescan", scan, '"from_cache": true', ours)]
        for i in range(RUNS):  # interleaved, in turn forwards and backwards, so the machine's drift hits all alike
            for name, argv, marker, times in (sides if i % 2 == 0 else sides[::-1]):
                before = busy_seconds()
                times.append(timed(argv, env, check_out=marker))
                cpu[name] += busy_seconds() - before
        ansible = None
        if os.environ.get("BENCH_FLEET_ANSIBLE", "1") == "1" and Path(DESKSIDE).with_name("ansible-playbook").exists():
            start = time.perf_counter()
            res = subprocess.run([*scan, "--engine", "ansible"], env=env, capture_output=True, text=True, check=False)
            ansible = time.perf_counter() - start if '"compliant' in res.stdout else None
    ref, cold, med = statistics.median(theirs), statistics.median(fresh), statistics.median(ours)
    print(f"{HOSTS} hosts ({SERVERS} loopback sshd), concurrency {CONCURRENCY}, median of {RUNS} runs")
    print(f"  {'what':<60} {'s':>7} {'hosts/s':>8}")
    print(f"  {'xargs -P ssh host apt list --upgradable':<60} {ref:7.2f} {HOSTS / ref:8.1f}")
    print(f"  {'deskside scan --fresh (apt asked on every host)':<60} {cold:7.2f} {HOSTS / cold:8.1f}")
    print(f"  {'deskside scan (rescan: unchanged hosts spared apt)':<60} {med:7.2f} {HOSTS / med:8.1f}")
    if ansible is not None:
        print(f"  {'deskside scan --engine ansible (one run)':<60} {ansible:7.2f} {HOSTS / ansible:8.1f}")
    print(f"  ratio xargs time / deskside scan --fresh time: {ref / cold:.2f}x (target >= 1.0x)")
    print(f"  ratio xargs time / deskside rescan time:       {ref / med:.2f}x (target >= 1.0x)")
    for what, times in (("xargs", theirs), ("--fresh", fresh), ("rescan", ours)):
        print(f"  run by run, {what}: {' '.join(f'{t:.1f}' for t in times)} s")
    per_host = {k: v / RUNS / HOSTS * 1000 for k, v in cpu.items()}
    print(f"  CPU of the whole machine (clients, sshd, hosts' commands) per host: xargs {per_host['xargs']:.0f} ms, "
          f"--fresh {per_host['fresh']:.0f} ms, rescan {per_host['rescan']:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
