"""TCP checks: does an address answer on a port (the `ip` and proxy checks), does the router answer (`gateway`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ...cancel import CancelToken
from .base import CheckFailed, CheckResult, Deadline, check_result, connect


def check_tcp(host: str, port: int, timeout: float, cancel: CancelToken | None, what: str,
              refused_ok: bool = False) -> CheckResult:
    """Open (and close) a TCP connection. With `refused_ok`, a refusal also proves the host answers."""
    started = time.monotonic()
    target = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    dl = Deadline(timeout, cancel)
    try:
        connect(host, port, dl, what).close()
        return check_result(True, target, f"{what} answers.", started, answered="connected")
    except CheckFailed as exc:
        reason = str(exc)
        if refused_ok and "refused the connection" in reason:
            return check_result(True, target, f"{what} answers (it refused the port, which proves it is there).",
                           started, answered="refused")
        return check_result(False, target, reason[0].upper() + reason[1:] + ".", started)


def check_gateway(gateway: str, interface: str | None, port: int, timeout: float, cancel: CancelToken | None,
                  neighbour_state: Callable[[str], str | None] | None = None) -> CheckResult:
    """Does the router answer? A TCP connect to `port` (accepted or refused both prove it), then the kernel's
    neighbour table (ARP/NDP, no traffic) as a hint when it stays silent."""
    host = gateway
    if interface and gateway.lower().startswith("fe80:") and "%" not in gateway:
        host = f"{gateway}%{interface}"
    res = check_tcp(host, port, timeout, cancel, f"The router {gateway}", refused_ok=True)
    res["target"] = f"{gateway} port {port}" + (f" on {interface}" if interface else "")
    state = None
    if neighbour_state is not None:
        try:
            state = neighbour_state(gateway)
        except Exception:  # a hint only; never break the check
            state = None
    res["neighbour_state"] = state
    if not res["ok"] and state in ("REACHABLE", "DELAY", "PROBE", "PERMANENT"):
        res["ok"] = True
        res["summary"] = (f"The router {gateway} is present on the local network (neighbour table: {state}), "
                          f"although it did not answer on port {port}.")
    elif not res["ok"] and state in ("FAILED", "INCOMPLETE"):
        res["summary"] += f" The local network cannot find it either (neighbour table: {state})."
    return res
