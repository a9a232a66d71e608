""""My tickets": every sent ticket with its state at the helpdesk, the helpdesk's public replies and its SLA clock,
and Reply / Reopen / Escalate.

Asking the backends, redacting a reply and sending it run on worker threads through the task starter (the hub's
`follower()`); what the helpdesk wrote is shown as plain text only. What changed since the last look also raises a
desktop notification (the hub's `notify`). Signals: `status_message(str)`, `changed(list)` after each refresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from diagnostics.model import Report
from tickets.follow import Followed
from tickets.model import LEVEL_NAMES_3, LEVEL_NAMES_5
from tickets.service import Preview

from .errors import MessageLine
from .get_help_services import TicketsHub, prepare_material
from .plain import plain_label, plain_message_box, plain_tooltip
from .services import TaskHandle, TaskStarter, is_running
from .widgets import button, list_tree

COLUMNS = ["#", "Summary", "State", "Priority", "SLA", "Replies"]
COL_ID, COL_SUMMARY, COL_STATE, COL_PRIORITY, COL_SLA, COL_REPLIES = range(6)
Progress = Callable[[Any], None]


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def sla_text(v: Followed) -> str:
    return "—" if v.clock is None else v.clock.summary()


def detail_text(v: Followed) -> str:
    """Everything about one ticket as plain text (shown in a read-only plain-text box)."""
    e, t = v.entry, v.ticket
    lines = [f"#{e.id} {e.summary}", f"{e.backend or '-'} ticket {e.remote_id}  {e.remote_url}",
             f"Priority: {t.priority_label} (impact {t.level_name(t.impact)}, urgency {t.level_name(t.urgency)})"]
    lines += [f"  escalated {_when(at)} to P{p}: {reason}" for at, p, reason in v.escalations]
    if v.status is None:
        lines.append(f"State: {v.problem}")
        return "\n".join(lines)
    s = v.status
    lines.append(f"State: {s.state.value} ({s.backend_state} at the helpdesk)")
    if v.clock is not None and t.sla is not None:
        lines.append(f"SLA: {t.sla.describe()}")
        lines += [f"  {line}" for line in v.clock.lines()]
    lines.append("")
    if not s.replies:
        lines.append("No replies yet.")
    for r in s.replies:
        lines.append(f"— {_when(r.at)} {'you' if r.ours else (r.author or 'helpdesk')}:")
        lines += [f"    {line}" for line in r.text.splitlines()]
    return "\n".join(lines)


class EscalateDialog(QDialog):
    def __init__(self, v: Followed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Escalate ticket #{v.entry.id}")
        t = v.ticket
        names = LEVEL_NAMES_3 if t.scale == 3 else LEVEL_NAMES_5
        form = QFormLayout(self)
        form.addRow(plain_label(f"Now: {t.priority_label}. Raise the impact or the urgency and say why; the "
                                "priority is recomputed and set at the helpdesk.", wrap=True))
        self.impact, self.urgency = QComboBox(), QComboBox()
        for combo, current in ((self.impact, t.impact), (self.urgency, t.urgency)):
            for n in range(1, current + 1):  # only the same or higher levels
                combo.addItem(names[n], n)
            combo.setCurrentIndex(current - 1)
        self.impact.setObjectName("escalateImpact")
        self.urgency.setObjectName("escalateUrgency")
        self.reason = QLineEdit()
        self.reason.setObjectName("escalateReason")
        self.reason.setPlaceholderText("why it is more urgent now (the helpdesk reads it)")
        form.addRow("Impact", self.impact)
        form.addRow("Urgency", self.urgency)
        form.addRow("Reason", self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[int, int, str]:
        return int(self.impact.currentData()), int(self.urgency.currentData()), self.reason.text()


class MyTicketsView(QWidget):
    status_message = Signal(str)
    changed = Signal(list)

    def __init__(self, hub: TicketsHub, tasks: TaskStarter, report: Callable[[], Report | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hub = hub
        self._report = report  # the page's latest diagnostics report (for a fresh bundle with a reply)
        self._tasks = tasks
        self.views: list[Followed] = []
        self._task: TaskHandle | None = None
        self._action: TaskHandle | None = None
        #: Test seams: how the view asks for the reply text, confirms it, and asks for escalation values.
        self.ask_reply: Callable[[], str | None] = self._ask_reply
        self.confirm_reply: Callable[[Preview], bool] = self._confirm_reply
        self.ask_reason: Callable[[str], str | None] = self._ask_reason
        self.ask_escalation: Callable[[Followed], tuple[int, int, str] | None] = self._ask_escalation
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(plain_label("Your sent tickets as the helpdesk sees them: their state, the helpdesk's replies "
                                  "and the agreed response and resolution times.", wrap=True))
        self.tree = list_tree("myTicketsList", "My tickets", COLUMNS, (COL_ID, COL_STATE, COL_PRIORITY, COL_SLA,
                                                                        COL_REPLIES), self._selection_changed)
        self.tree.header().setSectionResizeMode(COL_SUMMARY, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.tree, 1)
        self.detail = QPlainTextEdit()  # plain text: replies are the helpdesk's words, never markup
        self.detail.setObjectName("myTicketDetail")
        self.detail.setReadOnly(True)
        lay.addWidget(self.detail, 1)
        bar = QHBoxLayout()
        self.refresh_button = button("Refresh", self.refresh, tip="Ask the helpdesk for the latest state and replies")
        self.reply_button = button("Reply…", self.reply_selected, tip="Answer the helpdesk (masked like a ticket)")
        self.reopen_button = button("Reopen…", self.reopen_selected, tip="The problem is back: reopen the ticket")
        self.escalate_button = button("Escalate…", self.escalate_selected,
                                      tip="Raise impact or urgency with a reason; the priority is updated")
        self.link_button = button("Open ticket", self.open_link)
        for b in (self.refresh_button, self.reply_button, self.reopen_button, self.escalate_button, self.link_button):
            bar.addWidget(b)
        self.attach_report = QCheckBox("Attach the latest diagnostics report to a reply")
        self.attach_report.setObjectName("myTicketsAttachReport")
        self.attach_report.setToolTip(plain_tooltip("A fresh bundle, masked like a ticket; you see it before sending"))
        bar.addWidget(self.attach_report)
        self.message = MessageLine(name="myTicketsMessage")
        bar.addWidget(self.message, 1)
        lay.addLayout(bar)
        self._selection_changed()

    # ---------------------------------------------------------------- loading
    def refresh(self) -> None:
        """Ask every backend again for the state and replies of the sent tickets (on a worker thread)."""
        if is_running(self._task):
            return
        follower, notify = self._hub.follower, self._hub.notify

        def job(_token: CancelToken, _progress: Progress) -> tuple[list[Followed], str | None]:
            views = follower().refresh_all()
            return views, notify([ch for v in views for ch in v.changes])

        self.message.setText("Asking the helpdesk…")
        self._task = self._tasks.start(job, name="my-tickets")
        self._task.succeeded.connect(self._refreshed)
        self._task.failed.connect(lambda exc: self._failed("Could not read your tickets", exc))

    def _refreshed(self, result: tuple[list[Followed], str | None]) -> None:
        views, problem = result
        self.set_views(views)
        if problem:
            self.status_message.emit(f"No desktop notification: {problem}")

    def set_views(self, views: list[Followed]) -> None:
        selected = self.selected_id()
        self.views = list(views)
        self.tree.clear()
        for v in reversed(self.views):  # newest first
            s = v.status
            replies = len(s.helpdesk_replies()) if s else 0
            new = sum(1 for ch in v.changes if ch.kind == "reply")
            row = QTreeWidgetItem([str(v.entry.id), v.entry.summary, s.state.value if s else "no status",
                                   f"P{v.ticket.priority}", sla_text(v),
                                   f"{replies}" + (f" ({new} new)" if new else "")])
            row.setData(COL_ID, Qt.ItemDataRole.UserRole, v.entry.id)
            row.setToolTip(COL_SUMMARY, plain_tooltip(v.entry.summary))
            if s is None:
                row.setToolTip(COL_STATE, plain_tooltip(v.problem))
            self.tree.addTopLevelItem(row)
            if v.entry.id == selected or (selected is None and self.tree.topLevelItemCount() == 1):
                self.tree.setCurrentItem(row)
        self.message.setText(f"{len(self.views)} sent ticket(s)" if self.views else "No sent tickets yet.")
        self._selection_changed()
        self.changed.emit(self.views)

    # ---------------------------------------------------------------- selection
    def selected_id(self) -> int | None:
        item = self.tree.currentItem()
        return None if item is None else int(item.data(COL_ID, Qt.ItemDataRole.UserRole))

    def select(self, entry_id: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(COL_ID, Qt.ItemDataRole.UserRole) == entry_id:
                self.tree.setCurrentItem(item)

    def selected(self) -> Followed | None:
        eid = self.selected_id()
        return next((v for v in self.views if v.entry.id == eid), None)

    def _busy(self) -> bool:
        return is_running(self._action)

    def _selection_changed(self) -> None:
        v = self.selected()
        self.detail.setPlainText(detail_text(v) if v else "")
        can = v is not None and v.status is not None and not self._busy()
        self.reply_button.setEnabled(can)
        self.reopen_button.setEnabled(can and v is not None and v.status is not None and v.status.state.finished)
        self.escalate_button.setEnabled(can and v is not None and v.status is not None
                                        and not v.status.state.finished)
        self.link_button.setEnabled(v is not None and bool(v.entry.remote_url))
        self.attach_report.setEnabled(self._report() is not None)

    def _failed(self, what: str, exc: BaseException) -> None:
        self.status_message.emit(self.message.show_failure(what, exc))
        self._selection_changed()

    # ---------------------------------------------------------------- actions
    def _run(self, name: str, job: Callable[[CancelToken, Progress], Any], done: Callable[[Any], None],
             failed: str) -> None:
        self._action = self._tasks.start(job, name=name)
        self._action.succeeded.connect(done)
        self._action.failed.connect(lambda exc: self._failed(failed, exc))
        self._selection_changed()

    def _ask_reply(self) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self, "Reply to the helpdesk", "Your reply:")
        return text if ok and text.strip() else None

    def _confirm_reply(self, preview: Preview) -> bool:
        box = plain_message_box(QMessageBox.Icon.Question, "Send this reply?",
                                f"This is what the helpdesk will get ({preview.redaction_summary()}):\n\n"
                                f"{preview.ticket.description}"
                                + (f"\n\nWith the bundle {preview.bundle.filename} ({preview.bundle.size} bytes: "
                                   f"{', '.join(sorted(preview.bundle.files))})" if preview.bundle else ""),
                                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        return bool(box.exec() == QMessageBox.StandardButton.Yes)

    def _ask_reason(self, title: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, "Why (sent to the helpdesk; may be empty):")
        return text if ok else None

    def _ask_escalation(self, v: Followed) -> tuple[int, int, str] | None:
        dlg = EscalateDialog(v, self)
        return dlg.values() if dlg.exec() == QDialog.DialogCode.Accepted else None

    def reply_selected(self) -> None:
        v = self.selected()
        text = self.ask_reply() if v is not None else None
        if v is None or text is None:
            return
        hub, eid = self._hub, v.entry.id
        report = self._report() if self.attach_report.isChecked() else None

        def job(_t: CancelToken, _p: Progress) -> Preview:
            material = prepare_material(report) if report is not None else None  # reads log files: on the worker
            return hub.follower().reply_preview(eid, text, report=material.report if material else None,
                                                logs=material.logs if material else None)

        self._run("reply-preview", job, self._reply_ready, "Could not prepare the reply")

    def _reply_ready(self, preview: Preview) -> None:
        v = self.selected()
        self._selection_changed()
        if v is None or not self.confirm_reply(preview):
            self.message.setText("Reply not sent.")
            return
        hub, eid = self._hub, v.entry.id
        self._run("reply-send", lambda _t, _p: hub.follower().send_reply(eid, preview),
                  lambda _r: self._done(f"Reply sent to ticket #{eid}."), "Could not send the reply")

    def reopen_selected(self) -> None:
        v = self.selected()
        reason = self.ask_reason(f"Reopen ticket #{v.entry.id}") if v is not None else None
        if v is None or reason is None:
            return
        hub, eid = self._hub, v.entry.id
        self._run("reopen", lambda _t, _p: hub.follower().reopen(eid, reason),
                  lambda _r: self._done(f"Ticket #{eid} reopened."), "Could not reopen the ticket")

    def escalate_selected(self) -> None:
        v = self.selected()
        values = self.ask_escalation(v) if v is not None else None
        if v is None or values is None:
            return
        impact, urgency, reason = values
        hub, eid = self._hub, v.entry.id
        self._run("escalate", lambda _t, _p: hub.follower().escalate(eid, impact=impact, urgency=urgency,
                                                                       reason=reason),
                  lambda esc: self._done(f"Ticket #{eid} escalated: P{esc.old_priority} -> "
                                         f"{esc.ticket.priority_label}."), "Could not escalate the ticket")

    def _done(self, text: str) -> None:
        self.message.show_ok(text)
        self.status_message.emit(text)
        self._action = None
        self.refresh()

    def open_link(self) -> None:
        v = self.selected()
        url = QUrl(v.entry.remote_url) if v is not None else QUrl()
        if url.isValid() and url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)
