"""What the Diagnostics page shows of a report: an empty state before the first run, then the findings (list above,
the selected finding's details below) and every section in tabs."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from diagnostics.model import Finding, Report, Severity

from .findings_view import FindingDetail, FindingsModel, FindingsView, severity_counts
from .plain import heading_label, plain_label
from .sections_view import SectionsView


def summary_text(report: Report) -> str:
    counts = severity_counts(report.findings)
    parts = [f"{counts[s]} {name}{'s' if counts[s] != 1 and name != 'info' else ''}"
             for s, name in ((Severity.CRITICAL, "critical"), (Severity.WARNING, "warning"),
                             (Severity.INFO, "info")) if counts[s]]
    text = ", ".join(parts) if parts else "no problems found"
    unfinished = [s.title for s in report.sections.values() if s.status.value in ("timeout", "error")]
    if unfinished:  # not a clean bill of health: say which checks are missing
        text += f"; {', '.join(unfinished)} did not finish"
    return text


def local_time(iso: str, now: dt.datetime | None = None) -> str:
    """When a report was made, in local time: "10:42" today, "2026-11-24 10:42" on another day."""
    try:
        t = dt.datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    today = (now or dt.datetime.now().astimezone()).date()
    return t.strftime("%H:%M") if t.date() == today else t.strftime("%Y-%m-%d %H:%M")


def not_run(report: Report) -> list[str]:
    """The titles of the checks that did not run to the end in `report` (cancelled, timed out, failed)."""
    return [s.title for s in report.sections.values() if s.status.value in ("cancelled", "timeout", "error")]


class ReportView(QStackedWidget):
    """The empty state, or the findings and sections of `report`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: Report | None = None
        self.stale = False
        self.empty_state = self._empty_state()
        self.addWidget(self.empty_state)
        self.tabs = QTabWidget()
        self.findings_model = FindingsModel(self)
        self.findings_view = FindingsView(self.findings_model)
        self.detail = FindingDetail()
        self.findings_view.current_finding.connect(self._show_finding)
        # list above, details below: evidence lines (package versions, log lines) are long and need the width
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings_view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([170, 330])
        split.setChildrenCollapsible(False)
        split.splitterMoved.connect(self._handle_moved)
        split.installEventFilter(self)
        self._user_sized = False  # the user dragged the handle: their choice is kept
        self.findings_splitter = split
        self.sections_view = SectionsView()
        self.tabs.addTab(split, "Findings")
        self.tabs.addTab(self.sections_view, "Sections")
        self.addWidget(self.tabs)

    def _empty_state(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addStretch(1)
        icon = plain_label()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon).pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = heading_label("No diagnostics yet", 1.3)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = plain_label("Press Run (F5) to check this computer: system, processor, memory, disks, network, "
                           "services, logs and updates. It takes a few seconds, and every problem found comes with "
                           "a fix you can follow.", wrap=True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setMaximumWidth(560)
        self.empty_title = title
        lay.addWidget(icon)
        lay.addWidget(title)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(text)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(2)
        return w

    def set_stale(self, stale: bool) -> None:
        """Grey the shown findings and sections while a new run is collecting (they are from the last run)."""
        self.stale = stale
        if stale:
            effect = QGraphicsOpacityEffect(self.tabs)
            effect.setOpacity(0.45)
            self.tabs.setGraphicsEffect(effect)
        else:
            self.tabs.setGraphicsEffect(None)  # type: ignore[arg-type]

    def collecting(self) -> None:
        """A first run started: show the (still empty) findings."""
        self.setCurrentWidget(self.tabs)
        self.findings_model.set_findings([])
        self.detail.show_message("Collecting…")

    def show_message(self, text: str) -> None:
        self.detail.show_message(text)

    def show_report(self, result: Report) -> None:
        self.report = result
        n = len(result.sections)
        titles = {k: s.title for k, s in result.sections.items()}
        self.findings_model.set_findings(result.findings, titles)
        self.sections_view.set_report(result)
        self._user_sized = False
        self.fit_findings()
        partial = ", partial" if result.cancelled else ""
        self.tabs.setTabText(0, f"Findings ({len(result.findings)}{partial})")
        self.tabs.setTabText(1, f"Sections ({n})")
        self.setCurrentWidget(self.tabs)
        if not result.findings:
            self.detail.show_message("No problems found. Every check that could run passed."
                                     if not result.cancelled else "No findings in the partial results.")

    def fit_findings(self) -> None:
        """Give the findings list the rows it needs (all of them, up to 60 % of the height) and the details the
        rest. Done again whenever the area changes size (a report that arrived while the page was hidden, a
        maximised window), so the list never stays a few rows high over an empty details panel."""
        split = self.findings_splitter
        total = split.height() - split.handleWidth()
        if total <= 0 or not split.isVisible():
            return
        view = self.findings_view
        rows = max(view.model().rowCount(), 1)
        want = view.fitting_height(max_rows=rows)
        list_h = max(min(want, int(total * 0.6)), min(120, total // 2))
        split.setSizes([list_h, max(total - list_h, 1)])

    def _handle_moved(self, _pos: int, _index: int) -> None:
        self._user_sized = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.findings_splitter and event.type() in (QEvent.Type.Resize, QEvent.Type.Show) \
                and not self._user_sized:
            self.fit_findings()
        return super().eventFilter(watched, event)

    def _show_finding(self, finding: Finding | None) -> None:
        if finding is None:
            if self.report is not None and not self.report.findings:
                return  # keep the "no problems found" message
            self.detail.show_finding(None)
            return
        title = ""
        if self.report is not None and finding.section in self.report.sections:
            title = self.report.sections[finding.section].title
        self.detail.show_finding(finding, title)
