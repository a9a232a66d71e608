"""What the Remote page needs from the application, as protocols, and the words both sides use: the session states,
transfer and tunnel outcomes, kinds of login question and the tunnel spec. `desktop/ssh_worker/` provides the real
implementation (a worker thread per SSH connection plus its transfer thread); the page never touches the network."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import SignalInstance

from remote.hosts import AddressBook, HostProfile

from .services import TaskStarter


class SessionState(enum.StrEnum):
    """Where one connection is. A str enum, so a state reads as its word in a label or a log line."""

    NEW = "new"  # created, not started yet
    CONNECTING = "connecting"  # TCP, handshake, host key, authentication (questions may be open)
    CONNECTED = "connected"
    FAILED = "failed"  # connecting failed (or was cancelled); reconnect may try again
    REFUSED = "refused"  # the host key CHANGED or was revoked: nothing was sent; reconnecting will not help
    LOST = "lost"  # was connected; the peer or the network went away
    CLOSED = "closed"  # the worker ended (the user closed the session)

    @property
    def ended(self) -> bool:
        """No connection now (a failed, refused, lost or closed session)."""
        return self in (SessionState.FAILED, SessionState.REFUSED, SessionState.LOST, SessionState.CLOSED)


class TransferStatus(enum.StrEnum):
    OK = "ok"
    CANCELLED = "cancelled"  # the partial file is kept; resume continues it
    FAILED = "failed"


class ForwardState(enum.StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


class ForwardKind(enum.StrEnum):
    LOCAL = "L"  # ssh -L
    REMOTE = "R"  # ssh -R
    DYNAMIC = "D"  # ssh -D (SOCKS5)


class AuthKind(enum.StrEnum):
    """What an AuthRequest asks; its `fields` are named after the matching remote.auth.AuthCallbacks arguments."""

    HOST_KEY = "host_key"  # hostname, port, key_type, fingerprint -> bool
    PASSWORD = "password"  # noqa: S105 (a kind of question) prompt -> str or None
    PASSPHRASE = "passphrase"  # noqa: S105 (a kind of question) key_path -> str or None
    KEYBOARD_INTERACTIVE = "keyboard_interactive"  # title, instructions, prompts -> list[str] or None


@dataclass(frozen=True)
class ForwardSpec:
    """One tunnel as ssh's -L/-R/-D options say it. dest_* are unused for DYNAMIC; bind_port 0 = any free port."""

    kind: ForwardKind
    bind_port: int
    bind_host: str = "127.0.0.1"
    dest_host: str = "127.0.0.1"
    dest_port: int = 0

    def describe(self, bound_port: int | None = None) -> str:
        """`-L 127.0.0.1:8080 -> host:80` as ssh would write it; bound_port is the port actually bound, if known."""
        bind = f"{self.bind_host or '127.0.0.1'}:{bound_port or self.bind_port or '*'}"
        if self.kind is ForwardKind.DYNAMIC:
            return f"-D {bind} (SOCKS5)"
        return f"-{self.kind.value} {bind} -> {self.dest_host}:{self.dest_port}"


class AuthQuestion(Protocol):
    """A question a session asks while connecting (desktop's AuthRequest): answer(None) = cancelled."""

    kind: AuthKind
    fields: dict[str, Any]

    def answer(self, value: Any) -> None: ...


class RemoteSession(Protocol):
    """A handle on one SSH connection. Methods return at once; results arrive as signals on the GUI thread."""

    profile: HostProfile
    state_changed: SignalInstance  # (SessionState, message)
    auth_requested: SignalInstance  # (AuthRequest): kind (AuthKind) + fields; answer with request.answer(value)
    shell_opened: SignalInstance  # (shell id)
    shell_output: SignalInstance  # (shell id, bytes)
    shell_closed: SignalInstance  # (shell id, why)
    listed: SignalInstance  # (request id, path, entries or None, error)
    transfer_progress: SignalInstance  # (transfer id, done, total)
    transfer_finished: SignalInstance  # (transfer id, TransferStatus, message)
    forward_changed: SignalInstance  # (forward id, ForwardState, message)

    def start(self) -> None: ...
    def reconnect(self) -> None: ...
    def open_shell(self, cols: int, rows: int, term: str = ...) -> int: ...
    def send(self, shell_id: int, data: bytes) -> None: ...
    def resize(self, shell_id: int, cols: int, rows: int) -> None: ...
    def close_shell(self, shell_id: int) -> None: ...
    def list_dir(self, path: str) -> int: ...
    def download(self, remote_path: str, local_dir: str, resume: bool = ...) -> int: ...
    def upload(self, local_path: str, remote_dir: str, resume: bool = ...) -> int: ...
    def cancel_transfer(self, transfer_id: int) -> None: ...
    def start_forward(self, spec: ForwardSpec) -> int: ...
    def stop_forward(self, forward_id: int) -> None: ...
    def close(self) -> None: ...


@dataclass
class RemoteServices:
    book: AddressBook
    new_session: Callable[[HostProfile], RemoteSession]
    import_ssh_config: Callable[[Path], tuple[list[HostProfile], list[str]]]
    ssh_config_path: Path
    download_dir: Path
    # Save passwords and key passphrases that worked in the system keyring (config key [remote] save_secrets).
    # Quick connect: what a user would type for ssh ([user@]host[:port], an alias) -> a profile; raises HostsError.
    resolve: Callable[[str], HostProfile] | None = None
    save_secrets: bool = False
    set_save_secrets: Callable[[bool], str] | None = None  # stores the choice; returns "" or an error to show
    # Why remembered secrets cannot work (a missing or locked system keyring), "" when nothing went wrong so far.
    # Reads what the connections found; never touches the keyring itself (that could block the GUI thread).
    secrets_problem: Callable[[], str] | None = None
    # Runs `resolve` and `import_ssh_config` off the GUI thread (they read ~/.ssh/config, whose Match exec and
    # canonicalisation may run programs or ask DNS); without it they run on the caller's thread (tests).
    tasks: TaskStarter | None = None
