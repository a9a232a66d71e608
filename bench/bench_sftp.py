"""SFTP throughput on loopback: Deskside against OpenSSH's `sftp -b`, same sshd, same 256 MiB file, same run.

Two views, each a median of BENCH_RUNS interleaved runs:
  whole command  `deskside sftp HOST get|put` as a process vs `sftp -b batch` as a process (connection included)
  transfer only  SftpClient.get/put on an already open connection vs the same whole sftp process: this row leaves
                 out Deskside's start-up and login but not OpenSSH's, so it FAVOURS Deskside; it shows the
                 transfer's own speed only. The target is judged on the whole-command rows.
Target (issue 3): at least 0.8x OpenSSH's throughput each way. Needs root (starts sshd with a throwaway account);
prints a table and the ratios and exits 0.
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

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SIZE = int(os.environ.get("BENCH_SFTP_MIB", "256")) * 1024 * 1024


def main() -> int:
    if os.geteuid() != 0 or not shutil.which("sftp") or not os.path.exists("/usr/sbin/sshd"):
        print("sftp benchmark skipped: needs root, sshd (openssh-server) and sftp (openssh-client)")
        return 0
    from remote.connection import Connection
    from remote.hosts import HostProfile
    from tests.integration.sshd import Answers, SshEnv

    base = Path(tempfile.mkdtemp(prefix="deskside-bench-"))
    env = SshEnv(base)
    server = env.sshd("bench")
    home = Path(f"/home/{env.user}")
    remote_src = home / "bench-src.bin"
    local_src = base / "local-src.bin"
    try:
        with open(local_src, "wb") as fh:
            for _ in range(SIZE // (16 << 20)):
                fh.write(os.urandom(16 << 20))
        shutil.copyfile(local_src, remote_src)
        shutil.chown(remote_src, env.user, env.user)
        store = env.trusted_store(server)
        target = f"{env.user}@127.0.0.1"
        ssh_opts = ["-o", f"UserKnownHostsFile={store.own_store_path}", "-o", "GlobalKnownHostsFile=/dev/null",
                    "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                    "-i", str(env.client_key), "-P", str(server.port)]
        dl = base / "dl"
        dl.mkdir()
        cli_env = dict(os.environ, HOME=str(base / "clihome"), DESKSIDE_CONFIG_DIR=str(base / "cfg"),
                       DESKSIDE_DATA_DIR=str(base / "data"), DESKSIDE_LOG_DIR=str(base / "log"))
        cli_env.pop("SSH_AUTH_SOCK", None)
        (base / "data").mkdir()
        shutil.copyfile(store.own_store_path, base / "data" / "known_hosts")
        deskside = [sys.executable, "-m", "desktop.cli", "sftp", "-i", str(env.client_key), "--no-agent",
                    f"{target}:{server.port}"]

        def run(argv: list[str], **kw: object) -> float:
            t = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, cwd=REPO, **kw)  # type: ignore[call-overload]
            return time.perf_counter() - t

        def openssh(batch: str) -> float:
            bf = base / "batch"
            bf.write_text(batch + "\n")
            return run(["sftp", "-q", "-b", str(bf), *ssh_opts, target])

        def clean() -> None:
            for p in dl.iterdir():
                p.unlink()
            for p in home.glob("bench-up*"):
                p.unlink()

        from remote.sftp import tune_allocator

        tune_allocator()  # as SftpClient.open does in the app (the in-process rows, too)
        conn = Connection(store, use_agent=False)
        conn.connect(HostProfile("b", "127.0.0.1", env.user, server.port, identity_files=[str(env.client_key)]),
                     Answers(), timeout=20)
        sftp = conn.sftp()
        times: dict[str, list[float]] = {k: [] for k in (
            "openssh get", "deskside get (command)", "deskside get (transfer)",
            "openssh put", "deskside put (command)", "deskside put (transfer)")}
        for _ in range(RUNS):
            clean()
            times["openssh get"].append(openssh(f"get {remote_src} {dl}/o.bin"))
            clean()
            times["deskside get (command)"].append(run([*deskside, "get", "-q", str(remote_src), str(dl)], env=cli_env))
            clean()
            t = time.perf_counter()
            sftp.get(str(remote_src), dl)
            times["deskside get (transfer)"].append(time.perf_counter() - t)
            clean()
            times["openssh put"].append(openssh(f"put {local_src} {home}/bench-up-o.bin"))
            clean()
            times["deskside put (command)"].append(run([*deskside, "put", "-q", str(local_src), str(home)],
                                                       env=cli_env))
            clean()
            t = time.perf_counter()
            sftp.put(local_src, str(home))
            times["deskside put (transfer)"].append(time.perf_counter() - t)
            (home / local_src.name).unlink()
        sftp.close()
        conn.close()
        mib = SIZE / (1 << 20)
        print(f"SFTP {mib:.0f} MiB on loopback, median of {RUNS} runs (OpenSSH {ssh_version()})")
        print(f"  {'what':<26} {'seconds':>8} {'MB/s':>8} {'ratio':>7}")
        for way in ("get", "put"):
            ref = statistics.median(times[f"openssh {way}"])
            for key in (f"openssh {way}", f"deskside {way} (command)", f"deskside {way} (transfer)"):
                med = statistics.median(times[key])
                print(f"  {key:<26} {med:8.3f} {SIZE / med / 1e6:8.1f} {ref / med:6.2f}x")
        print("  ratio = OpenSSH sftp time / Deskside time (throughput ratio); target >= 0.80x each way, judged on")
        print("  the (command) rows; the (transfer) rows leave out Deskside's start-up and login, not OpenSSH's")
    finally:
        server.stop()
        remote_src.unlink(missing_ok=True)
        for p in home.glob("bench-up*"):
            p.unlink()
        shutil.rmtree(base, ignore_errors=True)
    return 0


def ssh_version() -> str:
    r = subprocess.run(["ssh", "-V"], capture_output=True, text=True)
    return (r.stderr or r.stdout).strip().split(",")[0]


if __name__ == "__main__":
    sys.exit(main())
