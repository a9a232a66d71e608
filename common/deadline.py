"""Run work in a thread with a deadline and a cancel check: the one helper for it.

Work that can block without a timeout of its own (getaddrinfo, statvfs on a dead NFS mount, a collector) runs in a
daemon thread; the caller waits for it, but only until a deadline or until its cancel token is set, and then goes
on without it. The thread is abandoned, never joined: being a daemon, it cannot keep the process alive.

- `start(fn, name)`: run `fn` in a daemon thread; the returned `Future` gets its value or its exception.
- `watch(futures, until=..., cancel=...)`: report each of several futures once, as it ends (`Ended.DONE`), when
  its deadline passes (`Ended.TIMEOUT`), or when the token is cancelled (`Ended.CANCELLED`, for all still running).
- `wait_for(future, ...)` / `call_with_deadline(fn, ...)`: one piece of work; its value or its exception,
  `DeadlineExceeded` at the deadline, `Cancelled` on cancel.

Deadlines are absolute `time.monotonic()` values in `watch` (one for all, or one per key) and seconds from now in
`wait_for` and `call_with_deadline`. A cancel token is polled every `poll` seconds (50 ms), so a cancel is seen
within that; completions wake the waiter at once.
"""

from __future__ import annotations

import concurrent.futures
import enum
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

from .cancel import Cancelled, CancelToken

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

POLL_S = 0.05


class DeadlineExceeded(TimeoutError):
    """The work did not finish in time; its thread was left to end on its own."""


class Ended(enum.Enum):
    DONE = "done"  # the work returned or raised: its future holds the value or the exception
    TIMEOUT = "timeout"  # still running at its deadline
    CANCELLED = "cancelled"  # still running when the cancel token was set


def start(fn: Callable[[], T], name: str) -> Future[T]:
    """Run `fn` in a new daemon thread called `name`. The future gets what it returns or raises."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            value = fn()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(value)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def watch(
    futures: Mapping[K, Future[Any]],
    *,
    until: float | Mapping[K, float] | None = None,
    cancel: CancelToken | None = None,
    poll: float = POLL_S,
) -> Iterator[tuple[K, Ended]]:
    """Yield `(key, how it ended)` once per key, in the order things happen.

    `until`: the deadline (a `time.monotonic()` value) for all, or one per key (a key missing has none). Work that
    ends in the same instant is reported in the order of `futures`; after a cancel, everything still running is
    reported as CANCELLED and the iteration ends. Stopping the iteration early is fine: nothing is left waiting.
    """
    pending = dict(futures)

    def deadline(key: K) -> float | None:
        if until is None or isinstance(until, int | float):
            return until
        return until.get(key)

    while pending:
        for key in [k for k, f in pending.items() if f.done()]:
            del pending[key]
            yield key, Ended.DONE
        if not pending:
            return
        if cancel is not None and cancel.cancelled:
            for key in list(pending):
                del pending[key]
                yield key, Ended.CANCELLED
            return
        now = time.monotonic()
        for key in list(pending):
            d = deadline(key)
            if d is not None and now >= d:
                del pending[key]
                yield key, Ended.TIMEOUT
        if not pending:
            return
        ends = [d for d in map(deadline, pending) if d is not None]
        # Never an untimed wait, even without a cancel token: a Ctrl-C (SIGINT) that the kernel delivers to another
        # thread does not interrupt the main thread's blocked wait, so Python would run its handler (raise
        # KeyboardInterrupt) only once the work is done. Waking every `poll` seconds lets it run at once.
        wait = poll
        if ends:
            wait = min(wait, max(0.0, min(ends) - time.monotonic()))
        concurrent.futures.wait(list(pending.values()), timeout=wait, return_when=concurrent.futures.FIRST_COMPLETED)


def wait_for(future: Future[T], *, timeout: float | None = None, cancel: CancelToken | None = None,
             poll: float = POLL_S) -> T:
    """The future's value (or its exception, raised here). DeadlineExceeded after `timeout` seconds, Cancelled when
    `cancel` is set first. Waiting again after an interruption (Ctrl-C) is safe: nothing is consumed."""
    until = None if timeout is None else time.monotonic() + timeout
    for _key, ended in watch({0: future}, until=until, cancel=cancel, poll=poll):
        if ended is Ended.DONE:
            return future.result()
        if ended is Ended.TIMEOUT:
            raise DeadlineExceeded(f"did not finish within {timeout:g} s")
        raise Cancelled("cancelled by the user")
    raise AssertionError("unreachable: watch reports every future")  # pragma: no cover


def call_with_deadline(fn: Callable[[], T], *, timeout: float | None, cancel: CancelToken | None = None,
                       name: str = "deadline") -> T:
    """`fn()` in a daemon thread, waited for until `timeout` seconds or a cancel (see `wait_for`)."""
    return wait_for(start(fn, name), timeout=timeout, cancel=cancel)
