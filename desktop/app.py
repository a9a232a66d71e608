"""The desktop application: creates the QApplication, the task runner and the services, and wires them into the
main window's pages.

Adding a page is one line in `PAGES`: (key, sidebar title, standard icon, factory taking the `AppContext`). A page
is built when it is first shown, so each factory imports its page's modules itself: the window paints before
paramiko, httpx, keyring or fleet are imported.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QWidget

from diagnostics import __version__
from ui.main_window import MainWindow
from ui.style import app_icon
from ui.theme import THEMES, apply_theme

from . import settings
from .tasks import TaskRunner

if TYPE_CHECKING:  # what runs before the first paint imports only what the window needs (tests/unit/test_startup.py)
    from diagnostics.cancel import CancelToken
    from diagnostics.model import Report
    from diagnostics.runner import ProgressCallback

    from .tickets_hub import TicketsHub

log = logging.getLogger(__name__)

APP_ID = "io.github.deskside.Deskside"


def run_diagnostics(names: list[str] | None, include_connectivity: bool, cancel: CancelToken,
                    progress: ProgressCallback) -> Report:
    """The Diagnostics page's service: the same call `deskside diagnose` makes (runs on a worker thread)."""
    from . import wiring

    return wiring.run_diagnostics(only=names, include_connectivity=include_connectivity, cancel=cancel,
                                  progress=progress)


def list_collectors(include_connectivity: bool) -> list[tuple[str, str]]:
    from diagnostics.collectors import select

    return [(c.name, c.title) for c in select(include_optional=include_connectivity)]


@dataclass
class AppContext:
    """What page factories get: the task runner (worker threads) and the services to inject."""

    tasks: TaskRunner
    run_diagnostics: Callable[[list[str] | None, bool, CancelToken, ProgressCallback], Report] = run_diagnostics
    list_collectors: Callable[[bool], list[tuple[str, str]]] = list_collectors
    collector_names: list[str] | None = None
    test_connection: bool = False  # "Test my connection" ticked at start ([gui] test_connection in config.toml)
    updates_network: bool = False  # [diagnostics.updates] allow_network: the update check contacts its servers
    extra: dict[str, object] = field(default_factory=dict)
    # The Get Help page's services ([backends.*]); made by tickets_hub() when the page is first built.
    tickets: TicketsHub | None = None

    def tickets_hub(self) -> TicketsHub:
        if self.tickets is None:
            from .tickets_hub import TicketsHub

            self.tickets = TicketsHub()
        return self.tickets


def _diagnostics_page(ctx: AppContext) -> QWidget:
    from ui.diagnostics_page import DiagnosticsPage

    return DiagnosticsPage(ctx.run_diagnostics, ctx.tasks, ctx.list_collectors, ctx.collector_names,
                           save_dir=Path.home(), test_connection=ctx.test_connection,
                           updates_network=ctx.updates_network)


def _remote_page(ctx: AppContext) -> QWidget:
    from ui.remote_page import RemotePage

    from .connection_worker import build_remote_services

    page = RemotePage(build_remote_services(tasks=ctx.tasks))
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(lambda: page.shutdown(wait=3.0))
    return page


def _compliance_page(ctx: AppContext) -> QWidget:
    from ui.compliance_page import CompliancePage

    from .compliance_hub import ComplianceHub

    return CompliancePage(ComplianceHub(), ctx.tasks)


def _get_help_page(ctx: AppContext) -> QWidget:
    from ui.get_help_page import GetHelpPage

    return GetHelpPage(ctx.tickets_hub(), ctx.tasks)


SP = QStyle.StandardPixmap
PAGES: list[tuple[str, str, QStyle.StandardPixmap, Callable[[AppContext], QWidget]]] = [
    ("diagnostics", "Diagnostics", SP.SP_ComputerIcon, _diagnostics_page),
    ("remote", "Remote", SP.SP_DriveNetIcon, _remote_page),
    ("help", "Get Help", SP.SP_DialogHelpButton, _get_help_page),
    ("compliance", "Compliance", SP.SP_FileDialogDetailedView, _compliance_page),
    ("settings", "Settings", SP.SP_FileDialogInfoView, lambda ctx: _settings_page(ctx)),
]


def _settings_page(ctx: AppContext) -> QWidget:
    from .settings_gui import settings_page

    return settings_page(ctx)


def gui_settings(config: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The `[gui]` table of config.toml, checked: (settings, problems). A bad value is reported and replaced by
    its default; a config file that cannot be read is reported (the run itself will say the same)."""
    out: dict[str, Any] = {"test_connection": False, "theme": "system"}
    problems: list[str] = []
    if config is None:
        try:
            config = settings.load()
        except settings.ConfigError as exc:
            return out, [str(exc)]
    table = config.get("gui", {})
    if not isinstance(table, dict):
        return out, ["[gui] in config.toml must be a table; using the defaults"]
    value = table.get("test_connection", False)
    if isinstance(value, bool):
        out["test_connection"] = value
    else:
        problems.append(f"[gui] test_connection in config.toml must be true or false, not {value!r}; "
                        "using false")
    theme = table.get("theme", "system")
    if theme in THEMES:
        out["theme"] = theme
    else:
        problems.append(f"[gui] theme in config.toml must be one of {', '.join(map(repr, THEMES))}, not {theme!r}; "
                        "using 'system'")
    return out, problems


def updates_network_allowed(config: dict[str, Any] | None = None) -> bool:
    """Whether `[diagnostics.updates] allow_network = true` lets the update check contact its servers (only a real
    true counts, as in the collector); an unreadable config.toml counts as false (the run reports it)."""
    if config is None:
        try:
            config = settings.load()
        except settings.ConfigError:
            return False
    diag = config.get("diagnostics", {})
    updates = diag.get("updates", {}) if isinstance(diag, dict) else {}
    return isinstance(updates, dict) and updates.get("allow_network") is True


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists, e.g. under pytest-qt)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Deskside")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Deskside")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    return app


def _factory(make: Callable[[AppContext], QWidget], ctx: AppContext) -> Callable[[], QWidget]:
    def build() -> QWidget:
        page = make(ctx)
        # The page, its Qt wrappers and the modules it imported live as long as the app: leave them out of every
        # later garbage collection (a full one over them held the GUI thread ~100 ms during a 100-host scan).
        gc.freeze()
        return page

    return build


def build_window(ctx: AppContext) -> MainWindow:
    """The main window with every page of `PAGES` registered; each is built when first shown (or asked for with
    `window.page(key)`), and the wiring between pages is made when the pages it joins exist."""
    window = MainWindow(__version__)
    style = window.style()
    for key, title, icon, make in PAGES:
        window.add_page(key, title, _factory(make, ctx), QIcon(style.standardIcon(icon)))
    _wire_get_help(window)
    from .settings_gui import wire as wire_settings

    wire_settings(window, ctx.tasks)  # File > Settings…, Support backends…, Help > Welcome

    def wire_remote(_page: QWidget) -> None:
        from .remote_diagnostics_gui import wire as wire_remote_diagnostics

        wire_remote_diagnostics(window)  # Remote page "Run diagnostics" -> the Diagnostics page

    def wire_compliance(_page: QWidget) -> None:
        from .compliance_hub import wire_terminal

        wire_terminal(window)  # Compliance page "Open terminal" -> a session on the Remote page (built then)

    window.when_built("remote", wire_remote)
    window.when_built("compliance", wire_compliance)
    return window


def _wire_get_help(window: MainWindow) -> None:
    """Get Help includes the Diagnostics page's last report and can start a run there."""

    def wire(help_page: QWidget) -> None:
        from ui.diagnostics_page import DiagnosticsPage
        from ui.get_help_page import GetHelpPage

        if not isinstance(help_page, GetHelpPage) or "diagnostics" not in window.page_keys():
            return
        diag = window.page("diagnostics")
        if isinstance(diag, DiagnosticsPage):
            help_page.set_report(diag.report)
            diag.run_finished.connect(help_page.set_report)
            help_page.set_run_diagnostics(diag.run)
        from .outbox_notice import outbox_repaired

        help_page.outbox_repaired.connect(lambda text: outbox_repaired(window, text))

    if "help" not in window.page_keys():
        return
    window.when_built("help", wire)


def display_problem() -> str | None:
    """Why Qt could not open a window here, or None. Checked before Qt would abort the process."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). Use `deskside diagnose` in a "
                "terminal, or start the app from a desktop session.")
    return None


def run(page: str | None = None, run_first: bool = False, screenshot: Path | None = None,
        collector_names: list[str] | None = None) -> int:
    """Start the GUI. With `screenshot`, render the window to that PNG (after the run when `run_first`) and
    return instead of entering the event loop (used for docs and smoke tests)."""
    app = create_application()
    tasks = TaskRunner()
    app.aboutToQuit.connect(lambda: tasks.shutdown())
    try:  # read once for both (the layered files, checked against the schema)
        config, problems = settings.load(), []
    except settings.ConfigError as exc:
        config, problems = {}, [str(exc)]
    gui, gui_problems = gui_settings(config)
    problems += gui_problems
    apply_theme(app, gui["theme"])
    ctx = AppContext(tasks=tasks, collector_names=collector_names, test_connection=gui["test_connection"],
                     updates_network=updates_network_allowed(config))
    window = build_window(ctx)
    window.first_painted.connect(gc.enable)  # `deskside gui` starts with it off (desktop/commands/gui.py)
    if problems:
        window.status_text.setText(" ".join(problems))
    if page:
        window.show_page(page)

    def tray() -> None:  # after the first paint: the tray's menu can wait, the window cannot
        from .tray import install_tray

        window.tray = install_tray(window, tasks)  # type: ignore[attr-defined]  # kept alive with the window

    window.first_painted.connect(tray)
    from .first_paint import install as report_first_paint

    report_first_paint(window)  # DESKSIDE_FIRST_PAINT=1: bench/bench_package.py times start to first paint
    from .crash import install as install_crash_handler

    crash_handler = install_crash_handler(window, tasks)  # an unexpected error: a dialog, not a dead app
    app.aboutToQuit.connect(crash_handler.uninstall)
    window.crash_handler = crash_handler  # type: ignore[attr-defined]

    def outbox() -> None:  # a repaired outbox is said at once (after the first paint)
        from .outbox_notice import check_outbox

        check_outbox(window, tasks)

    window.first_painted.connect(outbox)
    if screenshot is None:  # the first-run welcome, after the first paint (once; Help > Welcome shows it again)

        def welcome() -> None:
            from .settings_gui import show_welcome
            from .settings_hub import SettingsHub

            show_welcome(window, tasks, SettingsHub(), first_run=True)

        window.first_painted.connect(welcome)
    window.show()
    diag: Any = None
    if run_first:
        diag = window.page("diagnostics")
        diag.run()
    if screenshot is not None:
        loop = QEventLoop()
        if diag is not None:
            diag.run_finished.connect(lambda _r: QTimer.singleShot(150, loop.quit))
        else:
            QTimer.singleShot(150, loop.quit)
        loop.exec()
        ok = window.grab().save(str(screenshot), "PNG")
        crash_handler.uninstall()
        tasks.shutdown()
        window.close()
        window.deleteLater()
        if not ok:
            print(f"deskside gui: could not write the screenshot to {screenshot}", file=sys.stderr)
            return 3
        return 0
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C in the terminal closes the app
    gc.freeze()  # what was made so far lives as long as the app (as each page, see _factory)
    return int(app.exec())
