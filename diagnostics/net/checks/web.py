"""The HTTP (`internet`) and TLS checks: a HEAD request over plain or verified TLS, with the server's Date header
as a clock source and a redirect to another host as a sign of a captive portal."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from ...cancel import CancelToken
from .base import CheckFailed, CheckResult, Deadline, check_result, connect, os_reason


def _recv_headers(sock: socket.socket, dl: Deadline) -> bytes:
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < 65536:
        sock.settimeout(dl.left())
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def parse_http_head(raw: bytes) -> tuple[int, dict[str, str]]:
    """Status code and headers (lower-case names) of an HTTP/1.x response head."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2) if lines else []
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise CheckFailed("the server did not answer with HTTP")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


def http_head_request(sock: socket.socket, host: str, path: str, dl: Deadline) -> tuple[int, dict[str, str], float]:
    """Send a HEAD request; return status, headers and the local time (epoch) when the answer arrived."""
    request = (f"HEAD {path or '/'} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Deskside-connectivity-check\r\n"
               "Accept: */*\r\nConnection: close\r\n\r\n")
    sock.settimeout(dl.left())
    sock.sendall(request.encode("ascii", "replace"))
    raw = _recv_headers(sock, dl)
    received = time.time()
    if not raw:
        raise CheckFailed("the server closed the connection without answering")
    status, headers = parse_http_head(raw)
    return status, headers, received


def _clock_from_date(headers: Mapping[str, str], received: float, rtt: float) -> dict[str, Any] | None:
    """Local clock minus the server's clock, from the HTTP Date header (1 s resolution)."""
    date = headers.get("date")
    if not date:
        return None
    try:
        server = parsedate_to_datetime(date).timestamp() + 0.5  # the header is truncated to the second
    except (TypeError, ValueError, IndexError):
        return None
    return {"skew_s": round(received - rtt / 2 - server, 1), "uncertainty_s": round(0.5 + rtt / 2, 2),
            "server_date": date}


def _host_path(url: str) -> tuple[str, int, str, str]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise CheckFailed(f"{url!r} has no host name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise CheckFailed(f"{url!r} has an invalid port") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    hostname = parts.hostname
    return hostname, port, path, (f"[{hostname}]" if ":" in hostname else hostname) + (
        f":{parts.port}" if parts.port else "")


def check_http(url: str, timeout: float, cancel: CancelToken | None, ca_file: str = "") -> CheckResult:
    """Fetch the head of `url`: any HTTP answer means the internet endpoint is reachable."""
    started = time.monotonic()
    dl = Deadline(timeout, cancel)
    try:
        host, port, path, host_header = _host_path(url)
        if urlsplit(url).scheme == "https":
            return check_tls(url, timeout, cancel, ca_file, what="internet")
        t0 = time.monotonic()
        sock = connect(host, port, dl, f"{host}:{port}")
        try:
            status, headers, received = http_head_request(sock, host_header, path, dl)
        finally:
            sock.close()
    except CheckFailed as exc:
        return check_result(False, url, f"The internet endpoint cannot be reached: {exc}.", started)
    except OSError as exc:
        return check_result(False, url, f"The internet endpoint cannot be reached: {os_reason(exc, url, timeout)}.",
                       started)
    rtt = time.monotonic() - t0
    extra: dict[str, Any] = {"status": status}
    location = headers.get("location")
    if 300 <= status < 400 and location:
        extra["redirect"] = location
        other = urlsplit(location).hostname
        extra["captive_portal_suspected"] = bool(other) and other != host
    clock = _clock_from_date(headers, received, rtt)
    if clock:
        extra["clock"] = clock
    summary = f"The internet endpoint answers (HTTP {status})."
    if extra.get("captive_portal_suspected"):
        summary += f" It redirects to {location}: a sign-in page (captive portal) may be in the way."
    return check_result(True, url, summary, started, **extra)


def _cert_info(ssock: ssl.SSLSocket) -> dict[str, Any]:
    cert: dict[str, Any] = dict(ssock.getpeercert() or {})

    def name(field_: str) -> str:
        parts = []
        for rdn in cert.get(field_, ()):
            for pair in rdn:
                if len(pair) == 2 and pair[0] in ("commonName", "organizationName"):
                    parts.append(f"{pair[0]}={pair[1]}")
        return ", ".join(parts)

    return {"subject": name("subject"), "issuer": name("issuer"), "not_after": cert.get("notAfter"),
            "tls_version": ssock.version()}


def check_tls(url: str, timeout: float, cancel: CancelToken | None, ca_file: str = "",
              what: str = "tls") -> CheckResult:
    """A TLS handshake with certificate and host name verification, then a HEAD request (for the Date header)."""
    started = time.monotonic()
    dl = Deadline(timeout, cancel)
    try:
        host, port, path, host_header = _host_path(url)
        try:
            context = ssl.create_default_context(cafile=ca_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise CheckFailed(f"the CA file {ca_file!r} cannot be used ({exc}); fix ca_file in "
                              "[diagnostics.connectivity]") from None
        t0 = time.monotonic()
        sock = connect(host, port, dl, f"{host}:{port}")
        try:
            sock.settimeout(dl.left())
            ssock = context.wrap_socket(sock, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            reason = exc.verify_message or exc.reason or str(exc)
            return check_result(False, url, f"The secure connection to {host} is not trusted: {reason}. Something "
                           "between you and the internet (a sign-in page, a filter or an attacker) may be "
                           "intercepting secure connections.", started, cert_error=True, error=reason)
        except ssl.SSLError as exc:
            sock.close()
            return check_result(False, url, f"The secure connection (TLS) to {host} failed: {exc.reason or exc}.",
                           started, cert_error=False, error=str(exc.reason or exc))
        except OSError as exc:
            sock.close()
            raise CheckFailed(os_reason(exc, f"{host}:{port}", timeout)) from None
        with ssock:
            info = _cert_info(ssock)
            try:
                status, headers, received = http_head_request(ssock, host_header, path, dl)
            except (CheckFailed, OSError):
                status, headers, received = 0, {}, time.time()
    except CheckFailed as exc:
        return check_result(False, url, f"{'The internet endpoint' if what == 'internet' else 'The TLS endpoint'} "
                       f"cannot be reached: {exc}.", started, cert_error=False, unreachable=True)
    except OSError as exc:
        return check_result(False, url, f"{os_reason(exc, url, timeout)}.", started, cert_error=False, unreachable=True)
    extra: dict[str, Any] = {"certificate": info, "cert_error": False}
    if status:
        extra["status"] = status
    clock = _clock_from_date(headers, received, time.monotonic() - t0) if status else None
    if clock:
        extra["clock"] = clock
    return check_result(True, url, f"Secure connections work ({info['tls_version']}, certificate verified).",
                   started, **extra)
