"""The main window (navigation, pages, status bar, shortcuts, About) and the `deskside gui` subcommand."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from desktop import app as desktop_app
from desktop.cli import build_parser
from desktop.tasks import TaskRunner
from diagnostics import __version__
from tests.conftest import REPO
from ui.diagnostics_page import DiagnosticsPage
from ui.main_window import MainWindow
from ui.placeholder_page import PlaceholderPage


@pytest.fixture
def window(qtbot: Any, task_runner: TaskRunner) -> MainWindow:
    ctx = desktop_app.AppContext(tasks=task_runner, collector_names=["system"])
    w = desktop_app.build_window(ctx)
    qtbot.addWidget(w)
    w.show()
    return w


def test_window_has_title_size_and_the_five_sections(window: MainWindow) -> None:
    assert window.windowTitle() == "Deskside"
    assert (window.width(), window.height()) == (1100, 720)
    assert window.page_keys() == ["diagnostics", "remote", "help", "compliance", "settings"]
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == ["Diagnostics", "Remote", "Get Help", "Compliance", "Settings"]
    assert window.current_page_key() == "diagnostics"
    assert isinstance(window.stack.currentWidget(), DiagnosticsPage)
    from ui.remote_page import RemotePage

    assert isinstance(window.page("remote"), RemotePage)
    from ui.get_help_page import GetHelpPage

    assert isinstance(window.page("help"), GetHelpPage)
    from ui.compliance_page import CompliancePage

    assert isinstance(window.page("compliance"), CompliancePage)


def test_navigation_switches_pages(qtbot: Any, window: MainWindow) -> None:
    item = window.nav.item(1)
    rect = window.nav.visualItemRect(item)
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page_key() == "remote"
    assert window.stack.currentWidget() is window.page("remote")
    window.show_page("diagnostics")
    assert window.stack.currentWidget() is window.page("diagnostics")


def test_registering_a_page_is_one_call(window: MainWindow) -> None:
    extra = PlaceholderPage("Extra", "An extra page registered by a test, to show that one call is enough.")
    window.add_page("extra", "Extra", extra)
    assert window.page_keys()[-1] == "extra"
    window.show_page("extra")
    assert window.stack.currentWidget() is extra
    with pytest.raises(ValueError, match="already registered"):
        window.add_page("extra", "Again", PlaceholderPage("x", "y"))


def test_status_bar_follows_the_diagnostics_run(qtbot: Any, window: MainWindow) -> None:
    page = window.page("diagnostics")
    assert isinstance(page, DiagnosticsPage)
    with qtbot.waitSignal(page.run_finished, timeout=60_000):
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert window.status_text.text().startswith("Done in ")
    assert window.status_text.text() == page.status_label.text()
    window.show_page("remote")  # another page does not inherit the diagnostics status
    assert window.status_text.text() == "Ready"
    window.show_page("diagnostics")
    assert window.status_text.text().startswith("Done in ")


def test_f5_only_runs_diagnostics_while_its_page_is_shown(qtbot: Any, window: MainWindow) -> None:
    page = window.page("diagnostics")
    assert isinstance(page, DiagnosticsPage)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # Go > Remote
    assert window.current_page_key() == "remote"
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not page.is_running and page.report is None
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # Go > Diagnostics
    assert window.current_page_key() == "diagnostics"
    with qtbot.waitSignal(page.run_finished, timeout=60_000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert page.report is not None and "system" in page.report.sections


def test_about_names_the_version(qtbot: Any, window: MainWindow) -> None:
    window.about_action.trigger()
    box = window.about_box
    assert box is not None and box.isVisible()
    assert f"Deskside {__version__}" in box.text()
    box.close()


def _gui_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["gui", *argv])


def test_gui_subcommand_builds_the_window_and_renders_it(qtbot: Any, tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    args = _gui_args("--page", "remote", "--screenshot", str(shot))
    assert args.func(args) == 0
    img = QImage(str(shot))
    assert not img.isNull()
    assert (img.width(), img.height()) == (1100, 720)


def test_gui_subcommand_can_run_diagnostics_first(qtbot: Any, tmp_path: Path) -> None:
    shot = tmp_path / "after-run.png"
    args = _gui_args("--run", "--only", "system", "--screenshot", str(shot))
    assert args.func(args) == 0
    assert not QImage(str(shot)).isNull()


def test_gui_subcommand_rejects_unknown_collectors(capsys: pytest.CaptureFixture[str]) -> None:
    args = _gui_args("--only", "sytem", "--screenshot", "x.png")
    assert args.func(args) == 64
    assert "unknown collector(s): sytem" in capsys.readouterr().err


def test_gui_without_a_display_says_so_instead_of_crashing(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is for Linux desktops")
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    args = _gui_args()
    assert args.func(args) == 3
    err = capsys.readouterr().err
    assert "no display found" in err and "deskside diagnose" in err


def test_diagnose_never_imports_qt() -> None:
    code = ("import sys, desktop.cli; p = desktop.cli.build_parser(); p.parse_args(['diagnose']); "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'ui'))))")
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_gui_setting_ticks_test_my_connection(qtbot: Any, task_runner: TaskRunner) -> None:
    config_file = Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml"
    config_file.write_text("[gui]\ntest_connection = true\n", encoding="utf-8")
    gui, problems = desktop_app.gui_settings()
    assert gui == {"test_connection": True, "theme": "system"} and problems == []
    calls: list[bool] = []

    def service(names: Any, include: bool, token: Any, progress: Any) -> Any:
        calls.append(include)  # a stand-in: the real connectivity checks would send traffic
        raise RuntimeError("not run in this test")

    ctx = desktop_app.AppContext(tasks=task_runner, run_diagnostics=service,
                                 test_connection=gui["test_connection"])
    w = desktop_app.build_window(ctx)
    qtbot.addWidget(w)
    page = w.page("diagnostics")
    assert isinstance(page, DiagnosticsPage)
    assert page.connectivity_box.isChecked()
    with qtbot.waitSignal(page.run_finished, timeout=10_000):
        page.run()
    assert calls == [True]


def test_bad_gui_settings_are_reported_not_fatal() -> None:
    gui, problems = desktop_app.gui_settings({"gui": {"test_connection": "yes"}})
    assert gui == {"test_connection": False, "theme": "system"}
    assert problems == ["[gui] test_connection in config.toml must be true or false, not 'yes'; using false"]
    config_file = Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml"
    config_file.write_text("[gui\n", encoding="utf-8")
    gui, problems = desktop_app.gui_settings()
    assert gui == {"test_connection": False, "theme": "system"}
    assert len(problems) == 1 and "is not valid TOML" in problems[0] and str(config_file) in problems[0]
