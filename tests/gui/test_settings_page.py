"""The Settings page (pytest-qt, headless): its sections in the sidebar and File menu (Ctrl+,), settings labelled in
words with the config key in the tooltip, Save writing the user's config.toml only (a wrong value refused with the
reason and nothing written), values set by the organisation marked and locked ones read-only, a file chooser for
paths, and the backend editor growing or scrolling instead of squeezing its fields."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QWidget

from desktop import paths
from desktop.tasks import TaskRunner
from desktop.tickets_hub import TicketsHub
from ui.backend_editor import BackendEditor
from ui.main_window import MainWindow
from ui.settings_page import SettingsPage
from ui.settings_spec import SECTIONS, all_settings

RAW_KEY = re.compile(r"^[a-z]+(_[a-z]+)+$|^(url|user|queue|auth|ca_file|proxy)$")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def system_config() -> Path:
    return paths.system_config_file()


def user_config() -> dict[str, Any]:
    return tomllib.loads(paths.config_file().read_text(encoding="utf-8"))


def loaded_page(qtbot: Any, window: MainWindow) -> SettingsPage:
    page = window.page("settings")
    assert isinstance(page, SettingsPage)
    qtbot.waitUntil(lambda: page.snapshot is not None and page.backends.info is not None, timeout=20_000)
    return page


def text_of(row_input: QWidget) -> str:
    if isinstance(row_input, QPlainTextEdit):
        return row_input.toPlainText()
    assert isinstance(row_input, QLineEdit)
    return row_input.text()


def test_ctrl_comma_opens_settings_with_its_sections(qtbot: Any, window: MainWindow) -> None:
    assert window.current_page_key() == "diagnostics"
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "settings"
    page = loaded_page(qtbot, window)
    assert [page.sections.item(i).text() for i in range(page.sections.count())] == [
        "Support backends", "Redaction", "Diagnostics", "Remote", "Appearance"]
    assert page.sections.hasFocus()  # the keyboard is where the user can pick a section
    qtbot.keyClick(page.sections, Qt.Key.Key_Down)
    assert page.current_section() == "redaction"
    assert page.section_widget("redaction").isVisible()
    assert "Settings" in [window.nav.item(i).text() for i in range(window.nav.count())]


def test_every_setting_has_words_for_a_label_and_its_key_in_the_tooltip(qtbot: Any, window: MainWindow) -> None:
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    assert set(page.rows) == {s.path for s in all_settings()}
    for path, row in page.rows.items():
        label = row.setting.label
        assert not RAW_KEY.match(label) and "_" not in label, label
        assert f"Config key: {path[-1]} in [{'.'.join(path[:-1])}]" in row.input.toolTip()
    from desktop import config_schema

    assert all(config_schema.is_known(".".join(s.path)) for s in all_settings())  # keys the schema knows
    # the backend editor's fields too: no raw key as a label, the key in the tooltip
    ed = page.backends.add_backend()
    ed.type_combo.setCurrentIndex(ed.type_combo.findData("rt"))
    labels = {k: ed.fields_form.labelForField(f.row or f.widget).text() for k, f in ed.fields.items()}  # type: ignore[union-attr]
    assert labels["url"] == "Server address *" and labels["custom_fields"] == "Custom field names"
    assert labels["allow_insecure_http"] == "Allow unencrypted HTTP (not recommended)"
    for key, f in ed.fields.items():
        assert key not in labels[key].split(), labels[key]
        assert f"Config key: {key} in [backends.NAME]" in f.widget.toolTip()
    assert ed.secrets_form.labelForField(ed.secret_edits["token"]).text() == "API token"  # type: ignore[union-attr]
    ed.close()


def test_save_writes_the_changed_settings_to_the_user_config(qtbot: Any, window: MainWindow) -> None:
    write(paths.config_file(), '[gui]\ntest_connection = true\n\n[custom]\nkept = "as it was"\n')
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    rows = page.rows
    assert isinstance(rows[("gui", "test_connection")].input, QCheckBox)
    assert rows[("gui", "test_connection")].input.isChecked()  # type: ignore[attr-defined]
    assert not page.save_button.isEnabled()  # nothing changed yet
    since = rows[("diagnostics", "logs", "since_hours")].input
    assert isinstance(since, QLineEdit) and since.text() == "" and since.placeholderText() == "24 (default)"
    since.setText("12")
    words = rows[("tickets", "redaction", "keywords")].input
    assert isinstance(words, QPlainTextEdit)
    words.setPlainText("Project Falcon\n\nfs01.corp.example\n")
    saved = rows[("remote", "save_secrets")].input
    assert isinstance(saved, QCheckBox)
    saved.setChecked(True)
    rows[("gui", "test_connection")].input.setChecked(False)  # type: ignore[attr-defined]
    assert page.save_button.isEnabled() and page.revert_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=20_000), qtbot.waitSignal(page.saved, timeout=20_000) as blocker:
        page.save_button.click()
    assert blocker.args[0][("diagnostics", "logs", "since_hours")] == 12.0
    assert page.message.text() == f"Saved 4 settings to {paths.config_file()}."
    assert user_config() == {"gui": {"test_connection": False}, "custom": {"kept": "as it was"},
                             "diagnostics": {"logs": {"since_hours": 12.0}},
                             "tickets": {"redaction": {"keywords": ["Project Falcon", "fs01.corp.example"]}},
                             "remote": {"save_secrets": True}}
    assert not page.save_button.isEnabled()  # reloaded: nothing left to save
    # emptying a field removes the key (the default applies again) and the tables it leaves empty
    since.setText("")
    with qtbot.waitSignal(page.saved, timeout=20_000):
        page.save()
    assert "diagnostics" not in user_config()


def test_a_wrong_value_is_refused_with_the_reason_and_nothing_is_written(qtbot: Any, window: MainWindow) -> None:
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    port = page.rows[("diagnostics", "connectivity", "gateway_port")].input
    assert isinstance(port, QLineEdit)
    port.setText("70000")
    page.save_button.click()
    assert page.message.text() == "Not saved: Router port: write a whole number from 1 to 65535"
    assert page.message.failed and port.text() == "70000"  # what the user typed stays
    assert not paths.config_file().exists()


def test_organisation_values_are_marked_and_locked_ones_read_only(qtbot: Any, window: MainWindow) -> None:
    write(system_config(), '[locks]\nkeys = ["remote.save_secrets"]\n\n[remote]\nsave_secrets = true\n\n'
                           '[diagnostics.logs]\nsince_hours = 48\n\n[tickets.redaction]\nkeywords = ["Falcon"]\n')
    write(paths.config_file(), '[remote]\nsave_secrets = false\n')  # ignored: locked
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    assert str(system_config()) in page.source_label.text()
    locked = page.rows[("remote", "save_secrets")]
    assert isinstance(locked.input, QCheckBox)
    assert locked.input.isChecked() and not locked.input.isEnabled()
    assert not locked.note.isHidden() and locked.note.text().startswith("Set by your organisation and locked")
    since = page.rows[("diagnostics", "logs", "since_hours")]
    assert isinstance(since.input, QLineEdit)
    assert since.input.text() == "" and since.input.placeholderText() == "48"
    assert since.note.text() == "Set by your organisation"
    words = page.rows[("tickets", "redaction", "keywords")]
    assert text_of(words.input) == "" and words.note.text() == "Set by your organisation, always included: Falcon"
    # the user's own value is saved into the user's file only; the organisation's stay theirs
    since.input.setText("6")
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.save()
    assert user_config() == {"remote": {"save_secrets": False}, "diagnostics": {"logs": {"since_hours": 6.0}}}
    assert since.note.text() == "Your organisation's value is 48; yours is used"


def test_file_menu_and_get_help_open_the_support_backends_section(qtbot: Any, window: MainWindow) -> None:
    labels = [a.text() for a in window.file_menu.actions() if a.text()]
    assert labels[:2] == ["Support &backends…", "&Settings…"] and labels[-1] == "&Quit"
    window.settings_action.trigger()  # type: ignore[attr-defined]
    assert window.current_page_key() == "settings"
    page = loaded_page(qtbot, window)
    assert page.current_section() == "backends" and page.backends.isVisible()
    page.show_section("appearance")
    window.show_page("help")
    help_page: Any = window.page("help")
    help_page.settings_button.click()
    assert window.current_page_key() == "settings" and page.current_section() == "backends"
    assert help_page.settings_dialog is None  # no second window with the same settings


def test_a_path_setting_has_a_file_chooser(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    page.show_section("diagnostics")
    row = page.rows[("diagnostics", "connectivity", "ca_file")]
    assert row.path_edit is not None and row.path_edit.choose_button.text() == "Choose…"
    pem = tmp_path / "corp-ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    dialog = row.path_edit.choose()
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal  # open(): nothing waits
    with qtbot.waitSignal(dialog.fileSelected, timeout=10_000):
        dialog.selectFile(str(pem))
        dialog.accept()
    assert text_of(row.input) == str(pem)
    logs = page.rows[("diagnostics", "logs", "paths")]
    assert logs.path_edit is not None
    logs.path_edit.set_chosen("/var/log/syslog")
    logs.path_edit.set_chosen("/var/log/auth.log")
    assert text_of(logs.input) == "/var/log/syslog\n/var/log/auth.log"
    assert page.save_button.isEnabled()


def test_the_backend_editor_scrolls_instead_of_squeezing_its_fields(qtbot: Any, task_runner: TaskRunner) -> None:
    ed = BackendEditor(TicketsHub(), task_runner, None, True)
    qtbot.addWidget(ed)
    ed.type_combo.setCurrentIndex(ed.type_combo.findData("webhook"))  # the type with the most fields
    ed.resize(600, 420)
    ed.show()
    qtbot.waitExposed(ed)
    long_error = "\n".join(f"[backends.new] (webhook) is not valid: problem number {i} with a long explanation "
                           "of what to write instead" for i in range(12))
    ed.error_label.show_error(long_error)
    ed.result_label.show_error(long_error)
    qtbot.waitUntil(lambda: ed.height() >= ed.minimumSizeHint().height(), timeout=5_000)  # grown to fit
    assert ed.fields_scroll.height() >= ed.fields_scroll.minimumHeight() >= 150  # the fields keep room
    for key, f in ed.fields.items():
        w = f.row or f.widget
        assert w.height() >= w.sizeHint().height(), (key, w.height(), w.sizeHint().height())
    for e in ed.secret_edits.values():
        assert e.height() >= e.sizeHint().height()
    assert ed.fields_scroll.verticalScrollBar().maximum() > 0  # the fields scroll: none was squeezed


def test_sections_cover_the_config_schema_tables() -> None:
    tables = {s.path[0] for s in all_settings()}
    assert {"tickets", "diagnostics", "remote", "gui", "agent", "secrets"} <= tables
    assert [s.key for s in SECTIONS] == ["backends", "redaction", "diagnostics", "remote", "appearance"]


def test_a_backend_from_the_organisation_is_marked_and_a_locked_one_cannot_be_edited(qtbot: Any,
                                                                                   window: MainWindow) -> None:
    write(system_config(), '[locks]\nkeys = ["backends.helpdesk", "tickets.backend"]\n\n[tickets]\n'
                           'backend = "helpdesk"\n\n[backends.helpdesk]\ntype = "rt"\nurl = "https://rt.corp.example"\n'
                           'queue = "General"\n\n[backends.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:9/in"\n')
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    panel = page.backends
    items = {panel.tree.topLevelItem(i).text(0): panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())}  # type: ignore[union-attr]  # noqa: E501
    assert items["helpdesk"].text(4) == "ok · set by your organisation (locked)"
    assert items["hook"].text(4) == "ok · set by your organisation"
    panel.tree.setCurrentItem(items["helpdesk"])
    assert panel.test_button.isEnabled()  # testing changes nothing
    assert not panel.edit_button.isEnabled() and not panel.remove_button.isEnabled()
    assert not panel.default_button.isEnabled()  # the organisation chose the default
    assert panel.origin_label.text() == ("helpdesk: set by your organisation (locked); it cannot be changed or "
                                         "removed here.")
    panel.tree.setCurrentItem(items["hook"])
    assert panel.edit_button.isEnabled() and not panel.remove_button.isEnabled()


def test_a_saved_theme_applies_at_once(qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtWidgets import QApplication, QComboBox

    from ui.theme import apply_theme, is_dark

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    page.show_section("appearance")
    combo = page.rows[("gui", "theme")].input
    assert isinstance(combo, QComboBox) and combo.currentText() == "As the system"
    combo.setFocus()
    qtbot.keyClicks(combo, "D")  # the keyboard picks "Dark"
    assert combo.currentData() == "dark"
    try:
        with qtbot.waitSignal(page.saved, timeout=20_000):
            qtbot.keyClick(page.save_button, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
        assert user_config() == {"gui": {"theme": "dark"}}
        assert app.property("deskside_theme") == "dark" and is_dark()
    finally:
        apply_theme(app, "system")


def test_the_host_editor_has_a_file_chooser_for_identity_files(qtbot: Any, tmp_path: Path) -> None:
    from remote.hosts import HostProfile
    from ui.remote_dialogs import HostEditDialog

    key = tmp_path / "id_work"
    key.write_text("not a real key; only its path is used\n", encoding="utf-8")
    ed = HostEditDialog(HostProfile(name="web1", hostname="127.0.0.1", identity_files=["~/.ssh/id_ed25519"]))
    qtbot.addWidget(ed)
    ed.show()
    button = ed.identity_row.choose_button
    assert button.text() == "Choose…" and button.accessibleName() == "Choose Identity file"
    dialog = ed.identity_row.choose()
    with qtbot.waitSignal(dialog.fileSelected, timeout=10_000):
        dialog.selectFile(str(key))
        dialog.accept()
    assert ed.identity.text() == f"~/.ssh/id_ed25519, {key}"  # added to the list, the first one kept
    ed._try_accept()
    profile = ed.profile()
    assert profile is not None and profile.identity_files == ["~/.ssh/id_ed25519", str(key)]


def test_a_ticket_held_by_a_missing_keyring_is_not_called_refused(qtbot: Any) -> None:
    from keyring.backends import fail

    from tickets.errors import SecretUnavailable
    from tickets.outbox import OutboxEntry
    from tickets.secrets import SecretStore
    from ui.get_help_result import ResultStep

    with pytest.raises(SecretUnavailable) as caught:  # the real 'fail' keyring backend
        SecretStore(backend=fail.Keyring()).get("helpdesk", "token")
    entry = OutboxEntry(id=3, uid="u", summary="s", backend="helpdesk", state="failed", attempts=1, maybe_sent=False,
                        next_attempt=None, last_error=str(caught.value), remote_id="", remote_url="", bundle_path="",
                        created=0.0, updated=0.0)
    step = ResultStep()
    qtbot.addWidget(step)
    step.show_entry(entry, "helpdesk (Request Tracker)")
    assert step.result_title.text() == "Not sent: no keyring for the password or token"
    assert "not accepted" not in step.result_text.text() and "keyring.backends" not in step.result_text.text()
    assert "waits in the outbox as #3" in step.result_text.text()


def test_the_keyboard_reaches_every_field_and_save(qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtWidgets import QApplication

    window.preferences_action.trigger()  # type: ignore[attr-defined]
    page = loaded_page(qtbot, window)
    page.show_section("remote")
    assert page.sections.hasFocus()
    qtbot.keyClick(page.sections, Qt.Key.Key_Tab)
    remember = page.rows[("remote", "save_secrets")].input
    assert QApplication.focusWidget() is remember  # Tab goes from the section list into the section
    qtbot.keyClick(remember, Qt.Key.Key_Space)
    assert page.save_button.isEnabled()
    with qtbot.waitSignal(page.saved, timeout=20_000):
        qtbot.keyClick(page, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert user_config() == {"remote": {"save_secrets": True}}


def test_shown_again_the_page_reads_what_changed_meanwhile_unless_edits_wait(qtbot: Any, window: MainWindow) -> None:
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    remember = page.rows[("remote", "save_secrets")].input
    assert isinstance(remember, QCheckBox) and not remember.isChecked()
    window.show_page("diagnostics")
    write(paths.config_file(), "[remote]\nsave_secrets = true\n")  # e.g. "Remember passwords" on the Remote page
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.show_page("settings")
    assert remember.isChecked()
    since = page.rows[("diagnostics", "logs", "since_hours")].input
    assert isinstance(since, QLineEdit)
    since.setText("3")  # an edit not saved yet is kept when the user comes back
    window.show_page("diagnostics")
    window.show_page("settings")
    assert since.text() == "3" and page.save_button.isEnabled() and not is_loading(page)


def is_loading(page: SettingsPage) -> bool:
    task = page._load_task
    return task is not None and task.running


def test_a_backend_choice_shows_words_and_writes_the_value(qtbot: Any, task_runner: TaskRunner) -> None:
    from PySide6.QtWidgets import QComboBox

    ed = BackendEditor(TicketsHub(), task_runner, None, True)
    qtbot.addWidget(ed)
    ed.type_combo.setCurrentIndex(ed.type_combo.findData("rt"))
    auth = ed.fields["auth"].widget
    assert isinstance(auth, QComboBox)
    assert [auth.itemText(i) for i in range(auth.count())] == ["API token", "User name and password"]
    assert list(ed.secret_edits) == ["token"]
    auth.setCurrentIndex(1)
    assert list(ed.secret_edits) == ["password"]  # the credentials follow the sign-in method
    ed.fields["url"].widget.setText("https://rt.example.org")  # type: ignore[attr-defined]
    ed.fields["queue"].widget.setText("General")  # type: ignore[attr-defined]
    ed.fields["user"].widget.setText("alice")  # type: ignore[attr-defined]
    assert ed.table() == {"type": "rt", "url": "https://rt.example.org", "queue": "General", "auth": "basic",
                          "user": "alice"}


def test_enter_on_a_backend_opens_its_editor(qtbot: Any, window: MainWindow) -> None:
    write(paths.config_file(), '[backends.helpdesk]\ntype = "rt"\nurl = "https://rt.example.org"\nqueue = "General"\n')
    window.settings_action.trigger()  # type: ignore[attr-defined]
    page = loaded_page(qtbot, window)
    panel = page.backends
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=10_000)
    panel.tree.setFocus()
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    qtbot.keyClick(panel.tree, Qt.Key.Key_Return)
    ed = panel.editor
    assert ed is not None and ed.isVisible() and ed.name_edit.text() == "helpdesk"
    assert ed.fields["url"].widget.text() == "https://rt.example.org"  # type: ignore[attr-defined]
    ed.reject()


def test_warnings_about_the_config_files_are_listed_at_the_top_with_what_to_do(qtbot: Any,
                                                                              window: MainWindow) -> None:
    write(paths.config_file(), '[remote]\nsave_secrets = true\n\n[gui]\ntheem = "dark"\n')
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    assert page.notices_box.isVisible()
    label = page.notices_label
    assert label.textFormat() == Qt.TextFormat.PlainText
    text = label.text()
    # "FILE:LINE: message" with the suggestion, then what to do
    assert f"{paths.config_file()}:5: unknown setting gui.theem; did you mean gui.theme?" in text
    assert "Fix or remove these lines in your config.toml" in text
    assert "IT support" not in text  # nothing in the organisation's file
    assert page.notices_title.text() == "1 warning about the config files"
    # the text can be reached with the keyboard and selected (to copy it)
    assert label.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByKeyboard
    label.setFocus()
    qtbot.waitUntil(label.hasFocus)
    qtbot.keyClick(label, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert label.selectedText() == text.replace("\n", "\u2029")  # QLabel gives paragraph separators

    # the user fixes the file elsewhere: the page shown again reads it and the notices go away
    window.show_page("diagnostics")
    write(paths.config_file(), '[remote]\nsave_secrets = true\n\n[gui]\ntheme = "dark"\n')
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.show_page("settings")
    assert page.notices_box.isHidden() and page.notices_label.text() == ""


def test_a_locked_value_ignored_and_a_broken_organisation_table_are_listed(qtbot: Any, window: MainWindow) -> None:
    write(system_config(), '[locks]\nkeys = ["remote.save_secrets"]\n\n[remote]\nsave_secrets = false\n\n'
                           '[diagnostics.logs]\nsince_hours = "many"\n')
    write(paths.config_file(), '[remote]\nsave_secrets = true\n')
    window.show_page("settings")
    page = loaded_page(qtbot, window)
    assert page.notices_box.isVisible()
    text = page.notices_label.text()
    assert (f"{paths.config_file()}:2: remote.save_secrets is locked by your organisation in {system_config()}: "
            "the value here is ignored") in text
    assert f"{system_config()}: " in text and "[diagnostics] settings are left out" in text
    assert "Fix or remove these lines in your config.toml" in text
    assert "tell your IT support" in text
    assert page.notices_title.text() == "2 warnings about the config files"
