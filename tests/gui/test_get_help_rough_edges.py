"""The rough edges of Get Help (issues 13 and 10), as a user meets them, with the real ticket service, outbox and
task runner: a partial diagnostics report is offered as partial; the ticket's impact, urgency and priority read as
words; Preview stays in sight at the default window size; a ticket needs a name and an e-mail; an unexpected
error shows a dialog whose "Send crash log as a ticket…" goes through the masked preview; a damaged outbox file
repaired at start is reported in the window."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from desktop import app as desktop_app
from desktop import paths
from desktop.crash import CrashHandler
from desktop.tasks import TaskRunner
from desktop.tickets_hub import TicketsHub
from diagnostics.model import Finding, Report, Section, SectionStatus, Severity
from tests.conftest import screenshot_dir
from tickets.service import Draft
from ui.get_help_page import STEP_FORM, STEP_PREVIEW, GetHelpPage
from ui.redaction_preview import MESSAGE_DOC

SECRET_TOKEN = "ghp_" + "Zx81QmTr4Lk0Pw7Yv2Nc5Bd9Hs3Ju6Ge1Fa"  # a GitHub token's bare form
SECRET_PASSWORD = "Tr0ub4dor-and-3-horses"


def partial_report() -> Report:
    r = Report(host="testhost", generated_at="2026-11-24T09:42:00+00:00", platform="linux", cancelled=True)
    r.sections["system"] = Section("system", "System", data={"hostname": "testhost"})
    r.sections["network"] = Section("network", "Network", status=SectionStatus.CANCELLED)
    r.sections["storage"] = Section("storage", "Storage", status=SectionStatus.CANCELLED)
    r.findings = [Finding(f"system.f{i}", Severity.WARNING, f"Finding {i}", [], "Fix it.", "system")
                  for i in range(4)]
    return r


def make_page(qtbot: Any, tasks: TaskRunner, **kw: Any) -> GetHelpPage:
    page = GetHelpPage(TicketsHub(), tasks, **kw)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.service is not None or bool(page.service_error), timeout=20_000)
    assert page.service is not None, page.service_error
    return page


def window(qtbot: Any, tasks: TaskRunner) -> Any:
    w = desktop_app.build_window(desktop_app.AppContext(tasks=tasks, collector_names=["system"]))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def in_sight(widget: Any, top: Any) -> bool:
    """Whether all of `widget` is on screen inside `top` (not scrolled away nor clipped)."""
    if not widget.isVisible() or widget.visibleRegion().isEmpty():
        return False
    if widget.visibleRegion().boundingRect().size() != widget.size():
        return False
    at = widget.mapTo(top, QPoint(0, 0))
    return QRect(at, widget.size()).intersected(top.rect()) == QRect(at, widget.size())


# ------------------------------------------------------------------------------------------------ 3: partial report
def test_a_cancelled_report_is_offered_as_partial_with_what_did_not_run(qtbot: Any, task_runner: TaskRunner) -> None:
    runs: list[int] = []
    page = make_page(qtbot, task_runner, run_diagnostics=lambda: runs.append(1))
    page.set_report(partial_report())
    label = page.report_box.report_label.text()
    assert "a partial report" in label and "the run was cancelled: Network, Storage did not run" in label
    assert "with 4 findings in the checks that ran" in label
    assert 'href="run"' in label and "for a complete report" in label
    assert page.report_box.include_box.text().startswith("Attach this partial report")
    page.report_box.report_label.linkActivated.emit("run")  # run again
    assert runs == [1]
    # sent knowingly: the preview's header and the message say it is partial
    page.report_box.set_report(partial_report())
    page.form.summary.setText("The network drive is gone")
    page.form.requester_name.setText("Ann Example")
    page.form.requester_email.setText("ann@example.org")
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        page.show_preview()
    assert "PARTIAL diagnostics report (the run was cancelled: Network, Storage did not run)" in \
        page.preview_step.preview_header.text()
    message = page.preview_step.redaction.document_text(MESSAGE_DOC)
    assert "Note: the attached diagnostics report is partial (the run was cancelled: Network, Storage did not run)" \
        in message
    # a complete report reads as before
    complete = partial_report()
    complete.cancelled = False
    for s in complete.sections.values():
        s.status = SectionStatus.OK
    page.set_report(complete)
    assert "partial" not in page.report_box.report_label.text()
    assert "4 findings." in page.report_box.report_label.text()


# ------------------------------------------------------------------------------------------------ 6: ITIL words
def test_impact_urgency_and_priority_read_as_words(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner)
    f = page.form
    assert f.priority_label.text() == "P4 low"
    assert f.priority_why.text() == ("Impact: low — affects only this user. Urgency: medium — work is slowed down.")
    f.affected.buttons["everyone"].click()
    f.urgency.buttons["high"].click()
    assert f.priority_why.text() == ("Impact: high — affects many users or the whole organisation. "
                                     "Urgency: high — work cannot continue.")
    f.affected.buttons["just me"].click()
    f.urgency.buttons["medium"].click()
    f.summary.setText("Printer jams")
    f.requester_name.setText("Ann Example")
    f.requester_email.setText("ann@example.org")
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        page.show_preview()
    message = page.preview_step.redaction.document_text(MESSAGE_DOC)
    assert "Impact: low — affects only this user\n" in message
    assert "Urgency: medium — work is slowed down\n" in message
    assert "Priority: P4 low (low impact, medium urgency)\n" in message
    assert "(3/3)" not in message and "(2/3)" not in message


def test_a_bundle_in_the_new_wording_is_read_back_by_the_outbox_repair(tmp_path: Path) -> None:
    from tickets.bundle import save_bundle
    from tickets.outbox_repair import ticket_from_bundle

    svc = TicketsHub().service()
    p = svc.build_preview(Draft(summary="Disk full", description="It is full.", impact=2, urgency=1,
                                requester_name="Ann", requester_email="ann@example.org"),
                          logs={"x.log": "line\n"})
    assert p.bundle is not None
    d = ticket_from_bundle(save_bundle(p.bundle, tmp_path))
    assert d is not None and (d["impact"], d["urgency"], d["scale"]) == (2, 1, 3)


# ------------------------------------------------------------------------------------------------ 7: Preview in sight
def test_preview_is_in_sight_at_the_default_window_size(qtbot: Any, task_runner: TaskRunner,
                                                        tmp_path: Path) -> None:
    w = window(qtbot, task_runner)
    page = w.page("help")
    assert isinstance(page, GetHelpPage)
    w.show_page("help")
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    page.set_report(partial_report())  # the report box makes the form long
    assert (w.width(), w.height()) == (1100, 720)  # the default size
    qtbot.waitUntil(lambda: in_sight(page.preview_button, w), timeout=5_000)
    assert page.form_scroll.verticalScrollBar().value() == 0  # without scrolling
    for size in ((1280, 800), (1920, 1080)):
        w.resize(*size)
        qtbot.waitUntil(lambda: in_sight(page.preview_button, w), timeout=5_000)
        if size[1] >= 1080:  # the whole form fits: no scroll bar (once the resize has settled)
            qtbot.waitUntil(lambda: not page.form_scroll.verticalScrollBar().isVisible(), timeout=5_000)
        assert w.grab().save(str(screenshot_dir(tmp_path) / f"get-help-form-{size[0]}x{size[1]}.png"), "PNG")


def test_the_details_box_keeps_to_about_100_characters_on_a_wide_window(qtbot: Any, task_runner: TaskRunner,
                                                                       tmp_path: Path) -> None:
    """At 1920 px the multi-line Details box does not stretch to 1,500 px: about 100 characters a line, starting
    in the field column under "What happened?"; at 1280x800 it keeps that width and the page stays laid out."""
    w = window(qtbot, task_runner)
    page = w.page("help")
    assert isinstance(page, GetHelpPage)
    w.show_page("help")
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    details, summary = page.form.details, page.form.summary
    line = "I was printing the quarterly report when the printer stopped and showed error E-042 again."
    assert 85 <= len(line) <= 95
    details.setPlainText(line)
    char = details.fontMetrics().averageCharWidth()
    for size in ((1920, 1080), (1280, 800)):
        w.resize(*size)
        qtbot.waitUntil(lambda size=size: (w.width(), w.height()) == size and in_sight(page.preview_button, w),
                        timeout=5_000)
        qtbot.waitUntil(lambda: 95 * char <= details.width() <= 115 * char, timeout=5_000)
        assert details.width() < w.width() / 2 + 100  # not across the window
        assert details.mapTo(w, QPoint(0, 0)).x() == summary.mapTo(w, QPoint(0, 0)).x()  # in the field column
        assert details.document().firstBlock().layout().lineCount() == 1  # a long sentence fits on one line
        assert in_sight(details, w)
        assert w.grab().save(str(screenshot_dir(tmp_path) / f"get-help-details-{size[0]}x{size[1]}.png"), "PNG")


# ------------------------------------------------------------------------------------------------ 8: name, e-mail
def test_a_ticket_needs_a_name_and_an_e_mail_said_next_to_the_fields(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner)
    f = page.form
    f.summary.setText("Printer jams")
    qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentIndex() == STEP_FORM and page.preview is None
    assert f.name_error.isVisible() and f.email_error.isVisible()
    assert f.name_error.text() == "Your name is needed: the support team asks for you by name."
    assert f.email_error.text() == "Your e-mail is needed: the support team answers there."
    assert page.form_error.text().startswith("Your name and e-mail are needed")
    assert f.requester_name.hasFocus() or not page.isActiveWindow()
    f.requester_name.setText("Ann Example")
    assert not f.name_error.text() and f.email_error.isVisible()  # fixed: its message goes at once
    f.requester_email.setText("ann.example.org")
    assert f.email_error.text() == "“ann.example.org” is not an e-mail address; write it as name@example.org."
    f.requester_email.setText("ann@example.org")
    assert not f.requester_errors.isVisible()
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentIndex() == STEP_PREVIEW
    assert "Requester: Ann Example <ann@example.org>" in page.preview_step.redaction.document_text(MESSAGE_DOC)


# ------------------------------------------------------------------------------------------------ 9: crash dialog
@pytest.fixture
def crash_window(qtbot: Any, task_runner: TaskRunner) -> Any:
    w = window(qtbot, task_runner)
    handler = CrashHandler(w, task_runner)
    handler.install()
    yield w, handler
    handler.uninstall()
    if handler.dialog is not None:
        handler.dialog.close()


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_shows_a_dialog_and_the_crash_log_goes_through_the_masked_preview(
        qtbot: Any, crash_window: Any, tmp_path: Path) -> None:
    w, handler = crash_window
    broken = QPushButton("Broken", w)

    def slot() -> None:
        raise ValueError(f"cannot parse the answer: password={SECRET_PASSWORD} token {SECRET_TOKEN}")

    broken.clicked.connect(slot)
    broken.click()  # the exception escapes the slot: sys.excepthook
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=10_000)
    d = handler.dialog
    assert d.what_label.textFormat() == Qt.TextFormat.PlainText
    assert d.what_label.text().startswith("An unexpected error stopped what Deskside was doing: ValueError: "
                                          "cannot parse the answer")
    assert "This is a bug in Deskside" in d.what_label.text()
    log = Path(os.environ["DESKSIDE_LOG_DIR"]) / "crash.log"
    qtbot.waitUntil(lambda: d.where_label.text().startswith("The details"), timeout=10_000)
    assert d.where_label.text() == f"The details (the crash log) were saved to {log}."
    assert "Traceback" in log.read_text() and "in slot" in log.read_text()
    for secret in (SECRET_PASSWORD, SECRET_TOKEN):  # never written to a file of ours, nor shown
        assert secret not in log.read_text() and secret not in d.what_label.text()
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    d.grab().save(str(screenshot_dir(tmp_path) / "crash-dialog.png"), "PNG")

    qtbot.mouseClick(d.send_button, Qt.MouseButton.LeftButton)
    page = w.page("help")
    assert isinstance(page, GetHelpPage)
    assert w.current_page_key() == "help" and not d.isVisible()
    assert page.crash_log_attached and page.crash_row.isVisible()
    assert page.form.summary.text().startswith("Deskside stopped with an unexpected error (ValueError: ")
    assert page.form.incident_type.currentData() == "software problem"
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    page.form.requester_name.setText("Ann Example")
    page.form.requester_email.setText("ann@example.org")
    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    docs = {name: page.preview_step.redaction.document_text(name) for name in page.preview_step.redaction.names()}
    crash_docs = [n for n in docs if "deskside-crash.log" in n]
    assert crash_docs, list(docs)
    crash = docs[crash_docs[0]]
    assert "Traceback" in crash and "ValueError: cannot parse the answer" in crash
    for text in docs.values():  # masked everywhere: the summary, the message, every file of the bundle
        assert SECRET_PASSWORD not in text and SECRET_TOKEN not in text
    kinds = {row.text(1) for row in page.preview_step.redaction.rows().values()}
    assert "secret" in kinds
    # nothing was sent: it waits for Send
    assert page.preview_step.send_button.isEnabled() and page.outbox.entries == []
    w.grab().save(str(screenshot_dir(tmp_path) / "crash-ticket-preview.png"), "PNG")


@pytest.mark.qt_no_exception_capture
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # chained to pytest's hook
def test_errors_in_threads_reach_the_one_dialog(qtbot: Any, crash_window: Any) -> None:
    _w, handler = crash_window

    def worker() -> None:
        raise RuntimeError("a background thread failed")

    t = threading.Thread(target=worker, name="poller")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=10_000)
    assert "RuntimeError: a background thread failed" in handler.dialog.what_label.text()
    t = threading.Thread(target=worker, name="poller-2")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: handler.dialog.more == 1, timeout=10_000)  # one dialog, counting the rest
    assert handler.dialog.more_label.text().startswith("1 more unexpected error happened since")
    assert sys.excepthook == handler._excepthook


# ------------------------------------------------------------------------------------------------ 10: outbox repair
def test_a_damaged_outbox_repaired_at_start_is_reported_in_the_window(qtbot: Any, task_runner: TaskRunner) -> None:
    svc = TicketsHub().service()
    for i in range(3):
        svc.submit(svc.build_preview(Draft(summary=f"held ticket {i}", requester_name="Ann",
                                           requester_email="ann@example.org")))
    box = paths.data_dir() / "outbox.sqlite3"
    data = bytearray(box.read_bytes())
    data[0:100] = os.urandom(100)  # a damaged header: SQLite says "file is not a database"
    box.write_bytes(bytes(data))

    w = window(qtbot, task_runner)
    page = w.page("help")
    assert isinstance(page, GetHelpPage)
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    # in the window, whatever page is shown ...
    qtbot.waitUntil(lambda: getattr(w, "outbox_repair_box", None) is not None, timeout=10_000)
    msg = w.outbox_repair_box
    assert isinstance(msg, QMessageBox) and msg.isVisible() and msg.textFormat() == Qt.TextFormat.PlainText
    assert "was damaged" in msg.text() and "moved aside to" in msg.text()
    assert "3 ticket(s) were saved into it: 3 read back from the damaged file" in msg.text()
    assert "The Outbox tab shows what it holds now." in msg.text() and "deskside ticket" not in msg.text()
    msg.close()
    # ... and on the Get Help page, with the tickets that were saved
    w.show_page("help")
    assert page.repair_banner.isVisible() and "3 ticket(s) were saved" in page.repair_banner.label.text()
    qtbot.mouseClick(page.repair_banner.show_button, Qt.MouseButton.LeftButton)
    assert page.tabs.currentWidget() is page.outbox
    qtbot.waitUntil(lambda: len(page.outbox.entries) == 3, timeout=10_000)
    assert sorted(e.summary for e in page.outbox.entries) == [f"held ticket {i}" for i in range(3)]
    damaged = list(box.parent.glob("outbox.sqlite3.damaged-*"))
    assert damaged and damaged[0].read_bytes() == bytes(data)  # the evidence is kept
    # told once: a reload of the settings does not say it again
    page.reload_service()
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    qtbot.mouseClick(page.repair_banner.ok_button, Qt.MouseButton.LeftButton)
    assert not page.repair_banner.isVisible()


def test_a_repair_made_at_start_before_get_help_is_opened_is_still_said(qtbot: Any,
                                                                        task_runner: TaskRunner) -> None:
    """The tray's count or the start-up check may open (and repair) the outbox before the Get Help page exists."""
    from desktop.outbox_notice import check_outbox

    svc = TicketsHub().service()
    svc.submit(svc.build_preview(Draft(summary="held ticket", requester_name="Ann",
                                       requester_email="ann@example.org"), logs={"app.log": "failed\n"}))
    box = paths.data_dir() / "outbox.sqlite3"
    box.write_bytes(os.urandom(box.stat().st_size))  # nothing of it can be read: remade from the bundle
    w = window(qtbot, task_runner)
    assert not w.is_built("help")
    check_outbox(w, task_runner)  # what `deskside gui` does after the first paint
    qtbot.waitUntil(lambda: getattr(w, "outbox_repair_box", None) is not None, timeout=20_000)
    assert "1 made again from their support bundles" in w.outbox_repair_box.text()
    w.outbox_repair_box.close()
    w.show_page("help")  # built now: its banner says it too, though its own opening found a healthy file
    page = w.page("help")
    assert isinstance(page, GetHelpPage)
    assert page.repair_banner.isVisible() and "made again from their support bundles" in page.repair_banner.label.text()
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    qtbot.waitUntil(lambda: [e.summary for e in page.outbox.entries] == ["held ticket"], timeout=10_000)


@pytest.mark.qt_no_exception_capture
def test_a_dialog_that_fails_itself_does_not_loop(qtbot: Any, crash_window: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop.crash

    _w, handler = crash_window

    def broken_dialog(*_args: Any) -> Any:
        raise RuntimeError("the dialog cannot be made")

    monkeypatch.setattr(desktop.crash, "CrashDialog", broken_dialog)
    button = QPushButton("Broken", _w)
    button.clicked.connect(lambda: 1 / 0)
    button.click()  # ZeroDivisionError -> the dialog fails -> that error must not start it all again
    log = Path(os.environ["DESKSIDE_LOG_DIR"]) / "crash.log"
    qtbot.waitUntil(lambda: log.exists() and "ZeroDivisionError" in log.read_text(), timeout=10_000)
    assert handler.dialog is None
