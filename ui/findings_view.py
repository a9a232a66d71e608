"""Findings: a table model sorted worst first, and a detail panel with the evidence and the fix.

Every text is shown as plain text (a finding title may contain '<b>' from a log line; it is shown as typed)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from diagnostics.model import Finding, Severity

from .plain import heading_label, plain_label, plain_tooltip
from .style import SEVERITY_COLOURS, SEVERITY_LABELS, severity_icon
from .table_model import ColumnsModel
from .theme import readable

_Index = QModelIndex | QPersistentModelIndex


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Critical first, then warning, then info; stable within a severity by section and id."""
    return sorted(findings, key=lambda f: (-int(f.severity), f.section, f.id))


class FindingsModel(ColumnsModel):
    COLUMNS = ("Severity", "Finding", "Area")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._findings: list[Finding] = []
        self._section_titles: dict[str, str] = {}

    def set_findings(self, findings: list[Finding], section_titles: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self._findings = sort_findings(findings)
        self._section_titles = dict(section_titles or {})
        self.endResetModel()

    def finding(self, row: int) -> Finding | None:
        return self._findings[row] if 0 <= row < len(self._findings) else None

    def findings(self) -> list[Finding]:
        return list(self._findings)

    def rows(self) -> list[Any]:
        return self._findings

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        f = self.finding(index.row()) if index.isValid() else None
        if f is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return SEVERITY_LABELS[f.severity]
            if col == 1:
                return f.title
            return self._section_titles.get(f.section, f.section)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return severity_icon(f.severity)
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return plain_tooltip(f.title)
        if role == Qt.ItemDataRole.UserRole:
            return f
        return None


class FindingsView(QTreeView):
    """A flat, sortable-looking list of findings; emits `current_finding` when the selection changes."""

    current_finding = Signal(object)  # Finding | None

    def __init__(self, model: FindingsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAccessibleName("Findings")
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.selectionModel().currentRowChanged.connect(self._row_changed)
        model.modelReset.connect(self._after_reset)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        model = self.model()
        assert isinstance(model, FindingsModel)
        self.current_finding.emit(model.finding(current.row()) if current.isValid() else None)

    def _after_reset(self) -> None:
        model = self.model()
        if model.rowCount() > 0:
            self.setCurrentIndex(model.index(0, 0))
        else:
            self.current_finding.emit(None)

    def fitting_height(self, max_rows: int = 8) -> int:
        """Height that shows up to `max_rows` findings without scrolling (the splitter gives the rest away)."""
        rows = max(1, min(self.model().rowCount(), max_rows))
        row_h = self.sizeHintForRow(0) if self.model().rowCount() else self.fontMetrics().height() + 6
        return self.header().sizeHint().height() + rows * row_h + 2 * self.frameWidth() + 4

    def select_row(self, row: int) -> None:
        self.setCurrentIndex(self.model().index(row, 0))


class FindingDetail(QScrollArea):
    """The selected finding: title, severity, what we saw (evidence) and how to fix it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("findingDetail")
        lay = QVBoxLayout(body)
        lay.setContentsMargins(14, 8, 14, 8)
        lay.setSpacing(6)

        self.severity_label = plain_label(selectable=True)
        self.title_label = plain_label(wrap=True, selectable=True)
        self.title_label.setObjectName("findingTitle")
        f = QFont(self.title_label.font())
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.title_label.setFont(f)

        self.evidence_heading = _heading("What Deskside saw")
        self.evidence_label = plain_label(wrap=True, selectable=True)
        self.evidence_label.setObjectName("findingEvidence")
        self.fix_heading = _heading("How to fix it")
        self.fix_label = plain_label(wrap=True, selectable=True)
        self.fix_label.setObjectName("findingFix")
        self.meta_label = plain_label(wrap=True, selectable=True)
        self.meta_label.setStyleSheet("color: palette(placeholder-text);")

        # the fix first: it is what the user came for; the evidence below it
        for w in (self.severity_label, self.title_label, self.fix_heading, self.fix_label, self.evidence_heading,
                  self.evidence_label, self.meta_label):
            lay.addWidget(w)
        lay.addStretch(1)
        self.setWidget(body)
        self.show_finding(None)

    def show_finding(self, finding: Finding | None, section_title: str = "") -> None:
        has = finding is not None
        for w in (self.severity_label, self.evidence_heading, self.evidence_label, self.fix_heading,
                  self.fix_label, self.meta_label):
            w.setVisible(has)
        if finding is None:
            self.title_label.setText("Select a finding to see what was found and how to fix it.")
            return
        colour = SEVERITY_COLOURS.get(finding.severity, "#5b6272")
        self.severity_label.setText(SEVERITY_LABELS.get(finding.severity, finding.severity.label).upper())
        self.severity_label.setStyleSheet(f"color: {readable(colour)}; font-weight: bold;")
        self.title_label.setText(finding.title)
        evidence = [e for e in finding.evidence if str(e).strip()]
        self.evidence_label.setText("\n".join(f"• {e}" for e in evidence) if evidence else "(no details recorded)")
        self.fix_label.setText(finding.fix or "No fix is needed.")
        who = "You can do this yourself." if finding.self_service else "This needs your IT support or an admin."
        area = section_title or finding.section
        self.meta_label.setText(f"Area: {area} · Type: {finding.incident_type} · {who}")

    def show_message(self, text: str) -> None:
        self.show_finding(None)
        self.title_label.setText(text)


def _heading(text: str) -> QLabel:
    label = heading_label(text)
    label.setContentsMargins(0, 8, 0, 0)
    return label


def severity_counts(findings: list[Finding]) -> dict[Severity, int]:
    counts = {s: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    return counts
