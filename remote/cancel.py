"""Cancellation for the SSH core (the shared token; see common.cancel)."""

from __future__ import annotations

from common.cancel import Cancelled, CancelToken

__all__ = ["CancelToken", "Cancelled", "check"]


def check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()
