"""The guided Get Help form: what happened, since when, who is affected, how urgent, what kind of problem, who
is asking; and the priority with its SLA targets, recomputed as the user answers (pure arithmetic, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from tickets.model import DEFAULT_SLA, PRIORITY_NAMES, SlaTarget, is_email, level_text, priority_of
from tickets.service import Draft

from .errors import MessageLine
from .plain import plain_label
from .theme import readable

SINCE = [("just now", "Just now"), ("today", "Today"), ("this week", "This week"), ("longer", "Longer")]
# (key, label, level on the 3-point scale: 1 = high)
AFFECTED = [("just me", "Just me", 3), ("my team", "My team", 2), ("everyone", "Everyone", 1)]
URGENCY = [("high", "High: I cannot work", 1), ("medium", "Medium: it slows me down", 2),
           ("low", "Low: it can wait", 3)]
INCIDENT_TYPES = [
    ("technical failure", "Technical failure: something stopped working"),
    ("software problem", "Software problem: an application misbehaves"),
    ("security breach", "Security: a virus, a phishing mail, a lost device"),
    ("request", "Request: I need something (access, software, a device)"),
]
PRIORITY_COLOURS = {1: "#c62828", 2: "#ef6c00", 3: "#f9a825", 4: "#2e7d32", 5: "#5b6272"}


def level_on_scale(level3: int, scale: int) -> int:
    """A 1..3 answer on the configured scale (3 or 5 levels): 1 -> 1, 2 -> middle, 3 -> lowest."""
    return level3 if scale == 3 else {1: 1, 2: 3, 3: 5}[level3]


class _Choice(QWidget):
    """A row of radio buttons; `value()` is the checked key."""

    changed = Signal()

    def __init__(self, choices: list[tuple[str, str]], default: str, name: str) -> None:
        super().__init__()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(14)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for key, label in choices:
            b = QRadioButton(label)
            b.setAccessibleName(f"{name}: {label}")
            self.group.addButton(b)
            self.buttons[key] = b
            lay.addWidget(b)
        lay.addStretch(1)
        self.buttons[default].setChecked(True)
        self.group.buttonToggled.connect(self._toggled)

    def _toggled(self, _b: QAbstractButton, checked: bool) -> None:
        if checked:
            self.changed.emit()

    def value(self) -> str:
        for key, b in self.buttons.items():
            if b.isChecked():
                return key
        return next(iter(self.buttons))

    def set_value(self, key: str) -> None:
        self.buttons[key].setChecked(True)


DETAILS_CHARS = 100  # the Details box's width in characters


class HelpForm(QWidget):
    """Signals: `changed()` on any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = 3
        self.sla: Mapping[int, SlaTarget] = dict(DEFAULT_SLA)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(9)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.summary = QLineEdit()
        self.summary.setMaxLength(250)
        self.summary.setPlaceholderText("In one sentence, e.g. “The VPN drops every ten minutes”")
        self.summary.setAccessibleName("What happened (required)")
        form.addRow("What happened? *", self.summary)
        self.details = QPlainTextEdit()
        self.details.setPlaceholderText("Optional: what you were doing, what you expected, what happened instead, "
                                        "the exact error message.")
        self.details.setAccessibleName("Details")
        self.details.setTabChangesFocus(True)
        self.details.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        # about DETAILS_CHARS characters a line: at 1920 px the box does not stretch to 1,500 px (lines that long
        # are hard to read and write); it still shrinks with a narrow window
        self.details.setMaximumWidth(self.details.fontMetrics().averageCharWidth() * DETAILS_CHARS
                                     + 2 * self.details.frameWidth() + 2 * int(self.details.document().documentMargin())
                                     + self.details.verticalScrollBar().sizeHint().width())
        form.addRow("Details", self.details)

        since_row = QWidget()
        sl = QHBoxLayout(since_row)
        sl.setContentsMargins(0, 0, 0, 0)
        self.since = _Choice(SINCE, "today", "Since when")
        self.since_text = QLineEdit()
        self.since_text.setPlaceholderText("e.g. since the update on Monday")
        self.since_text.setAccessibleName("Since when, in your words")
        sl.addWidget(self.since)
        sl.addWidget(self.since_text, 1)
        form.addRow("Since when?", since_row)
        self.affected = _Choice([(k, label) for k, label, _ in AFFECTED], "just me", "Who is affected")
        form.addRow("Who is affected?", self.affected)
        self.urgency = _Choice([(k, label) for k, label, _ in URGENCY], "medium", "How urgent")
        form.addRow("How urgent?", self.urgency)
        self.incident_type = QComboBox()
        for key, label in INCIDENT_TYPES:
            self.incident_type.addItem(label, key)
        self.incident_type.setAccessibleName("Kind of problem")
        form.addRow("Kind of problem", self.incident_type)

        who = QWidget()
        wl = QHBoxLayout(who)
        wl.setContentsMargins(0, 0, 0, 0)
        self.requester_name = QLineEdit()
        self.requester_name.setPlaceholderText("Your name")
        self.requester_name.setAccessibleName("Your name")
        self.requester_email = QLineEdit()
        self.requester_email.setPlaceholderText("your.name@example.org")
        self.requester_email.setAccessibleName("Your e-mail")
        self.requester_name.setAccessibleName("Your name (required)")
        self.requester_email.setAccessibleName("Your e-mail (required)")
        wl.addWidget(self.requester_name, 1)
        wl.addWidget(self.requester_email, 1)
        form.addRow("Your name and e-mail *", who)
        # what is wrong with them, right under the fields (empty and hidden while nothing is)
        errors = QWidget()
        el = QHBoxLayout(errors)
        el.setContentsMargins(0, 0, 0, 0)
        self.name_error = MessageLine(name="nameError")
        self.email_error = MessageLine(name="emailError")
        el.addWidget(self.name_error, 1)
        el.addWidget(self.email_error, 1)
        self.requester_errors = errors
        errors.setVisible(False)
        form.addRow("", errors)

        # priority and SLA, live
        box = QFrame()
        box.setObjectName("priorityBox")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        bl = QVBoxLayout(box)
        bl.setContentsMargins(10, 6, 10, 6)
        bl.setSpacing(2)
        self.priority_label = plain_label()
        self.priority_label.setObjectName("priorityLabel")
        pf = QFont(self.priority_label.font())
        pf.setBold(True)
        pf.setPointSizeF(pf.pointSizeF() * 1.15)
        self.priority_label.setFont(pf)
        self.sla_label = plain_label(wrap=True)
        self.sla_label.setObjectName("slaLabel")
        self.priority_why = plain_label(wrap=True, name="priorityWhy")  # impact and urgency in ITIL words
        bl.addWidget(self.priority_label)
        bl.addWidget(self.priority_why)
        bl.addWidget(self.sla_label)
        self.priority_box = box
        form.addRow("Priority", box)

        for w in (self.summary, self.since_text, self.requester_name, self.requester_email):
            w.textChanged.connect(self._changed)
        for w in (self.requester_name, self.requester_email):  # an error shown goes as soon as it is fixed
            w.textChanged.connect(self._recheck)
        self.details.textChanged.connect(self._changed)
        for c in (self.since, self.affected, self.urgency):
            c.changed.connect(self._changed)
        self.incident_type.currentIndexChanged.connect(self._changed)
        self._update_priority()

    # ---------------------------------------------------------------- policy
    def set_policy(self, scale: int, sla: Mapping[int, SlaTarget]) -> None:
        """The configured matrix size and SLA targets (`[tickets] scale`, `[tickets.sla.P1]`...)."""
        self.scale = scale
        self.sla = dict(sla)
        self._update_priority()

    def _changed(self, *_args: object) -> None:
        self._update_priority()
        self.changed.emit()

    # ---------------------------------------------------------------- values
    def impact(self) -> int:
        level = next(lv for k, _l, lv in AFFECTED if k == self.affected.value())
        return level_on_scale(level, self.scale)

    def urgency_level(self) -> int:
        level = next(lv for k, _l, lv in URGENCY if k == self.urgency.value())
        return level_on_scale(level, self.scale)

    def priority(self) -> int:
        return priority_of(self.impact(), self.urgency_level(), self.scale)

    def priority_text(self) -> str:
        p = self.priority()
        return f"P{p} {PRIORITY_NAMES[p]}"

    def sla_text(self) -> str:
        sla = self.sla.get(self.priority())
        return (sla.describe()[0].upper() + sla.describe()[1:]) if sla else ""

    def _update_priority(self) -> None:
        p = self.priority()
        self.priority_label.setText(f"{self.priority_text()}")
        self.priority_label.setStyleSheet(f"color: {readable(PRIORITY_COLOURS[p])};")
        self.priority_why.setText(f"Impact: {level_text('impact', self.impact(), self.scale)}. "
                                  f"Urgency: {level_text('urgency', self.urgency_level(), self.scale)}.")
        self.sla_label.setText(f"{self.sla_text()} (the targets your support team works to for this priority)")

    def is_complete(self) -> bool:
        return bool(self.summary.text().strip())

    def requester_problems(self) -> dict[QLineEdit, str]:
        """What is missing or wrong in the name and e-mail (the helpdesk answers there), by field."""
        problems: dict[QLineEdit, str] = {}
        if not self.requester_name.text().strip():
            problems[self.requester_name] = "Your name is needed: the support team asks for you by name."
        email = self.requester_email.text().strip()
        if not email:
            problems[self.requester_email] = "Your e-mail is needed: the support team answers there."
        elif not is_email(email):
            problems[self.requester_email] = f"“{email}” is not an e-mail address; write it as name@example.org."
        return problems

    def check_requester(self) -> bool:
        """Show what is wrong next to the fields (focus on the first); True when both are fine."""
        problems = self.requester_problems()
        self._show_requester(problems)
        if problems:
            next(iter(problems)).setFocus()
        return not problems

    def _recheck(self, *_args: object) -> None:
        if self.requester_errors.isVisibleTo(self):
            self._show_requester(self.requester_problems())

    def _show_requester(self, problems: dict[QLineEdit, str]) -> None:
        for field, label in ((self.requester_name, self.name_error), (self.requester_email, self.email_error)):
            if field in problems:
                label.show_error(problems[field])
                field.setStyleSheet("QLineEdit { border: 1px solid #c62828; }")
            else:
                label.setText("")
                field.setStyleSheet("")
        self.requester_errors.setVisible(bool(problems))

    def description(self) -> str:
        parts = [self.details.toPlainText().strip()]
        since = dict(SINCE)[self.since.value()].lower()
        extra = self.since_text.text().strip()
        lines = [f"Since when: {since}{' (' + extra + ')' if extra else ''}",
                 f"Who is affected: {dict((k, lb) for k, lb, _ in AFFECTED)[self.affected.value()].lower()}"]
        parts.append("\n".join(lines))
        return "\n\n".join(p for p in parts if p)

    def draft(self) -> Draft:
        return Draft(
            summary=self.summary.text().strip(),
            description=self.description(),
            incident_type=str(self.incident_type.currentData()),
            impact=self.impact(),
            urgency=self.urgency_level(),
            requester_name=self.requester_name.text().strip(),
            requester_email=self.requester_email.text().strip(),
        )

    def reset(self) -> None:
        for w in (self.summary, self.since_text):
            w.clear()
        self.details.clear()
        self.since.set_value("today")
        self.affected.set_value("just me")
        self.urgency.set_value("medium")
        self.incident_type.setCurrentIndex(0)
        self._show_requester({})  # name and e-mail are kept for the next ticket
