"""Text from outside Deskside (host names, finding titles and evidence, error messages, ticket summaries, backend
names and answers, SSH prompts) is never rendered as Qt rich text: Qt renders a label, a tooltip or a message box as
HTML when the text merely looks like HTML, so `<img src=file:...>` would load a file and `<a href>` would make a link.

Two checks: statically, every QLabel and QMessageBox in ui/ is made by ui/plain.py (plain text, or our own escaped
HTML) and every tooltip that is not a literal goes through `plain_tooltip`; dynamically, each page and dialog is fed
hostile text through its real data paths, and every label, tooltip and item in its widget tree that shows that text
shows it as text.
"""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMessageBox, QPlainTextEdit, QWidget

from common.cancel import CancelToken
from common.errors import UserError
from desktop import paths
from desktop.tasks import TaskRunner
from desktop.tickets_hub import TicketsHub as RealHub
from diagnostics.model import Finding, Report, Section, SectionStatus, Severity, Skip
from remote.hosts import HostProfile
from tickets.errors import TicketError
from tickets.outbox import OutboxEntry
from ui.backends_settings import BackendsPanel
from ui.collector_status import CollectorStatus
from ui.diagnostics_page import DiagnosticsPage
from ui.get_help_page import GetHelpPage
from ui.get_help_services import BackendRow, BackendsInfo
from ui.main_window import MainWindow
from ui.outbox_view import OutboxView
from ui.remote_dialogs import (
    HostEditDialog,
    HostKeyDialog,
    HostKeyRefusedDialog,
    ImportDialog,
    KeyboardInteractiveDialog,
    SecretDialog,
)

UI = Path(__file__).resolve().parents[2] / "ui"
MARK = "<b>x</b>"  # what must never turn bold
HOSTILE = f"{MARK}<a href=https://evil.example/>link</a><img src=file:///etc/passwd>"


# ================================================================ the static check
def _ui_modules() -> list[Path]:
    return sorted(p for p in UI.rglob("*.py") if p.name != "plain.py")


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Name) and f.id == name) or (isinstance(f, ast.Attribute) and f.attr == name):
                out.append(node)
    return out


def test_every_label_and_message_box_in_ui_is_made_by_the_plain_text_helper() -> None:
    offenders = []
    for path in _ui_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in ("QLabel", "QMessageBox"):
            offenders += [f"{path.name}:{c.lineno}: {cls}(...)" for c in _calls(tree, cls)]
        for node in ast.walk(tree):  # a QLabel subclass must make itself plain text
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "QLabel"
                                                      for b in node.bases):
                if "setTextFormat(Qt.TextFormat.PlainText)" not in ast.get_source_segment(
                        path.read_text(encoding="utf-8"), node):  # fmt: skip
                    offenders.append(f"{path.name}:{node.lineno}: class {node.name}(QLabel) without PlainText")
        for c in _calls(tree, "setTextFormat"):
            arg = ast.unparse(c.args[0]) if c.args else ""
            if arg != "Qt.TextFormat.PlainText":
                offenders.append(f"{path.name}:{c.lineno}: setTextFormat({arg}) (use ui.plain.rich_label)")
    assert not offenders, "labels made outside ui/plain.py:\n" + "\n".join(offenders)


def test_every_tooltip_that_is_not_a_literal_goes_through_plain_tooltip() -> None:
    offenders = []
    for path in _ui_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for c in _calls(tree, "setToolTip") + _calls(tree, "setTabToolTip"):
            arg = c.args[-1]
            literal = isinstance(arg, ast.Constant) or (
                isinstance(arg, ast.BinOp) and all(isinstance(x, ast.Constant) for x in (arg.left, arg.right)))
            wrapped = isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "plain_tooltip"
            empty = isinstance(arg, ast.IfExp) and "plain_tooltip" in ast.unparse(arg.body)
            if not (literal or wrapped or empty):
                offenders.append(f"{path.name}:{c.lineno}: setToolTip({ast.unparse(arg)})")
    assert not offenders, "tooltips that may render outside text as HTML:\n" + "\n".join(offenders)


# ================================================================ the dynamic check
def renders_markup(text: str, fmt: Qt.TextFormat) -> bool:
    """Would a label (or tooltip) with this text and format show `MARK` as a bold word?"""
    if MARK not in text:
        return False  # escaped, or not there at all
    if fmt == Qt.TextFormat.PlainText:
        return False
    return fmt == Qt.TextFormat.RichText or QtGui.Qt.mightBeRichText(text)


def markup_shown(root: QWidget) -> list[str]:
    """Every place in `root`'s widget tree where the hostile text would be rendered as HTML."""
    bad: list[str] = []
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        where = f"{type(w).__name__}#{w.objectName() or '?'}"
        if isinstance(w, QLabel) and renders_markup(w.text(), w.textFormat()):
            bad.append(f"label {where}: {w.text()!r}")
        if isinstance(w, QMessageBox) and renders_markup(w.text(), w.textFormat()):
            bad.append(f"message box {where}: {w.text()!r}")
        if renders_markup(w.toolTip(), Qt.TextFormat.AutoText):
            bad.append(f"tooltip of {where}: {w.toolTip()!r}")
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            bad += [f"item tooltip in {where}: {t!r}" for t in _item_tooltips(w)
                    if renders_markup(t, Qt.TextFormat.AutoText)]
    return bad


def _item_tooltips(view: QAbstractItemView) -> list[str]:
    model = view.model()
    tips: list[str] = []

    def walk(parent: Any) -> None:
        try:
            cols = model.columnCount(parent)
        except TypeError:  # a list widget's model hides it: one column
            cols = 1
        for r in range(model.rowCount(parent)):
            for c in range(cols):
                idx = model.index(r, c, parent)
                tip = model.data(idx, Qt.ItemDataRole.ToolTipRole)
                if isinstance(tip, str):
                    tips.append(tip)
            walk(model.index(r, 0, parent))

    walk(view.rootIndex())
    return tips


def shows(root: QWidget, text: str = MARK) -> bool:
    """The text reached the widget tree at all (so the check above looked at something)."""
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, (QLabel, QMessageBox)) and text in w.text():
            return True
        if isinstance(w, QPlainTextEdit) and text in w.toPlainText():
            return True
        if text in w.toolTip():
            return True
    return False


def hostile_report(host: str = HOSTILE) -> Report:
    r = Report(host=host, generated_at="2026-11-24T12:00:00+00:00", platform="linux", duration_s=0.4)
    r.sections["system"] = Section("system", f"System {HOSTILE}", data={"hostname": host})
    r.sections["logs"] = Section("logs", "Logs", status=SectionStatus.SKIPPED, skips=[Skip("journal", HOSTILE)])
    r.sections["crashes"] = Section("crashes", "Crashes", status=SectionStatus.ERROR, error=f"ValueError: {HOSTILE}")
    r.findings = [Finding("services.failed", Severity.WARNING, f"Service {HOSTILE} failed", [f"unit {HOSTILE}"],
                          f"Run: systemctl restart {HOSTILE}", "system")]
    return r


class Service:
    def __init__(self, report: Report | None = None, error: Exception | None = None) -> None:
        self.report, self.error = report, error

    def __call__(self, names: Any, include: bool, token: CancelToken, progress: Any) -> Report:
        progress("system", "running", 0, 1)
        progress(HOSTILE, "error", 1, 1)  # a collector name from the registry shows up as a badge
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


def _run(qtbot: Any, page: DiagnosticsPage) -> None:
    with qtbot.waitSignal(page.run_finished, timeout=30_000):
        page.run()


def test_diagnostics_page_shows_a_hostile_report_and_errors_as_text(qtbot: Any, task_runner: TaskRunner,
                                                                   tmp_path: Path) -> None:
    page = DiagnosticsPage(Service(error=UserError(f"the config names {HOSTILE}")), task_runner)
    qtbot.addWidget(page)
    page.show()
    _run(qtbot, page)  # a failure before any report: status line and the detail pane
    assert shows(page) and markup_shown(page) == []
    page.run_with(Service(error=RuntimeError(HOSTILE)), HOSTILE)  # an unexpected error, on a host named so
    qtbot.waitUntil(lambda: not page.is_running, timeout=30_000)
    assert markup_shown(page) == []
    page.run_with(Service(hostile_report()), HOSTILE)
    qtbot.waitUntil(lambda: page.report is not None, timeout=30_000)
    assert HOSTILE in page.heading.text()
    page.results.findings_view.select_row(0)
    assert MARK in page.results.detail.title_label.text()
    assert markup_shown(page) == []
    target = tmp_path / HOSTILE / "report.json"  # a folder that does not exist, named with markup
    page.save("json", target)
    qtbot.waitUntil(lambda: page.save_error_box is not None, timeout=10_000)
    box = page.save_error_box
    assert box is not None and MARK in box.text() and markup_shown(box) == []
    assert markup_shown(page) == []
    box.close()


def test_collector_badges_show_a_hostile_name_and_reason_as_text(qtbot: Any) -> None:
    status = CollectorStatus()
    qtbot.addWidget(status)
    status.reset([("odd", HOSTILE)])
    status.set_state("odd", "error", HOSTILE)
    assert shows(status) and markup_shown(status) == []


class FailingHub(RealHub):
    """The real hub, with an error worded by a backend (TicketError) injected where asked."""

    def __init__(self, fail_service: bool = False, fail_submit: bool = False) -> None:
        super().__init__()
        self.fail_service, self.fail_submit = fail_service, fail_submit

    def service(self) -> Any:
        if self.fail_service:
            raise TicketError(f"the config file names {HOSTILE}")
        svc = super().service()
        if self.fail_submit:
            def submit(*_a: Any, **_k: Any) -> Any:
                raise TicketError(f"the helpdesk answered: {HOSTILE}")

            svc.submit = submit  # type: ignore[method-assign]
        return svc


def _entry(state: str, **kw: Any) -> OutboxEntry:
    now = time.time()
    values: dict[str, Any] = dict(id=7, uid="u7", summary=f"VPN {HOSTILE}", backend=HOSTILE, state=state,
                                  attempts=1, maybe_sent=False, next_attempt=None, last_error=f"HTTP 400: {HOSTILE}",
                                  remote_id=HOSTILE, remote_url=f"https://rt.example/{HOSTILE}",
                                  bundle_path=f"/tmp/{HOSTILE}.zip", created=now, updated=now)
    values.update(kw)
    return OutboxEntry(**values)


def test_get_help_shows_hostile_settings_errors_reports_and_tickets_as_text(qtbot: Any,
                                                                           task_runner: TaskRunner) -> None:
    broken = GetHelpPage(FailingHub(fail_service=True), task_runner)
    qtbot.addWidget(broken)
    qtbot.waitUntil(lambda: bool(broken.service_error), timeout=20_000)
    assert MARK in broken.destination_label.text() and markup_shown(broken) == []

    page = GetHelpPage(FailingHub(fail_submit=True), task_runner)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    page.set_report(hostile_report())
    shown = page.report_box.report_label.text()
    assert MARK not in shown and "&lt;b&gt;x&lt;/b&gt;" in shown
    assert markup_shown(page) == []
    page.set_report(hostile_report(host="pc-17"))  # (the host name would be masked in the summary)
    page.form.summary.setText(f"The VPN drops {MARK}")
    page.form.requester_name.setText(f"Ann {MARK}")
    page.form.requester_email.setText("ann@example.org")
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        page.show_preview()
    assert MARK in page.preview_step.preview_header.text()
    with qtbot.waitSignal(page.send_finished, timeout=30_000):
        page.send()
    assert MARK in page.preview_step.send_state.text()
    for state in ("sent", "held", "retry", "uncertain", "failed"):
        page.result_step.show_entry(_entry(state), HOSTILE)
        assert markup_shown(page) == [], state
    page.outbox.set_entries([_entry("failed"), _entry("sent", id=8)])
    assert markup_shown(page) == []
    assert shows(page)


def test_outbox_shows_a_hostile_error_as_text(qtbot: Any, task_runner: TaskRunner) -> None:
    paths.ensure(paths.config_dir())
    paths.config_file().write_text('[backends.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:9/h"\n',
                                   encoding="utf-8")
    view = OutboxView(FailingHub(fail_service=True), task_runner)
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: MARK in view.message.text(), timeout=20_000)
    assert MARK in view.last_message and markup_shown(view) == []


class BackendsHub:
    """A TicketsHub whose backend names, problems and answers all carry markup (the dialogs' own logic)."""

    def __init__(self) -> None:
        self.calls = threading.Event()

    def backends(self) -> BackendsInfo:
        row = BackendRow(name=HOSTILE, type="webhook", table={"type": "webhook", "url": HOSTILE},
                         problem=f"url: {HOSTILE} is not a URL", secret_fields=(HOSTILE,))
        return BackendsInfo(rows=[row], default=None, keyring=f"no keyring: {HOSTILE}", keyring_ok=False,
                            config_path=f"/home/{HOSTILE}/config.toml")

    def test_backend(self, name: str, table: Any, secrets: Any, timeout: float) -> str:
        raise TicketError(f"{name} did not answer: {HOSTILE}")

    def save_backend(self, name: str, table: Any, secrets: Any, **_kw: Any) -> str:
        raise TicketError(f"cannot save {name}: {HOSTILE}")

    def remove_backend(self, name: str) -> str:
        raise TicketError(f"cannot remove {name}: {HOSTILE}")

    def set_default(self, name: str) -> str:
        return f"{name} is now the default"

    def service(self) -> Any:
        raise TicketError(HOSTILE)


def test_backend_settings_show_hostile_names_problems_and_answers_as_text(qtbot: Any,
                                                                         task_runner: TaskRunner) -> None:
    d = BackendsPanel(BackendsHub(), task_runner)  # type: ignore[arg-type]
    qtbot.addWidget(d)
    d.reload()
    qtbot.waitUntil(lambda: d.info is not None, timeout=10_000)
    assert shows(d) and markup_shown(d) == []
    d.test_selected()
    qtbot.waitUntil(lambda: d.result_label.text().startswith("✘"), timeout=10_000)
    assert MARK in d.result_label.text() and markup_shown(d) == []
    d.remove_selected()
    qtbot.waitUntil(lambda: "cannot remove" in d.result_label.text(), timeout=10_000)
    assert markup_shown(d) == []
    ed = d.edit_selected()
    assert ed is not None
    ed.test_connection()
    qtbot.waitUntil(lambda: ed.result_label.text().startswith("✘"), timeout=10_000)
    ed.save()
    qtbot.waitUntil(lambda: "cannot save" in ed.error_label.text(), timeout=10_000)
    assert MARK in ed.error_label.text() and markup_shown(ed) == []
    ed.close()


def test_ssh_dialogs_show_hostile_host_names_and_prompts_as_text(qtbot: Any) -> None:
    dialogs: list[QWidget] = [
        HostKeyDialog(HOSTILE, 22, "ssh-ed25519", f"SHA256:{HOSTILE}"),
        HostKeyRefusedDialog(f"The host key of {HOSTILE} changed"),
        SecretDialog(HOSTILE, f"Password for {HOSTILE}:"),
        KeyboardInteractiveDialog(HOSTILE, f"Instructions {HOSTILE}", [(f"Code {HOSTILE}:", False)]),
        ImportDialog([HostProfile(name=HOSTILE.replace(" ", ""), hostname=HOSTILE)], [f"ProxyCommand {HOSTILE}"],
                     set()),
    ]
    editor = HostEditDialog(HostProfile(name=HOSTILE, hostname=HOSTILE))
    editor._try_accept()  # Save: validation fails on the name, and the error quotes it
    dialogs.append(editor)
    for dlg in dialogs:
        qtbot.addWidget(dlg)
        assert shows(dlg), type(dlg).__name__
        assert markup_shown(dlg) == [], type(dlg).__name__


def test_the_status_bar_shows_a_hostile_message_as_text(qtbot: Any, task_runner: TaskRunner) -> None:
    window = MainWindow("1.0")
    qtbot.addWidget(window)
    page = DiagnosticsPage(Service(error=TicketError(HOSTILE)), task_runner)
    window.add_page("diagnostics", "Diagnostics", page)
    window.show()
    _run(qtbot, page)
    assert MARK in window.status_text.text() and markup_shown(window) == []


@pytest.mark.parametrize("exc", [UserError(HOSTILE), TicketError(HOSTILE), RuntimeError(HOSTILE),
                                 FileNotFoundError(2, "No such file or directory", HOSTILE)])
def test_a_message_line_shows_any_error_as_text(qtbot: Any, exc: BaseException) -> None:
    from ui.errors import MessageLine

    line = MessageLine()
    qtbot.addWidget(line)
    text = line.show_failure("It failed", exc)
    assert MARK in text and line.text() == text and line.textFormat() == Qt.TextFormat.PlainText
