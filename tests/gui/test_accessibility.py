"""Every page walked as a keyboard and screen-reader user would: every visible button and action has words (its
text or an accessible name), and Tab from the start of a page reaches every enabled button on it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QRadioButton, QTabBar, QWidget

from desktop import app as desktop_app
from desktop.tasks import TaskRunner
from ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any, task_runner: TaskRunner) -> MainWindow:
    w = desktop_app.build_window(desktop_app.AppContext(tasks=task_runner, collector_names=["system"]))
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=10_000)
    return w


def words(b: QAbstractButton) -> str:
    return (b.text().replace("&", "") or b.accessibleName() or "").strip()


def own_buttons(page: QWidget) -> list[QAbstractButton]:
    """The page's visible buttons, without the ones Qt puts inside other widgets (a field's clear button, a tab
    bar's scroll arrows): those are reached through their widget."""
    return [b for b in page.findChildren(QAbstractButton)
            if b.isVisible() and not isinstance(b.parentWidget(), (QLineEdit, QTabBar))]  # fmt: skip


def test_every_button_and_action_has_words(qtbot: Any, window: MainWindow) -> None:
    for key in window.page_keys():
        window.show_page(key)
        page = window.page(key)
        qtbot.waitUntil(page.isVisible, timeout=5_000)
        nameless = [b for b in own_buttons(page) if not words(b)]
        assert nameless == [], f"{key}: buttons without a name: {[b.toolTip() or b.objectName() for b in nameless]}"
        actions = [a for a in page.findChildren(QAction)  # (a field's clear button is an action of the field)
                   if not a.isSeparator() and not isinstance(a.parent(), QLineEdit)]
        assert [a for a in actions if not a.text().strip()] == [], key
    menus = [a for a in window.menuBar().actions() if a.menu() is not None]
    for menu_action in menus:
        for a in menu_action.menu().actions():
            assert a.isSeparator() or a.text().strip(), menu_action.text()


def tab_walk(qtbot: Any, start: QWidget, limit: int = 400) -> list[QWidget]:
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus, timeout=5_000)
    seen: list[QWidget] = [start]
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        w = QApplication.focusWidget()
        if w is None or w is start:
            break
        seen.append(w)
    return seen


def test_tab_reaches_every_enabled_button_of_each_page(qtbot: Any, window: MainWindow) -> None:
    for key in window.page_keys():
        window.show_page(key)
        page = window.page(key)
        qtbot.waitUntil(page.isVisible, timeout=5_000)
        reached = tab_walk(qtbot, window.nav)
        assert window.nav in reached
        missed = []
        for b in own_buttons(page):
            if not b.isEnabled() or b in reached:
                continue
            if isinstance(b, QRadioButton) and any(isinstance(r, QRadioButton) and r.parentWidget() is
                                                   b.parentWidget() for r in reached):  # fmt: skip
                continue  # one Tab stop per group of choices; the arrow keys move within it
            missed.append(words(b))
        assert missed == [], f"{key}: Tab never reaches {missed}"
