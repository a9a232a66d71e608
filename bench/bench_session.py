"""Session timings that the tests used to bound with a clock, measured here against OpenSSH in the same run:

- opening a session: Deskside's Connection.connect + one command + close, against `ssh host true` (a new ssh
  process: key exchange, host-key check, public-key login, one command), same sshd, interleaved;
- finding a dead peer: keepalives every 1 s, 2 unanswered ones mean dead, against `ssh -o ServerAliveInterval=1
  -o ServerAliveCountMax=2`; the server's session processes are stopped (SIGSTOP: TCP stays up, nothing answers)
  and the time until the client gives up is measured. The expected figure is interval x count (2 s), plus up to one
  interval of phase.

Needs root (starts sshd with a throwaway account); prints a table and the ratios and exits 0.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUNS = int(os.environ.get("BENCH_SESSION_RUNS", "20"))
DEAD_PEER_RUNS = int(os.environ.get("BENCH_DEAD_PEER_RUNS", "3"))


def main() -> int:
    if os.geteuid() != 0 or not shutil.which("ssh") or not os.path.exists("/usr/sbin/sshd"):
        print("session benchmark skipped: needs root, sshd (openssh-server) and ssh (openssh-client)")
        return 0
    from remote.connection import Connection
    from tests.integration.sshd import Answers, SshEnv

    base = Path(tempfile.mkdtemp(prefix="deskside-bench-"))
    env = SshEnv(base)
    try:
        server = env.sshd("benchsession")
        store = env.trusted_store(server)

        def ssh_opts(port: int) -> list[str]:
            return ["-F", "/dev/null", "-o", f"UserKnownHostsFile={store.own_store_path}", "-o",
                    "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                    "-o", "IdentitiesOnly=yes", "-i", str(env.client_key), "-p", str(port)]

        target = f"{env.user}@127.0.0.1"
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(RUNS):  # interleaved
            t = time.perf_counter()
            subprocess.run(["ssh", *ssh_opts(server.port), target, "true"], check=True)
            theirs.append(time.perf_counter() - t)
            t = time.perf_counter()
            conn = Connection(store, use_agent=False)
            conn.connect(env.profile(server, identity_files=[str(env.client_key)]), Answers(), timeout=20)
            assert conn.exec("true", timeout=10).exit_status == 0
            conn.close()
            ours.append(time.perf_counter() - t)
        server.stop()
        ref, med = statistics.median(theirs), statistics.median(ours)
        print(f"open a session, run `true`, close: median of {RUNS} runs")
        print(f"  {'what':<54} {'ms':>8}")
        print(f"  {'ssh host true (a new process)':<54} {ref * 1000:8.1f}")
        print(f"  {'deskside Connection.connect + exec + close':<54} {med * 1000:8.1f}")
        print(f"  ratio ssh time / Deskside time: {ref / med:.2f}x (higher is better for Deskside)")

        dead_ssh: list[float] = []
        dead_ours: list[float] = []
        for i in range(DEAD_PEER_RUNS):
            srv = env.sshd(f"deadssh{i}")
            st = env.trusted_store(srv)
            opts = ssh_opts(srv.port)
            opts[opts.index(f"UserKnownHostsFile={store.own_store_path}")] = f"UserKnownHostsFile={st.own_store_path}"
            proc = subprocess.Popen(["ssh", *opts, "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2",
                                     target, "echo up; sleep 600"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
            srv.signal_sessions(signal.SIGSTOP)
            t = time.perf_counter()
            proc.wait(60)
            dead_ssh.append(time.perf_counter() - t)
            srv.stop()

            srv = env.sshd(f"deadours{i}")
            lost = threading.Event()
            conn = env.connect(srv, keepalive_interval=1, keepalive_count_max=2)
            conn.on_lost = lambda _reason, found=lost: found.set()
            assert conn.exec("echo up", timeout=10).stdout == b"up\n"
            srv.signal_sessions(signal.SIGSTOP)
            t = time.perf_counter()
            assert lost.wait(60)
            dead_ours.append(time.perf_counter() - t)
            conn.close()
            srv.stop()
        ref, med = statistics.median(dead_ssh), statistics.median(dead_ours)
        print(f"find a dead peer (keepalive every 1 s, 2 missed = dead): median of {DEAD_PEER_RUNS} runs")
        print(f"  {'what':<54} {'s':>8}")
        print(f"  {'ssh -o ServerAliveInterval=1 -o ServerAliveCountMax=2':<54} {ref:8.2f}")
        print(f"  {'deskside keepalive_interval=1, count_max=2':<54} {med:8.2f}")
        print(f"  ratio Deskside time / ssh time: {med / ref:.2f}x (expected about 1x; 2 s to 3 s each)")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
