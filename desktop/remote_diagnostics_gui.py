"""The Remote page's "Run diagnostics" action: the diagnostics of a connected host, shown on the Diagnostics page.

The run happens on the Diagnostics page's task thread (progress, Cancel and Save work as for a local run) over an
SSH connection of its own, which that thread opens, owns and closes: a ConnectionWorker's connection belongs to
its worker thread and is not borrowed. `wiring.new_connection` builds it with the Remote page's rules (known_hosts
plus Deskside's store, HashKnownHosts, the keyring and "Remember passwords", the audit log, jump hosts); questions
it asks (an unknown host key, a password) are shown by the session's view, through the session's `auth_requested`
signal, as for the session itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from diagnostics.cancel import CancelToken
from diagnostics.model import Report
from diagnostics.runner import ProgressCallback
from remote.hosts import HostProfile

from . import wiring
from .remote_host import SshHost

RunService = Callable[[list[str] | None, bool, CancelToken, ProgressCallback], Report]


def remote_run_service(
    profile: HostProfile,
    ask: Callable[[Any], None],
    connection_factory: Callable[[], Any] = wiring.new_connection,
    connect_timeout: float = 20.0,
) -> RunService:
    """A Diagnostics-page service that diagnoses `profile` over SSH. `ask(AuthRequest)` shows a question on the
    GUI thread (a session's `auth_requested.emit`). Connection errors reach the page as one-line failures."""

    def service(names: list[str] | None, include: bool, cancel: CancelToken, progress: ProgressCallback) -> Report:
        from .ssh_worker import GuiAuthCallbacks

        conn = connection_factory()
        try:
            # A question waiting for its answer ends when the run is cancelled (the token's Event is set).
            conn.connect(profile, GuiAuthCallbacks(ask, cancel.event), timeout=connect_timeout, cancel=cancel)
            host = SshHost(conn, cancel=cancel)
            return wiring.run_diagnostics(only=names, include_connectivity=include, cancel=cancel,
                                          progress=progress, host=host)
        finally:
            conn.close()

    return service


def connect_pages(remote_page: Any, diagnostics_page: Any, show_diagnostics: Callable[[], None] | None = None,
                  connection_factory: Callable[[], Any] = wiring.new_connection) -> None:
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
