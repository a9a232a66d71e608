"""Keepalive with dead-peer detection, as ServerAliveInterval/ServerAliveCountMax: a keepalive@openssh.com global
request every `interval` seconds (under the connection's global-request lock); `count` unanswered in a row, or a
transport that closed, and the connection is marked lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import paramiko


def _probe(transport: paramiko.Transport, lock: threading.Lock, answered: threading.Event) -> None:
    with lock:
        try:
            transport.global_request("keepalive@openssh.com", wait=True)
        except Exception:
            return
        if transport.is_active():
            answered.set()


def _watch(transports: Callable[[], list[paramiko.Transport]], lock: threading.Lock,
           mark_lost: Callable[[str], None], interval: float, count: int, stop: threading.Event) -> None:
    missed = 0
    answered: threading.Event | None = None
    while not stop.wait(interval):
        current = transports()
        if not current:
            return
        t = current[-1]
        if not all(x.is_active() for x in current):
            mark_lost("the server closed the connection")
            return
        if answered is not None:
            if answered.is_set():
                missed = 0
            else:
                missed += 1
                if missed >= count:
                    mark_lost(f"no answer from the server to {count} keepalives sent {interval:g} s apart "
                              f"(dead peer after {interval * count:g} s)")
                    return
                continue  # the outstanding probe still counts; do not pile up more
        answered = threading.Event()
        threading.Thread(target=_probe, args=(t, lock, answered), name="ssh-keepalive-probe", daemon=True).start()


def start_watchdog(transports: Callable[[], list[paramiko.Transport]], lock: threading.Lock,
                   mark_lost: Callable[[str], None], interval: float, count: int,
                   stop: threading.Event) -> threading.Thread:
    """Start the watchdog thread; it ends when `stop` is set, the connection is gone, or it marked it lost."""
    thread = threading.Thread(target=_watch, args=(transports, lock, mark_lost, interval, count, stop),
                              name="ssh-keepalive", daemon=True)
    thread.start()
    return thread
