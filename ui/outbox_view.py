"""The outbox: every ticket written by Deskside with its state, attempts, last error and link, and Retry/Discard.

Reading and changing the outbox (SQLite) and retrying (network) run on worker threads via the task runner.
Signals: `status_message(str)`, `changed(list)` with the entries after each refresh.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from tickets.outbox import EDITABLE_STATES, OPEN_STATES, OutboxEntry
from tickets.service import TicketService

from .errors import MessageLine
from .get_help_services import TicketsHub
from .plain import plain_label, plain_tooltip, rich_label
from .services import TaskHandle, TaskStarter, is_running
from .widgets import button, list_tree

STATE_LABELS = {
    "held": "waiting for a backend",
    "queued": "queued",
    "sending": "sending…",
    "retry": "will retry",
    "uncertain": "check the backend",
    "failed": "failed",
    "sent": "sent",
    "discarded": "discarded",
}
STATE_COLOURS = {"sent": "#2e7d32", "failed": "#c62828", "uncertain": "#ef6c00", "retry": "#ef6c00",
                 "held": "#1e88e5", "discarded": "#78818f"}
Progress = Callable[[Any], None]
COLUMNS = ["#", "Summary", "State", "Attempts", "Backend", "Link", "Details"]
COL_ID, COL_SUMMARY, COL_STATE, COL_ATTEMPTS, COL_BACKEND, COL_LINK, COL_DETAILS = range(7)


def safe_link(url: str) -> str:
    """An <a> for an http(s) URL (escaped), else the escaped text."""
    u = QUrl(url)
    if url and u.isValid() and u.scheme() in ("http", "https"):
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>'
    return html.escape(url)


def details_text(e: OutboxEntry, now: float | None = None) -> str:
    if e.state == "sent":
        return f"ticket {e.remote_id}" + (f" (note: {e.last_error})" if e.last_error else "")
    if e.state == "held":
        return f"bundle saved to {e.bundle_path}" if e.bundle_path else "no backend configured"
    if e.state == "retry" and e.next_attempt:
        wait = max(0, int(e.next_attempt - (time.time() if now is None else now)))
        return f"next try in {wait // 60} min {wait % 60} s: {e.last_error}" if wait >= 60 else \
            f"next try in {wait} s: {e.last_error}"
    return e.last_error


class OutboxView(QWidget):
    status_message = Signal(str)
    changed = Signal(list)

    def __init__(self, hub: TicketsHub, tasks: TaskStarter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks
        self.entries: list[OutboxEntry] = []
        self.last_message = ""
        self._task: TaskHandle | None = None
        self._action_task: TaskHandle | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(plain_label("Every ticket is kept here first and sent from here. Tickets that could not be "
                                  "sent are retried automatically; Retry sends the selected one now, Discard gives "
                                  "up on it (it stays listed for the record).", wrap=True))
        self.tree = list_tree("outboxList", "Outbox", COLUMNS, (COL_ID, COL_STATE, COL_ATTEMPTS, COL_BACKEND,
                                                                 COL_LINK), self._selection_changed)
        self.tree.setUniformRowHeights(True)
        hdr = self.tree.header()
        hdr.setSectionResizeMode(COL_SUMMARY, QHeaderView.ResizeMode.Interactive)
        hdr.resizeSection(COL_SUMMARY, 260)
        hdr.setStretchLastSection(True)
        self.tree.itemDoubleClicked.connect(lambda *_: self.open_link())
        lay.addWidget(self.tree, 1)
        self.detail = rich_label("outboxDetail")
        self.detail.linkActivated.connect(self._open_url)
        lay.addWidget(self.detail)
        bar = QHBoxLayout()
        self.refresh_button = button("Refresh", self.refresh)
        self.retry_button = button("Retry", self.retry_selected,
                                   tip="Send the selected ticket now (also a failed one, after fixing the settings)")
        self.discard_button = button("Discard", self.discard_selected,
                                     tip="Give up on the selected ticket; it is not sent any more")
        self.edit_button = button("Edit…", lambda: self.edit_selected(),
                                  tip="Change the summary of a ticket that was not sent (e.g. one the helpdesk "
                                      "refused), then Retry sends it")
        self.link_button = button("Open ticket", self.open_link)
        for b in (self.refresh_button, self.retry_button, self.edit_button, self.discard_button, self.link_button):
            bar.addWidget(b)
        self.message = MessageLine(name="outboxMessage")  # how the last action went
        bar.addWidget(self.message, 1)
        self.state_label = plain_label()
        bar.addWidget(self.state_label)
        lay.addLayout(bar)
        self._selection_changed()

    # ---------------------------------------------------------------- loading
    def refresh(self) -> None:
        """Read the outbox again (on a worker thread)."""
        if is_running(self._task):
            return
        hub = self._hub

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> list[OutboxEntry]:
            return hub.service().outbox_list()

        self._task = self._tasks.start(job, name="outbox-list")
        self._task.succeeded.connect(self.set_entries)
        self._task.failed.connect(lambda exc: self._failed("Could not read the outbox", exc))

    def set_entries(self, entries: list[OutboxEntry]) -> None:
        selected = self.selected_id()
        self.entries = list(entries)
        self.tree.clear()
        select = None
        for e in reversed(self.entries):  # newest first
            row = QTreeWidgetItem([str(e.id), e.summary, STATE_LABELS.get(e.state, e.state), str(e.attempts),
                                   e.backend or "—", e.remote_url, details_text(e)])
            row.setData(COL_ID, Qt.ItemDataRole.UserRole, e.id)
            row.setToolTip(COL_DETAILS, plain_tooltip(e.describe_state()))
            row.setToolTip(COL_SUMMARY, plain_tooltip(e.summary))
            colour = STATE_COLOURS.get(e.state)
            if colour:
                row.setForeground(COL_STATE, _brush(colour))
            self.tree.addTopLevelItem(row)
            if e.id == selected:
                select = row
        if select is None and self.tree.topLevelItemCount():
            select = self.tree.topLevelItem(0)
        if select is not None:
            self.tree.setCurrentItem(select)
        waiting = sum(1 for e in self.entries if e.state in OPEN_STATES)
        self.state_label.setText(f"{len(self.entries)} ticket{'s' if len(self.entries) != 1 else ''}, "
                                 f"{waiting} not sent")
        self._selection_changed()
        self.changed.emit(self.entries)

    # ---------------------------------------------------------------- selection
    def selected_id(self) -> int | None:
        item = self.tree.currentItem()
        return int(item.data(COL_ID, Qt.ItemDataRole.UserRole)) if item is not None else None

    def select(self, entry_id: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            if it is not None and it.data(COL_ID, Qt.ItemDataRole.UserRole) == entry_id:
                self.tree.setCurrentItem(it)
                return

    def entry(self, entry_id: int | None) -> OutboxEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def _busy(self) -> bool:
        return is_running(self._action_task)

    def _selection_changed(self) -> None:
        e = self.entry(self.selected_id())
        busy = self._busy()
        self.retry_button.setEnabled(e is not None and e.state not in ("sent", "discarded", "sending") and not busy)
        self.discard_button.setEnabled(e is not None and e.state not in ("sent", "discarded", "sending")
                                       and not busy)
        self.edit_button.setEnabled(e is not None and e.state in EDITABLE_STATES and not busy)
        self.link_button.setEnabled(e is not None and QUrl(e.remote_url).scheme() in ("http", "https"))
        if e is None:
            self.detail.setText("")
            return
        parts = [f"<b>#{e.id} {html.escape(e.summary)}</b> — {html.escape(STATE_LABELS.get(e.state, e.state))}"]
        if e.remote_url:
            parts.append(f"Ticket {html.escape(e.remote_id)}: {safe_link(e.remote_url)}")
        elif e.state == "sent":
            parts.append(f"Ticket {html.escape(e.remote_id)}")
        if e.bundle_path:
            parts.append(f"Support bundle: {html.escape(e.bundle_path)}")
        if e.last_error:
            parts.append(html.escape(e.describe_state()))
        self.detail.setText("<br>".join(parts))

    # ---------------------------------------------------------------- actions
    def _say(self, text: str) -> None:
        self.last_message = text
        self.message.setText(text)
        self.status_message.emit(text)

    def _failed(self, what: str, exc: BaseException) -> None:
        self.last_message = self.message.show_failure(what, exc)
        self.status_message.emit(self.last_message)

    def retry_selected(self) -> None:
        def retry(svc: TicketService, entry_id: int, token: CancelToken, progress: Progress) -> OutboxEntry:
            def report(message: str, fraction: float | None = None) -> None:
                progress((message, fraction))

            return svc.retry(entry_id, cancel=token, progress=report)

        self._act("retry", retry, self._retried, "Not sent", "Sending ticket #{id}…")

    def _retried(self, e: OutboxEntry) -> None:
        if e.state == "sent":
            self._say(f"Ticket #{e.id} sent: the helpdesk's number is {e.remote_id} {e.remote_url}".rstrip())
        else:
            self._say(f"Ticket #{e.id} not sent ({STATE_LABELS.get(e.state, e.state)}): {e.last_error}")

    def edit_selected(self, summary: str | None = None) -> None:
        """Change the selected (unsent) ticket's summary: asked for in a dialog unless given. The new text is
        redacted like a new ticket's; a failed ticket becomes queued, and Retry sends it."""
        e = self.entry(self.selected_id())
        if e is None or e.state not in EDITABLE_STATES or self._busy():
            return
        if summary is None:
            text, ok = QInputDialog.getText(self, "Edit ticket", f"Summary of ticket #{e.id} (it is masked again "
                                            "before it is sent):", text=e.summary)
            if not ok:
                return
            summary = text
        new = summary

        def edited(done: OutboxEntry) -> None:
            self._say(f"Ticket #{done.id} edited; it is now {STATE_LABELS.get(done.state, done.state)}: "
                      "press Retry to send it.")

        self._act("edit", lambda svc, entry_id, _token, _progress: svc.edit(entry_id, summary=new), edited,
                  "Not edited")

    def discard_selected(self) -> None:
        self._act("discard", lambda svc, entry_id, _token, _progress: svc.discard(entry_id),
                  lambda e: self._say(f"Discarded ticket #{e.id}."), "Not discarded")

    def _act(self, name: str, call: Callable[[TicketService, int, CancelToken, Progress], OutboxEntry],
             done: Callable[[OutboxEntry], None], failed: str, saying: str = "") -> None:
        """Run `call` on the selected ticket on a worker; `done` gets the changed entry, a failure is shown as
        `failed`: why."""
        entry_id = self.selected_id()
        if entry_id is None or self._busy():
            return
        hub = self._hub

        def job(token: CancelToken, progress: Progress) -> OutboxEntry:
            return call(hub.service(), entry_id, token, progress)

        if saying:
            self._say(saying.format(id=entry_id))
        task = self._tasks.start(job, name=f"{name}-{entry_id}")
        task.succeeded.connect(done)
        task.failed.connect(lambda exc: self._failed(failed, exc))
        task.progress.connect(lambda items: self._say(str(items[-1][0])))
        task.finished.connect(self._action_finished)
        self._action_task = task
        self._selection_changed()

    def _action_finished(self) -> None:
        self._action_task = None
        self.refresh()

    def open_link(self) -> None:
        e = self.entry(self.selected_id())
        if e is not None and e.remote_url:
            self._open_url(e.remote_url)

    def _open_url(self, url: str) -> None:
        # Only web pages: a ticket URL comes from the backend's answer (a file: URL would open a local
        # file, or run a program, with the desktop's default handler).
        u = QUrl(url)
        if u.isValid() and u.scheme() in ("http", "https"):
            QDesktopServices.openUrl(u)


def _brush(colour: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))
