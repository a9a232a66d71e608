"""A tiny cancel token (tickets must not import diagnostics, so this mirrors its pattern)."""

from __future__ import annotations

import threading
from collections.abc import Callable

#: progress(message, fraction or None)
Progress = Callable[[str, float | None], None]


class Cancelled(Exception):
    """The user cancelled; nothing was lost (a ticket stays in the outbox)."""


class CancelToken:
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

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if cancelled meanwhile."""
        return self._event.wait(seconds)


def no_progress(message: str, fraction: float | None = None) -> None:
    return None
