"""Every section of a report, browsable: section -> data keys and values, with what was skipped and why."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from diagnostics.model import Report, Section

from .plain import plain_tooltip
from .style import state_icon, state_label

MAX_CHILDREN = 500  # a section with 20 000 log lines stays browsable; the rest is in the saved JSON/HTML
_LABEL_KEYS = ("name", "title", "unit", "device", "mountpoint", "interface", "id", "package", "path")


def format_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}" if value else "(empty)"
    if isinstance(value, (list, tuple)):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}" if value else "(none)"
    return str(value)


def _child_label(i: int, value: Any) -> str:
    if isinstance(value, dict):
        for k in _LABEL_KEYS:
            if isinstance(value.get(k), (str, int)) and str(value.get(k)):
                return str(value[k])
    return f"#{i + 1}"


class SectionsView(QTreeWidget):
    """A tree: one top-level item per section (title, status, duration), its data below, then its skips."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Item", "Value"])
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setAccessibleName("Sections")
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.header().setStretchLastSection(True)
        self.setColumnWidth(0, 300)

    def set_report(self, report: Report | None) -> None:
        self.clear()
        if report is None:
            return
        for section in report.sections.values():
            self.addTopLevelItem(self._section_item(section))
        first = self.topLevelItem(0)
        if first is not None:
            first.setExpanded(True)

    def section_item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == name:
                return item
        return None

    def _section_item(self, section: Section) -> QTreeWidgetItem:
        status = section.status.value
        item = QTreeWidgetItem([section.title, f"{state_label(status)} · {section.duration_s:.2f} s"])
        item.setData(0, Qt.ItemDataRole.UserRole, section.name)
        item.setIcon(0, state_icon(status))
        bold = QFont(self.font())
        bold.setBold(True)
        item.setFont(0, bold)
        if section.error:
            err = QTreeWidgetItem(["Error", section.error])
            err.setIcon(0, state_icon("error"))
            err.setToolTip(1, plain_tooltip(section.error))
            item.addChild(err)
        self._add_value(item, section.data)
        if section.skips:
            skipped = QTreeWidgetItem(["Skipped", f"{len(section.skips)} item{'s' if len(section.skips) != 1 else ''}"])
            skipped.setIcon(0, state_icon("skipped"))
            for s in section.skips:
                child = QTreeWidgetItem([s.item, s.reason])
                child.setToolTip(1, plain_tooltip(s.reason))
                skipped.addChild(child)
            item.addChild(skipped)
            skipped.setExpanded(True)
        item.setToolTip(0, plain_tooltip(f"{section.title}: {state_label(status)}"
                                         + (f" ({len(section.skips)} skipped)" if section.skips else "")))
        return item

    def _add_value(self, parent: QTreeWidgetItem, value: Any) -> None:
        if isinstance(value, dict):
            items = list(value.items())
            for k, v in items[:MAX_CHILDREN]:
                self._add_child(parent, str(k), v)
            rest = len(items) - MAX_CHILDREN
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value[:MAX_CHILDREN]):
                self._add_child(parent, _child_label(i, v), v)
            rest = len(value) - MAX_CHILDREN
        else:
            return
        if rest > 0:
            parent.addChild(QTreeWidgetItem(["…", f"{rest} more (save the report as JSON or HTML to see all)"]))

    def _add_child(self, parent: QTreeWidgetItem, key: str, value: Any) -> None:
        text = format_value(value)
        child = QTreeWidgetItem([key, text])
        if not isinstance(value, (dict, list, tuple)) and len(text) > 60:
            child.setToolTip(1, plain_tooltip(text[:2000]))
        parent.addChild(child)
        self._add_value(child, value)
