"""Shared by bench_fleet_*.py: loopback sshd servers with a throwaway account and keys, a throwaway HOME whose
known_hosts trusts them (for both `ssh` and Deskside), and a latency proxy (asyncio; the kernel here has no netem).
Everything listens on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DESKSIDE = str(Path(sys.executable).with_name("deskside"))


def usable() -> str | None:
    """Why the fleet benches cannot run here, or None."""
    if os.geteuid() != 0 or not shutil.which("ssh") or not os.path.exists("/usr/sbin/sshd"):
        return "needs root, sshd (openssh-server) and ssh (openssh-client)"
    if not shutil.which("apt"):
        return "needs apt (the reference command is apt list --upgradable)"
    return None


class Fleet:
    """`n` sshd servers and a HOME (for deskside and ssh) that trusts their keys."""

    def __init__(self, base: Path, n: int) -> None:
        from tests.integration.sshd import SshEnv

        self.base = base
        self.env = SshEnv(base)
        self.servers = [self.env.sshd(f"benchfleet{i}") for i in range(n)]
        self.home = base / "home"
        (self.home / ".ssh").mkdir(parents=True, exist_ok=True)
        self.known_hosts = self.home / ".ssh" / "known_hosts"
        self.trust(*(s.port for s in self.servers))

    def trust(self, *ports: int, server: Any = None) -> None:
        """Trust the server's key at 127.0.0.1:PORT (a proxy port shows the key of the server behind it)."""
        with open(self.known_hosts, "a") as fh:
            for port in ports:
                srv = server or next(s for s in self.servers if s.port == port)
                fh.write(f"[127.0.0.1]:{port} {' '.join(srv.host_pub_line.split()[:2])}\n")

    def process_env(self) -> dict[str, str]:
        env = dict(os.environ, HOME=str(self.home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
                   XDG_DATA_HOME=str(self.home / "data"), XDG_CONFIG_HOME=str(self.home / "config"),
                   XDG_CACHE_HOME=str(self.home / "cache"))
        env.pop("SSH_AUTH_SOCK", None)
        env.pop("DISPLAY", None)
        # As an installed deskside: its modules compiled once (the warm-up run), not at every start, even where the
        # environment says PYTHONDONTWRITEBYTECODE; the bytecode goes to the throwaway folder, not the checkout.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.base / "pycache")
        return env

    def ssh_argv(self, port: int) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-o", f"UserKnownHostsFile={self.known_hosts}", "-o",
                "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-i", str(self.env.client_key), "-p", str(port),
                f"{self.env.user}@127.0.0.1"]

    def csv(self, path: Path, ports: list[int]) -> Path:
        lines = ["name,hostname,port,user,identity_file"]
        lines += [f"h{i:03d},127.0.0.1,{p},{self.env.user},{self.env.client_key}" for i, p in enumerate(ports)]
        path.write_text("\n".join(lines) + "\n")
        return path

    def stop(self) -> None:
        for s in self.servers:
            s.stop()


@contextlib.contextmanager
def fleet(n: int) -> Iterator[Fleet]:
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="deskside-bench-fleet-"))
    f = Fleet(base, n)
    try:
        yield f
    finally:
        f.stop()
        shutil.rmtree(base, ignore_errors=True)


def timed(argv: list[str], env: dict[str, str], check_out: str | None = None) -> float:
    start = time.perf_counter()
    res = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    took = time.perf_counter() - start
    if check_out is not None and check_out not in res.stdout:
        raise RuntimeError(f"{argv[0]} did not do its work (exit {res.returncode}): {res.stderr[-500:]}")
    return took


class DelayProxy:
    """A TCP proxy on 127.0.0.1 that holds every chunk `delay` seconds each way (2 x delay of round-trip time),
    keeping the order of the chunks. Runs its own event loop in a thread."""

    def __init__(self, upstream_port: int, delay: float = 0.025) -> None:
        self.upstream_port, self.delay = upstream_port, delay
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, name="delay-proxy", daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(self.loop)
        for t in tasks:
            t.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def send() -> None:
            while (item := await queue.get()) is not None:
                when, chunk = item
                if (left := when - self.loop.time()) > 0:
                    await asyncio.sleep(left)
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

        sender = asyncio.ensure_future(send())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((self.loop.time() + self.delay, chunk))
        except OSError:
            pass
        queue.put_nowait(None)
        with contextlib.suppress(OSError):
            await sender

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        for w in (writer, up_writer):
            sock = w.get_extra_info("socket")
            if sock is not None:
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        except asyncio.CancelledError:  # the proxy is closing
            pass
        for w in (writer, up_writer):
            w.close()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
