"""The Compliance page's table: one row per host (its scan state while scanning, its `HostResult` when done), and
the proxy that sorts and filters it (a text filter over host, target, OS and reasons; a status filter).

Every value is outside text (host names, reasons, errors) and is shown as plain text: the model gives strings to
Qt's item views (never rendered as HTML) and tooltips through `plain_tooltip`. Status is shown with a colour, a glyph
AND a word, never with colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QIcon

from fleet.evaluate import COMPLIANT, NON_COMPLIANT, UNKNOWN, HostResult
from fleet.inventory import InventoryHost

from .plain import plain_tooltip
from .style import state_icon
from .table_model import ColumnsModel, Index

_Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's status key (compliant, non-compliant, unknown, waiting...)

# status key -> (label, state_icon glyph state, colour)
STATUS: dict[str, tuple[str, str, str]] = {
    COMPLIANT: ("Compliant", "ok", "#2e7d32"),
    "warning": ("Non-compliant (warnings)", "timeout", "#b26a00"),
    NON_COMPLIANT: ("Non-compliant", "error", "#c62828"),
    UNKNOWN: ("Unknown", "skipped", "#5b6272"),
    "not-scanned": ("Not scanned", "pending", "#78818f"),
    "waiting": ("Waiting", "pending", "#78818f"),
    "connecting": ("Connecting…", "running", "#1e88e5"),
    "collecting": ("Collecting…", "running", "#1e88e5"),
}
# worst first, for sorting by status
STATUS_ORDER = {NON_COMPLIANT: 0, "warning": 1, UNKNOWN: 2, COMPLIANT: 3, "collecting": 4, "connecting": 5,
                "waiting": 6, "not-scanned": 7}
STATUS_FILTERS: list[tuple[str, set[str] | None]] = [
    ("All statuses", None),
    ("Needs attention (non-compliant or unknown)", {NON_COMPLIANT, "warning", UNKNOWN}),
    ("Non-compliant", {NON_COMPLIANT, "warning"}),
    ("Unknown", {UNKNOWN}),
    ("Compliant", {COMPLIANT}),
    ("Not scanned yet", {"not-scanned", "waiting", "connecting", "collecting"}),
]


@dataclass
class HostRow:
    name: str
    target: str
    groups: list[str]
    state: str = "not-scanned"  # before the result: not-scanned, waiting, connecting, collecting
    result: HostResult | None = None

    @property
    def status(self) -> str:
        if self.result is None:
            return self.state
        if self.result.status == NON_COMPLIANT and self.result.worst == "warning":
            return "warning"
        return self.result.status


def one_line(text: str) -> str:
    """Outside text in one table cell: control characters and line breaks become spaces."""
    return "".join(c if c.isprintable() else " " for c in text).strip()


def first_reason(r: HostResult | None) -> str:
    if r is None:
        return ""
    if r.reasons:
        return f"{r.reasons[0].severity}: {r.reasons[0].evidence}"
    return r.error or ("; ".join(r.notes) if r.notes else "")


def os_name(r: HostResult | None) -> str:
    eol = ((r.updates or {}).get("eol") or {}) if r else {}
    return str(eol.get("name") or " ".join(str(eol.get(k)) for k in ("os_id", "version") if eol.get(k)) or "")


def security_count(r: HostResult | None) -> int | None:
    if r is None or not r.updates:
        return None
    return int((r.updates.get("counts") or {}).get("security", 0))


def reboot_text(r: HostResult | None) -> str:
    if r is None or not r.updates:
        return ""
    required = (r.updates.get("reboot") or {}).get("required")
    return "required" if required is True else "no" if required is False else "cannot tell"


_DISPLAY, _ACCESSIBLE = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.AccessibleTextRole)
_DECORATION, _FOREGROUND = int(Qt.ItemDataRole.DecorationRole), int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT, _TOOLTIP = int(Qt.ItemDataRole.TextAlignmentRole), int(Qt.ItemDataRole.ToolTipRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@cache
def _status_look(status: str) -> tuple[QIcon, QColor]:
    _label, glyph, colour = STATUS.get(status, (status, "pending", "#5b6272"))
    return QIcon(state_icon(glyph)), QColor(colour)


class HostResultsModel(ColumnsModel):
    COLUMNS = ("Host", "Target", "Status", "Score", "Security updates", "Reboot", "OS", "Reason")
    HOST, TARGET, STATUS_COL, SCORE, SECURITY, REBOOT, OS, REASON = range(8)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[HostRow] = []
        self._cells: list[tuple[list[str], list[Any]]] = []
        self._index: dict[str, int] = {}

    # ------------------------------------------------------------ content
    def set_hosts(self, hosts: list[InventoryHost], state: str = "not-scanned") -> None:
        self.beginResetModel()
        self._rows = [HostRow(h.name, h.target(), list(h.groups), state) for h in hosts]
        self._index = {r.name: i for i, r in enumerate(self._rows)}
        self._cells = [self._compute(r) for r in self._rows]
        self.endResetModel()

    def set_results(self, results: list[HostResult]) -> None:
        """Rows for `results` (e.g. a finished scan), keeping hosts without a result as they are."""
        self.update_hosts([(r.name, "done", r) for r in results])

    def update_host(self, name: str, state: str, result: HostResult | None = None) -> None:
        self.update_hosts([(name, state, result)])

    def update_hosts(self, items: list[tuple[str, str, HostResult | None]]) -> None:
        """Apply many hosts' progress at once: one dataChanged for the lot, so a sorted view re-sorts once per
        delivery, not once per host (100 hosts must not stall the window)."""
        changed: list[int] = []
        for name, state, result in items:
            i = self._index.get(name)
            if i is None:
                if result is None:
                    continue
                self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
                self._rows.append(HostRow(name, result.target, list(result.groups)))
                self._cells.append(self._compute(self._rows[-1]))
                self._index[name] = i = len(self._rows) - 1
                self.endInsertRows()
            row = self._rows[i]
            if result is not None and row.result is result:
                continue  # already shown (the scan's final list repeats the results its progress delivered)
            if result is not None:
                row.result = result
                row.target = result.target or row.target
            else:
                row.state = state
            self._cells[i] = self._compute(row)
            changed.append(i)
        if changed:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), len(self.COLUMNS) - 1))

    def row(self, i: int) -> HostRow | None:
        return self._rows[i] if 0 <= i < len(self._rows) else None

    def rows(self) -> list[HostRow]:
        return list(self._rows)

    def results(self) -> list[HostResult]:
        return [r.result for r in self._rows if r.result is not None]

    def row_of(self, name: str) -> int:
        return self._index.get(name, -1)

    def _compute(self, row: HostRow) -> tuple[list[str], list[Any]]:
        """A row's cell texts and sort keys, computed once per change (the views ask for them very often)."""
        texts = [self._text(row, c) for c in range(len(self.COLUMNS))]
        return texts, [self._sort_key(row, c, texts[c]) for c in range(len(self.COLUMNS))]

    # ------------------------------------------------------------ Qt
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # no copy: the views ask very often
        return 0 if parent.isValid() else len(self._rows)

    def _text(self, row: HostRow, col: int) -> str:
        r = row.result
        if col == self.HOST:
            return one_line(row.name)
        if col == self.TARGET:
            return one_line(row.target)
        if col == self.STATUS_COL:
            return STATUS.get(row.status, (row.status, "", ""))[0]
        if col == self.SCORE:
            return "" if r is None or r.score is None else str(r.score)
        if col == self.SECURITY:
            n = security_count(r)
            return "" if n is None else str(n)
        if col == self.REBOOT:
            return reboot_text(r)
        if col == self.OS:
            return one_line(os_name(r))
        return one_line(first_reason(r))

    def _sort_key(self, row: HostRow, col: int, text: str) -> Any:
        r = row.result
        if col == self.STATUS_COL:
            return STATUS_ORDER.get(row.status, 99)
        if col == self.SCORE:
            return -1 if r is None or r.score is None else r.score
        if col == self.SECURITY:
            n = security_count(r)
            return -1 if n is None else n
        return text.casefold()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called thousands of times per repaint: plain int roles, cached texts, icons and colours.
        r = index.row()
        if not 0 <= r < len(self._rows):
            return None
        col = index.column()
        if role == _DISPLAY or role == _ACCESSIBLE:
            return self._cells[r][0][col]
        if role == SORT_ROLE:
            return self._cells[r][1][col]
        if col == self.STATUS_COL and (role == _DECORATION or role == _FOREGROUND):
            return _status_look(self._rows[r].status)[0 if role == _DECORATION else 1]
        if role == _ALIGNMENT:
            return _RIGHT if col in (self.SCORE, self.SECURITY) else None
        if role == STATUS_ROLE:
            return self._rows[r].status
        if role == _TOOLTIP:
            text = self._tooltip(self._rows[r], col)
            return plain_tooltip(text) if text else None
        return None

    def _tooltip(self, row: HostRow, col: int) -> str:
        r = row.result
        if col == self.REASON and r is not None:
            lines = [f"{x.severity}: {x.evidence}" for x in r.reasons] or ([r.error] if r.error else [])
            return "\n".join(lines[:10])
        if col == self.HOST:
            return f"{row.name}\nGroups: {', '.join(row.groups) or '(none)'}"
        return self._cells[self._index[row.name]][0][col] if col in (self.TARGET, self.OS) else ""


class HostFilterProxy(QSortFilterProxyModel):
    """Sorts by each column's natural order (numbers as numbers, status worst first) and keeps the rows whose text
    contains the filter text (host, target, OS, any reason or error) and whose status is among the chosen ones."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._text = ""
        self._statuses: set[str] | None = None

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_statuses(self, statuses: set[str] | None) -> None:
        self.beginFilterChange()
        self._statuses = statuses
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, HostResultsModel):
            return True
        row = model.row(source_row)
        if row is None:
            return False
        if self._statuses is not None and row.status not in self._statuses:
            return False
        if not self._text:
            return True
        r = row.result
        hay = [row.name, row.target, *row.groups, os_name(r)]
        if r is not None:
            hay += [x.evidence for x in r.reasons] + [x.rule for x in r.reasons] + [r.error or "", *r.notes]
        return any(self._text in h.casefold() for h in hay)
