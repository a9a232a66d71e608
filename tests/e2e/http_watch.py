"""A TCP proxy on 127.0.0.1 in front of a real HTTP server that tells the test when a request has been handed over
whole: the evidence a test waits on instead of sleeping ("the request is in the server's socket").

It forwards bytes unchanged except the Host header (rewritten to the upstream's, so the server sees its own name),
and parses just enough HTTP/1.1 (request line, Content-Length) to know where each request ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
import struct
import termios
import threading
import time


def _unsent(sock: socket.socket) -> int:
    """Bytes in the socket's send queue not yet taken by the peer's kernel (SIOCOUTQ, the same ioctl as TIOCOUTQ)."""
    return int(struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0])


class HttpWatch:
    """`watch.url` replaces the server's URL; `watch.handed_over(method, path_suffix)` is an Event set once such a
    request was written whole into the server's socket (all bytes taken by the server's kernel)."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._watched: list[tuple[bytes, bytes, threading.Event]] = []
        self._socks: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, name="http-watch", daemon=True).start()

    def handed_over(self, method: str, path_suffix: str) -> threading.Event:
        ev = threading.Event()
        self._watched.append((method.encode(), path_suffix.encode(), ev))
        return ev

    def close(self) -> None:
        self._stop.set()
        for s in [self._listener, *self._socks]:
            with contextlib.suppress(OSError):
                s.close()

    def __enter__(self) -> HttpWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
                server = socket.create_connection(self.upstream, timeout=30)
            except OSError:
                return
            server.settimeout(None)
            self._socks += [client, server]
            threading.Thread(target=self._to_server, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _to_server(self, client: socket.socket, server: socket.socket) -> None:
        buf = b""
        with contextlib.suppress(OSError):
            while True:
                while b"\r\n\r\n" not in buf:
                    data = client.recv(65536)
                    if not data:
                        server.shutdown(socket.SHUT_WR)
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                method, path = lines[0].split(b" ")[:2]
                length = 0
                for i, line in enumerate(lines[1:], 1):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                    elif name.strip().lower() == b"host":
                        lines[i] = b"Host: %s:%d" % (self.upstream[0].encode(), self.upstream[1])
                server.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
                while length > 0:
                    if not buf:
                        buf = client.recv(65536)
                        if not buf:  # the client went away mid-body: tell the server, or it waits for the rest
                            server.shutdown(socket.SHUT_WR)
                            return
                    part, buf = buf[:length], buf[length:]
                    server.sendall(part)
                    length -= len(part)
                for m, suffix, ev in self._watched:
                    if m == method and path.split(b"?")[0].endswith(suffix):
                        while _unsent(server) and not self._stop.is_set():  # until the server's kernel has it all
                            time.sleep(0.01)
                        ev.set()
