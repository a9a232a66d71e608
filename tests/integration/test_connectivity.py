"""The connectivity checks against real servers these tests start on 127.0.0.1: an HTTP server, an HTTPS server
with a throwaway CA (made with `cryptography`), a DNS responder (dnspython) on UDP, an SNTP responder, and closed
ports for the "unreachable" cases.

A guard fails any test that tries to send a packet anywhere but the loopback interface.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from diagnostics.cancel import Cancelled, CancelToken
from diagnostics.collectors import select
from diagnostics.collectors.base import CollectContext
from diagnostics.collectors.connectivity import ConnectivityCollector
from diagnostics.host import LocalHost
from diagnostics.model import Section, SectionStatus
from diagnostics.rules import evaluate
from diagnostics.runner import run_collectors
from diagnostics.schema import validate

pytestmark = pytest.mark.integration

DNS_NAME = "deskside-test.example"

# -- never leave the machine ----------------------------------------------------------------------------------


def _loopback(addr: Any) -> bool:
    host = addr[0] if isinstance(addr, tuple) else addr
    if isinstance(host, bytes | str) and str(host).startswith("/"):
        return True  # a Unix socket path
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connect/sendto to a non-loopback address fails the test (and sends nothing)."""
    real_connect, real_connect_ex, real_sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    real_gai = socket.getaddrinfo

    def connect(self: socket.socket, addr: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            assert _loopback(addr), f"test tried to connect to {addr}"
        return real_connect(self, addr)

    def connect_ex(self: socket.socket, addr: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            assert _loopback(addr), f"test tried to connect to {addr}"
        return real_connect_ex(self, addr)

    def sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        addr = args[-1]
        assert _loopback(addr), f"test tried to send to {addr}"
        return real_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        assert host is None or host == "localhost" or _loopback(host), f"test tried to resolve {host}"
        return real_gai(host, *args, **kw)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# -- local servers ---------------------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    clock_offset_s = 0.0

    def date_time_string(self, timestamp: float | None = None) -> str:
        return formatdate(time.time() + self.server.clock_offset_s, usegmt=True)  # type: ignore[attr-defined]

    def do_HEAD(self) -> None:
        if self.server.hang_s:  # type: ignore[attr-defined]
            time.sleep(self.server.hang_s)  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(ssl_context: ssl.SSLContext | None = None, clock_offset_s: float = 0.0,
           hang_s: float = 0.0) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.clock_offset_s = clock_offset_s  # type: ignore[attr-defined]
    server.hang_s = hang_s  # type: ignore[attr-defined]
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _make_ca(name: str) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _server_cert(ca_key: Any, ca_cert: Any, tmp: Path, stem: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp / f"{stem}.crt", tmp / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization

    tmp = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _make_ca("Deskside Test CA")
    rogue_key, rogue_cert = _make_ca("Rogue Interceptor CA")
    (tmp / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    good = _server_cert(ca_key, ca_cert, tmp, "good")
    bad = _server_cert(rogue_key, rogue_cert, tmp, "rogue")
    return {"ca": tmp / "ca.pem", "good_cert": good[0], "good_key": good[1], "bad_cert": bad[0],
            "bad_key": bad[1]}


def _tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    yield from _serve()


@pytest.fixture(scope="module")
def https_port(pki: dict[str, Path]) -> Iterator[int]:
    yield from _serve(_tls_context(pki["good_cert"], pki["good_key"]))


@pytest.fixture(scope="module")
def dns_port() -> Iterator[int]:
    """A tiny DNS responder: DNS_NAME -> 127.0.0.1, any other name -> NXDOMAIN."""
    import dns.message
    import dns.rcode
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            resp = dns.message.make_response(query)
            qname = query.question[0].name
            if qname.to_text().rstrip(".") == DNS_NAME:
                resp.answer.append(dns.rrset.from_text(qname, 60, "IN", "A", "127.0.0.1"))
            else:
                resp.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(resp.to_wire(), peer)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield sock.getsockname()[1]
    stop.set()
    t.join(2)
    sock.close()


@pytest.fixture()
def silent_udp_port() -> Iterator[int]:
    """A UDP port that receives but never answers (a DNS server that is down or filtered)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture()
def closed_tcp_port() -> Iterator[int]:
    """A TCP port where nothing listens (bound, never listening, so no one else takes it meanwhile)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture()
def sntp_port() -> Iterator[int]:
    """An SNTP responder whose clock runs 10 minutes behind ours (so our clock looks 600 s ahead)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def ntp(ts: float) -> bytes:
        return struct.pack("!II", int(ts) + 2208988800, int((ts % 1) * 2**32))

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return
            now = time.time() - 600
            reply = bytearray(48)
            reply[0], reply[1] = 0x1C, 2  # version 3, mode 4 (server); stratum 2
            reply[24:32] = data[40:48]
            reply[32:40] = ntp(now)
            reply[40:48] = ntp(now)
            sock.sendto(bytes(reply), peer)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield sock.getsockname()[1]
    stop.set()
    t.join(2)
    sock.close()


def _options(http_port: int, https_port: int, dns_port: int, ca: Path, **over: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "dns_name": DNS_NAME,
        "dns_servers": [f"127.0.0.1:{dns_port}"],
        "gateway": "127.0.0.1",
        "gateway_port": http_port,
        "internet_url": f"http://127.0.0.1:{http_port}/generate_204",
        "ip_endpoint": f"127.0.0.1:{http_port}",
        "tls_url": f"https://127.0.0.1:{https_port}/",
        "ca_file": str(ca),
        "ntp_server": "",
        "proxy": "",
        "timeout": 1.0,
    }
    opts.update(over)
    return {"connectivity": opts}


def _collect(options: dict[str, Any], cancel: CancelToken | None = None) -> Section:
    section = Section("connectivity", "Internet connection")
    ctx = CollectContext(host=LocalHost(), options=options, cancel=cancel or CancelToken())
    ConnectivityCollector().collect(ctx, section)
    return section


@pytest.fixture()
def base(http_port: int, https_port: int, dns_port: int, pki: dict[str, Path]) -> dict[str, Any]:
    return {"http_port": http_port, "https_port": https_port, "dns_port": dns_port, "ca": pki["ca"]}


# -- the tests ---------------------------------------------------------------------------------------------------


def test_all_good_is_online(base: dict[str, Any]) -> None:
    s = _collect(_options(**base))
    checks = s.data["checks"]
    assert s.data["verdict"] == "online", s.data
    assert checks["dns"]["ok"] is True and checks["dns"]["addresses"] == ["127.0.0.1"]
    assert checks["gateway"]["ok"] is True and checks["gateway"]["answered"] == "connected"
    assert checks["internet"]["ok"] is True and checks["internet"]["status"] == 204
    assert checks["ip"]["ok"] is True
    assert checks["tls"]["ok"] is True and "Deskside Test CA" in checks["tls"]["certificate"]["issuer"]
    assert checks["clock"]["ok"] is True and abs(checks["clock"]["skew_s"]) < 5
    assert s.skips == []


def test_dns_down_fails_quickly_with_reason(base: dict[str, Any], silent_udp_port: int) -> None:
    opts = _options(**base, dns_servers=[f"127.0.0.1:{silent_udp_port}"])
    s = _collect(opts)
    dns = s.data["checks"]["dns"]
    assert dns["ok"] is False
    # the check's own 1 s deadline ended it (a hang would end at pytest's timeout, with no such summary)
    assert f"127.0.0.1:{silent_udp_port} did not answer within 1 s" in dns["summary"]
    assert s.data["verdict"] == "limited"  # the internet answers by address, names do not resolve
    assert any("names cannot be resolved" in r.lower() for r in s.data["reasons"])


def test_unknown_name_is_reported_as_nxdomain(base: dict[str, Any]) -> None:
    s = _collect(_options(**base, dns_name="missing.example"))
    assert s.data["checks"]["dns"]["ok"] is False
    assert "does not exist (NXDOMAIN)" in s.data["checks"]["dns"]["summary"]


def test_untrusted_certificate_is_a_tls_failure(base: dict[str, Any], pki: dict[str, Path]) -> None:
    gen = _serve(_tls_context(pki["bad_cert"], pki["bad_key"]))
    rogue_port = next(gen)
    try:
        s = _collect(_options(**{**base, "https_port": rogue_port}))
    finally:
        gen.close()
    tls = s.data["checks"]["tls"]
    assert tls["ok"] is False and tls["cert_error"] is True
    assert "certificate" in tls["summary"] and "not trusted" in tls["summary"]
    assert s.data["verdict"] == "limited"
    report = _report(s)
    f = next(f for f in evaluate(report) if f.id == "network.tls_untrusted")
    assert f.incident_type == "security" and f.severity.label == "critical"


def test_clock_ten_minutes_off_is_a_clock_skew_finding(base: dict[str, Any], pki: dict[str, Path]) -> None:
    gen = _serve(clock_offset_s=-600)  # the server's clock is 10 minutes behind ours
    skewed_port = next(gen)
    try:
        s = _collect(_options(**{**base, "http_port": skewed_port}, tls_url=""))
    finally:
        gen.close()
    clock = s.data["checks"]["clock"]
    assert clock["ok"] is True and 595 <= clock["skew_s"] <= 605, clock
    assert "HTTP Date header" in clock["source"]
    findings = {f.id: f for f in evaluate(_report(s))}
    assert findings["network.clock_skew"].severity.label == "critical"
    assert "10 minutes ahead" in findings["network.clock_skew"].title


def test_sntp_server_gives_the_clock_skew(base: dict[str, Any], sntp_port: int) -> None:
    s = _collect(_options(**base, ntp_server=f"127.0.0.1:{sntp_port}"))
    assert s.data["checks"]["ntp"]["ok"] is True
    clock = s.data["checks"]["clock"]
    assert clock["source"] == f"ntp 127.0.0.1:{sntp_port}"
    assert 599 <= clock["skew_s"] <= 601


def test_everything_unreachable_is_offline(base: dict[str, Any], closed_tcp_port: int,
                                           silent_udp_port: int) -> None:
    closed = closed_tcp_port
    opts = _options(**base, dns_servers=[f"127.0.0.1:{silent_udp_port}"], gateway="127.0.0.2",
                    gateway_port=closed, internet_url=f"http://127.0.0.1:{closed}/",
                    ip_endpoint=f"127.0.0.1:{closed}", tls_url=f"https://127.0.0.1:{closed}/")
    s = _collect(opts)
    assert s.data["verdict"] == "offline"
    assert "refused the connection" in s.data["checks"]["internet"]["summary"]
    ids = {f.id for f in evaluate(_report(s))}
    assert {"network.offline", "network.no_dns"} <= ids
    assert "network.tls_untrusted" not in ids and "network.tls_failed" not in ids


def test_gateway_refusing_the_port_still_answers(base: dict[str, Any], closed_tcp_port: int) -> None:
    s = _collect(_options(**base, gateway_port=closed_tcp_port))
    gw = s.data["checks"]["gateway"]
    assert gw["ok"] is True and gw["answered"] == "refused"


def test_proxy_set_but_unreachable(base: dict[str, Any], closed_tcp_port: int) -> None:
    s = _collect(_options(**base, proxy=f"http://user:secret@127.0.0.1:{closed_tcp_port}"))
    p = s.data["checks"]["proxy"]
    assert p["ok"] is False and "secret" not in str(s.data)
    assert p["proxy"] == f"http://user:***@127.0.0.1:{closed_tcp_port}"
    f = next(f for f in evaluate(_report(s)) if f.id == "network.proxy_unreachable")
    assert "does not answer" in f.title


def test_cancel_midway_returns_promptly(base: dict[str, Any]) -> None:
    gen = _serve(hang_s=30)  # accepts, then says nothing for 30 s
    hang_port = next(gen)
    try:
        opts = _options(**base, internet_url=f"http://127.0.0.1:{hang_port}/", timeout=10)
        cancel = CancelToken()
        threading.Timer(0.3, cancel.cancel).start()
        # Cancelled, not the check's failure after its 10 s timeout: the cancel ended the wait on the silent server
        with pytest.raises(Cancelled):
            _collect(opts, cancel)
    finally:
        gen.close()


def test_runner_cancel_marks_the_section_and_report(base: dict[str, Any]) -> None:
    gen = _serve(hang_s=30)
    hang_port = next(gen)
    try:
        cancel = CancelToken()
        ctx = CollectContext(host=LocalHost(), cancel=cancel,
                             options=_options(**base, internet_url=f"http://127.0.0.1:{hang_port}/", timeout=10))
        threading.Timer(0.3, cancel.cancel).start()
        report = run_collectors([ConnectivityCollector()], ctx)
    finally:
        gen.close()
    assert report.cancelled and report.sections["connectivity"].status == SectionStatus.CANCELLED


def test_full_report_with_network_validates(base: dict[str, Any]) -> None:
    ctx = CollectContext(host=LocalHost(), options=_options(**base))
    report = run_collectors(select(only=["network", "connectivity"]), ctx)
    assert report.sections["connectivity"].data["verdict"] == "online"
    assert report.sections["network"].status in (SectionStatus.OK, SectionStatus.PARTIAL)
    validate(report.to_dict())


def test_connectivity_is_not_in_the_default_run() -> None:
    assert "connectivity" not in {c.name for c in select()}
    assert "network" in {c.name for c in select()}
    assert "connectivity" in {c.name for c in select(include_optional=True)}


def test_bad_setting_is_a_skip_with_the_fix(base: dict[str, Any]) -> None:
    opts = _options(**base, timeout="fast", internet_url="ftp://127.0.0.1/", internet_timeout=0.5)
    s = _collect(opts)
    reasons = " ".join(k.reason for k in s.skips)
    assert "timeout must be a number of seconds" in reasons and "[diagnostics.connectivity]" in reasons
    assert "is not an http:// or https:// address, so the internet check is skipped" in reasons
    assert "internet" not in s.data["checks"]  # switched off, not sent to the public default
    assert s.data["verdict"] == "online"  # the other checks still ran


def _report(section: Section) -> Any:
    from diagnostics.model import Report

    section.status = SectionStatus.OK
    return Report(host="test", generated_at="2026-01-01T00:00:00+00:00", platform="linux",
                  sections={"connectivity": section})


def test_the_guard_stops_the_public_defaults() -> None:
    """With no settings the checks aim at public endpoints and this machine's router: the guard must stop every
    one of them before a packet leaves (which also proves the other tests would notice a leak)."""
    s = _collect({"connectivity": {"dns_name": "", "proxy": ""}})
    for name in ("gateway", "internet", "ip", "tls"):
        assert "test tried to" in s.data["checks"][name]["summary"], (name, s.data["checks"][name])


PASSWORD = "Pw-s3cr3t-71"


def test_url_passwords_from_the_settings_never_reach_the_report(base: dict[str, Any], closed_tcp_port: int) -> None:
    """internet_url, tls_url and proxy with 'user:password@' (one answering, one failing, one refused): the
    password is masked as *** in the targets, summaries, reasons, config and the findings; the rest stays."""
    http_port, closed = base["http_port"], closed_tcp_port
    opts = _options(**base, internet_url=f"http://user:{PASSWORD}@127.0.0.1:{http_port}/generate_204",
                    tls_url=f"https://user:{PASSWORD}@127.0.0.1:{http_port}/",  # plain HTTP: the handshake fails
                    proxy=f"user:{PASSWORD}@127.0.0.1:{closed}")  # no scheme, refused
    s = _collect(opts)
    checks = s.data["checks"]
    assert checks["internet"]["ok"] is True
    assert checks["internet"]["target"] == f"http://user:***@127.0.0.1:{http_port}/generate_204"
    assert checks["tls"]["ok"] is False and f"https://user:***@127.0.0.1:{http_port}/" == checks["tls"]["target"]
    assert checks["proxy"]["ok"] is False and checks["proxy"]["proxy"] == f"user:***@127.0.0.1:{closed}"
    assert s.data["config"]["internet_url"] == f"http://user:***@127.0.0.1:{http_port}/generate_204"
    report = _report(s)
    findings = {f.id: f for f in evaluate(report)}
    assert {"network.tls_failed", "network.proxy_unreachable"} <= set(findings)
    assert f"endpoint: https://user:***@127.0.0.1:{http_port}/" in findings["network.tls_failed"].evidence
    assert f"proxy setting: user:***@127.0.0.1:{closed}" in findings["network.proxy_unreachable"].evidence
    everything = str(report.to_dict()) + str([f.to_dict() for f in findings.values()])
    assert PASSWORD not in everything


def test_a_url_password_in_a_rejected_setting_is_masked_in_the_skip(base: dict[str, Any],
                                                                    closed_tcp_port: int) -> None:
    s = _collect(_options(**base, internet_url=f"ftp://user:{PASSWORD}@127.0.0.1:{closed_tcp_port}/",
                          tls_url=f"http://user:{PASSWORD}@127.0.0.1:{closed_tcp_port}/"))
    reasons = [k.reason for k in s.skips]
    assert any(f"ftp://user:***@127.0.0.1:{closed_tcp_port}/" in r for r in reasons), reasons
    assert any(f"http://user:***@127.0.0.1:{closed_tcp_port}/" in r for r in reasons), reasons
    assert PASSWORD not in str(s.to_dict())
