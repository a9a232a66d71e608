"""The Settings page: a list of sections (Support backends, Redaction, Diagnostics, Remote, Appearance) and the
selected one's settings, each labelled in words with its config key in the tooltip (ui/settings_spec.py).

Values are read and written on a worker (ui/settings_services.SettingsHub); Save writes the changed settings to the
user's config.toml, checked first, and a refused value leaves the form as it is with the reason. Backends are
saved as they are edited (their passwords and tokens go to the keyring, ui/backends_settings.py). Settings set by
the organisation say so; locked ones are read-only. Warnings about the files (unknown keys, locked values ignored,
a broken organisation's file) are listed at the top, as plain selectable text, with what to do.

Signals: `status_message(str)`; `saved(object)` with the changes written ({path: value or None}); `loaded()`;
`backends_changed()`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from common.terminal import shown

from .backends_settings import BackendsPanel
from .errors import MessageLine
from .get_help_services import TicketsHub
from .plain import heading_label, plain_label
from .services import TaskHandle, TaskStarter, is_running
from .settings_form import SettingRow, group_box
from .settings_services import ConfigNotice, SettingsHub, SettingsSnapshot
from .settings_spec import SECTIONS, Path, Section
from .widgets import button

MAX_NOTICES = 10  # more are summarised (`deskside config show` prints them all)


def _home(path: str) -> str:
    """`path` with the home folder written as ~ (shorter, and the same on every account)."""
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home not in ("", "/") and path.startswith(home + os.sep) else path


def notices_text(notices: list[ConfigNotice], config_path: str) -> str:
    """The notices one a line ("FILE:LINE: message", control characters shown escaped), then what to do."""
    lines = [shown(str(n), one_line=True) for n in notices[:MAX_NOTICES]]
    if len(notices) > MAX_NOTICES:
        lines.append(f"… and {len(notices) - MAX_NOTICES} more: `deskside config show` lists them all.")
    lines.append("")
    if any(not n.organisation for n in notices):
        lines.append(f"Fix or remove these lines in your config.toml ({shown(config_path, one_line=True)}); "
                     "Deskside ignores what it does not understand or may not use.")
    if any(n.organisation for n in notices):
        lines.append("The lines in the organisation's file can only be fixed by whoever manages it: tell your IT "
                     "support (copy this text for them).")
    return "\n".join(lines)


class SettingsPage(QWidget):
    status_message = Signal(str)
    saved = Signal(object)  # {path: value or None}
    loaded = Signal()  # the form shows what the files say (after the first load and after each save)
    backends_changed = Signal()

    def __init__(self, hub: SettingsHub, tickets: TicketsHub, tasks: TaskStarter, parent: QWidget | None = None,
                 test_timeout: float = 15.0) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks
        self.snapshot: SettingsSnapshot | None = None
        self._load_task: TaskHandle | None = None
        self._save_task: TaskHandle | None = None
        self._loaded_once = False
        self.rows: dict[Path, SettingRow] = {}
        self.section_keys: list[str] = []

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.setSpacing(8)
        outer.addWidget(heading_label("Settings", 1.5))
        self.source_label = plain_label("", wrap=True, name="settingsSource")
        outer.addWidget(self.source_label)
        outer.addWidget(self._notices_box())
        body = QHBoxLayout()
        self.sections = QListWidget()
        self.sections.setObjectName("settingsSections")
        self.sections.setAccessibleName("Settings sections")
        self.sections.setFixedWidth(170)
        self.sections.setSpacing(1)
        self.sections.setStyleSheet(
            "QListWidget#settingsSections { border: none; border-right: 1px solid palette(mid);"
            " background: palette(window); }"
            "QListWidget#settingsSections::item { padding: 6px 8px; margin-right: 8px; border-radius: 4px; }"
            "QListWidget#settingsSections::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }")
        body.addWidget(self.sections)
        self.stack = QStackedWidget()
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)

        # a locked (read-only) field looks it: the window's colour instead of the white of an editable field
        self.setStyleSheet('QLineEdit[readOnly="true"], QPlainTextEdit[readOnly="true"]'
                           " { background: palette(window); }")
        self.backends = BackendsPanel(tickets, tasks, self, test_timeout)
        self.backends.settings_changed.connect(self.backends_changed)
        for sec in SECTIONS:
            self._add_section(sec)
        self.sections.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sections.setCurrentRow(0)

        bar = QHBoxLayout()
        self.message = MessageLine(name="settingsMessage")
        bar.addWidget(self.message, 1)
        self.revert_button = button("&Revert", self.revert, tip="Show the saved settings again, dropping your edits")
        self.save_button = button("&Save", self.save, tip="Write the changed settings to config.toml")
        self.save_button.setDefault(True)
        bar.addWidget(self.revert_button)
        bar.addWidget(self.save_button)
        outer.addLayout(bar)
        self._update_buttons()

    # ---------------------------------------------------------------- layout
    def _notices_box(self) -> QFrame:
        box = QFrame()
        box.setObjectName("settingsNotices")
        box.setStyleSheet("QFrame#settingsNotices { border: 1px solid palette(mid); border-radius: 4px; }")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(8, 6, 8, 6)
        self.notices_title = heading_label("", wrap=True)
        lay.addWidget(self.notices_title)
        self.notices_label = plain_label("", wrap=True, name="settingsNoticesText")
        # selectable by mouse and keyboard (Tab reaches it), so the user can copy it for IT support
        self.notices_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                   | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.notices_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.notices_label.setAccessibleName("Warnings about the config files")
        lay.addWidget(self.notices_label)
        box.hide()
        self.notices_box = box
        return box

    def _show_notices(self, snap: SettingsSnapshot) -> None:
        notices = snap.notices
        n = len(notices)
        self.notices_title.setText(f"{n} warning{'s' if n != 1 else ''} about the config files")
        self.notices_label.setText(notices_text(notices, snap.config_path) if notices else "")
        self.notices_box.setVisible(bool(notices))

    def _add_section(self, sec: Section) -> None:
        content = QWidget()
        content.setObjectName(f"section-{sec.key}")
        content.setMaximumWidth(1000)  # on a wide screen the groups stay readable, not 1,600 px wide
        lay = QVBoxLayout(content)
        lay.setContentsMargins(4, 0, 12, 8)
        lay.addWidget(heading_label(sec.title, 1.2))
        if sec.intro:
            lay.addWidget(plain_label(sec.intro, wrap=True))
        if sec.key == "backends":
            lay.addWidget(self.backends)
        for group in sec.groups:
            rows = []
            for setting in group.settings:
                row = SettingRow(setting, self._update_buttons)
                self.rows[setting.path] = row
                rows.append(row)
            lay.addWidget(group_box(group, rows))
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields (the area follows the focus)
        self.stack.addWidget(scroll)
        item = QListWidgetItem(sec.title)
        item.setData(Qt.ItemDataRole.UserRole, sec.key)
        self.sections.addItem(item)
        self.section_keys.append(sec.key)

    def show_section(self, key: str) -> None:
        self.sections.setCurrentRow(self.section_keys.index(key))

    def current_section(self) -> str:
        return self.section_keys[self.sections.currentRow()]

    def section_widget(self, key: str) -> QScrollArea:
        w = self.stack.widget(self.section_keys.index(key))
        assert isinstance(w, QScrollArea)
        return w

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once:  # read the files when the page is first shown, not at start-up
            self._loaded_once = True
            self.reload()
        elif not self.changes_pending() and not is_running(self._save_task) and not is_running(self._load_task):
            self.reload()  # shown again: what changed meanwhile (e.g. "Remember passwords" on the Remote page)

    # ---------------------------------------------------------------- loading
    def reload(self) -> None:
        hub, keys = self._hub, list(self.rows)

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> SettingsSnapshot:
            return hub.load(keys)

        self.message.setText("Loading the settings…")
        task = self._tasks.start(job, name="settings-load")
        task.succeeded.connect(self.set_snapshot)
        task.failed.connect(lambda exc: self.message.show_failure("The settings could not be read", exc))
        self._load_task = task
        self.backends.reload()

    def set_snapshot(self, snap: SettingsSnapshot) -> None:
        self.snapshot = snap
        for path, row in self.rows.items():
            state = snap.values.get(path)
            if state is not None:
                row.load(state)
        where = f"Your settings are kept in {_home(snap.config_path)}."
        if snap.organisation_path:
            where += (f" Your organisation provides settings in {_home(snap.organisation_path)}; those it set are "
                      "marked, and locked ones cannot be changed here.")
        self.source_label.setText(where)
        self._show_notices(snap)
        if snap.problem:
            self.message.show_error(f"{snap.problem}\nFix the file by hand; nothing can be saved until then.")
        else:
            self.message.setText("")
        self._update_buttons()
        self.loaded.emit()

    # ---------------------------------------------------------------- saving
    def changes_pending(self) -> bool:
        return any(row.changed() for row in self.rows.values())

    def changes(self) -> dict[Path, Any]:
        return {path: row.value() for path, row in self.rows.items() if row.changed()}

    def _update_buttons(self) -> None:
        ready = self.snapshot is not None and not self.snapshot.problem and not is_running(self._save_task)
        dirty = ready and any(row.changed() for row in self.rows.values())
        self.save_button.setEnabled(bool(dirty))
        self.revert_button.setEnabled(bool(dirty))

    def revert(self) -> None:
        if self.snapshot is not None:
            self.set_snapshot(self.snapshot)
            self.message.setText("Your edits were dropped; the saved settings are shown.")

    def save(self) -> None:
        if is_running(self._save_task) or self.snapshot is None:
            return
        problems = [p for p in (row.problem() for row in self.rows.values() if row.changed()) if p]
        if problems:
            self.message.show_error("Not saved: " + "; ".join(problems))
            return
        try:
            changes = self.changes()
        except ValueError as exc:
            self.message.show_error(f"Not saved: {exc}")
            return
        if not changes:
            return
        hub = self._hub

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> str:
            return hub.save(changes)

        self.message.setText("Saving…")
        task = self._tasks.start(job, name="settings-save")
        task.succeeded.connect(lambda text: self._saved(text, changes))
        task.failed.connect(self._not_saved)
        self._save_task = task
        self._update_buttons()

    def _saved(self, text: str, changes: dict[Path, Any]) -> None:
        self._save_task = None
        self.message.show_ok(text)
        self.status_message.emit(text)
        self.saved.emit(changes)
        hub, keys = self._hub, list(self.rows)

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> SettingsSnapshot:
            return hub.load(keys)

        task = self._tasks.start(job, name="settings-load")
        task.succeeded.connect(self._reloaded_after_save)
        self._load_task = task

    def _reloaded_after_save(self, snap: SettingsSnapshot) -> None:
        text = self.message.text()
        self.set_snapshot(snap)
        self.message.show_ok(text)

    def _not_saved(self, exc: BaseException) -> None:
        self._save_task = None
        self.status_message.emit(self.message.show_failure("Not saved", exc))
        self._update_buttons()
