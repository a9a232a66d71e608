"""`deskside diagnose` in a real terminal (a pty): progress on stderr, Ctrl-C cancels and keeps the partial report."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

DESKSIDE = str(Path(sys.executable).with_name("deskside"))


def _read_all(fd: int, until: float, stop_when: str | None = None) -> str:
    out = b""
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if stop_when and stop_when.encode() in out:
                break
    return out.decode("utf-8", errors="replace")


def _read_until_only_connectivity_runs(fd: int, until: float) -> str:
    out = ""
    while time.monotonic() < until:
        out += _read_all(fd, min(until, time.monotonic() + 0.5))
        last = re.findall(r"\[(\d+)/(\d+)\] collecting… ([^\r\n\x1b]*)", out)
        if last and int(last[-1][0]) == int(last[-1][1]) - 1 and last[-1][2].strip() == "connectivity":
            break
    return out


def _spawn(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = pty.openpty()
    proc = subprocess.Popen([DESKSIDE, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    return proc, master


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["TERM"] = "xterm"
    return env


def test_progress_is_shown_on_a_terminal(tmp_path: Path) -> None:
    proc, master = _spawn(["diagnose", "--color", "never"], _env(tmp_path))
    text = _read_all(master, time.monotonic() + 60)
    proc.wait(30)
    os.close(master)
    assert "collecting…" in text and "/" in text.split("collecting…")[0]  # "[3/11] collecting… cpu, updates"
    assert "Summary (" in text


def test_ctrl_c_cancels_and_prints_the_partial_report(tmp_path: Path) -> None:
    # A server on 127.0.0.1 that accepts connections and never answers keeps the connectivity checks busy.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()
    reached = threading.Event()  # a connectivity check is connected to the silent server and waits on it

    def accept() -> None:
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
                reached.set()
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    cfg = Path(os.environ["DESKSIDE_CONFIG_DIR"])
    (cfg / "config.toml").write_text(
        "[diagnostics.connectivity]\n"
        f'dns_name = ""\ngateway = "127.0.0.1"\ngateway_port = {port}\n'
        f'internet_url = "http://127.0.0.1:{port}/"\nip_endpoint = "127.0.0.1:{port}"\n'
        f'tls_url = "https://127.0.0.1:{port}/"\nproxy = ""\ntimeout = 10\n'
    )
    try:
        proc, master = _spawn(["diagnose", "--network", "--color", "never"], _env(tmp_path))
        # Ctrl-C once every other collector is done ("[n-1/n] collecting… connectivity") and a check is stuck on
        # the silent server: events, not a guess of how long that takes.
        before = _read_until_only_connectivity_runs(master, time.monotonic() + 120)
        assert reached.wait(60), before
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        text = _read_all(master, time.monotonic() + 30)
        rc = proc.wait(30)
        os.close(master)
    finally:
        stop.set()
        silent.close()
        for s in accepted:
            s.close()
    assert rc == 130, text
    assert "cancelling" in text
    assert "were cancelled" in text or "cancelled" in text.split("Summary (")[1]
    assert "Internet connection      cancelled" in text
    assert "Storage" in text  # what was collected before Ctrl-C is still reported
    # "cancelled", not the checks' failures after their 10 s timeout: Ctrl-C stopped the run while they waited.
