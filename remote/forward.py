"""Port forwarding: local (-L), remote (-R) and dynamic (-D, SOCKS5). Started and stopped at will.

Each accepted connection gets a pump thread that owns its socket and its paramiko channel (paramiko's Transport
allows channels to be used from different threads). Listeners bind to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import select
import socket
import struct
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import paramiko

log = logging.getLogger(__name__)
BUF = 65536


class ForwardError(Exception):
    pass


def _pump(sock: socket.socket, chan: Any, stats: Forward, initial: bytes = b"") -> None:
    """Copy bytes both ways until either side closes."""
    try:
        if initial:
            chan.sendall(initial)
        while True:
            r, _, _ = select.select([sock, chan], [], [], 1.0)
            if stats.stopped.is_set():
                break
            if sock in r:
                data = sock.recv(BUF)
                if not data:
                    break
                chan.sendall(data)
                stats.bytes_out += len(data)
            if chan in r:
                data = chan.recv(BUF)
                if not data:
                    break
                sock.sendall(data)
                stats.bytes_in += len(data)
    except (OSError, EOFError) as exc:
        log.debug("forward pump ended: %s", exc)
    except Exception as exc:  # paramiko.SSHException and friends: end this one connection only
        log.debug("forward pump ended: %s", exc)
    finally:
        with contextlib.suppress(Exception):
            chan.close()
        with contextlib.suppress(OSError):
            sock.close()
        with stats.lock:
            stats.open_connections -= 1


class Forward:
    """A running forward. `stop()` closes the listener and every connection it carried."""

    kind = ""

    def __init__(self, transport: paramiko.Transport) -> None:
        self.transport = transport
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.bytes_in = 0
        self.bytes_out = 0
        self.open_connections = 0
        self.total_connections = 0
        self.error = ""

    @property
    def active(self) -> bool:
        return not self.stopped.is_set() and self.transport.is_active()

    def description(self) -> str:
        return self.kind

    def _spawn(self, sock: socket.socket, chan: Any, initial: bytes = b"") -> None:
        with self.lock:
            self.open_connections += 1
            self.total_connections += 1
        threading.Thread(target=_pump, args=(sock, chan, self, initial), name=f"fwd-{self.kind}", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()


class _Listener(Forward):
    """Shared part of -L and -D: a local listening socket and an accept thread."""

    def __init__(self, transport: paramiko.Transport, listen_host: str, listen_port: int) -> None:
        super().__init__(transport)
        self.listen_host = listen_host
        self.listen_port = listen_port
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.listen_host else socket.AF_INET
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            srv.bind((self.listen_host, self.listen_port))
        except OSError as exc:
            srv.close()
            raise ForwardError(
                f"cannot listen on {self.listen_host}:{self.listen_port}: {exc.strerror or exc}. "
                "Pick another local port."
            ) from exc
        srv.listen(16)
        srv.settimeout(0.5)
        self.listen_port = srv.getsockname()[1]
        self._server = srv
        self._thread = threading.Thread(target=self._accept_loop, name=f"fwd-{self.kind}-accept", daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self.stopped.is_set():
            try:
                client, addr = self._server.accept()
            except TimeoutError:
                if not self.transport.is_active():
                    self.error = "the SSH connection closed"
                    self.stopped.set()
                continue
            except OSError:
                break
            client.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._handle, args=(client, addr), daemon=True).start()
        with contextlib.suppress(OSError):
            self._server.close()

    def _open(self, client: socket.socket, addr: Any, host: str, port: int) -> Any:
        try:
            return self.transport.open_channel("direct-tcpip", (host, port), (addr[0], addr[1]), timeout=15)
        except Exception as exc:
            log.info("forward to %s:%s refused by the server: %s", host, port, exc)
            return None

    def _handle(self, client: socket.socket, addr: Any) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
        if self._thread is not None:
            self._thread.join(2)


class LocalForward(_Listener):
    kind = "local"

    def __init__(self, transport: paramiko.Transport, listen_host: str, listen_port: int, dest_host: str,
                 dest_port: int) -> None:
        super().__init__(transport, listen_host, listen_port)
        self.dest_host, self.dest_port = dest_host, dest_port

    def description(self) -> str:
        return f"-L {self.listen_host}:{self.listen_port} -> {self.dest_host}:{self.dest_port}"

    def _handle(self, client: socket.socket, addr: Any) -> None:
        chan = self._open(client, addr, self.dest_host, self.dest_port)
        if chan is None:
            client.close()
            return
        self._spawn(client, chan)


class DynamicForward(_Listener):
    """A SOCKS5 proxy (RFC 1928, no authentication, CONNECT only) whose connections leave from the server."""

    kind = "dynamic"

    def description(self) -> str:
        return f"-D {self.listen_host}:{self.listen_port} (SOCKS5)"

    @staticmethod
    def _recv_exact(sock: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("SOCKS client closed the connection")
            buf += chunk
        return buf

    def _handle(self, client: socket.socket, addr: Any) -> None:
        try:
            client.settimeout(15)
            ver, nmethods = self._recv_exact(client, 2)
            if ver != 5:
                raise ConnectionError(f"not SOCKS5 (version byte {ver})")
            methods = self._recv_exact(client, nmethods)
            if 0 not in methods:
                client.sendall(b"\x05\xff")
                raise ConnectionError("SOCKS client offers no 'no authentication' method")
            client.sendall(b"\x05\x00")
            ver, cmd, _rsv, atyp = self._recv_exact(client, 4)
            if atyp == 1:
                host = str(ipaddress.IPv4Address(self._recv_exact(client, 4)))
            elif atyp == 3:
                (n,) = self._recv_exact(client, 1)
                host = self._recv_exact(client, n).decode("idna")
            elif atyp == 4:
                host = str(ipaddress.IPv6Address(self._recv_exact(client, 16)))
            else:
                client.sendall(b"\x05\x08\x00\x01" + b"\0" * 6)
                raise ConnectionError("unsupported SOCKS address type")
            (port,) = struct.unpack("!H", self._recv_exact(client, 2))
            if cmd != 1:
                client.sendall(b"\x05\x07\x00\x01" + b"\0" * 6)
                raise ConnectionError("only SOCKS CONNECT is supported")
            chan = self._open(client, addr, host, port)
            if chan is None:
                client.sendall(b"\x05\x05\x00\x01" + b"\0" * 6)  # connection refused
                raise ConnectionError(f"the server could not connect to {host}:{port}")
            client.sendall(b"\x05\x00\x00\x01" + b"\0" * 6)
            client.settimeout(None)
        except (OSError, ValueError) as exc:
            log.info("SOCKS request failed: %s", exc)
            with contextlib.suppress(OSError):
                client.close()
            return
        self._spawn(client, chan)


class RemoteForwardRouter:
    """Hands each incoming `forwarded-tcpip` channel to the -R forward that owns the server port it arrived on.

    paramiko keeps ONE handler per transport (each `request_port_forward` replaces it, `cancel_port_forward` clears
    it), so with several -R forwards every connection would go to the last one's destination, and stopping one
    would orphan the others. One router per connection owns that handler instead.
    """

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._by_port: dict[int, list[RemoteForward]] = {}

    def register(self, fwd: RemoteForward) -> None:
        with self._cv:
            self._by_port.setdefault(fwd.remote_port, []).append(fwd)
            self._cv.notify_all()

    def unregister(self, fwd: RemoteForward) -> None:
        with self._cv:
            owners = self._by_port.get(fwd.remote_port, [])
            if fwd in owners:
                owners.remove(fwd)
            if not owners:
                self._by_port.pop(fwd.remote_port, None)

    def _find(self, address: str, port: int) -> RemoteForward | None:
        owners = self._by_port.get(port, [])
        for f in owners:
            if f.remote_host == address:
                return f
        return owners[0] if owners else None

    def __call__(self, chan: Any, origin: Any, server: Any) -> None:
        # Called on paramiko's transport thread: never block it.
        threading.Thread(target=self._route, args=(chan, origin, server), name="fwd-remote-route",
                         daemon=True).start()

    def _route(self, chan: Any, origin: Any, server: Any, wait: float = 5.0) -> None:
        address, port = str(server[0]), int(server[1])
        with self._cv:
            # a connection may arrive between the server's reply to tcpip-forward and register(): wait for it
            found = self._cv.wait_for(lambda: self._find(address, port) is not None, timeout=wait)
            fwd = self._find(address, port) if found else None
        if fwd is None:
            log.info("-R: a connection arrived for %s:%s, which no forward owns; closed", address, port)
            with contextlib.suppress(Exception):
                chan.close()
            return
        fwd._connect_back(chan)


class RemoteForward(Forward):
    """-R: the server listens on remote_host:remote_port; connections come back to dest_host:dest_port here."""

    kind = "remote"

    def __init__(self, transport: paramiko.Transport, remote_host: str, remote_port: int, dest_host: str,
                 dest_port: int, global_lock: threading.Lock, router: RemoteForwardRouter | None = None) -> None:
        super().__init__(transport)
        self.remote_host, self.remote_port = remote_host, remote_port
        self.dest_host, self.dest_port = dest_host, dest_port
        self._global_lock = global_lock
        self._router = router or RemoteForwardRouter()
        self._registered = False

    def description(self) -> str:
        return f"-R {self.remote_host}:{self.remote_port} -> {self.dest_host}:{self.dest_port}"

    def _connect_back(self, chan: Any) -> None:
        if self.stopped.is_set():
            chan.close()
            return
        try:
            sock = socket.create_connection((self.dest_host, self.dest_port), timeout=15)
        except OSError as exc:
            log.info("-R: cannot reach %s:%s: %s", self.dest_host, self.dest_port, exc)
            chan.close()
            return
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._spawn(sock, chan)

    def start(self, timeout: float = 15.0) -> None:
        if not self._global_lock.acquire(timeout=timeout):
            raise ForwardError("the connection is busy (a keepalive is not answered); try again")
        try:
            port = self.transport.request_port_forward(self.remote_host, self.remote_port, handler=self._router)
        except Exception as exc:
            raise ForwardError(
                f"the server refused to listen on {self.remote_host}:{self.remote_port} ({exc}). The port may be "
                "in use there, or the server forbids remote forwarding (AllowTcpForwarding / GatewayPorts)."
            ) from exc
        finally:
            self._global_lock.release()
        self.remote_port = int(port)
        self._router.register(self)
        self._registered = True

    def stop(self) -> None:
        super().stop()
        if self._registered:
            self._router.unregister(self)
        if self._registered and self.transport.is_active():
            if self._global_lock.acquire(timeout=5):
                try:
                    # Not transport.cancel_port_forward(): that also drops the handler other -R forwards use.
                    self.transport.global_request("cancel-tcpip-forward", (self.remote_host, self.remote_port),
                                                  wait=True)
                except Exception as exc:
                    log.info("cancel of -R %s failed: %s", self.remote_port, exc)
                finally:
                    self._global_lock.release()
        self._registered = False
