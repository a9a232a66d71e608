"""Connectivity checks. These SEND TRAFFIC to the configured endpoints, so they run only when the user asks.

Every check has its own deadline (a few seconds at most), so an offline machine gets a verdict quickly instead
of a hang. A check returns a plain dict (JSON-ready) with at least:
`ok` (True / False / None when not run), `target`, `summary` (one plain sentence) and `duration_s`.
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import socket
import ssl
import struct
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from common.deadline import DeadlineExceeded, Ended, call_with_deadline, start, watch

from ..cancel import Cancelled, CancelToken
from .dnsconf import server_address

CheckResult = dict[str, Any]

# App defaults. They point at public endpoints and are used only when the user runs the connectivity checks
# (`deskside diagnose --network`, the "Test my connection" button, or the setting). Tests override every one.
DEFAULTS: dict[str, Any] = {
    "dns_name": "example.com",
    "dns_servers": [],  # empty: the servers of /etc/resolv.conf
    "gateway": "",  # empty: the default route's gateway
    "gateway_port": 53,
    "internet_url": "http://detectportal.firefox.com/success.txt",
    "ip_endpoint": "1.1.1.1:443",  # reached by address, so it works (or not) without DNS
    "tls_url": "https://example.com/",
    "ca_file": "",  # empty: the system's trusted certificates
    "ntp_server": "",  # empty: clock skew comes from the HTTP Date headers
    "proxy": "auto",  # "auto": the proxy of the environment; "" or "none": do not check a proxy; or a URL
    "timeout": 2.0,
}
MAX_TIMEOUT = 10.0  # per check; the collector as a whole stops after 15 s
CHECK_NAMES = ("dns", "gateway", "internet", "ip", "tls", "ntp", "proxy")
TIMEOUT_KEYS = tuple(f"{c}_timeout" for c in CHECK_NAMES)


@dataclass
class ConnectivityConfig:
    dns_name: str = DEFAULTS["dns_name"]
    dns_servers: list[str] = field(default_factory=list)
    gateway: str = ""
    gateway_port: int = DEFAULTS["gateway_port"]
    internet_url: str = DEFAULTS["internet_url"]
    ip_endpoint: str = DEFAULTS["ip_endpoint"]
    tls_url: str = DEFAULTS["tls_url"]
    ca_file: str = ""
    ntp_server: str = ""
    proxy: str = "auto"
    timeout: float = DEFAULTS["timeout"]
    timeouts: dict[str, float] = field(default_factory=dict)

    def timeout_for(self, check: str) -> float:
        return self.timeouts.get(check, self.timeout)

    @classmethod
    def from_options(cls, opts: Mapping[str, Any]) -> tuple[ConnectivityConfig, list[str]]:
        """The config from `[diagnostics.connectivity]`, and a plain message per bad value (that value keeps its
        default)."""
        cfg = cls()
        problems: list[str] = []
        where = "[diagnostics.connectivity] in config.toml"
        for key, value in opts.items():
            if key in ("dns_name", "gateway", "internet_url", "ip_endpoint", "tls_url", "ca_file", "ntp_server",
                       "proxy"):
                if not isinstance(value, str):
                    problems.append(f"{key} must be text (in quotes), not {value!r}, so its check is skipped; "
                                    f"fix {key} in {where}")
                    if key not in ("ca_file", "proxy"):
                        setattr(cfg, key, "")
                    continue
                value = value.strip()
                # A bad address switches its check off (never falls back to the public default).
                if key == "internet_url" and value and urlsplit(value).scheme not in ("http", "https"):
                    problems.append(f"internet_url {value!r} is not an http:// or https:// address, so the internet "
                                    f"check is skipped; fix it in {where}")
                    value = ""
                if key == "tls_url" and value and urlsplit(value).scheme != "https":
                    problems.append(f"tls_url {value!r} is not an https:// address, so the TLS check is skipped; "
                                    f"fix it in {where}")
                    value = ""
                setattr(cfg, key, value)
            elif key == "dns_servers":
                if isinstance(value, str):
                    value = [value] if value.strip() else []
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.append("dns_servers must be a list of addresses such as [\"192.0.2.53\"]; "
                                    f"fix it in {where}")
                    continue
                cfg.dns_servers = [v.strip() for v in value if v.strip()]
            elif key == "gateway_port":
                if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
                    problems.append(f"gateway_port must be a port number (1-65535), not {value!r}; fix it in {where}")
                    continue
                cfg.gateway_port = value
            elif key == "timeout" or key in TIMEOUT_KEYS:
                if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= MAX_TIMEOUT:
                    problems.append(f"{key} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
                                    f"not {value!r}; "
                                    f"fix it in {where}")
                    continue
                if key == "timeout":
                    cfg.timeout = float(value)
                else:
                    cfg.timeouts[key.removesuffix("_timeout")] = float(value)
            else:
                problems.append(f"unknown setting {key!r} ignored; known: "
                                f"{', '.join(sorted([*DEFAULTS, *TIMEOUT_KEYS]))}")
        return cfg, problems

    def public_dict(self) -> dict[str, Any]:
        """The targets used, for the report (no secrets are configured here)."""
        return {
            "dns_name": self.dns_name, "dns_servers": list(self.dns_servers), "gateway": self.gateway,
            "gateway_port": self.gateway_port, "internet_url": self.internet_url, "ip_endpoint": self.ip_endpoint,
            "tls_url": self.tls_url, "ca_file": self.ca_file, "ntp_server": self.ntp_server,
            "timeout": self.timeout, **{f"{k}_timeout": v for k, v in self.timeouts.items()},
        }


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


def _result(ok: bool | None, target: str, summary: str, started: float, **extra: Any) -> CheckResult:
    return {"ok": ok, "target": target, "summary": summary, "duration_s": round(time.monotonic() - started, 3),
            **extra}


def not_run(target: str, why: str) -> CheckResult:
    return {"ok": None, "target": target, "summary": why, "duration_s": 0.0}


def _os_reason(exc: OSError, what: str, timeout: float) -> str:
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
    raise CheckFailed(_os_reason(last, what, dl.timeout))


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


# -- the checks ----------------------------------------------------------------------------------------------


def check_dns(name: str, servers: list[str], timeout: float, cancel: CancelToken | None = None) -> CheckResult:
    """Ask every configured DNS server (in parallel) for the A record of `name`. OK when one gives an answer."""
    started = time.monotonic()
    target = f"{name} via {', '.join(servers) or 'no server'}"
    if not servers:
        return _result(False, target, "No DNS server is configured, so names cannot be resolved.", started,
                       servers={})
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    dl = Deadline(timeout, cancel)

    def ask(server: str) -> tuple[bool, str, list[str]]:
        try:
            addr, port = server_address(server)
            q = dns.message.make_query(name, dns.rdatatype.A)
            resp = dns.query.udp(q, addr, timeout=max(0.05, dl.end - time.monotonic()), port=port,
                                 ignore_unexpected=True)
            rcode = resp.rcode()
            ips = [r.to_text() for rrset in resp.answer for r in rrset if rrset.rdtype == dns.rdatatype.A]
            if rcode == dns.rcode.NOERROR:
                return True, f"answered {', '.join(ips) or '(no IPv4 address)'}", ips
            if rcode == dns.rcode.NXDOMAIN:
                return False, f"says {name} does not exist (NXDOMAIN)", []
            if rcode == dns.rcode.SERVFAIL:
                return False, "could not resolve it (SERVFAIL: its own upstream servers may be unreachable)", []
            return False, f"refused to answer ({dns.rcode.to_text(rcode)})", []
        except dns.exception.Timeout:
            return False, f"did not answer within {timeout:g} s", []
        except (OSError, ValueError, dns.exception.DNSException) as exc:
            reason = _os_reason(exc, "it", timeout) if isinstance(exc, OSError) else str(exc)
            return False, f"failed: {reason}", []

    asked = {s: start(functools.partial(ask, s), name=f"dns-{s}") for s in servers}
    per_server: dict[str, str] = {}
    addresses: list[str] = []
    ok = False
    for server, ended in watch(asked, until=dl.end + 0.2, cancel=cancel):
        if ended is Ended.CANCELLED:
            raise Cancelled("cancelled by the user")
        if ended is Ended.DONE:
            good, text, ips = asked[server].result()
            per_server[server] = text
            if good:
                ok, addresses = True, ips
                break
    for s in servers:
        per_server.setdefault(s, f"did not answer within {timeout:g} s")
    if ok:
        summary = f"{name} resolves ({', '.join(addresses) or 'no IPv4 address'})."
    else:
        summary = f"Names cannot be resolved: {'; '.join(f'{s} {t}' for s, t in per_server.items())}."
    return _result(ok, target, summary, started, servers=per_server, addresses=addresses)


def check_tcp(host: str, port: int, timeout: float, cancel: CancelToken | None, what: str,
              refused_ok: bool = False) -> CheckResult:
    """Open (and close) a TCP connection. With `refused_ok`, a refusal also proves the host answers."""
    started = time.monotonic()
    target = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    dl = Deadline(timeout, cancel)
    try:
        connect(host, port, dl, what).close()
        return _result(True, target, f"{what} answers.", started, answered="connected")
    except CheckFailed as exc:
        reason = str(exc)
        if refused_ok and "refused the connection" in reason:
            return _result(True, target, f"{what} answers (it refused the port, which proves it is there).",
                           started, answered="refused")
        return _result(False, target, reason[0].upper() + reason[1:] + ".", started)


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
        return _result(False, url, f"The internet endpoint cannot be reached: {exc}.", started)
    except OSError as exc:
        return _result(False, url, f"The internet endpoint cannot be reached: {_os_reason(exc, url, timeout)}.",
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
    return _result(True, url, summary, started, **extra)


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
            return _result(False, url, f"The secure connection to {host} is not trusted: {reason}. Something "
                           "between you and the internet (a sign-in page, a filter or an attacker) may be "
                           "intercepting secure connections.", started, cert_error=True, error=reason)
        except ssl.SSLError as exc:
            sock.close()
            return _result(False, url, f"The secure connection (TLS) to {host} failed: {exc.reason or exc}.",
                           started, cert_error=False, error=str(exc.reason or exc))
        except OSError as exc:
            sock.close()
            raise CheckFailed(_os_reason(exc, f"{host}:{port}", timeout)) from None
        with ssock:
            info = _cert_info(ssock)
            try:
                status, headers, received = http_head_request(ssock, host_header, path, dl)
            except (CheckFailed, OSError):
                status, headers, received = 0, {}, time.time()
    except CheckFailed as exc:
        return _result(False, url, f"{'The internet endpoint' if what == 'internet' else 'The TLS endpoint'} "
                       f"cannot be reached: {exc}.", started, cert_error=False, unreachable=True)
    except OSError as exc:
        return _result(False, url, f"{_os_reason(exc, url, timeout)}.", started, cert_error=False, unreachable=True)
    extra: dict[str, Any] = {"certificate": info, "cert_error": False}
    if status:
        extra["status"] = status
    clock = _clock_from_date(headers, received, time.monotonic() - t0) if status else None
    if clock:
        extra["clock"] = clock
    return _result(True, url, f"Secure connections work ({info['tls_version']}, certificate verified).",
                   started, **extra)


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
        return _result(False, server, f"The time server {server} did not answer within {timeout:g} s.", started)
    except CheckFailed as exc:
        return _result(False, server, f"The time server cannot be asked: {exc}.", started)
    except (OSError, ValueError, struct.error) as exc:
        reason = _os_reason(exc, server, timeout) if isinstance(exc, OSError) else str(exc)
        return _result(False, server, f"The time server cannot be asked: {reason}.", started)
    return _result(True, server, _clock_summary(clock["skew_s"]), started, clock=clock)


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


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


# -- the verdict ---------------------------------------------------------------------------------------------


def verdict(checks: Mapping[str, CheckResult]) -> tuple[str, list[str]]:
    """'online', 'limited' or 'offline', with plain reasons."""

    def ok(name: str) -> bool | None:
        c = checks.get(name)
        return None if c is None else c.get("ok")

    reasons: list[str] = []
    reached = [n for n in ("internet", "ip", "tls") if ok(n)]
    if not reached:
        if ok("gateway") is False:
            reasons.append("Your router (the default gateway) does not answer: this computer is not connected to a "
                           "working network.")
        elif ok("gateway"):
            reasons.append("Your local network works, but nothing on the internet answers: the router or the "
                           "internet provider has no connection.")
        else:
            reasons.append("Nothing on the internet answers.")
        if ok("dns") is False:
            reasons.append("Names cannot be resolved (DNS).")
        tested = [n for n in ("internet", "ip", "tls") if ok(n) is False]
        if not tested:
            return "unknown", ["No internet endpoint was tested (they are switched off in the settings)."]
        if ok("proxy"):
            reasons.append("A proxy server is configured and answers: programs that use the proxy may still work.")
            return "limited", reasons
        return "offline", reasons
    if ok("dns") is False:
        reasons.append("The internet answers by address, but names cannot be resolved (DNS): web sites will not "
                       "open by name.")
    if ok("internet") is False:
        reasons.append("The internet test address does not answer although other addresses do.")
    if ok("ip") is False:
        reasons.append("A well-known internet address does not answer when reached directly (a firewall may block "
                       "it).")
    tls = checks.get("tls")
    if tls is not None and tls.get("ok") is False:
        if tls.get("cert_error"):
            reasons.append("Secure connections are not trusted: a sign-in page, a filter or an attacker may be "
                           "intercepting them.")
        elif tls.get("unreachable"):
            reasons.append("The secure (https) test address does not answer.")
        else:
            reasons.append("Secure (https) connections fail.")
    inet = checks.get("internet") or {}
    if inet.get("captive_portal_suspected"):
        reasons.append("The network redirects web requests: you may have to sign in (captive portal).")
    if reasons:
        return "limited", reasons
    return "online", ["DNS, the internet endpoint and secure connections all work."]


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
