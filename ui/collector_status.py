"""Each collector's state during and after a run: a grid of small badges with a reason tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from diagnostics.model import Report

from .style import state_icon, state_label

COLUMNS = 6


class CollectorBadge(QWidget):
    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.title = title
        self.state = "pending"
        self.reason = ""
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(5)
        self.icon = QLabel()
        self.icon.setFixedSize(16, 16)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.icon)
        lay.addWidget(self.text, 1)
        self.set_state("pending")

    def set_state(self, state: str, reason: str = "") -> None:
        self.state = state
        self.reason = reason
        self.icon.setPixmap(state_icon(state).pixmap(16, 16))
        self.text.setText(f"{self.title}: {state_label(state)}")
        tip = f"{self.title} ({self.name}): {state_label(state)}"
        if reason:
            tip += f"\n{reason}"
        self.setToolTip(tip)
        self.setAccessibleName(tip)


class CollectorStatus(QWidget):
    """Badges in collector order; `set_state(name, state)` while running, `apply_report()` adds the reasons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(18)
        self._grid.setVerticalSpacing(4)
        self._badges: dict[str, CollectorBadge] = {}

    def reset(self, collectors: list[tuple[str, str]]) -> None:
        for badge in self._badges.values():
            self._grid.removeWidget(badge)
            badge.deleteLater()
        self._badges = {}
        for name, title in collectors:
            self._add(name, title)

    def _add(self, name: str, title: str) -> CollectorBadge:
        badge = CollectorBadge(name, title, self)
        i = len(self._badges)
        self._grid.addWidget(badge, i // COLUMNS, i % COLUMNS)
        self._badges[name] = badge
        return badge

    def badge(self, name: str) -> CollectorBadge | None:
        return self._badges.get(name)

    def states(self) -> dict[str, str]:
        return {n: b.state for n, b in self._badges.items()}

    def set_state(self, name: str, state: str, reason: str = "") -> None:
        badge = self._badges.get(name) or self._add(name, name.replace("_", " ").capitalize())
        badge.set_state(state, reason)

    def cancel_unfinished(self) -> None:
        for b in self._badges.values():
            if b.state in ("pending", "running"):
                b.set_state("cancelled", "the run was cancelled before this collector finished")

    def apply_report(self, report: Report) -> None:
        for name, section in report.sections.items():
            reasons = []
            if section.error:
                reasons.append(section.error)
            reasons += [f"{s.item}: {s.reason}" for s in section.skips[:6]]
            if len(section.skips) > 6:
                reasons.append(f"… and {len(section.skips) - 6} more skipped items")
            badge = self._badges.get(name) or self._add(name, section.title)
            badge.title = section.title
            badge.set_state(section.status.value, "\n".join(reasons))
