"""What the Remote page needs from the application, as protocols. `desktop/connection_worker.py` provides the real
implementation (one worker thread per SSH connection); the page itself never touches the network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import SignalInstance

from remote.hosts import AddressBook, HostProfile


class RemoteSession(Protocol):
    """A handle on one SSH connection. Methods return at once; results arrive as signals on the GUI thread."""

    profile: HostProfile
    state_changed: SignalInstance  # (state, message): connecting, connected, failed, refused, lost, closed
    auth_requested: SignalInstance  # (AuthRequest): kind + fields; answer with request.answer(value)
    shell_opened: SignalInstance  # (shell id)
    shell_output: SignalInstance  # (shell id, bytes)
    shell_closed: SignalInstance  # (shell id, why)
    listed: SignalInstance  # (request id, path, entries or None, error)
    transfer_progress: SignalInstance  # (transfer id, done, total)
    transfer_finished: SignalInstance  # (transfer id, status, message)
    forward_changed: SignalInstance  # (forward id, state, message)

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
    def start_forward(self, kind: str, spec: dict[str, Any]) -> int: ...
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
