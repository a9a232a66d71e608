"""The error a user reads: raised by any layer when the message is already the sentence to show."""

from __future__ import annotations


class UserError(Exception):
    """An error whose message is worded for the user: what went wrong and, where it helps, what to do.

    Raise it (usually `from` the low-level exception) where the code knows what a failure means to the user;
    the GUI shows its message as it is (see `ui/errors.py`), never with a class name or a traceback."""
