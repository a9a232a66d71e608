"""The Remote page's "Run diagnostics" action: the diagnostics of a connected host, shown on the Diagnostics page.

The run happens on the Diagnostics page's task thread (progress, Cancel and Save work as for a local run) over an
SSH connection of its own, which that thread opens, owns and closes: a ConnectionWorker's connection belongs to
its worker thread and is not borrowed. The connection follows the Remote page's rules (known_hosts plus
Deskside's store, keyring, audit log); questions it asks (an unknown host key, a password) are shown by the
session's view, through the session's `auth_requested` signal, as for the session itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from diagnostics.cancel import Cancelled, CancelToken
from diagnostics.model import Report
from diagnostics.runner import ProgressCallback
from remote.cancel import Cancelled as RemoteCancelled
from remote.hosts import HostProfile

from . import services
from .remote_host import LinkedCancel, SshHost

RunService = Callable[[list[str] | None, bool, CancelToken, ProgressCallback], Report]


def default_connection_factory() -> Any:
    """A new, unconnected Connection with the files the Remote page and `deskside ssh` use."""
    from remote.audit import AuditLog
    from remote.auth import KeyringSecrets
    from remote.connection import Connection
    from remote.hosts import AddressBook, resolve_target
    from remote.trust import HostKeyStore

    from .commands import remote as cli

    book = AddressBook(cli.address_book_path())
    try:
        book.load()
    except Exception:  # a broken address book only loses jump-host names here; the Remote page reports it
        book = AddressBook(cli.address_book_path().with_name("hosts.unreadable-fallback.toml"))
    trust = HostKeyStore([cli.ssh_dir() / "known_hosts"], cli.known_hosts_store_path())
    return Connection(trust, secrets=KeyringSecrets(), audit=AuditLog(cli.audit_log_path()),
                      resolve_jump=lambda text: resolve_target(text, book, cli.ssh_config_path()),
                      default_identity_dir=cli.ssh_dir())  # fmt: skip


class _CancelledEvent(threading.Event):
    """`is_set()` is True once the run's cancel token is: GuiAuthCallbacks stops waiting for an answer."""

    def __init__(self, token: CancelToken) -> None:
        super().__init__()
        self.token = token

    def is_set(self) -> bool:
        return self.token.cancelled or super().is_set()


def remote_run_service(
    profile: HostProfile,
    ask: Callable[[Any], None],
    connection_factory: Callable[[], Any] = default_connection_factory,
    connect_timeout: float = 20.0,
) -> RunService:
    """A Diagnostics-page service that diagnoses `profile` over SSH. `ask(AuthRequest)` shows a question on the
    GUI thread (a session's `auth_requested.emit`). Connection errors reach the page as one-line failures."""

    def service(names: list[str] | None, include: bool, cancel: CancelToken, progress: ProgressCallback) -> Report:
        from .connection_worker import GuiAuthCallbacks

        conn = connection_factory()
        try:
            try:
                conn.connect(profile, GuiAuthCallbacks(ask, _CancelledEvent(cancel)), timeout=connect_timeout,
                             cancel=LinkedCancel(cancel))
            except RemoteCancelled as exc:
                raise Cancelled(str(exc)) from None
            host = SshHost(conn, cancel=cancel)
            return services.run_diagnostics(only=names, include_connectivity=include, cancel=cancel,
                                            progress=progress, host=host)
        finally:
            conn.close()

    return service


def connect_pages(remote_page: Any, diagnostics_page: Any, show_diagnostics: Callable[[], None] | None = None,
                  connection_factory: Callable[[], Any] = default_connection_factory) -> None:
    """Wire the Remote page's "Run diagnostics" to the Diagnostics page."""

    def start(view: Any) -> None:
        session = view.session
        if show_diagnostics is not None:
            show_diagnostics()
        if diagnostics_page.is_running:
            diagnostics_page.run_with(None, session.profile.display())  # says a run is in progress
            return
        asked: list[Any] = []

        def ask(request: Any) -> None:  # on the task thread
            asked.append(request)
            session.auth_requested.emit(request)

        def finished(_report: object) -> None:
            diagnostics_page.run_finished.disconnect(finished)
            if any(not r.answered for r in asked):  # cancelled while asking: close the question left open
                with contextlib.suppress(RuntimeError, AttributeError):  # the tab may be gone
                    if view.dialog is not None:
                        view.dialog.reject()

        diagnostics_page.run_finished.connect(finished)
        diagnostics_page.run_with(remote_run_service(session.profile, ask, connection_factory),
                                  session.profile.display())

    remote_page.diagnose_requested.connect(start)


def wire(window: Any) -> None:
    """For desktop/app.py: connect the main window's Remote and Diagnostics pages (if both are there)."""
    try:
        remote_page, diagnostics_page = window.page("remote"), window.page("diagnostics")
    except KeyError:
        return
    if hasattr(remote_page, "diagnose_requested") and hasattr(diagnostics_page, "run_with"):
        connect_pages(remote_page, diagnostics_page, lambda: window.show_page("diagnostics"))
