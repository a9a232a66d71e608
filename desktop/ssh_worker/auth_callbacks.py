"""Authentication questions asked from a worker thread and answered on the GUI thread.

`GuiAuthCallbacks` implements `remote.auth.AuthCallbacks`: each question becomes an `AuthRequest` handed to `ask`
(the worker emits it as `auth_requested`), and the asking thread BLOCKS until the GUI calls `request.answer(value)`
or `stopping` is set. The GUI thread never waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ui.remote_services import AuthKind


class Stopping(Protocol):
    """A threading.Event or anything else whose is_set() says "stop waiting for an answer"."""

    def is_set(self) -> bool: ...


@dataclass
class AuthRequest:
    """One question to the user, asked from a worker thread. `fields` holds what the dialog shows (see AuthKind)."""

    kind: AuthKind
    fields: dict[str, Any]
    _event: threading.Event = field(default_factory=threading.Event, repr=False)
    _answer: Any = field(default=None, repr=False)  # a password or passphrase: never in a repr or a log line

    def answer(self, value: Any) -> None:
        """Called on the GUI thread with the user's answer (None = cancelled); wakes the worker."""
        self._answer = value
        self._event.set()

    @property
    def answered(self) -> bool:
        return self._event.is_set()


class GuiAuthCallbacks:
    """remote.auth.AuthCallbacks for the GUI: each question blocks the worker thread until the GUI answers."""

    def __init__(self, ask: Callable[[AuthRequest], None], stopping: Stopping) -> None:
        self._ask = ask
        self._stopping = stopping

    def _wait(self, kind: AuthKind, **fields: Any) -> Any:
        req = AuthRequest(kind, fields)
        self._ask(req)
        while not req._event.wait(0.1):
            if self._stopping.is_set():
                return None
        return req._answer

    def confirm_host_key(self, hostname: str, port: int, key_type: str, fingerprint: str) -> bool:
        return bool(self._wait(AuthKind.HOST_KEY, hostname=hostname, port=port, key_type=key_type,
                               fingerprint=fingerprint))  # fmt: skip

    def ask_password(self, prompt: str) -> str | None:
        ans = self._wait(AuthKind.PASSWORD, prompt=prompt)
        return str(ans) if ans is not None else None

    def ask_passphrase(self, key_path: str) -> str | None:
        ans = self._wait(AuthKind.PASSPHRASE, key_path=str(key_path))
        return str(ans) if ans is not None else None

    def keyboard_interactive(self, title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str] | None:
        ans = self._wait(AuthKind.KEYBOARD_INTERACTIVE, title=title, instructions=instructions, prompts=list(prompts))
        return [str(a) for a in ans] if ans is not None else None
