"""The tray icon's menu: the last proactive check and the tickets waiting, read off the GUI thread; "Open Deskside"
brings the window back. (Offscreen there is no system tray: install_tray then shows nothing.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSystemTrayIcon, QWidget
from pytestqt.qtbot import QtBot

from desktop import agent
from desktop.tasks import TaskRunner
from desktop.tray import Tray, install_tray
from tickets.service import Draft, TicketService


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen platform
def test_tray_menu_shows_the_last_check_and_the_waiting_tickets(qtbot: QtBot, task_runner: TaskRunner) -> None:
    agent.State(last_check=1_796_000_000.0, last_result="2 warning/critical finding(s)").save(
        agent.agent_dir() / "state.json")
    svc = TicketService(data_dir=Path(os.environ["DESKSIDE_DATA_DIR"]))
    for i in range(3):
        svc.submit(svc.build_preview(Draft(summary=f"waiting {i}")))
    window = QWidget()
    qtbot.addWidget(window)
    tray = Tray(window, task_runner)
    tray.refresh()
    qtbot.waitUntil(lambda: tray.waiting_action.text() == "Tickets waiting: 3")
    assert tray.last_action.text().startswith("Last check: 20") and "(2 warning/critical" in tray.last_action.text()
    assert not tray.last_action.isEnabled()  # information, not a button
    window.hide()
    tray.open_action.trigger()
    assert window.isVisible()


def test_no_tray_where_the_desktop_has_none(qtbot: QtBot, task_runner: TaskRunner) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    tray = install_tray(window, task_runner)
    assert (tray is None) == (not QSystemTrayIcon.isSystemTrayAvailable())
    if tray is None:
        return
    qtbot.waitUntil(lambda: tray.waiting_action.text() != "Tickets waiting: …")
