"""Cooperative cancellation shared by the core packages, the CLI (Ctrl-C) and the GUI (Cancel buttons)."""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised inside work that noticed its cancel token was set."""


class CancelToken:
    """A thread-safe flag. Long work polls `cancelled` or calls `raise_if_cancelled()`."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")

    @property
    def event(self) -> threading.Event:
        """The token as a `threading.Event`, set once it is cancelled, for code that waits on an Event (setting
        the Event cancels the token)."""
        return self._event

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; return True early if cancelled."""
        return self._event.wait(timeout)
