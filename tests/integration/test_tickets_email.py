"""Tickets by e-mail against a real SMTP server (aiosmtpd) on 127.0.0.1 with STARTTLS (throwaway certificate)
and AUTH: the message and its attachment are read back from what the server received."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tickets.errors import AuthError, RejectedError
from tickets.service import Draft, TicketService

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    HAVE_AIOSMTPD = True
except ImportError:  # pragma: no cover - the dev extra installs it
    HAVE_AIOSMTPD = False

pytestmark = pytest.mark.integration
USER, PASSWORD = "deskside", "mail-secret-42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _throwaway_cert(d: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = d / "smtp-cert.pem", d / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Received:
    messages: list[tuple[str, list[str], bytes, bool, str]] = field(default_factory=list)  # from, to, data, tls, user

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        who = session.auth_data if session.authenticated else b""
        login = who.decode() if isinstance(who, bytes) else str(who)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content),
                              session.ssl is not None, login))
        return "250 OK"

    def parsed(self, i: int = -1) -> EmailMessage:
        msg = email.message_from_bytes(self.messages[i][2], policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    if ok:
        return AuthResult(success=True, auth_data=USER.encode())
    return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535


@dataclass
class Smtp:
    port: int
    cert: Path
    received: Received


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Smtp]:
    need(HAVE_AIOSMTPD, "the aiosmtpd package (pip install aiosmtpd; in the dev extra)")
    cert, key = _throwaway_cert(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    received = Received()
    port = _free_port()
    ctl = Controller(received, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                     authenticator=_auth, auth_required=True, auth_require_tls=True)
    ctl.start()
    try:
        yield Smtp(port, cert, received)
    finally:
        ctl.stop()


def _svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int, password: str = PASSWORD,
         **extra: Any) -> TicketService:
    monkeypatch.setenv("DESKSIDE_SECRET_MAIL_PASSWORD", password)
    cfg = {"type": "email", "host": "127.0.0.1", "port": port, "security": "starttls", "username": USER,
           "from": "Deskside <deskside@desk.example>", "to": ["helpdesk@desk.example"], **extra}
    return TicketService(backends={"mail": cfg}, data_dir=tmp_path / "data")


def test_ticket_by_mail_with_starttls_and_auth(smtp: Smtp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, smtp.port, ca_file=str(smtp.cert))
    assert "logged in as 'deskside'" in svc.test_backend("mail")
    preview = svc.build_preview(Draft(summary="Outlook crashes at start", description="every morning",
                                      incident_type="software problem", impact="low", urgency="high"),
                                report={"host": "pc1", "findings": []}, logs={"logs/a.log": "boom\n"})
    entry = svc.submit(preview, timeout=30)
    assert entry.state == "sent", entry.last_error
    mail_from, rcpts, _data, tls, login = smtp.received.messages[-1]
    assert (mail_from, rcpts, tls, login) == ("deskside@desk.example", ["helpdesk@desk.example"], True, USER)
    msg = smtp.received.parsed()
    assert msg["Subject"] == f"Outlook crashes at start [deskside:{preview.ticket.uid}]"
    assert msg["X-Deskside-Priority"] == "P3 medium"
    assert entry.remote_id == msg["Message-ID"] == f"<deskside.{preview.ticket.uid}@desk.example>"
    body = msg.get_body(("plain",))
    assert body is not None and "every morning" in body.get_content() and "Impact: low" in body.get_content()
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == preview.bundle.filename  # type: ignore[union-attr]
    assert att.get_content() == preview.bundle.data  # type: ignore[union-attr]


def test_wrong_mail_password_is_an_auth_error(smtp: Smtp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, smtp.port, password="wrong", ca_file=str(smtp.cert))
    with pytest.raises(AuthError, match=r"refused the login for 'deskside'.*set-secret mail"):
        svc.test_backend("mail")
    entry = svc.submit(svc.build_preview(Draft(summary="x")), timeout=30)
    assert entry.state == "failed" and "refused the login" in entry.last_error
    assert smtp.received.messages == []


def test_untrusted_certificate_is_refused(smtp: Smtp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, smtp.port)  # no ca_file: the throwaway cert is not trusted
    with pytest.raises(RejectedError, match=r"TLS with the mail server 127\.0\.0\.1.*failed"):
        svc.test_backend("mail")
    assert smtp.received.messages == []


def test_mail_server_down_keeps_the_ticket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, _free_port())
    entry = svc.submit(svc.build_preview(Draft(summary="server down")), timeout=5)
    assert entry.state == "retry" and not entry.maybe_sent
    assert "cannot be reached" in entry.last_error


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need(HAVE_AIOSMTPD, "the aiosmtpd package")
    cert, key = _throwaway_cert(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    received = Received()
    port = _free_port()
    # The whole connection is TLS; aiosmtpd only recognises STARTTLS for auth_require_tls, so relax that here.
    ctl = Controller(received, hostname="127.0.0.1", port=port, ssl_context=ctx, authenticator=_auth,
                     auth_required=True, auth_require_tls=False)
    ctl.start()
    try:
        svc = _svc(tmp_path, monkeypatch, port, security="tls", ca_file=str(cert))
        p = svc.build_preview(Draft(summary="implicit TLS"), logs={"logs/a.log": "x\n"})
        e = svc.submit(p, timeout=30)
        assert e.state == "sent", e.last_error
    finally:
        ctl.stop()
    _from, _to, _data, _tls, login = received.messages[-1]  # (aiosmtpd reports TLS only for STARTTLS)
    assert login == USER
    (att,) = list(received.parsed().iter_attachments())
    assert att.get_content() == p.bundle.data  # type: ignore[union-attr]


@pytest.mark.parametrize(("impact", "urgency", "x_priority", "importance"), [
    ("high", "high", "1 (Highest)", "high"), ("medium", "medium", "3 (Normal)", "normal"),
    ("low", "low", "5 (Lowest)", "low")])
def test_priority_headers_follow_the_ticket_priority(smtp: Smtp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     impact: str, urgency: str, x_priority: str,
                                                     importance: str) -> None:
    svc = _svc(tmp_path, monkeypatch, smtp.port, ca_file=str(smtp.cert))
    entry = svc.submit(svc.build_preview(Draft(summary="priority", impact=impact, urgency=urgency)), timeout=30)
    assert entry.state == "sent", entry.last_error
    msg = smtp.received.parsed()
    assert (msg["X-Priority"], msg["Importance"]) == (x_priority, importance)


def test_requester_as_from_where_the_relay_allows_it(smtp: Smtp, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, smtp.port, ca_file=str(smtp.cert), from_requester=True)
    draft = Draft(summary="from the requester", requester_name="Ann Lee", requester_email="ann@corp.example")
    entry = svc.submit(svc.build_preview(draft), timeout=30)
    assert entry.state == "sent", entry.last_error
    mail_from, _rcpts, _data, _tls, _login = smtp.received.messages[-1]
    msg = smtp.received.parsed()
    assert msg["From"] == "Ann Lee <ann@corp.example>"  # the helpdesk takes From as the submitter
    assert msg["Sender"] == "Deskside <deskside@desk.example>" and mail_from == "deskside@desk.example"
    # without a requester e-mail the configured address stays the From
    entry = svc.submit(svc.build_preview(Draft(summary="no requester")), timeout=30)
    last = smtp.received.parsed()
    assert entry.state == "sent" and last["From"] == "Deskside <deskside@desk.example>" and last["Sender"] is None
