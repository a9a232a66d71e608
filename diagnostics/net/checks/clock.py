"""The NTP check and the clock verdict (NTP if it answered, else the HTTPS or HTTP Date header)."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Mapping
from typing import Any

from ...cancel import CancelToken
from ..dnsconf import server_address
from .base import CheckFailed, CheckResult, Deadline, check_result, not_run, os_reason, resolve

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01


def _ntp_time(data: bytes, offset: int) -> float:
    secs, frac = struct.unpack("!II", data[offset:offset + 8])
    return secs - NTP_EPOCH_OFFSET + frac / 2**32


def check_ntp(server: str, timeout: float, cancel: CancelToken | None) -> CheckResult:
    """One SNTP (RFC 4330) query; the result's clock.skew_s is local minus server time."""
    started = time.monotonic()
    dl = Deadline(timeout, cancel)
    try:
        host, port = server_address(server, default_port=123)
        family, _t, _p, _c, sockaddr = resolve(host, port, dl)[0]
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            packet = bytearray(48)
            packet[0] = 0x1B  # LI 0, version 3, mode 3 (client)
            t1 = time.time()
            secs = int(t1) + NTP_EPOCH_OFFSET
            packet[40:48] = struct.pack("!II", secs, int((t1 % 1) * 2**32))
            sock.settimeout(dl.left())
            sock.sendto(bytes(packet), sockaddr)
            while True:
                sock.settimeout(dl.left())
                data, _addr = sock.recvfrom(512)
                t4 = time.time()
                if len(data) >= 48 and data[24:32] == bytes(packet[40:48]):
                    break
        if data[1] == 0:
            raise CheckFailed("the time server refused to answer (kiss-of-death)")
        t2, t3 = _ntp_time(data, 32), _ntp_time(data, 40)
        offset = ((t2 - t1) + (t3 - t4)) / 2
        clock: dict[str, Any] = {"skew_s": round(-offset, 2), "uncertainty_s": round((t4 - t1) / 2, 3),
                                 "source": f"ntp {server}"}
    except TimeoutError:
        return check_result(False, server, f"The time server {server} did not answer within {timeout:g} s.", started)
    except CheckFailed as exc:
        return check_result(False, server, f"The time server cannot be asked: {exc}.", started)
    except (OSError, ValueError, struct.error) as exc:
        reason = os_reason(exc, server, timeout) if isinstance(exc, OSError) else str(exc)
        return check_result(False, server, f"The time server cannot be asked: {reason}.", started)
    return check_result(True, server, _clock_summary(clock["skew_s"]), started, clock=clock)



def _clock_summary(skew: float) -> str:
    if abs(skew) < 2:
        return "The clock is correct."
    direction = "ahead" if skew > 0 else "behind"
    return f"The clock is {_human_seconds(abs(skew))} {direction}."


def _human_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.0f} seconds"
    if s < 7200:
        return f"{s / 60:.0f} minutes"
    if s < 172800:
        return f"{s / 3600:.1f} hours"
    return f"{s / 86400:.0f} days"



def clock_from_checks(checks: Mapping[str, CheckResult]) -> CheckResult:
    """Clock skew from the NTP check if it answered, else from the HTTPS, then the HTTP Date header."""
    for name, source in (("ntp", None), ("tls", "HTTPS Date header"), ("internet", "HTTP Date header")):
        c = checks.get(name)
        if c and c.get("ok") and c.get("clock"):
            clock = dict(c["clock"])
            clock.setdefault("source", f"{source} of {c['target']}")
            return {"ok": True, "target": clock["source"], "summary": _clock_summary(clock["skew_s"]),
                    "duration_s": 0.0, **clock}
    return not_run("", "The clock could not be compared: no time source answered.")
