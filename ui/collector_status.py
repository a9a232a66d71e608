"""Each collector's state during and after a run: a grid of small badges with a reason tooltip."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLayout, QLayoutItem, QWidget

from diagnostics.model import Finding, Report, Severity

from .plain import plain_label, plain_tooltip
from .style import SEVERITY_LABELS, severity_icon, state_icon, state_label


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps to the next line when the width runs out (Qt's flow example),
    so long collector names are never cut off whatever the window width."""

    def __init__(self, parent: QWidget | None = None, h_spacing: int = 18, v_spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._h = h_spacing
        self._v = v_spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._do_layout(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._do_layout(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m: QMargins = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _do_layout(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x = area.x()
                y += line_height + self._v
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._h
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + m.bottom()


class CollectorBadge(QWidget):
    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.title = title
        self.state = "pending"
        self.reason = ""
        self.worst: Severity | None = None  # the worst problem found in its section (after the run)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(5)
        self.icon = plain_label()
        self.icon.setFixedSize(16, 16)
        self.text = plain_label()
        lay.addWidget(self.icon)
        lay.addWidget(self.text, 1)
        self.set_state("pending")

    def set_state(self, state: str, reason: str = "", findings: list[Finding] | None = None) -> None:
        """The collector's `state`; with the `findings` of its section, a collected section with a warning or a
        critical problem says so (never "ok" next to a critical finding)."""
        self.state = state
        self.reason = reason
        problems = [f for f in findings or [] if f.severity >= Severity.WARNING]
        self.worst = max((f.severity for f in problems), default=None)
        shown = state_label(state)
        if self.worst is not None and state in ("ok", "partial"):
            headline = problems_text(problems)
            shown = headline if state == "ok" else f"{shown}, {headline}"
            self.icon.setPixmap(severity_icon(self.worst).pixmap(16, 16))
        else:
            self.icon.setPixmap(state_icon(state).pixmap(16, 16))
        self.text.setText(f"{self.title}: {shown}")
        tip = f"{self.title} ({self.name}): {shown}"
        if self.worst is not None:
            tip += f" (collected: {state_label(state)})"
            tip += "".join(f"\n{SEVERITY_LABELS[f.severity]}: {f.title}"
                           for f in sorted(problems, key=lambda f: -int(f.severity))[:6])
        if reason:
            tip += f"\n{reason}"
        self.setToolTip(plain_tooltip(tip))
        self.setAccessibleName(tip)


def problems_text(problems: list[Finding]) -> str:
    """"1 critical problem, 2 warnings" for the findings of one section (warnings and worse)."""
    crit = sum(1 for f in problems if f.severity == Severity.CRITICAL)
    warn = sum(1 for f in problems if f.severity == Severity.WARNING)
    parts = ([f"{crit} critical problem{'s' if crit != 1 else ''}"] if crit else []) + \
        ([f"{warn} warning{'s' if warn != 1 else ''}"] if warn else [])
    return ", ".join(parts)


class CollectorStatus(QWidget):
    """Badges in collector order; `set_state(name, state)` while running, `apply_report()` adds the reasons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._flow = FlowLayout(self)
        self._badges: dict[str, CollectorBadge] = {}

    def reset(self, collectors: list[tuple[str, str]]) -> None:
        for badge in self._badges.values():
            self._flow.removeWidget(badge)
            badge.deleteLater()
        self._badges = {}
        for name, title in collectors:
            self._add(name, title)

    def _add(self, name: str, title: str) -> CollectorBadge:
        badge = CollectorBadge(name, title, self)
        self._flow.addWidget(badge)
        self._badges[name] = badge
        return badge

    def badge(self, name: str) -> CollectorBadge | None:
        return self._badges.get(name)

    def states(self) -> dict[str, str]:
        return {n: b.state for n, b in self._badges.items()}

    def titles_in_state(self, state: str) -> list[str]:
        return [b.title for b in self._badges.values() if b.state == state]

    def set_state(self, name: str, state: str, reason: str = "") -> None:
        badge = self._badges.get(name) or self._add(name, name.replace("_", " ").capitalize())
        badge.set_state(state, reason)

    def cancel_unfinished(self) -> None:
        for b in self._badges.values():
            if b.state in ("pending", "running"):
                b.set_state("cancelled", "the run was cancelled before this collector finished")

    def show_report(self, report: Report) -> None:
        """Badges for exactly the collectors of `report` (an earlier report shown again after a cancelled re-run)."""
        self.reset([(name, s.title) for name, s in report.sections.items()])
        self.apply_report(report)

    def apply_report(self, report: Report) -> None:
        by_section: dict[str, list[Finding]] = {}
        for f in report.findings:
            by_section.setdefault(f.section, []).append(f)
        for name, section in report.sections.items():
            reasons = []
            if section.error:
                reasons.append(section.error)
            reasons += [f"{s.item}: {s.reason}" for s in section.skips[:6]]
            if len(section.skips) > 6:
                reasons.append(f"… and {len(section.skips) - 6} more skipped items")
            badge = self._badges.get(name) or self._add(name, section.title)
            badge.title = section.title
            badge.set_state(section.status.value, "\n".join(reasons), by_section.get(name))
