"""The preview step of a new ticket and what drives it: build the preview on a worker (reads logs, masks values;
rebuilt when a switch or the keywords change, stale results dropped), show it, send it, cancel a send.

Failures arrive as exceptions from the task runner and are shown in the step's message line (ui/errors.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QStyle, QVBoxLayout, QWidget

from common.cancel import CancelToken
from diagnostics.model import Report
from tickets.outbox import OutboxEntry
from tickets.service import Draft, Preview, TicketService

from .errors import MessageLine
from .get_help_report import partial_note
from .get_help_services import ReportMaterial, TicketsHub, backend_title, prepare_material
from .plain import heading_label
from .redaction_preview import RedactionPreview
from .services import TaskHandle, TaskStarter, is_running
from .widgets import button


@dataclass
class _PreviewResult:
    seq: int
    preview: Preview
    material: ReportMaterial | None
    report: Report | None


class PreviewStep(QWidget):
    """Signals: `status_message(str)`; `preview_ready(object)` with each new Preview; `sent(object)` with the
    OutboxEntry of a send that returned; `send_finished(object)` with the OutboxEntry (None on failure or cancel);
    `back()` for "Back to the form"; `busy_changed()` when a preview or a send starts or ends."""

    status_message = Signal(str)
    preview_ready = Signal(object)
    sent = Signal(object)
    send_finished = Signal(object)
    back = Signal()
    busy_changed = Signal()

    def __init__(self, hub: TicketsHub, tasks: TaskStarter, service: Callable[[], TicketService | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks
        self._service = service
        self.preview: Preview | None = None
        self._inputs: tuple[Draft, Report | None, str | None] | None = None
        self._material: tuple[Report, ReportMaterial] | None = None
        self._uid: str | None = None
        self._seq = 0
        self._preview_task: TaskHandle | None = None
        self._send_task: TaskHandle | None = None
        self.extra_logs: dict[str, str] = {}  # files attached besides the report's excerpts (a crash log), by name
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 8, 4, 4)
        self.preview_header = heading_label(wrap=True)
        self.preview_header.setObjectName("previewHeader")
        lay.addWidget(self.preview_header)
        self.redaction = RedactionPreview()
        self.redaction.disabled_changed.connect(lambda _d: self.rebuild())
        self.redaction.keywords_changed.connect(lambda _k: self.rebuild())
        lay.addWidget(self.redaction, 1)
        bar = QHBoxLayout()
        self.back_button = button("← Back to the form", self.back)
        bar.addWidget(self.back_button)
        self.send_progress = QProgressBar()
        self.send_progress.setRange(0, 0)
        self.send_progress.setMaximumWidth(180)
        self.send_progress.setVisible(False)
        self.send_state = MessageLine(name="sendState")
        bar.addWidget(self.send_progress)
        bar.addWidget(self.send_state, 1)
        self.cancel_button = button("Cancel", self.cancel_send)
        self.cancel_button.setVisible(False)
        bar.addWidget(self.cancel_button)
        self.send_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowForward), "Send")
        self.send_button.clicked.connect(self.send)
        bar.addWidget(self.send_button)
        lay.addLayout(bar)
        self.update_buttons()

    # ---------------------------------------------------------------- state
    def sending(self) -> bool:
        return is_running(self._send_task)

    def previewing(self) -> bool:
        return is_running(self._preview_task)

    def update_buttons(self) -> None:
        self.send_button.setEnabled(self._service() is not None and self.preview is not None
                                    and not self.previewing() and not self.sending())
        self.back_button.setEnabled(not self.sending())
        self.redaction.set_busy(self.previewing() or self.sending())

    def _changed(self) -> None:
        self.update_buttons()
        self.busy_changed.emit()

    def forget(self) -> None:
        """A new ticket: the next preview gets a new ticket reference and no switches."""
        self.preview = None
        self._uid = None
        self._inputs = None
        self.redaction.keywords_edit.clear()
        self.update_buttons()

    # ---------------------------------------------------------------- preview
    def start(self, draft: Draft, report: Report | None, backend: str | None) -> None:
        """Preview what `draft` (with `report`) would send to `backend`, from scratch."""
        self.preview = None
        self._inputs = (draft, report, backend)
        self.rebuild()

    def rebuild(self) -> None:
        """Build the preview again (after a switch or keywords changed) on a worker; stale results are dropped."""
        if self._inputs is None:
            return
        draft, report, backend = self._inputs
        partial = partial_note(report) if report is not None else ""
        if partial:  # the helpdesk reads it too: the report is not a complete picture
            draft = dataclasses.replace(draft, description="\n\n".join(
                p for p in (draft.description.strip(), f"Note: the attached diagnostics report is partial ({partial})."
                            ) if p))
        extra = dict(self.extra_logs)
        hub = self._hub
        cached = self._material[1] if (self._material is not None and self._material[0] is report) else None
        disabled = self.redaction.disabled() if self.preview is not None else frozenset()
        keywords = self.redaction.keywords()
        uid = self._uid
        self._seq += 1
        seq = self._seq

        def job(_token: CancelToken, progress: Callable[[Any], None]) -> _PreviewResult:
            svc = hub.service()
            material = cached
            if report is not None and material is None:
                progress("Reading the log excerpts the findings point to…")
                material = prepare_material(report)
            progress("Masking personal data and secrets…")
            logs = {**(material.logs if material else {}), **extra}
            p = svc.build_preview(draft, report=material.report if material else None,
                                  logs=logs or None, disabled=disabled,
                                  keywords=keywords, backend=backend, uid=uid)
            return _PreviewResult(seq, p, material, report)

        self.send_state.setText("Preparing the preview…")
        self.send_progress.setVisible(True)
        task = self._tasks.start(job, name="ticket-preview")
        task.progress.connect(lambda items: self.send_state.setText(str(items[-1])))
        task.succeeded.connect(self._preview_built)
        task.failed.connect(lambda exc, s=seq: self._preview_failed(s, exc))
        task.finished.connect(self._changed)
        self._preview_task = task
        self._changed()

    def _preview_built(self, result: _PreviewResult) -> None:
        if result.seq != self._seq:
            return
        p = result.preview
        if result.material is not None and result.report is not None:
            self._material = (result.report, result.material)
        self.preview = p
        self._uid = p.ticket.uid
        self.send_progress.setVisible(False)
        self.redaction.set_preview(p)
        t = p.ticket
        svc = self._service()
        dest = f"to {backend_title(svc, p.backend)}" if (p.backend and svc) else \
            "to the outbox only (no backend configured)"
        sla = t.sla.describe() if t.sla else ""
        partial = partial_note(result.report) if result.report is not None else ""
        note = f" — with a PARTIAL diagnostics report ({partial})" if partial else ""
        self.preview_header.setText(f"“{t.summary}” — {t.priority_label}, {sla}; {t.incident_type.value}; {dest}"
                                    f"{note}")
        self.send_state.setText("Check what will be sent, then press Send.")
        self.update_buttons()
        self.preview_ready.emit(p)

    def _preview_failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._seq:
            return
        self.send_progress.setVisible(False)
        text = self.send_state.show_failure("The preview could not be built", exc)
        self.status_message.emit(text)

    # ---------------------------------------------------------------- send
    def send(self) -> None:
        p = self.preview
        if p is None or self.sending() or self.previewing():
            return
        hub = self._hub

        def job(token: CancelToken, progress: Callable[[Any], None]) -> OutboxEntry:
            def report(message: str, _fraction: float | None = None) -> None:
                progress(message)

            return hub.service().submit(p, cancel=token, progress=report)

        self.send_progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.send_state.setText("Saving to the outbox and sending…")
        self.status_message.emit("Sending the ticket…")
        task = self._tasks.start(job, name="ticket-send")
        task.progress.connect(lambda items: self.send_state.setText(str(items[-1])))
        task.succeeded.connect(self._sent)
        task.failed.connect(self._send_failed)
        task.cancelled.connect(self._send_cancelled)
        task.finished.connect(self._send_done)
        self._send_task = task
        self._changed()

    def cancel_send(self) -> None:
        if self._send_task is not None and self._send_task.running:
            self._send_task.cancel()
            self.cancel_button.setEnabled(False)
            self.send_state.setText("Cancelling… a request already on its way finishes or times out first; "
                                    "the ticket stays in the outbox either way.")

    def _send_done(self) -> None:
        self.send_progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self._changed()

    def _sent(self, e: OutboxEntry) -> None:
        self.preview = None
        self._uid = None
        self.sent.emit(e)
        self.send_finished.emit(e)

    def _send_failed(self, exc: BaseException) -> None:
        self.status_message.emit(self.send_state.show_failure("Not sent", exc))
        self.send_finished.emit(None)

    def _send_cancelled(self) -> None:
        self.preview = None
        self._uid = None
        self.send_state.setText("Cancelled. The ticket was already written to the outbox and stays there: "
                                "retry or discard it in the Outbox tab.")
        self.status_message.emit("Sending cancelled; the ticket stays in the outbox")
        self.send_finished.emit(None)
