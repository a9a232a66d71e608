"""How fast Ctrl-C ends `deskside diagnose --network` while its connectivity checks wait on a silent server, against
`curl` waiting on the same server in the same run (the tests only check that the run ends *cancelled*, not when).

A server on 127.0.0.1 accepts connections and never answers; the checks' timeout is 10 s. Once the server has
accepted a connection from the program (evidence, not a guess), SIGINT is sent and the time until the process has
exited is measured. Prints medians and the ratio; exits 0.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_CANCEL_RUNS", "5"))
DESKSIDE = str(Path(sys.executable).with_name("deskside"))


class Silent:
    """Accepts connections and never answers; `accepted` is set on each new connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def sigint_latency(argv: list[str], env: dict[str, str], server: Silent) -> float:
    server.accepted.clear()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    if not server.accepted.wait(60):
        proc.kill()
        raise RuntimeError(f"{argv[0]} never reached the silent server")
    t = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    proc.wait(60)
    return time.perf_counter() - t


def main() -> int:
    server = Silent()
    curl = shutil.which("curl")
    ours: list[float] = []
    theirs: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp, "cfg")
            cfg.mkdir()
            (cfg / "config.toml").write_text(
                "[diagnostics.connectivity]\n"
                f'dns_name = ""\ngateway = "127.0.0.1"\ngateway_port = {server.port}\n'
                f'internet_url = "http://127.0.0.1:{server.port}/"\nip_endpoint = "127.0.0.1:{server.port}"\n'
                f'tls_url = "https://127.0.0.1:{server.port}/"\nproxy = ""\ntimeout = 10\n'
            )
            env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
            env.update(DESKSIDE_CONFIG_DIR=str(cfg), DESKSIDE_CACHE_DIR=f"{tmp}/cache", DESKSIDE_DATA_DIR=f"{tmp}/data")
            for _ in range(RUNS):  # interleaved
                if curl:
                    theirs.append(sigint_latency([curl, "-s", "--max-time", "10", f"http://127.0.0.1:{server.port}/"],
                                                 env, server))
                ours.append(sigint_latency([DESKSIDE, "diagnose", "--only", "connectivity", "--no-progress"], env,
                                           server))
    finally:
        server.close()
    med = statistics.median(ours)
    print(f"Ctrl-C while the network checks wait on a silent server (check timeout 10 s), median of {RUNS} runs")
    print(f"  {'what':<52} {'ms':>8}")
    if theirs:
        ref = statistics.median(theirs)
        print(f"  {'curl --max-time 10 (exits on SIGINT)':<52} {ref * 1000:8.1f}")
    print(f"  {'deskside diagnose --only connectivity (partial report)':<52} {med * 1000:8.1f}")
    if theirs:
        print(f"  ratio Deskside / curl: {med / ref:.2f}x (Deskside also stops its checks and prints the report)")
    print(f"  share of the 10 s check timeout: {med / 10:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
