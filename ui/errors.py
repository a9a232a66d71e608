"""How a failure reaches the user: one sentence, shown one way.

Errors cross threads as exceptions (`desktop/tasks.py` delivers the exception object in `Task.failed`).
`user_message(exc)` is the one place that turns an exception into the sentence the user reads:

- `common.errors.UserError` and the core errors that are worded for users (tickets' `TicketError`, remote's
  `ConnectError`, `ConnectionLost`, `TrustError`, `AuthError`, `HostsError`, `SftpError`): their message, as it is;
- an `OSError` that names a file: the file and what the system said ("/x/y: No such file or directory");
- anything else is a bug: its class name and first line (the traceback is in the log, never on screen).

`MessageLine` is the widget every page and dialog uses to show what happened: `show_failure(what, exc)` in red,
`show_ok(text)` in green, `setText(text)` as a plain note. Its text is always plain text.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from common.errors import UserError

from .theme import readable

OK_COLOUR, ERROR_COLOUR = "#2e7d32", "#c62828"


@cache
def worded_for_users() -> tuple[type[BaseException], ...]:
    """Exceptions whose message is already the sentence a user reads. Imported when first needed (a failure is
    being shown), so that a page can be shown before the SSH and ticket modules are loaded."""
    from remote.auth import AuthError as RemoteAuthError
    from remote.connection import ConnectError, ConnectionLost
    from remote.hosts import HostsError
    from remote.sftp import SftpError
    from remote.trust import TrustError
    from tickets.errors import TicketError

    return (UserError, TicketError, ConnectError, ConnectionLost, TrustError, RemoteAuthError, HostsError, SftpError)


def user_message(exc: BaseException) -> str:
    """The sentence the user reads for `exc` (never a traceback)."""
    text = str(exc).strip()
    if isinstance(exc, worded_for_users()) and text:
        return text
    if isinstance(exc, OSError) and exc.filename is not None:
        names = " → ".join(str(n) for n in (exc.filename, exc.filename2) if n is not None)
        return f"{names}: {exc.strerror or text}"
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def failure_text(what: str, exc: BaseException) -> str:
    """`what` failed, and why: "Not sent: the server refused the token"."""
    return f"{what}: {user_message(exc)}"


class MessageLine(QLabel):
    """A line under a form or a list that says how the last action went (plain text, selectable, wraps)."""

    def __init__(self, text: str = "", *, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if name:
            self.setObjectName(name)
        self.failed = False
        self.setText(text)

    def setText(self, text: str) -> None:
        """A neutral note (progress, a hint); clears the colour of an earlier success or failure."""
        self._show(text, "")

    def show_ok(self, text: str) -> None:
        self._show(text, OK_COLOUR)

    def show_error(self, text: str) -> None:
        """A failure already put into words (a form that cannot be read, a rejected action)."""
        self._show(text, ERROR_COLOUR)
        self.failed = True

    def show_failure(self, what: str, exc: BaseException) -> str:
        """Show that `what` failed and why; returns the text (for the status bar)."""
        text = failure_text(what, exc)
        self.show_error(text)
        return text

    def _show(self, text: str, colour: str) -> None:
        self.failed = False
        self.setStyleSheet(f"color: {readable(colour)};" if colour else "")  # legible in the dark theme too
        super().setText(text)
