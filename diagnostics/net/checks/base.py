"""What every connectivity check shares: the result dict, the deadline, name resolution and TCP connect with plain
reasons, and running the checks in parallel."""

from __future__ import annotations

import errno
import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from common.deadline import DeadlineExceeded, Ended, call_with_deadline, start, watch

from ...cancel import Cancelled, CancelToken

CheckResult = dict[str, Any]


class CheckFailed(Exception):
    """A check's step failed; the message is the plain reason shown to the user."""


class Deadline:
    def __init__(self, timeout: float, cancel: CancelToken | None = None) -> None:
        self.timeout = timeout
        self.end = time.monotonic() + timeout
        self.cancel = cancel

    def left(self) -> float:
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled("cancelled by the user")
        rest = self.end - time.monotonic()
        if rest <= 0:
            raise CheckFailed(f"no answer within {self.timeout:g} s")
        return rest


def check_result(ok: bool | None, target: str, summary: str, started: float, **extra: Any) -> CheckResult:
    return {"ok": ok, "target": target, "summary": summary, "duration_s": round(time.monotonic() - started, 3),
            **extra}


def not_run(target: str, why: str) -> CheckResult:
    return {"ok": None, "target": target, "summary": why, "duration_s": 0.0}


def os_reason(exc: OSError, what: str, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"{what} refused the connection (nothing listens there)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"{what} did not answer within {timeout:g} s"
    if exc.errno == errno.ENETUNREACH:
        return f"{what} cannot be reached: the network is unreachable (no route)"
    if exc.errno == errno.EHOSTUNREACH:
        return f"{what} cannot be reached: no route to the host"
    if isinstance(exc, ConnectionResetError):
        return f"{what} closed the connection"
    return f"{what}: {exc.strerror or exc}"


# -- name resolution and connections -------------------------------------------------------------------------


def resolve(host: str, port: int, dl: Deadline) -> list[tuple[Any, ...]]:
    """getaddrinfo with a deadline (the C resolver has none): runs in a helper thread that is abandoned on time-out."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        pass

    def work() -> list[tuple[Any, ...]]:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)

    try:
        return list(call_with_deadline(work, timeout=max(0.0, dl.end - time.monotonic()), cancel=dl.cancel,
                                       name=f"resolve-{host}"))
    except DeadlineExceeded:
        raise CheckFailed(f"the name {host} could not be resolved within {dl.timeout:g} s") from None
    except (OSError, UnicodeError) as exc:
        msg = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CheckFailed(f"the name {host} could not be resolved ({msg})") from None


def connect(host: str, port: int, dl: Deadline, what: str) -> socket.socket:
    """A TCP connection to host:port within the deadline; CheckFailed with a plain reason otherwise."""
    last: OSError | None = None
    for family, socktype, proto, _canon, sockaddr in resolve(host, port, dl):
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(dl.left())
            sock.connect(sockaddr)
            return sock
        except CheckFailed:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            last = exc
    if last is None:
        raise CheckFailed(f"{what}: the name {host} has no address")
    raise CheckFailed(os_reason(last, what, dl.timeout))


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


def run_parallel(tasks: Mapping[str, Callable[[], CheckResult]], cancel: CancelToken,
                 on_done: Callable[[str, CheckResult], None], wait_limit: float) -> None:
    """Run the checks in daemon threads; call on_done as each finishes. Raises Cancelled promptly on cancel;
    a check still running after `wait_limit` seconds is recorded as timed out."""
    def outcome(future: Future[CheckResult]) -> CheckResult:
        try:
            return future.result()
        except Cancelled:
            return not_run("", "cancelled")
        except Exception as exc:  # a bug in one check must not lose the others
            return {"ok": None, "target": "", "summary": f"The check failed unexpectedly: "
                    f"{type(exc).__name__}: {exc}", "duration_s": 0.0}

    running = {name: start(fn, name=f"check-{name}") for name, fn in tasks.items()}
    timed_out: list[str] = []
    for name, ended in watch(running, until=time.monotonic() + wait_limit, cancel=cancel):
        if ended is Ended.CANCELLED:
            raise Cancelled("cancelled by the user")
        if ended is Ended.TIMEOUT:
            timed_out.append(name)
        else:
            on_done(name, outcome(running[name]))
    for name in sorted(timed_out):
        on_done(name, {"ok": False, "target": "", "summary": f"The check did not finish within {wait_limit:g} s.",
                       "duration_s": round(wait_limit, 3)})
