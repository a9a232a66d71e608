"""The Get Help page in the main window with a filled form and its redaction preview, rendered to PNG.

With DESKSIDE_SCREENSHOTS=1 the pictures go to docs/screenshots/ (get-help-form.png, get-help.png); otherwise to
the test's temporary folder. Either way the test checks what the pictures show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from desktop import app as desktop_app
from desktop import paths
from desktop.tasks import TaskRunner
from diagnostics.model import Report
from tests.conftest import REPO, screenshot_dir
from ui.get_help_page import STEP_PREVIEW, GetHelpPage
from ui.redaction_preview import MESSAGE_DOC


def out_dir(tmp_path: Path) -> Path:
    return screenshot_dir(tmp_path)


def test_get_help_screenshots(qtbot: Any, task_runner: TaskRunner, tmp_path: Path) -> None:
    paths.ensure(paths.config_dir())
    paths.config_file().write_text('[backends.helpdesk]\ntype = "rt"\nurl = "https://rt.example.org"\n'
                                   'queue = "Support"\n', encoding="utf-8")
    data = json.loads((REPO / "tests" / "data" / "redaction" / "report.json").read_text())
    report = Report.from_dict(data)
    ctx = desktop_app.AppContext(tasks=task_runner, collector_names=["system"])
    window = desktop_app.build_window(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 860)
    window.show()
    qtbot.waitExposed(window)
    page = window.page("help")
    assert isinstance(page, GetHelpPage)
    window.show_page("help")
    qtbot.waitUntil(lambda: page.service is not None, timeout=20_000)
    page.set_report(report)
    f = page.form
    f.summary.setText("Cannot reach the file server since this morning")
    f.details.setPlainText("Opening \\\\fileserver02\\projects says the network path was not found. "
                           "Colleague bob.builder@corp.example has the same problem.")
    f.since.buttons["today"].click()
    f.since_text.setText("since about 8:30")
    f.affected.buttons["my team"].click()
    f.urgency.buttons["high"].click()
    f.requester_name.setText("Alice Smith")
    f.requester_email.setText("alice.smith@corp.example")
    qtbot.wait(100)
    out = out_dir(tmp_path)
    form_png = out / "get-help-form.png"
    assert window.grab().save(str(form_png), "PNG")

    with qtbot.waitSignal(page.preview_ready, timeout=30_000):
        page.show_preview()
    assert page.steps.currentIndex() == STEP_PREVIEW
    rows = page.preview_step.redaction.rows()
    page.preview_step.redaction.items_view.setCurrentItem(next(iter(rows.values())))
    page.preview_step.redaction.show_document(MESSAGE_DOC)
    qtbot.wait(100)
    preview_png = out / "get-help.png"
    assert window.grab().save(str(preview_png), "PNG")

    message = page.preview_step.redaction.document_text(MESSAGE_DOC)
    assert "bob.builder@corp.example" not in message and "Priority: P2 high" in message
    assert "fileserver02" not in message  # the UNC path \\fileserver02\projects: its host is masked
    assert len(rows) >= 8
    for png in (form_png, preview_png):
        img = QImage(str(png))
        assert img.width() >= 1280 and img.height() >= 860
