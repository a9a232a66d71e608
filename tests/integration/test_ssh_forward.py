"""Port forwarding against a real sshd carrying real bytes: -L to a local echo server, -R back to one, -D SOCKS5."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from tests.integration.sshd import Sshd, SshEnv, free_port

pytestmark = [pytest.mark.integration, pytest.mark.root]


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A TCP echo server on 127.0.0.1 that upper-cases nothing: it sends back exactly what it got."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.5)
    stop = threading.Event()

    def serve(c: socket.socket) -> None:
        with c:
            while data := c.recv(65536):
                c.sendall(data)

    def loop() -> None:
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    yield srv.getsockname()[1]
    stop.set()
    srv.close()


def roundtrip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def test_local_forward_carries_bytes_and_stops(ssh_env: SshEnv, sshd_server: Sshd, echo_server: int,
                                              tmp_path) -> None:
    from remote.audit import AuditLog

    audit = AuditLog(tmp_path / "audit.jsonl")
    conn = ssh_env.connect(sshd_server, audit=audit)
    try:
        fwd = conn.forward_local(0, "127.0.0.1", echo_server)
        port = fwd.listen_port  # type: ignore[attr-defined]
        payload = os.urandom(1_000_000)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            assert roundtrip(s, payload) == payload
        assert fwd.bytes_out >= len(payload)
        assert "direct-tcpip" in sshd_server.wait_log(f"port {echo_server}")
        fwd.stop()
        assert [(e["kind"], e["command"]) for e in audit.entries()] == [
            ("forward", f"-L 127.0.0.1:{port} -> 127.0.0.1:{echo_server}")]
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"x")
            if not s.recv(1):
                raise ConnectionResetError("closed")
    finally:
        conn.close()


def test_remote_forward_carries_bytes(ssh_env: SshEnv, sshd_server: Sshd, echo_server: int) -> None:
    conn = ssh_env.connect(sshd_server)
    try:
        rport = free_port()
        fwd = conn.forward_remote(rport, "127.0.0.1", echo_server)
        # the server side listens now; a program ON THE SERVER connects to it and gets our echo server
        r = conn.exec(
            f"python3 -c \"import socket;s=socket.create_connection(('127.0.0.1',{rport}));"
            "s.sendall(b'through -R');print(s.recv(100).decode())\"",
            timeout=20,
        )
        assert r.exit_status == 0, r.stderr
        assert r.stdout.strip() == b"through -R"
        fwd.stop()
        r = conn.exec(f"python3 -c \"import socket;socket.create_connection(('127.0.0.1',{rport}))\"", timeout=20)
        assert r.exit_status != 0  # nobody listens there any more
    finally:
        conn.close()


def test_dynamic_forward_socks5(ssh_env: SshEnv, sshd_server: Sshd, echo_server: int) -> None:
    conn = ssh_env.connect(sshd_server)
    try:
        fwd = conn.forward_dynamic(0)
        port = fwd.listen_port  # type: ignore[attr-defined]
        for atyp, addr in ((1, socket.inet_aton("127.0.0.1")), (3, bytes([9]) + b"localhost")):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"\x05\x01\x00")
                assert s.recv(2) == b"\x05\x00"
                s.sendall(b"\x05\x01\x00" + bytes([atyp]) + addr + struct.pack("!H", echo_server))
                reply = s.recv(10)
                assert reply[:2] == b"\x05\x00", reply
                payload = os.urandom(200_000)
                assert roundtrip(s, payload) == payload
        # a refused destination gives a SOCKS error, not a hang
        closed = free_port()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"\x05\x01\x00")
            s.recv(2)
            s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", closed))
            assert s.recv(10)[:2] == b"\x05\x05"
        fwd.stop()
    finally:
        with contextlib.suppress(Exception):
            conn.close()


@pytest.fixture
def tag_servers() -> Iterator[list[int]]:
    """Two TCP servers on 127.0.0.1 that each send their own tag and close."""
    servers: list[socket.socket] = []
    for tag in (b"first", b"second"):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)

        def loop(s: socket.socket = srv, t: bytes = tag) -> None:
            while True:
                try:
                    c, _ = s.accept()
                except OSError:
                    return
                with c:
                    c.sendall(t)

        threading.Thread(target=loop, daemon=True).start()
        servers.append(srv)
    yield [s.getsockname()[1] for s in servers]
    for s in servers:
        s.close()


def test_two_remote_forwards_each_reach_their_own_destination(ssh_env: SshEnv, sshd_server: Sshd,
                                                              tag_servers: list[int]) -> None:
    conn = ssh_env.connect(sshd_server)
    read = "python3 -c \"import socket;print(socket.create_connection(('127.0.0.1',{})).recv(100).decode())\""
    try:
        f1 = conn.forward_remote(free_port(), "127.0.0.1", tag_servers[0])
        f2 = conn.forward_remote(free_port(), "127.0.0.1", tag_servers[1])
        p1, p2 = f1.remote_port, f2.remote_port  # type: ignore[attr-defined]
        assert conn.exec(read.format(p1), timeout=20).stdout.strip() == b"first"
        assert conn.exec(read.format(p2), timeout=20).stdout.strip() == b"second"
        f2.stop()  # stopping one -R leaves the other one working
        assert conn.exec(read.format(p1), timeout=20).stdout.strip() == b"first"
        assert conn.exec(read.format(p2), timeout=20).exit_status != 0
    finally:
        conn.close()
