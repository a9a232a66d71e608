"""The words of a failed backend connection test (tickets/connection_test.py): each cause the system reports in its
own terms (errno, a TLS library message, a keyring class) becomes a sentence that says what to do. The refused
connection, the hung server, the missing keyring and a refused sign-in are tested for real in
tests/gui/test_get_help_settings.py; these are the causes that need a network or a certificate to provoke."""

from __future__ import annotations

import socket
import ssl

import pytest

from tickets.connection_test import ConnectionTestFailed, explain, run_test
from tickets.errors import ConfigError, TransientError

RT = {"url": "https://rt.corp.example", "queue": "General"}


def chained(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except BaseException as exc:
        return exc


def test_a_name_that_does_not_resolve() -> None:
    exc = chained(TransientError("Request Tracker (x) cannot be reached at https://rt.corp.example: [Errno -2] Name "
                                 "or service not known; the ticket waits in the outbox and is retried"),
                  socket.gaierror(-2, "Name or service not known"))
    text = explain(exc, "Request Tracker", RT, 15)
    assert text == ("The server name 'rt.corp.example' could not be found. Check the address for typing mistakes, "
                    "and that this computer is connected to the network (or the VPN) where the server is.")


def test_an_untrusted_certificate_points_to_the_ca_file_setting() -> None:
    cert = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    cert.verify_message = "self-signed certificate in certificate chain"
    text = explain(chained(TransientError("x"), cert), "Request Tracker", RT, 15)
    assert text.startswith("The certificate of rt.corp.example is not trusted (self-signed certificate in "
                           "certificate chain).")
    assert "'CA certificate file'" in text and "SSL:" not in text


def test_a_server_error_is_not_about_the_outbox() -> None:
    exc = TransientError("Request Tracker (x) is temporarily failing (HTTP 503: down); the ticket waits in the "
                         "outbox and is retried")
    assert explain(exc, "Request Tracker", RT, 15) == "Request Tracker (x) is temporarily failing (HTTP 503: down)."


def test_a_missing_secret_says_where_to_enter_it() -> None:
    exc = ConfigError("backend 'x' has no token stored; run `deskside backend set-secret x` to put it in the system "
                      "keyring, or set DESKSIDE_SECRET_X_TOKEN in the environment")
    assert explain(exc, "Request Tracker", RT, 15) == ("No API token is stored for this backend yet. Enter it under "
                                                       "Credentials, then test again.")


def test_run_test_passes_success_through_and_words_failures() -> None:
    assert run_test("E-mail", {"host": "127.0.0.1", "port": 25}, lambda: "ok", 5) == "ok"

    def refused() -> str:
        raise chained(TransientError("x"), ConnectionRefusedError(111, "Connection refused"))

    with pytest.raises(ConnectionTestFailed, match=r"^Nothing answers at 127.0.0.1:25: the connection was refused"):
        run_test("E-mail", {"host": "127.0.0.1", "port": 25}, refused, 5)
