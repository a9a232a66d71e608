"""The Remote page's services: the address book, ~/.ssh/config import and one `ConnectionWorker` per connection.

The worker itself lives in desktop/ssh_worker/ (threads, channels, typed commands); its names are re-exported here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from remote.connection import Connection
from remote.hosts import HostProfile

from .ssh_worker import AuthRequest, ConnectionWorker, GuiAuthCallbacks

__all__ = ["AuthRequest", "ConnectionWorker", "GuiAuthCallbacks", "build_remote_services"]

log = logging.getLogger(__name__)


# -- wiring for the Remote page -------------------------------------------------------------------------------------
def build_remote_services(parent: QObject | None = None) -> Any:
    """The Remote page's services, with the same files as the CLI (desktop/commands/remote.py): the address book,
    ~/.ssh/config import, and one ConnectionWorker per connection, each with a Connection that trusts
    ~/.ssh/known_hosts plus Deskside's own store, keeps secrets in the keyring and writes the audit log."""
    from remote.auth import KeyringSecrets
    from remote.hosts import AddressBook, import_ssh_config, resolve_target
    from ui.remote_services import RemoteServices

    from . import wiring as cli  # the wiring the CLI uses too

    book = AddressBook(cli.address_book_path())
    try:
        book.load()
    except Exception as exc:  # a broken file is left alone (never overwritten): the page works on a spare book
        log.error("%s", exc)
        book = AddressBook(cli.address_book_path().with_name("hosts.unreadable-fallback.toml"))
    secrets = KeyringSecrets()
    from . import settings

    try:
        remembered = bool(settings.load().get("remote", {}).get("save_secrets", False))
    except settings.ConfigError as exc:
        log.error("%s", exc)
        remembered = False
    state = {"save_secrets": remembered}

    def set_save_secrets(on: bool) -> str:
        state["save_secrets"] = on
        try:
            config = settings.load()
            config.setdefault("remote", {})["save_secrets"] = on
            settings.save(config)
        except (settings.ConfigError, OSError) as exc:
            return f"The choice applies until Deskside quits; it could not be saved: {exc}"
        return ""

    def connection_factory() -> Connection:
        return cli.new_connection(book, secrets=secrets, save_secrets=state["save_secrets"])

    def new_session(profile: HostProfile) -> ConnectionWorker:
        return ConnectionWorker(profile, connection_factory, parent=parent)

    return RemoteServices(
        book=book,
        new_session=new_session,
        import_ssh_config=import_ssh_config,
        ssh_config_path=cli.ssh_config_path(),
        download_dir=Path.home() / "Downloads",
        resolve=lambda text: resolve_target(text, book, cli.ssh_config_path()),
        save_secrets=remembered,
        set_save_secrets=set_save_secrets,
        secrets_problem=lambda: secrets.problem,
    )
