"""The Get Help form's "Diagnostics to include" box: which report goes with the ticket, its findings, and a link
that runs the diagnostics (now, or again)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QGroupBox, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from diagnostics.model import Report

from .plain import plain_tooltip, rich_label
from .style import severity_icon


def incomplete(report: Report) -> list[str]:
    """The titles of the checks of `report` that did not run to the end (cancelled, timed out, failed)."""
    return [s.title for s in report.sections.values() if s.status.value in ("cancelled", "timeout", "error")]


def partial_note(report: Report) -> str:
    """"" for a complete report, else what is missing from it, in words ("the run was cancelled: X did not run")."""
    missing = incomplete(report)
    if not report.cancelled and not missing:
        return ""
    why = "the run was cancelled" if report.cancelled else "some checks did not finish"
    return f"{why}: {', '.join(missing)} did not run" if missing else why


def when(iso: str) -> str:
    """An ISO 8601 time as local "YYYY-MM-DD HH:MM" (the text as it is when it cannot be read)."""
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


class ReportBox(QGroupBox):
    """`report` is what would be attached; `included()` is the report when the user keeps it ticked."""

    def __init__(self, report: Report | None, run_diagnostics: Callable[[], None] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Diagnostics to include", parent)
        self.include_text = ("Attach the diagnostics report and the log excerpts its findings point to "
                             "(masked as shown in the preview)")
        self.report = report
        self._run_diagnostics = run_diagnostics
        self._running = False
        fl = QVBoxLayout(self)
        self.report_label = rich_label("reportLabel")
        self.report_label.linkActivated.connect(self._report_link)
        fl.addWidget(self.report_label)
        self.findings_list = QListWidget()
        self.findings_list.setObjectName("includedFindings")
        self.findings_list.setAccessibleName("Findings included")
        fl.addWidget(self.findings_list)
        self.include_box = QCheckBox(self.include_text)
        self.include_box.setChecked(True)
        fl.addWidget(self.include_box)
        self.show_report()

    def included(self) -> Report | None:
        return self.report if (self.include_box.isChecked() and self.include_box.isEnabled()) else None

    def set_report(self, report: object) -> None:
        """A run finished (None when it failed or was cancelled: the old report stays)."""
        if isinstance(report, Report):
            self.report = report
        self._running = False
        self.show_report()

    def set_run_diagnostics(self, run: Callable[[], None] | None) -> None:
        self._run_diagnostics = run
        self.show_report()

    def diagnostics_started(self) -> None:
        self._running = True
        self.show_report()

    def show_report(self) -> None:
        running = self._running
        self.findings_list.clear()
        r = self.report
        if r is None:
            if running:
                self.report_label.setText("Diagnostics are running… they are included here when they finish.")
            else:
                self.report_label.setText("No diagnostics have been run yet. "
                                          + ('<a href="run">Run diagnostics now</a> to include what they find.'
                                             if self._run_diagnostics is not None else
                                             "Run them on the Diagnostics page to include what they find."))
            self.findings_list.setVisible(False)
            self.include_box.setEnabled(False)
            return
        n = len(r.findings)
        partial = partial_note(r)
        found = f"{n} finding{'s' if n != 1 else ''}" if n else "no problems found"
        if partial:  # never offered as if complete: say what is missing, and offer to run again
            found = (f"<b>a partial report</b> ({html.escape(partial)}), with {found} in the checks that ran"
                     if n else f"<b>a partial report</b> ({html.escape(partial)}); no problems found in the checks "
                     "that ran")
        again = (' <a href="run">Run again</a>' if self._run_diagnostics is not None and not running
                 else " (running again…)" if running else "")
        if partial and self._run_diagnostics is not None and not running:
            again = ' <a href="run">Run the diagnostics again</a> for a complete report, or attach it as it is.'
        self.report_label.setText(f"The report of {html.escape(r.host)} from {html.escape(when(r.generated_at))}: "
                                  f"{found}.{again}")
        self.include_box.setText("Attach this partial report (it says which checks did not run) and the log "
                                 "excerpts its findings point to (masked as shown in the preview)"
                                 if partial else self.include_text)
        for f in r.sorted_findings():
            item = QListWidgetItem(severity_icon(f.severity), f.title)
            item.setToolTip(plain_tooltip("\n".join([f.title, *f.evidence[:5]])))
            self.findings_list.addItem(item)
        rows = min(max(n, 1), 5)
        self.findings_list.setFixedHeight(max(self.findings_list.sizeHintForRow(0), 20) * rows
                                          + 2 * self.findings_list.frameWidth() + 4)
        self.findings_list.setVisible(n > 0)
        self.include_box.setEnabled(True)

    def _report_link(self, href: str) -> None:
        if href == "run" and self._run_diagnostics is not None:
            self.diagnostics_started()
            self._run_diagnostics()
