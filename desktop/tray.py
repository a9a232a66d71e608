"""The tray icon, where the desktop has a system tray: the last proactive check, how many tickets wait in the
outbox, and "Open Deskside". The status is read on a worker thread (TaskRunner) every minute; the GUI thread only
sets the menu texts."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from common.cancel import CancelToken

from .tasks import ReportProgress, TaskRunner

REFRESH_MS = 60_000


@dataclass(frozen=True)
class TrayStatus:
    last_check: str
    waiting: str


def read_status(_token: CancelToken | None = None, _progress: ReportProgress | None = None) -> TrayStatus:
    """Local files only (the agent's state and the outbox); runs on a worker thread."""
    from . import agent
    from .wiring import ticket_service

    state = agent.State.load(agent.agent_dir() / "state.json")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(state.last_check)) if state.last_check else "never"
    last = f"Last check: {when}" + (f" ({state.last_result})" if state.last_result else "")
    try:
        n = len(ticket_service().outbox_list(include_closed=False))
        waiting = f"Tickets waiting: {n}"
    except Exception:  # the tray must show something even when the outbox or config cannot be read
        waiting = "Tickets waiting: unknown (see Get Help)"
    return TrayStatus(last, waiting)


class Tray(QObject):
    def __init__(self, window: QWidget, tasks: TaskRunner) -> None:
        super().__init__(window)
        self.window, self.tasks = window, tasks
        self.menu = QMenu(window)
        self.last_action = self.menu.addAction("Last check: …")
        self.waiting_action = self.menu.addAction("Tickets waiting: …")
        for a in (self.last_action, self.waiting_action):
            a.setEnabled(False)
        self.menu.addSeparator()
        self.open_action = self.menu.addAction("Open Deskside")
        self.open_action.triggered.connect(self.open_window)
        self.icon = QSystemTrayIcon(window.windowIcon(), window)
        self.icon.setToolTip("Deskside")
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self.icon.show()
        self.refresh()
        self.timer.start()

    def refresh(self) -> None:
        task = self.tasks.start(read_status, name="tray status")
        task.succeeded.connect(self.set_status)

    def set_status(self, status: TrayStatus) -> None:
        self.last_action.setText(status.last_check)
        self.waiting_action.setText(status.waiting)
        self.icon.setToolTip(f"Deskside\n{status.last_check}\n{status.waiting}")

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.open_window()

    def open_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()


def install_tray(window: QWidget, tasks: TaskRunner) -> Tray | None:
    """A tray icon when the desktop has a system tray; None (nothing shown) when it has not."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = Tray(window, tasks)
    tray.start()
    return tray
