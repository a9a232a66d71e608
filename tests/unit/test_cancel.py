"""The one cancel token of the core packages, the CLI and the GUI (common/cancel.py)."""

from __future__ import annotations

import threading

import pytest

from common.cancel import Cancelled, CancelToken


def test_cancel_is_seen_by_every_reader() -> None:
    token = CancelToken()
    token.raise_if_cancelled()
    assert not token.cancelled and not token.event.is_set()
    token.cancel()
    assert token.cancelled and token.wait(0)
    with pytest.raises(Cancelled, match="cancelled by the user"):
        token.raise_if_cancelled()


def test_the_event_view_wakes_a_waiter_and_setting_it_cancels() -> None:
    """Code that waits on a threading.Event (the GUI's login questions) gets the token's own Event: a waiter
    wakes up when the token is cancelled, with no adapter in between."""
    token = CancelToken()
    woke = threading.Event()

    def waiter() -> None:
        if token.event.wait(30):
            woke.set()

    t = threading.Thread(target=waiter)
    t.start()
    token.cancel()
    t.join()
    assert woke.is_set()
    other = CancelToken()
    other.event.set()
    assert other.cancelled
