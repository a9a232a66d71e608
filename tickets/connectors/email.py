"""E-mail over SMTP (STARTTLS or implicit TLS, with AUTH): the ticket as a message, the bundle attached.

Many helpdesks (RT, Zammad, osTicket, Freshdesk, Zendesk, GLPI...) open tickets from mail. The Message-ID is
derived from the ticket uid, so a mail system or helpdesk that deduplicates by Message-ID sees a resend as the
same message. SMTP cannot be searched: a send cut off after the message data makes the ticket "uncertain".
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any, ClassVar

from ..cancel import CancelToken, Progress, no_progress
from ..errors import AuthError, ConfigError, RejectedError, TransientError
from ..model import Ticket
from .base import Connector, MailRequest, Request, Submitted, is_loopback


def _text(v: bytes | str) -> str:
    return v.decode(errors="replace") if isinstance(v, bytes) else v


# X-Priority (1 highest .. 5 lowest) and Importance (high/normal/low) from our P1..P5: mail clients and helpdesks
# (Outlook, Thunderbird, RT's and OTRS's mail gateways) read one or the other.
X_PRIORITY = {1: "1 (Highest)", 2: "2 (High)", 3: "3 (Normal)", 4: "4 (Low)", 5: "5 (Lowest)"}
IMPORTANCE = {1: "high", 2: "high", 3: "normal", 4: "low", 5: "low"}


def _addr_ok(a: str) -> bool:
    _name, addr = parseaddr(a)
    return "@" in addr and " " not in addr


class EmailConnector(Connector):
    type = "email"
    title = "E-mail (SMTP)"
    http = False
    schema: ClassVar[dict[str, Any]] = {
        "required": ["host", "from", "to"],
        "properties": {
            "host": {"type": "string", "minLength": 1},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "security": {"enum": ["starttls", "tls", "none"], "default": "starttls"},
            "username": {"type": "string", "default": ""},
            "from": {"type": "string"},
            "to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "ca_file": {"type": "string", "description": "extra CA certificate(s) to trust (PEM)"},
            "verify_tls": {"type": "boolean", "default": True},
            "helo": {"type": "string"},
            "from_requester": {"type": "boolean", "default": False,
                               "description": "the requester's address as From (the configured `from` stays the "
                                              "envelope sender and the Sender header); for relays that allow it"},
        },
    }

    @classmethod
    def required_secrets(cls, config: Any) -> tuple[str, ...]:
        return ("password",) if config.get("username") else ()

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        cfg.setdefault("port", {"starttls": 587, "tls": 465, "none": 25}[cfg["security"]])
        for a in [cfg["from"], *cfg["to"]]:
            if not _addr_ok(a):
                raise ConfigError(f"{where}: {a!r} is not an e-mail address")
        if cfg["security"] == "none" and cfg["username"] and not is_loopback(cfg["host"]):
            raise ConfigError(f"{where}: security = \"none\" with a username would send the password unencrypted; "
                              "use starttls or tls")
        if not cfg["verify_tls"] and not is_loopback(cfg["host"]):
            raise ConfigError(f"{where}: verify_tls = false is only allowed for a server on this machine; "
                              "use ca_file to trust a private CA instead")

    def message(self, ticket: Ticket) -> EmailMessage:
        # Long subjects stay on one header line (up to RFC 5322's 998), as helpdesks parse them best.
        msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
        msg["Subject"] = ticket.subject
        if self.config["from_requester"] and ticket.requester_email:
            msg["From"] = formataddr((ticket.requester_name, ticket.requester_email))
            msg["Sender"] = self.config["from"]
        else:
            msg["From"] = self.config["from"]
        msg["To"] = ", ".join(self.config["to"])
        if ticket.requester_email:
            msg["Reply-To"] = ticket.requester_email
        msg["X-Priority"] = X_PRIORITY[ticket.priority]
        msg["Importance"] = IMPORTANCE[ticket.priority]
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.config["from"])[1].rsplit("@", 1)[-1]
        msg["Message-ID"] = f"<deskside.{ticket.uid}@{domain}>"
        msg["X-Deskside-Marker"] = ticket.marker
        msg["X-Deskside-Priority"] = ticket.priority_label
        msg["X-Deskside-Incident-Type"] = ticket.incident_type.value
        msg.set_content(ticket.body_text())
        for a in ticket.attachments:
            maintype, _, subtype = a.content_type.partition("/")
            msg.add_attachment(a.data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                               filename=a.filename)
        return msg

    def build(self, ticket: Ticket) -> list[Request]:
        c = self.config
        return [MailRequest(c["host"], int(c["port"]), c["security"], c["username"],
                            parseaddr(c["from"])[1], [parseaddr(t)[1] for t in c["to"]], self.message(ticket))]

    def _tls(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.config.get("ca_file"))
        if not self.config["verify_tls"]:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _connect(self, timeout: float) -> smtplib.SMTP:
        c = self.config
        what = f"the mail server {c['host']}:{c['port']}"
        try:
            if c["security"] == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(c["host"], int(c["port"]), timeout=timeout,
                                                      context=self._tls(), local_hostname=c.get("helo"))
            else:
                smtp = smtplib.SMTP(c["host"], int(c["port"]), timeout=timeout, local_hostname=c.get("helo"))
                smtp.ehlo()
                if c["security"] == "starttls":
                    if not smtp.has_extn("starttls"):
                        smtp.close()
                        raise RejectedError(f"{what} does not offer STARTTLS; refusing to send without encryption "
                                            "(set security = \"tls\" for port 465)")
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
            if c["username"]:
                smtp.login(c["username"], self.secret("password"))
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthError(f"{what} refused the login for {c['username']!r} ({exc.smtp_code} "
                            f"{_text(exc.smtp_error)}); check it with "
                            f"`deskside backend set-secret {self.name}`") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise RejectedError(f"{what} does not support login here ({exc}); check security and port") from exc
        except ssl.SSLError as exc:
            raise RejectedError(f"TLS with {what} failed ({exc}); check the certificate (ca_file) and port") from exc
        except (OSError, smtplib.SMTPException) as exc:
            if isinstance(exc, RejectedError):
                raise
            raise TransientError(f"{what} cannot be reached ({exc}); the ticket waits in the outbox",
                                 maybe_sent=False) from exc
        return smtp

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        progress = progress or no_progress
        (req,) = self.build(ticket)
        assert isinstance(req, MailRequest)
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress("E-mail: connecting", 0.1)
        smtp = self._connect(timeout)
        try:
            progress("E-mail: sending", 0.5)
            refused = smtp.send_message(req.message, req.sender, req.recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            raise RejectedError(f"the mail server refused every recipient ({exc.recipients}); "
                                "check to = [...]") from exc
        except smtplib.SMTPSenderRefused as exc:
            hint = ("; it may refuse mail From the requester: set from_requester = false"
                    if self.config["from_requester"] and ticket.requester_email else "")
            raise RejectedError(f"the mail server refused the sender {req.sender!r} ({exc.smtp_code}); "
                                f"check from = ...{hint}") from exc
        except smtplib.SMTPDataError as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"the mail server deferred the message ({exc.smtp_code})",
                                     maybe_sent=False) from exc
            hint = ("; or it refuses mail From the requester (set from_requester = false)"
                    if self.config["from_requester"] and ticket.requester_email else "")
            raise RejectedError(f"the mail server rejected the message ({exc.smtp_code} "
                                f"{_text(exc.smtp_error)}); is the bundle too large?{hint}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"the connection to the mail server broke while sending ({exc})",
                                 maybe_sent=True) from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        progress("E-mail: sent", 1.0)
        warning = f"some recipients were refused: {sorted(refused)}" if refused else ""
        mid = str(req.message["Message-ID"])
        return Submitted(mid, "", warning)

    def test(self, *, timeout: float = 15.0) -> str:
        smtp = self._connect(timeout)
        try:
            smtp.noop()
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        auth = f", logged in as {self.config['username']!r}" if self.config["username"] else ""
        return f"mail server {self.config['host']}:{self.config['port']} answers ({self.config['security']}{auth})"
