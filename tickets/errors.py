"""Typed ticket errors. Every message says what went wrong and what to do."""

from __future__ import annotations


class TicketError(Exception):
    """Base class of every error the tickets package raises on purpose."""


class ConfigError(TicketError):
    """The backend configuration is incomplete or wrong (found before any I/O)."""


class AuthError(TicketError):
    """The backend refused our credentials (wrong token/password, or no rights)."""


class RejectedError(TicketError):
    """The backend understood the request and refused it (unknown queue, invalid field...). Retrying won't help."""


class TransientError(TicketError):
    """A failure that may go away (network down, timeout, 5xx, rate limit). The outbox retries these.

    `maybe_sent` is True when the request may have reached the backend (e.g. the answer timed out), so a retry
    must first check whether the ticket already exists.
    """

    def __init__(self, message: str, *, maybe_sent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after


class SecretUnavailable(TicketError):
    """No usable keyring (or the secret is missing)."""
