"""The Compliance page's host table with its filter box and status filter: a QTableView over
`HostFilterProxy(HostResultsModel)`, sortable by every column; several rows can be selected (to patch them), the
current one is shown in the details."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .compliance_model import STATUS_FILTERS, HostFilterProxy, HostResultsModel, HostRow

FIXED = {2: 165, 3: 55, 4: 115, 5: 75}  # status, score, security updates, reboot
SHARES = {0: 0.22, 1: 0.26, 6: 0.22}  # host, target, OS: shares of the rest; the reason column gets the remainder
MIN_WIDTH = {0: 90, 1: 110, 6: 90}


class HostTable(QWidget):
    current_changed = Signal()  # another row is the current one

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        filt = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter hosts, reasons, OS… (Ctrl+F)")
        self.filter_edit.setAccessibleName("Filter")
        self.filter_edit.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status filter")
        for label, _statuses in STATUS_FILTERS:
            self.status_filter.addItem(label)
        filt.addWidget(self.filter_edit, 2)
        filt.addWidget(self.status_filter, 1)
        lay.addLayout(filt)
        self.model = HostResultsModel(self)
        self.proxy = HostFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.status_filter.currentIndexChanged.connect(lambda i: self.proxy.set_statuses(STATUS_FILTERS[i][1]))
        t = self.table = QTableView()
        t.setObjectName("complianceTable")
        t.setAccessibleName("Hosts")
        t.setModel(self.proxy)
        t.setSortingEnabled(True)
        t.sortByColumn(HostResultsModel.STATUS_COL, Qt.SortOrder.AscendingOrder)  # worst first
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # several hosts to patch
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setAlternatingRowColors(True)
        t.setWordWrap(False)
        t.verticalHeader().setVisible(False)
        t.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = t.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._fitting = False
        self._user_sized = False  # once the user drags a column, the widths are theirs
        header.sectionResized.connect(self._section_resized)
        t.selectionModel().currentRowChanged.connect(lambda _c, _p: self.current_changed.emit())
        lay.addWidget(t, 1)

    def _section_resized(self, _col: int, _old: int, _new: int) -> None:
        if not self._fitting and self.table.isVisible():
            self._user_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._user_sized:
            self.fit_columns()

    def fit_columns(self) -> None:
        """Column widths for the table's width: every column visible at 1100 px (the window's default size)."""
        self._fitting = True
        try:
            rest = max(0, self.table.viewport().width() - sum(FIXED.values()))
            for col, width in FIXED.items():
                self.table.setColumnWidth(col, width)
            for col, share in SHARES.items():
                self.table.setColumnWidth(col, max(MIN_WIDTH[col], int(rest * share)))
        finally:
            self._fitting = False

    def current_row(self) -> HostRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row(self.proxy.mapToSource(index).row())

    def selected_rows(self) -> list[HostRow]:
        rows = [self.model.row(self.proxy.mapToSource(i).row()) for i in self.table.selectionModel().selectedRows()]
        return [r for r in rows if r is not None]

    def select_host(self, name: str) -> bool:
        """Make the row of host `name` the current one (False when it is not shown)."""
        i = self.model.row_of(name)
        if i < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(i, 0))
        if not index.isValid():
            return False
        self.table.setCurrentIndex(index)
        return True
