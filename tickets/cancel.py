"""Cancellation and progress for the tickets core (the shared token; see common.cancel)."""

from __future__ import annotations

from collections.abc import Callable

from common.cancel import Cancelled, CancelToken

__all__ = ["CancelToken", "Cancelled", "Progress", "no_progress"]

#: progress(message, fraction or None)
Progress = Callable[[str, float | None], None]


def no_progress(message: str, fraction: float | None = None) -> None:
    return None
