"""One host's posture with 50 ms of round-trip time: `deskside scan` of one host against `ssh host apt list
--upgradable`, both through the same TCP proxy on 127.0.0.1 that holds every chunk 25 ms each way (the kernel here
has no netem), in the same run (issue 9). Target: deskside at most 1.2x the time of ssh.

deskside runs with --fresh, so apt runs on the host as in the reference (apt-cache policy); the default rescan
(the host's kept answer reused when nothing apt depends on has changed) is printed beside it. Also prints how many
SSH round trips (commands) the posture takes after the login, and the time of the login alone for both.
Needs root (sshd); exits 0.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fleet_common import DESKSIDE, DelayProxy, fleet, timed, usable

RUNS = int(os.environ.get("BENCH_LATENCY_RUNS", "5"))
DELAY = float(os.environ.get("BENCH_LATENCY_DELAY", "0.025"))


def round_trips(f: object, port: int) -> tuple[int, float]:
    """The posture's commands after the login, counted on Deskside's own SshHost, and its time."""
    from desktop.remote_host import SshHost
    from fleet import policy as pol
    from fleet.scan import collect_evidence
    from remote.connection import Connection
    from remote.hosts import HostProfile
    from remote.trust import HostKeyStore
    from tests.integration.sshd import Answers

    env = f.env  # type: ignore[attr-defined]
    conn = Connection(HostKeyStore([f.known_hosts], None), use_agent=False)  # type: ignore[attr-defined]
    conn.connect(HostProfile("b", "127.0.0.1", env.user, port, identity_files=[str(env.client_key)]), Answers(),
                 timeout=30)
    try:
        start = time.perf_counter()
        host = SshHost(conn, probe=False)  # as the scan makes it: the script answers the probe
        collect_evidence(host, pol.DEFAULT)
        return host.commands_run, time.perf_counter() - start
    finally:
        conn.close()


def main() -> int:
    why = usable()
    if why:
        print(f"fleet latency benchmark skipped: {why}")
        return 0
    with fleet(1) as f, tempfile.TemporaryDirectory() as tmp:
        proxy = DelayProxy(f.servers[0].port, DELAY)
        try:
            f.trust(proxy.port, server=f.servers[0])
            env = f.process_env()
            inv = f.csv(Path(tmp) / "one.csv", [proxy.port])
            scan = [DESKSIDE, "scan", "-i", str(inv), "--json", "--no-history"]
            ssh = [*f.ssh_argv(proxy.port), "apt", "list", "--upgradable"]
            login = [*f.ssh_argv(proxy.port), "true"]
            timed(scan, env, check_out='"compliant')  # warm-up
            ours, theirs, logins, rescans = [], [], [], []
            for _ in range(RUNS):  # interleaved
                theirs.append(timed(ssh, env, check_out="Listing"))
                ours.append(timed([*scan, "--fresh"], env, check_out='"compliant'))
                rescans.append(timed(scan, env, check_out='"from_cache": true'))
                logins.append(timed(login, env))
            trips, posture_s = round_trips(f, proxy.port)
        finally:
            proxy.close()
    ref, med = statistics.median(theirs), statistics.median(ours)
    print(f"one host through a proxy adding {DELAY * 2000:.0f} ms round-trip time, median of {RUNS} runs")
    print(f"  {'what':<48} {'s':>7}")
    print(f"  {'ssh host true (login alone)':<48} {statistics.median(logins):7.3f}")
    print(f"  {'ssh host apt list --upgradable':<48} {ref:7.3f}")
    print(f"  {'deskside scan --fresh HOST (whole process)':<48} {med:7.3f}")
    print(f"  {'deskside scan HOST (rescan, host unchanged)':<48} {statistics.median(rescans):7.3f}")
    print(f"  {'  of which the posture after login (in-process)':<48} {posture_s:7.3f}  ({trips} SSH commands)")
    print(f"  ratio deskside scan --fresh time / ssh time: {med / ref:.2f}x (target <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
