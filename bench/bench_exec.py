"""One command on an open connection: Deskside's Connection.exec against `ssh` through a ControlMaster connection
(`ssh -S socket host true`, a new ssh process each time, as a user or script would run it), same sshd, same run.

Target (issue 3): no slower than the ControlMaster. Needs root (starts sshd with a throwaway account); prints a
table and the ratio and exits 0.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUNS = int(os.environ.get("BENCH_EXEC_RUNS", "50"))


def main() -> int:
    if os.geteuid() != 0 or not shutil.which("ssh") or not os.path.exists("/usr/sbin/sshd"):
        print("exec benchmark skipped: needs root, sshd (openssh-server) and ssh (openssh-client)")
        return 0
    from remote.connection import Connection
    from remote.hosts import HostProfile
    from tests.integration.sshd import Answers, SshEnv

    base = Path(tempfile.mkdtemp(prefix="deskside-bench-"))
    env = SshEnv(base)
    server = env.sshd("benchexec")
    control = base / "cm.sock"
    store = env.trusted_store(server)
    opts = ["-F", "/dev/null", "-o", f"UserKnownHostsFile={store.own_store_path}", "-o",
            "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes", "-i", str(env.client_key), "-p", str(server.port), "-S", str(control)]
    target = f"{env.user}@127.0.0.1"
    master = None
    try:
        master = subprocess.Popen(["ssh", *opts, "-M", "-N", "-o", "ControlPersist=no", target])
        for _ in range(200):
            if control.exists():
                break
            time.sleep(0.05)
        conn = Connection(store, use_agent=False)
        conn.connect(HostProfile("b", "127.0.0.1", env.user, server.port, identity_files=[str(env.client_key)]),
                     Answers(), timeout=20)
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(RUNS):  # interleaved
            t = time.perf_counter()
            subprocess.run(["ssh", *opts, target, "true"], check=True)
            theirs.append(time.perf_counter() - t)
            t = time.perf_counter()
            r = conn.exec("true", timeout=10)
            ours.append(time.perf_counter() - t)
            assert r.exit_status == 0
        conn.close()
        ref, med = statistics.median(theirs), statistics.median(ours)
        print(f"one command (`true`) on an open connection, median of {RUNS} runs")
        print(f"  {'what':<40} {'ms':>7}")
        print(f"  {'ssh -S ControlMaster host true':<40} {ref * 1000:7.2f}")
        print(f"  {'deskside Connection.exec (TCP_NODELAY)':<40} {med * 1000:7.2f}")
        print(f"  ratio ControlMaster time / Deskside time: {ref / med:.2f}x (target >= 1.0x)")
    finally:
        if master is not None:
            master.terminate()
            master.wait(5)
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
