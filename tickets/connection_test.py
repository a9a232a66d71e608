"""A backend's "Test connection", worded for the person who pressed the button.

The connectors' errors are worded for sending a ticket ("... cannot be reached at ...: [Errno 111] Connection
refused; the ticket waits in the outbox and is retried"). After a connection test no ticket exists, so
`run_test()` turns every failure into `ConnectionTestFailed`: one sentence saying what went wrong, in plain words
(connection refused, name not found, certificate not trusted, sign-in refused, no keyring...) and what to do. The
system's own wording (`[Errno 111]`, a keyring backend's class name) never reaches the message.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .errors import AuthError, ConfigError, RejectedError, SecretUnavailable, TicketError, TransientError

#: How a secret field is called in the GUI (and in these messages).
SECRET_LABELS = {"token": "API token", "password": "password", "api_key": "API key", "api_token": "API token",
                 "app_token": "application token", "user_token": "user token", "signing_key": "signing key"}

_OUTBOX_TAIL = re.compile(r";?\s*(the ticket waits in the outbox( and is retried)?|fix the backend settings or the "
                          r"ticket and retry|the next try checks first)\.?", re.IGNORECASE)


class ConnectionTestFailed(TicketError):
    """A connection test failed; the message says why in plain words and what to do."""


def secret_label(field: str) -> str:
    return SECRET_LABELS.get(field, field.replace("_", " "))


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _where(config: Mapping[str, Any]) -> tuple[str, str]:
    """(address as the user wrote it, host name) of the backend."""
    url = str(config.get("test_url") or config.get("api_url") or config.get("url") or "")
    if url:
        host = urlsplit(url).hostname or url
        return url, host
    host = str(config.get("host") or "")
    port = config.get("port")
    return (f"{host}:{port}" if port else host), host


def explain(exc: BaseException, title: str, config: Mapping[str, Any], timeout: float) -> str:
    """The sentence a user reads when testing a `title` backend with `config` failed with `exc`."""
    where, host = _where(config)
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, SecretUnavailable):
            return ("The password or token could not be read because no system keyring is available in this "
                    "session. Start GNOME Keyring or KWallet (log in to a desktop session), then test again; on a "
                    "server without a session, give it as DESKSIDE_SECRET_<BACKEND>_<FIELD> in the environment.")
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            reason = e.verify_message or "it is not signed by an authority this computer trusts"
            return (f"The certificate of {host} is not trusted ({reason}). If your organisation uses its own "
                    "certificate authority, choose its certificate under 'CA certificate file'; otherwise check the "
                    "server address.")
        if isinstance(e, ssl.SSLError):
            return (f"A secure (TLS) connection to {where} could not be set up. Check that the address starts with "
                    "https:// only if the server speaks HTTPS on that port (and http:// otherwise), and the port.")
        if isinstance(e, socket.gaierror):
            return (f"The server name {host!r} could not be found. Check the address for typing mistakes, and "
                    "that this computer is connected to the network (or the VPN) where the server is.")
        if isinstance(e, ConnectionRefusedError) or (isinstance(e, OSError) and e.errno == errno.ECONNREFUSED):
            return (f"Nothing answers at {where}: the connection was refused. Check the address and the port, and "
                    "that the helpdesk server is running.")
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return (f"{where} cannot be reached from this computer (no route to it). Check the network "
                    "connection, the VPN, or the proxy setting.")
        if isinstance(e, TimeoutError) or type(e).__name__.endswith("Timeout"):
            return (f"{where} did not answer within {timeout:g} seconds. Check the address, and that the server "
                    "can be reached from this network (a proxy or VPN may be needed).")
    if isinstance(exc, AuthError):
        advice = (" Check the user name and the password or token under Credentials, then test again."
                  if "401" in str(exc) or "refused" in str(exc) else "")
        return _core(exc, title).rstrip(".") + "." + advice
    if isinstance(exc, ConfigError) and "has no " in str(exc) and "stored" in str(exc):
        field = re.search(r"has no (\w+) stored", str(exc))
        what = secret_label(field.group(1)) if field else "password or token"
        return f"No {what} is stored for this backend yet. Enter it under Credentials, then test again."
    if isinstance(exc, RejectedError | ConfigError | TransientError):
        return _core(exc, title).rstrip(".") + "."
    if isinstance(exc, TicketError):
        return str(exc)
    if isinstance(exc, OSError):
        return (f"The connection to {where} failed ({exc.strerror or 'a network error'}). Check the address and "
                "the network connection.")
    return f"The test stopped with an unexpected error ({type(exc).__name__}); the log has the details."


def _core(exc: BaseException, title: str) -> str:
    """The message without the advice that is about sending a ticket or about the command line."""
    text = _OUTBOX_TAIL.sub("", str(exc)).strip().rstrip(";").strip()
    text = re.sub(r"\s*;?\s*check (them|it) with `deskside backend set-secret [^`]*`", "", text)
    return text


def run_test(title: str, config: Mapping[str, Any], test: Callable[[], str], timeout: float) -> str:
    """Run a connector's `test()`; its result on success, else ConnectionTestFailed in plain words."""
    try:
        return test()
    except Exception as exc:
        raise ConnectionTestFailed(explain(exc, title, config, timeout)) from exc
