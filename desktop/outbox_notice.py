"""The outbox file was damaged and repaired when it was opened: the window says so once, whichever part of the app
opened it first (the tray's count, the Get Help page, the start-up check here). The repair itself is
tickets/outbox_repair.py; this only shows `Repair.message()`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from common.cancel import CancelToken
from ui.get_help_notes import OUTBOX_TAB_SEE
from ui.main_window import MainWindow
from ui.plain import plain_message_box

from .tasks import TaskRunner


def check_outbox(window: MainWindow, tasks: TaskRunner) -> None:
    """Open the outbox on a worker (a damaged file is repaired then) and show every repair this process made."""

    def job(_token: CancelToken, _progress: Callable[[Any], None]) -> list[str]:
        from tickets.outbox_repair import repairs_done

        from .wiring import ticket_service

        try:
            outbox = ticket_service().outbox  # opening the outbox checks it, and repairs a damaged file
        except Exception:  # a wrong setting or an unusable outbox: Get Help says what is wrong
            return []
        return [r.message(OUTBOX_TAB_SEE) for r in repairs_done() if r.path == outbox.path]

    def show(messages: list[str]) -> None:
        for m in messages:
            outbox_repaired(window, m)

    task = tasks.start(job, name="outbox-check")
    task.succeeded.connect(show)


def outbox_repaired(window: MainWindow, text: str) -> None:
    """Say once, whatever page is shown, that the outbox was repaired; the Get Help page shows it too."""
    shown: set[str] = window.__dict__.setdefault("repairs_shown", set())
    if text in shown:
        return
    shown.add(text)
    box = plain_message_box(QMessageBox.Icon.Warning, "Deskside: the outbox was repaired",
                            f"The outbox of support tickets was repaired when it was opened.\n\n{text}",
                            QMessageBox.StandardButton.Ok, window)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    window.outbox_repair_box = box  # type: ignore[attr-defined]  # tests look at it
    if "help" in window.page_keys():
        window.when_built("help", lambda page: _tell_page(page, text))


def _tell_page(page: QWidget, text: str) -> None:
    show = getattr(page, "show_repair", None)
    if show is not None:
        show(text)
