"""Start-up: the window paints before the pages that are not shown (and the SSH, ticket and fleet modules they import)
exist; a page is built when it is first shown, and the wiring between pages still works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from desktop import app as desktop_app
from desktop.tasks import TaskRunner
from tests.conftest import REPO
from ui.diagnostics_page import DiagnosticsPage
from ui.main_window import MainWindow

# What the window must not wait for: SSH (paramiko), HTTP and keyring (tickets), the fleet scanner, psutil.
HEAVY = ("paramiko", "httpx", "keyring", "fleet", "psutil")

FIRST_PAINT = """
import sys
from PySide6.QtWidgets import QApplication
from desktop.app import AppContext, build_window, create_application
from desktop.tasks import TaskRunner

app = create_application()
tasks = TaskRunner()
window = build_window(AppContext(tasks=tasks))
def painted():
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
    built = [k for k in window.page_keys() if window.is_built(k)]
    print("heavy:", ",".join(sorted({{m.split(".")[0] for m in heavy}})), "built:", ",".join(built), flush=True)
    QApplication.quit()
window.first_painted.connect(painted)
window.show()
app.exec()
tasks.shutdown()
"""


def test_first_paint_comes_before_the_heavy_modules_and_other_pages() -> None:
    code = FIRST_PAINT.format(HEAVY=set(HEAVY))
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ), capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "heavy:  built: diagnostics", out.stderr


APP_FIRST_PAINT = """
import os, sys
import desktop.first_paint as hook
def report():
    heavy = sorted({{m.split(".")[0] for m in sys.modules if m.split(".")[0] in {HEAVY!r}}})
    print("heavy:", ",".join(heavy), "settings:", "desktop.settings_hub" in sys.modules, flush=True)
    os._exit(0)
hook._report = report
os.environ[hook.ENV] = "1"
from desktop.cli import main
sys.exit(main(["gui"]))
"""


def test_deskside_gui_paints_before_loading_what_can_wait() -> None:
    """The whole start of `deskside gui` (theme, crash handler, first-run welcome, tray, outbox check): what can
    wait for the first paint does."""
    code = APP_FIRST_PAINT.format(HEAVY=set(HEAVY))
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ), capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "heavy:  settings: False", out.stderr


def test_a_page_is_built_when_first_shown_and_then_kept(qtbot: Any, task_runner: TaskRunner) -> None:
    window = desktop_app.build_window(desktop_app.AppContext(tasks=task_runner, collector_names=["system"]))
    qtbot.addWidget(window)
    window.show()
    assert isinstance(window.stack.currentWidget(), DiagnosticsPage)
    assert [k for k in window.page_keys() if window.is_built(k)] == ["diagnostics"]
    built: list[str] = []
    window.page_built.connect(lambda key, _w: built.append(key))
    rect = window.nav.visualItemRect(window.nav.item(1))
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    from ui.remote_page import RemotePage

    remote = window.stack.currentWidget()
    assert isinstance(remote, RemotePage) and remote.isVisible()
    assert remote.book_panel.connect_button.text() == "Connect"  # the real page, not a stand-in
    assert built == ["remote"]
    window.show_page("diagnostics")
    window.show_page("remote")
    assert window.stack.currentWidget() is remote and built == ["remote"]  # built once
    assert window.stack.count() == len(window.page_keys())
    # Sidebar rows and stack pages stay in the same order.
    for row, key in enumerate(window.page_keys()):
        window.nav.setCurrentRow(row)
        assert window.stack.currentWidget() is window.page(key)
    remote.shutdown()


def test_get_help_is_wired_to_diagnostics_when_built_later(qtbot: Any, task_runner: TaskRunner) -> None:
    window = desktop_app.build_window(desktop_app.AppContext(tasks=task_runner, collector_names=["system"]))
    qtbot.addWidget(window)
    window.show()
    diag = window.page("diagnostics")
    assert isinstance(diag, DiagnosticsPage)
    with qtbot.waitSignal(diag.run_finished, timeout=60_000):
        diag.run()
    assert not window.is_built("help")
    window.show_page("help")
    help_page: Any = window.page("help")
    assert help_page.report_box.report is diag.report  # the report of the run made before the page existed


def test_a_widget_or_a_factory_registers_a_page(qtbot: Any) -> None:
    from ui.placeholder_page import PlaceholderPage

    window = MainWindow("test")
    qtbot.addWidget(window)
    made: list[PlaceholderPage] = []

    def make() -> PlaceholderPage:
        made.append(PlaceholderPage("Later", "Built when shown."))
        return made[-1]

    first = PlaceholderPage("First", "Given as a widget.")
    window.add_page("first", "First", first)
    window.add_page("later", "Later", make)
    seen: list[object] = []
    window.when_built("later", seen.append)
    assert made == [] and seen == []
    window.show_page("later")
    assert made and seen == made and window.stack.currentWidget() is made[0]
    window.when_built("later", seen.append)  # already built: called at once
    assert seen == [made[0], made[0]]


# The whole `deskside gui` start, stopped at the window's first paint event (before anything waiting for
# `first_painted` runs): what it has imported by then. Besides HEAVY, what only later work needs: the diagnostics
# runner and collectors (a run), desktop.wiring (its services), tomli_w (writing config.toml), difflib (a
# misspelt key), the outbox notice, the tray.
LATER = (*HEAVY, "remote", "tickets", "diagnostics.runner", "diagnostics.collectors", "desktop.wiring", "tomli_w",
         "difflib", "desktop.outbox_notice", "desktop.tray", "desktop.tickets_hub")

GUI_START = """
import os, sys
from PySide6.QtCore import QEvent
import ui.main_window as mw
event = mw.MainWindow.event
def first_paint(self, ev):
    if ev.type() == QEvent.Type.Paint:
        later = sorted(m for m in sys.modules if m.startswith({LATER!r}))
        built = [k for k in self.page_keys() if self.is_built(k)]
        print("imported:", ",".join(later), "built:", ",".join(built), flush=True)
        os._exit(0)
    return event(self, ev)
mw.MainWindow.event = first_paint
from desktop.cli import main
sys.exit(main(["gui"]))
"""


def test_the_gui_start_imports_only_what_the_first_paint_needs(tmp_path: Path) -> None:
    prefixes = tuple(p for m in LATER for p in (m, m + "."))
    env = {**os.environ, **{f"DESKSIDE_{n}_DIR": str(tmp_path / n.lower()) for n in ("CONFIG", "DATA", "CACHE", "LOG")}}
    out = subprocess.run([sys.executable, "-c", GUI_START.format(LATER=prefixes)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "imported:  built: diagnostics", out.stderr


GC_AFTER_PAINT = """
import gc, os, sys
import desktop.first_paint as hook
hook._report = lambda: (print("collector on:", gc.isenabled(), flush=True), os._exit(0))
os.environ[hook.ENV] = "1"
from desktop.cli import main
sys.exit(main(["gui"]))
"""


def test_the_garbage_collector_is_back_on_once_the_window_has_painted(tmp_path: Path) -> None:
    """`deskside gui` starts with the collector off (nothing it makes is garbage); the first paint turns it on."""
    env = {**os.environ, **{f"DESKSIDE_{n}_DIR": str(tmp_path / n.lower()) for n in ("CONFIG", "DATA", "CACHE", "LOG")}}
    out = subprocess.run([sys.executable, "-c", GC_AFTER_PAINT], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "collector on: True", out.stderr
