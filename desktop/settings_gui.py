"""The Settings page and the first-run welcome in the main window: the page's factory, File > Settings… (Ctrl+,)
and File > Support backends… (Settings > Support backends, also Get Help's "Support backends…" button), Help >
Welcome, and the welcome shown once at the first start (the flag is in the data dir's state.json, not in
config.toml). The welcome is started by `run()` only, never by `build_window()`, so tests that build a window
never see it unless they ask for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from common.cancel import CancelToken
from ui.main_window import MainWindow
from ui.services import TaskStarter

if TYPE_CHECKING:
    from ui.settings_services import SettingsHub
    from ui.welcome import WelcomeDialog

    from .app import AppContext


def settings_page(ctx: AppContext) -> QWidget:
    from ui.settings_page import SettingsPage

    from .settings_hub import SettingsHub

    return SettingsPage(SettingsHub(), ctx.tickets_hub(), ctx.tasks)


def open_settings(window: MainWindow, section: str | None = None) -> None:
    page: Any = window.page("settings")
    window.show_page("settings")
    if section is not None:
        page.show_section(section)
    page.sections.setFocus()


def wire(window: MainWindow, tasks: TaskStarter) -> None:
    """The menu entries to the Settings page and the welcome, and what a saved setting changes elsewhere in the
    window."""
    if "settings" not in window.page_keys():
        return
    settings_action = QAction("&Settings…", window)
    settings_action.setShortcut(QKeySequence("Ctrl+,"))
    settings_action.triggered.connect(lambda: open_settings(window))
    backends_action = QAction("Support &backends…", window)
    backends_action.triggered.connect(lambda: open_settings(window, "backends"))
    quit_action = window.file_menu.actions()[0] if window.file_menu.actions() else None
    window.file_menu.insertActions(quit_action, [backends_action, settings_action])  # type: ignore[arg-type]
    window.file_menu.insertSeparator(quit_action)  # type: ignore[arg-type]
    window.settings_action = backends_action  # type: ignore[attr-defined]
    window.preferences_action = settings_action  # type: ignore[attr-defined]

    hub: list[SettingsHub] = []

    def welcome() -> None:
        if not hub:
            from .settings_hub import SettingsHub

            hub.append(SettingsHub())
        show_welcome(window, tasks, hub[0])

    welcome_action = QAction("&Welcome", window)
    welcome_action.triggered.connect(welcome)
    about = window.help_menu.actions()[0] if window.help_menu.actions() else None
    window.help_menu.insertAction(about, welcome_action)  # type: ignore[arg-type]
    window.welcome_action = welcome_action  # type: ignore[attr-defined]

    def help_built(help_page: Any) -> None:
        if hasattr(help_page, "settings_opener"):
            help_page.settings_opener = lambda: open_settings(window, "backends")

    def settings_built(page: Any) -> None:
        def reload_help() -> None:
            if window.is_built("help"):
                reload = getattr(window.page("help"), "reload_service", None)
                if reload is not None:
                    reload()

        page.backends_changed.connect(reload_help)
        page.saved.connect(lambda changes: _apply(window, changes, reload_help))

    if "help" in window.page_keys():
        window.when_built("help", help_built)
    window.when_built("settings", settings_built)


def _apply(window: MainWindow, changes: dict[tuple[str, ...], Any], reload_help: Callable[[], None]) -> None:
    """What a saved setting changes at once: the ticket settings for Get Help, the theme."""
    if any(path[0] in ("tickets", "secrets") for path in changes):
        reload_help()
    theme = changes.get(("gui", "theme"), "system") if ("gui", "theme") in changes else None
    if theme is not None:
        from PySide6.QtWidgets import QApplication

        from ui.theme import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, str(theme or "system"))


def show_welcome(window: MainWindow, tasks: TaskStarter, hub: SettingsHub, *, first_run: bool = False) -> None:
    """Ask on a worker whether the welcome was shown before and whether a backend exists, then show it (at the
    first run only if it was never shown) and remember that it was."""

    def job(_token: CancelToken, _progress: Callable[[Any], None]) -> tuple[bool, bool]:
        return hub.welcome_state()

    def got(state: tuple[bool, bool]) -> None:
        shown_before, has_backend = state
        if first_run and shown_before:
            return
        dialog = make_welcome(window, has_backend)
        dialog.show()
        dialog.activateWindow()
        if not shown_before:
            tasks.start(lambda _t, _p: hub.mark_welcome_shown(), name="welcome-shown")

    task = tasks.start(job, name="welcome-state")
    task.succeeded.connect(got)
    window.welcome_task = task  # type: ignore[attr-defined]


def make_welcome(window: MainWindow, has_backend: bool) -> WelcomeDialog:
    from ui.welcome import WelcomeDialog

    old = getattr(window, "welcome", None)
    if isinstance(old, WelcomeDialog):
        old.close()
    dialog = WelcomeDialog(has_backend, window)

    def go(key: str) -> None:
        if key == "backends":
            open_settings(window, "backends")
        elif key in window.page_keys():
            window.show_page(key)

    dialog.go.connect(go)
    window.welcome = dialog  # type: ignore[attr-defined]
    return dialog
