"""Cancellation for the diagnostics core (the shared token; see common.cancel)."""

from common.cancel import Cancelled, CancelToken

__all__ = ["CancelToken", "Cancelled"]
