"""The first-run welcome (pytest-qt, headless): shown once at the first start, non-modal, saying what Deskside
does and that nothing is sent without being shown first; its buttons go to Diagnostics, Get Help, Remote and, when
no backend is configured by the user or the organisation, to Settings > Support backends. Help > Welcome shows it
again. Windows made by build_window() (every other test) never show it.

Screenshots of the welcome and of the Settings page at 1280x800 and 1920x1080 are checked; with
DESKSIDE_SCREENSHOTS=1 the 1280x800 ones of docs/desktop-app.md go to docs/screenshots (settings.png, welcome.png)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel

from desktop import paths, settings_gui
from desktop.settings_hub import SettingsHub, state_file
from desktop.tasks import TaskRunner
from tests.conftest import screenshot_dir
from ui.main_window import MainWindow
from ui.settings_page import SettingsPage
from ui.welcome import PROMISE, WelcomeDialog


def first_run(qtbot: Any, window: MainWindow, tasks: TaskRunner) -> WelcomeDialog | None:
    settings_gui.show_welcome(window, tasks, SettingsHub(), first_run=True)
    task = window.welcome_task  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not task.running, timeout=20_000)
    dialog = getattr(window, "welcome", None)
    return dialog if isinstance(dialog, WelcomeDialog) and dialog.isVisible() else None


def test_a_window_built_for_tests_shows_no_welcome(qtbot: Any, window: MainWindow) -> None:
    assert getattr(window, "welcome", None) is None
    assert not any(isinstance(w, WelcomeDialog) for w in QApplication.topLevelWidgets())


def test_the_first_start_shows_the_welcome_once(qtbot: Any, window: MainWindow, task_runner: TaskRunner) -> None:
    dialog = first_run(qtbot, window, task_runner)
    assert dialog is not None and not dialog.isModal()  # the window behind it keeps working
    shown = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert PROMISE in shown and "Welcome to Deskside" in shown and "Help > Welcome" in shown
    assert set(dialog.buttons) == {"diagnostics", "help", "remote", "backends"}  # no backend yet: offer set-up
    assert dialog.buttons["diagnostics"].hasFocus()
    qtbot.waitUntil(lambda: state_file().exists(), timeout=10_000)
    assert json.loads(state_file().read_text()) == {"welcome_shown": True}
    assert not paths.config_file().exists()  # a state, not a setting
    qtbot.keyClick(dialog.buttons["diagnostics"], Qt.Key.Key_Tab)
    assert dialog.buttons["help"].hasFocus()
    qtbot.keyClick(dialog.buttons["help"], Qt.Key.Key_Return)
    assert window.current_page_key() == "help" and not dialog.isVisible()
    assert first_run(qtbot, window, task_runner) is None  # the next start: not again
    assert window.welcome_action in window.help_menu.actions()  # type: ignore[attr-defined]  # under Help
    window.welcome_action.trigger()  # type: ignore[attr-defined]  # Help > Welcome: again, on request
    qtbot.waitUntil(lambda: isinstance(getattr(window, "welcome", None), WelcomeDialog)
                    and window.welcome.isVisible(), timeout=20_000)  # type: ignore[attr-defined]
    window.welcome.buttons["backends"].click()  # type: ignore[attr-defined]
    page = window.page("settings")
    assert isinstance(page, SettingsPage)
    assert window.current_page_key() == "settings" and page.current_section() == "backends"


def test_no_backend_setup_when_the_organisation_provides_one(qtbot: Any, window: MainWindow,
                                                             task_runner: TaskRunner) -> None:
    system = paths.system_config_file()
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text('[backends.helpdesk]\ntype = "rt"\nurl = "https://rt.corp.example"\nqueue = "General"\n',
                      encoding="utf-8")
    dialog = first_run(qtbot, window, task_runner)
    assert dialog is not None and set(dialog.buttons) == {"diagnostics", "help", "remote"}
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc dismisses it, nothing else changes
    assert not dialog.isVisible() and window.current_page_key() == "diagnostics"


def _not_blank(png: Path) -> None:
    img = QImage(str(png))
    assert not img.isNull()
    colours = {img.pixel(x, y) for x in range(0, img.width(), 37) for y in range(0, img.height(), 37)}
    assert len(colours) > 5


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_screenshots_of_the_settings_page_and_the_welcome(qtbot: Any, window: MainWindow, task_runner: TaskRunner,
                                                          tmp_path: Path, size: tuple[int, int],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(paths.config_dir().parent))  # the page writes the home folder as ~
    paths.ensure(paths.config_dir())
    paths.config_file().write_text('[backends.helpdesk]\ntype = "rt"\nurl = "https://rt.example.org"\n'
                                   'queue = "Support"\n\n[tickets.redaction]\nkeywords = ["Project Falcon"]\n',
                                   encoding="utf-8")
    system = paths.system_config_file()
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text('[locks]\nkeys = ["tickets.redaction.domains"]\n\n[tickets.redaction]\n'
                      'domains = ["corp.example"]\n', encoding="utf-8")
    out = screenshot_dir(tmp_path)
    w, h = size
    window.resize(w, h)
    window.show_page("settings")
    page = window.page("settings")
    assert isinstance(page, SettingsPage)
    qtbot.waitUntil(lambda: page.snapshot is not None and page.backends.info is not None
                    and page.backends.tree.topLevelItemCount() == 1, timeout=20_000)
    qtbot.waitUntil(lambda: window.size().width() == w, timeout=5_000)
    shots = {}
    for section in ("backends", "redaction", "diagnostics"):
        page.show_section(section)
        docs = section == "redaction" and w == 1280  # the picture in docs/desktop-app.md
        png = out / "settings.png" if docs else tmp_path / f"settings-{section}-{w}x{h}.png"
        assert window.grab().save(str(png), "PNG")
        _not_blank(png)
        shots[section] = png
    page.show_section("redaction")
    assert page.source_label.text().startswith("Your settings are kept in ~/config/config.toml.")
    redaction = page.rows[("tickets", "redaction", "domains")]
    assert redaction.note.text().startswith("Set by your organisation and locked") and redaction.note.isVisible()
    assert redaction.input.isVisible() and redaction.input.height() >= 4 * redaction.input.fontMetrics().lineSpacing()
    for row in page.rows.values():  # at 1920 px a text field does not stretch across the screen
        assert row.widget.width() <= 660 or row.setting.kind in ("bool",)
    dialog = settings_gui.make_welcome(window, has_backend=False)
    dialog.show()
    qtbot.waitExposed(dialog)
    png = out / "welcome.png" if w == 1280 else tmp_path / f"welcome-{w}x{h}.png"
    assert dialog.grab().save(str(png), "PNG")
    _not_blank(png)
    assert dialog.width() < w and dialog.height() < h
    dialog.close()
