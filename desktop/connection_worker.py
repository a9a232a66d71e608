"""The Remote page's services: the address book, ~/.ssh/config import and one `ConnectionWorker` per connection.

The worker itself lives in desktop/ssh_worker/ (threads, channels, typed commands); its names are re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from remote.connection import Connection
from remote.hosts import HostProfile

from .ssh_worker import AuthRequest, ConnectionWorker, GuiAuthCallbacks

__all__ = ["AuthRequest", "ConnectionWorker", "GuiAuthCallbacks", "build_remote_services"]


# -- wiring for the Remote page -------------------------------------------------------------------------------------
def build_remote_services(parent: QObject | None = None, tasks: Any = None) -> Any:
    """The Remote page's services, built by desktop/wiring.py as for the CLI: the address book (a spare one when the
    file is unreadable: it is never overwritten), ~/.ssh/config import, and one ConnectionWorker per connection, each
    with a `wiring.new_connection` (known_hosts plus Deskside's own store, the keyring, the audit log), and the
    "Remember passwords" choice ([remote] save_secrets). With `tasks` (the app's TaskRunner) quick connect and
    Import read ~/.ssh/config on a worker thread."""
    from remote.auth import KeyringSecrets
    from remote.hosts import import_ssh_config, resolve_target
    from ui.remote_services import RemoteServices

    from . import settings, wiring

    book = wiring.load_address_book(spare_if_unreadable=True)
    secrets = KeyringSecrets()
    remembered = wiring.save_secrets_setting()
    state = {"save_secrets": remembered}

    def set_save_secrets(on: bool) -> str:
        state["save_secrets"] = on
        try:
            config = settings.load_user()
            config.setdefault("remote", {})["save_secrets"] = on
            settings.save(config)
        except (settings.ConfigError, OSError) as exc:
            return f"The choice applies until Deskside quits; it could not be saved: {exc}"
        return ""

    def connection_factory() -> Connection:
        return wiring.new_connection(book, secrets=secrets, save_secrets=state["save_secrets"])

    def new_session(profile: HostProfile) -> ConnectionWorker:
        return ConnectionWorker(profile, connection_factory, parent=parent)

    return RemoteServices(
        book=book,
        new_session=new_session,
        import_ssh_config=import_ssh_config,
        ssh_config_path=wiring.ssh_config_path(),
        download_dir=Path.home() / "Downloads",
        resolve=lambda text: resolve_target(text, book, wiring.ssh_config_path()),
        save_secrets=remembered,
        set_save_secrets=set_save_secrets,
        secrets_problem=lambda: secrets.problem,
        tasks=tasks,
    )
