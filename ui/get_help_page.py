"""The Get Help page: describe the problem in a guided form, see the priority and SLA targets, include the last
diagnostics report, preview exactly what will be sent (with every masked value and a switch per value), send it,
and follow every ticket in the outbox.

Nothing here blocks the GUI thread: loading the ticket service, building the preview (reads logs, redacts), sending
and reading the outbox all run on worker threads through the injected task starter. The services come from
`desktop/` (a `TicketsHub`); the page imports no network, keyring or system library.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from diagnostics.model import Report
from tickets.cancel import CancelToken
from tickets.errors import TicketError
from tickets.outbox import OPEN_STATES, OutboxEntry, OutboxError
from tickets.service import Draft, Preview, TicketService

from .backends_settings import BackendsDialog
from .get_help_form import HelpForm
from .get_help_services import ReportMaterial, TicketsHub, prepare_material, ticket_job
from .outbox_view import STATE_LABELS, OutboxView, safe_link
from .redaction_preview import RedactionPreview
from .services import TaskHandle, TaskStarter
from .style import plain_tooltip, severity_icon

AUTO_RETRY_MS = 60_000
STEP_FORM, STEP_PREVIEW, STEP_RESULT = range(3)


@dataclass
class _PreviewResult:
    seq: int
    preview: Preview
    material: ReportMaterial | None
    report: Report | None


def _plain(text: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    return label


def _heading(text: str, scale: float = 1.5) -> QLabel:
    label = _plain(text)
    f = QFont(label.font())
    f.setPointSizeF(f.pointSizeF() * scale)
    f.setBold(True)
    label.setFont(f)
    return label


def _when(iso: str) -> str:
    """An ISO 8601 time as local "YYYY-MM-DD HH:MM" (the text as it is when it cannot be read)."""
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _backend_title(svc: TicketService, name: str) -> str:
    type_ = str(svc.backends.get(name, {}).get("type", ""))
    try:
        from tickets.connectors import connector_class

        title = connector_class(type_).title
    except (TicketError, ImportError):
        title = type_
    return f"{name} ({title})" if title else name


class GetHelpPage(QWidget):
    """Signals: `status_message(str)`; `service_ready()` after the ticket settings are (re)loaded;
    `preview_ready(object)` with each new Preview; `send_finished(object)` with the OutboxEntry (None on failure)."""

    status_message = Signal(str)
    service_ready = Signal()
    preview_ready = Signal(object)
    send_finished = Signal(object)

    def __init__(
        self,
        hub: TicketsHub,
        tasks: TaskStarter,
        last_report: Callable[[], Report | None] | None = None,
        run_diagnostics: Callable[[], None] | None = None,
        parent: QWidget | None = None,
        test_timeout: float = 15.0,
    ) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks
        self._last_report = last_report
        self._run_diagnostics = run_diagnostics
        self._test_timeout = test_timeout
        self.service: TicketService | None = None
        self.service_error = ""
        self.report: Report | None = last_report() if last_report is not None else None
        self._material: tuple[Report, ReportMaterial] | None = None
        self.preview: Preview | None = None
        self.last_entry: OutboxEntry | None = None
        self._uid: str | None = None
        self._seq = 0
        self._load_task: TaskHandle | None = None
        self._preview_task: TaskHandle | None = None
        self._send_task: TaskHandle | None = None
        self._due_task: TaskHandle | None = None
        self.settings_dialog: BackendsDialog | None = None
        self._diag_running = False
        self._build()
        self._show_report()
        self._update_buttons()
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(AUTO_RETRY_MS)
        self.retry_timer.timeout.connect(self.process_due)
        self.reload_service()

    # ================================================================ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.setSpacing(8)
        top = QHBoxLayout()
        top.addWidget(_heading("Get Help"))
        top.addStretch(1)
        self.settings_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView),
                                           "Support backends…")
        self.settings_button.setToolTip("Where tickets are sent: helpdesk systems, e-mail, credentials")
        self.settings_button.clicked.connect(self.open_settings)
        top.addWidget(self.settings_button)
        outer.addLayout(top)
        outer.addWidget(_plain("Tell your support team what went wrong. You see exactly what will be sent, with "
                               "personal data and secrets masked, before anything leaves this computer.", wrap=True))
        self.tabs = QTabWidget()
        self.steps = QStackedWidget()
        self.steps.addWidget(self._form_step())
        self.steps.addWidget(self._preview_step())
        self.steps.addWidget(self._result_step())
        self.tabs.addTab(self.steps, "New ticket")
        self.outbox = OutboxView(self._hub, self._tasks)
        self.outbox.status_message.connect(self._status)
        self.outbox.changed.connect(self._outbox_changed)
        self.tabs.addTab(self.outbox, "Outbox")
        outer.addWidget(self.tabs, 1)

    def _form_step(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(4, 8, 8, 4)
        self.form = HelpForm()
        self.form.changed.connect(self._update_buttons)
        lay.addWidget(self.form)

        self.findings_box = QGroupBox("Diagnostics to include")
        fl = QVBoxLayout(self.findings_box)
        self.report_label = QLabel()
        self.report_label.setObjectName("reportLabel")
        self.report_label.setTextFormat(Qt.TextFormat.RichText)
        self.report_label.setWordWrap(True)
        self.report_label.linkActivated.connect(self._report_link)
        fl.addWidget(self.report_label)
        self.findings_list = QListWidget()
        self.findings_list.setObjectName("includedFindings")
        self.findings_list.setAccessibleName("Findings included")
        fl.addWidget(self.findings_list)
        self.include_box = QCheckBox("Attach the diagnostics report and the log excerpts its findings point to "
                                     "(masked as shown in the preview)")
        self.include_box.setChecked(True)
        fl.addWidget(self.include_box)
        lay.addWidget(self.findings_box)

        dest = QHBoxLayout()
        dest.addWidget(_plain("Send to:"))
        self.backend_combo = QComboBox()
        self.backend_combo.setAccessibleName("Support backend")
        self.backend_combo.setMinimumContentsLength(24)
        self.backend_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        dest.addWidget(self.backend_combo)
        self.destination_label = _plain(wrap=True)
        self.destination_label.setObjectName("destinationLabel")
        dest.addWidget(self.destination_label, 1)
        lay.addLayout(dest)

        row = QHBoxLayout()
        self.form_error = _plain(wrap=True)
        self.form_error.setStyleSheet("color: #c62828;")
        row.addWidget(self.form_error, 1)
        self.preview_button = QPushButton("Preview what will be sent…")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.show_preview)
        row.addWidget(self.preview_button)
        lay.addLayout(row)
        lay.addStretch(1)
        scroll.setWidget(inner)
        return scroll

    def _preview_step(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 8, 4, 4)
        self.preview_header = _plain(wrap=True)
        self.preview_header.setObjectName("previewHeader")
        hf = QFont(self.preview_header.font())
        hf.setBold(True)
        self.preview_header.setFont(hf)
        lay.addWidget(self.preview_header)
        self.redaction = RedactionPreview()
        self.redaction.disabled_changed.connect(lambda _d: self.rebuild_preview())
        self.redaction.keywords_changed.connect(lambda _k: self.rebuild_preview())
        lay.addWidget(self.redaction, 1)
        bar = QHBoxLayout()
        self.back_button = QPushButton("← Back to the form")
        self.back_button.clicked.connect(lambda: self.steps.setCurrentIndex(STEP_FORM))
        bar.addWidget(self.back_button)
        self.send_progress = QProgressBar()
        self.send_progress.setRange(0, 0)
        self.send_progress.setMaximumWidth(180)
        self.send_progress.setVisible(False)
        self.send_state = _plain(wrap=True)
        self.send_state.setObjectName("sendState")
        bar.addWidget(self.send_progress)
        bar.addWidget(self.send_state, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_send)
        self.cancel_button.setVisible(False)
        bar.addWidget(self.cancel_button)
        self.send_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowForward), "Send")
        self.send_button.clicked.connect(self.send)
        bar.addWidget(self.send_button)
        lay.addLayout(bar)
        return w

    def _result_step(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(24, 24, 24, 12)
        self.result_icon = QLabel()
        self.result_title = _heading("", 1.3)
        self.result_title.setObjectName("resultTitle")
        head = QHBoxLayout()
        head.addWidget(self.result_icon)
        head.addWidget(self.result_title, 1)
        lay.addLayout(head)
        self.result_text = QLabel()
        self.result_text.setObjectName("resultText")
        self.result_text.setTextFormat(Qt.TextFormat.RichText)
        self.result_text.setWordWrap(True)
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.result_text.linkActivated.connect(self._open_url)
        lay.addWidget(self.result_text)
        bar = QHBoxLayout()
        self.new_button = QPushButton("New ticket")
        self.new_button.clicked.connect(self.new_ticket)
        self.show_outbox_button = QPushButton("Show the outbox")
        self.show_outbox_button.clicked.connect(lambda: self.tabs.setCurrentWidget(self.outbox))
        bar.addWidget(self.new_button)
        bar.addWidget(self.show_outbox_button)
        bar.addStretch(1)
        lay.addLayout(bar)
        lay.addStretch(1)
        return w

    # ================================================================ service
    def reload_service(self) -> None:
        """(Re)load the ticket settings on a worker; the outbox is refreshed afterwards."""
        hub = self._hub

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> TicketService | str:
            try:
                return hub.service()
            except (TicketError, OutboxError, ValueError) as exc:
                return str(exc)

        self.destination_label.setText("Loading the support settings…")
        task = self._tasks.start(ticket_job(job), name="tickets-service")
        task.succeeded.connect(self._service_loaded)
        task.failed.connect(self._service_failed)
        self._load_task = task

    def _service_loaded(self, svc: TicketService | str) -> None:
        if isinstance(svc, str):
            self._service_failed(svc)
            return
        self.service = svc
        self.service_error = ""
        self.form.set_policy(svc.scale, svc.sla)
        self.backend_combo.clear()
        names = svc.backend_names()
        for name in names:
            self.backend_combo.addItem(_backend_title(svc, name), name)
        if not names:
            self.backend_combo.addItem("no backend configured", None)
            self.destination_label.setText("The ticket will be saved on this computer and wait in the outbox "
                                           "until a support backend is set up (Support backends…).")
        else:
            default = svc.default_backend()
            if default is not None:
                self.backend_combo.setCurrentIndex(names.index(default))
            self.destination_label.setText("")
        self.backend_combo.setEnabled(bool(names))
        if names:
            self.retry_timer.start()
        else:
            self.retry_timer.stop()
        self._update_buttons()
        self.outbox.refresh()
        self.service_ready.emit()

    def _service_failed(self, message: str) -> None:
        self.service = None
        self.service_error = message
        self.destination_label.setText(f"The ticket settings cannot be used: {message}")
        self._status(f"Get Help: {message}")
        self._update_buttons()
        self.service_ready.emit()

    def selected_backend(self) -> str | None:
        data = self.backend_combo.currentData()
        return str(data) if data else None

    # ================================================================ diagnostics report
    def set_report(self, report: object) -> None:
        """The Diagnostics page finished a run (None when it failed or was cancelled: the old report stays)."""
        if isinstance(report, Report):
            self.report = report
        self._diag_running = False
        self._show_report()

    def set_run_diagnostics(self, run: Callable[[], None] | None) -> None:
        """What "Run diagnostics now" does (desktop wires it to the Diagnostics page)."""
        self._run_diagnostics = run
        self._show_report()

    def diagnostics_started(self) -> None:
        self._diag_running = True
        self._show_report()

    def _show_report(self) -> None:
        running = self._diag_running
        self.findings_list.clear()
        r = self.report
        if r is None:
            if running:
                self.report_label.setText("Diagnostics are running… they are included here when they finish.")
            else:
                self.report_label.setText("No diagnostics have been run yet. "
                                          + ('<a href="run">Run diagnostics now</a> to include what they find.'
                                             if self._run_diagnostics is not None else
                                             "Run them on the Diagnostics page to include what they find."))
            self.findings_list.setVisible(False)
            self.include_box.setEnabled(False)
            return
        n = len(r.findings)
        found = f"{n} finding{'s' if n != 1 else ''}" if n else "no problems found"
        again = (' <a href="run">Run again</a>' if self._run_diagnostics is not None and not running
                 else " (running again…)" if running else "")
        self.report_label.setText(f"The report of {html.escape(r.host)} from {html.escape(_when(r.generated_at))}: "
                                  f"{found}.{again}")
        for f in r.sorted_findings():
            item = QListWidgetItem(severity_icon(f.severity), f.title)
            item.setToolTip(plain_tooltip("\n".join([f.title, *f.evidence[:5]])))
            self.findings_list.addItem(item)
        rows = min(max(n, 1), 5)
        self.findings_list.setFixedHeight(max(self.findings_list.sizeHintForRow(0), 20) * rows
                                          + 2 * self.findings_list.frameWidth() + 4)
        self.findings_list.setVisible(n > 0)
        self.include_box.setEnabled(True)

    def _report_link(self, href: str) -> None:
        if href == "run" and self._run_diagnostics is not None:
            self.diagnostics_started()
            self._run_diagnostics()

    # ================================================================ state
    def _status(self, text: str) -> None:
        self.status_message.emit(text)

    def _sending(self) -> bool:
        return self._send_task is not None and self._send_task.running

    def _previewing(self) -> bool:
        return self._preview_task is not None and self._preview_task.running

    def _update_buttons(self) -> None:
        ok = self.service is not None
        self.preview_button.setEnabled(ok and self.form.is_complete() and not self._sending())
        if self.form.is_complete():
            self.form_error.setText("")
        self.send_button.setEnabled(ok and self.preview is not None and not self._previewing()
                                    and not self._sending())
        self.back_button.setEnabled(not self._sending())
        self.redaction.set_busy(self._previewing() or self._sending())

    # ================================================================ preview
    def show_preview(self) -> None:
        if not self.form.is_complete():
            self.form_error.setText("Say in one sentence what happened (the first field).")
            self.form.summary.setFocus()
            return
        self.preview = None
        self.steps.setCurrentIndex(STEP_PREVIEW)
        self.rebuild_preview()

    def rebuild_preview(self) -> None:
        """Build the preview again (after a switch or keywords changed) on a worker; stale results are dropped."""
        try:
            draft: Draft = self.form.draft()
        except ValueError as exc:
            self.send_state.setText(str(exc))
            return
        hub = self._hub
        report = self.report if (self.include_box.isChecked() and self.include_box.isEnabled()) else None
        cached = self._material[1] if (self._material is not None and self._material[0] is report) else None
        disabled = self.redaction.disabled() if self.preview is not None else frozenset()
        keywords = self.redaction.keywords()
        backend = self.selected_backend()
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
            p = svc.build_preview(draft, report=material.report if material else None,
                                  logs=material.logs if material else None, disabled=disabled,
                                  keywords=keywords, backend=backend, uid=uid)
            return _PreviewResult(seq, p, material, report)

        self.send_state.setText("Preparing the preview…")
        self.send_progress.setVisible(True)
        task = self._tasks.start(ticket_job(job), name="ticket-preview")
        task.progress.connect(lambda items: self.send_state.setText(str(items[-1])))
        task.succeeded.connect(self._preview_built)
        task.failed.connect(lambda m, s=seq: self._preview_failed(s, m))
        task.finished.connect(self._update_buttons)
        self._preview_task = task
        self._update_buttons()

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
        dest = f"to {_backend_title(self.service, p.backend)}" if (p.backend and self.service) else \
            "to the outbox only (no backend configured)"
        sla = t.sla.describe() if t.sla else ""
        self.preview_header.setText(f"“{t.summary}” — {t.priority_label}, {sla}; {t.incident_type.value}; {dest}")
        self.send_state.setText("Check what will be sent, then press Send.")
        self._update_buttons()
        self.preview_ready.emit(p)

    def _preview_failed(self, seq: int, message: str) -> None:
        if seq != self._seq:
            return
        self.send_progress.setVisible(False)
        self.send_state.setText(f"The preview could not be built: {message}")
        self._status(f"Preview failed: {message}")

    # ================================================================ send
    def send(self) -> None:
        p = self.preview
        if p is None or self._sending() or self._previewing():
            return
        hub = self._hub

        def job(token: CancelToken, progress: Callable[[Any], None]) -> OutboxEntry | str:
            def report(message: str, _fraction: float | None = None) -> None:
                progress(message)

            try:
                return hub.service().submit(p, cancel=token, progress=report)
            except (TicketError, OutboxError) as exc:
                return str(exc)

        self.send_progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.send_state.setText("Saving to the outbox and sending…")
        self._status("Sending the ticket…")
        task = self._tasks.start(ticket_job(job), name="ticket-send")
        task.progress.connect(lambda items: self.send_state.setText(str(items[-1])))
        task.succeeded.connect(self._sent)
        task.failed.connect(self._send_failed)
        task.cancelled.connect(self._send_cancelled)
        task.finished.connect(self._send_finished)
        self._send_task = task
        self._update_buttons()

    def cancel_send(self) -> None:
        if self._send_task is not None and self._send_task.running:
            self._send_task.cancel()
            self.cancel_button.setEnabled(False)
            self.send_state.setText("Cancelling… a request already on its way finishes or times out first; "
                                    "the ticket stays in the outbox either way.")

    def _send_finished(self) -> None:
        self.send_progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self._update_buttons()
        self.outbox.refresh()

    def _sent(self, result: OutboxEntry | str) -> None:
        if isinstance(result, str):
            self._send_failed(result)
            return
        e = result
        self.last_entry = e
        self.preview = None
        self._uid = None
        self._show_result(e)
        self.send_finished.emit(e)

    def _send_failed(self, message: str) -> None:
        self.send_state.setText(f"Not sent: {message}")
        self._status(f"Not sent: {message}")
        self.send_finished.emit(None)

    def _send_cancelled(self) -> None:
        self.preview = None
        self._uid = None
        self.send_state.setText("Cancelled. The ticket was already written to the outbox and stays there: "
                                "retry or discard it in the Outbox tab.")
        self._status("Sending cancelled; the ticket stays in the outbox")
        self.send_finished.emit(None)

    def _show_result(self, e: OutboxEntry) -> None:
        style = self.style()
        esc = html.escape
        backend = _backend_title(self.service, e.backend) if (e.backend and self.service) else (e.backend or "")
        if e.state == "sent":
            icon = QStyle.StandardPixmap.SP_DialogApplyButton
            if e.remote_url:
                title = f"Ticket {e.remote_id} created"
                parts = [f"Your support team received it in {esc(backend)}.", f"Open it: {safe_link(e.remote_url)}"]
            else:  # e-mail and webhooks without a ticket page
                title = "Ticket sent"
                parts = [f"It was delivered to {esc(backend)} (reference {esc(e.remote_id)}); your support team "
                         "answers by e-mail or in their helpdesk."]
            if e.last_error:
                parts.append(f"Note: {esc(e.last_error)}")
        elif e.state == "held":
            icon, title = QStyle.StandardPixmap.SP_MessageBoxInformation, "Saved — waiting in the outbox"
            parts = ["No support backend is configured, so nothing was sent."]
            if e.bundle_path:
                folder = QUrl.fromLocalFile(str(Path(e.bundle_path).parent)).toString()
                parts.append(f"The support bundle was saved to <b>{esc(e.bundle_path)}</b> "
                             f'(<a href="{esc(folder, quote=True)}">open the folder</a>).')
            parts.append(f"The ticket waits in the outbox as #{e.id}. Set up a backend with Support backends…, "
                         "then select the ticket in the Outbox tab and press Retry.")
        elif e.state in ("retry", "queued"):
            icon, title = QStyle.StandardPixmap.SP_MessageBoxWarning, "Not sent yet — waiting in the outbox"
            parts = [esc(e.last_error) if e.last_error else "",
                     f"Nothing is lost: the ticket waits in the outbox as #{e.id} and is retried automatically "
                     "(or press Retry in the Outbox tab)."]
        elif e.state == "uncertain":
            icon, title = QStyle.StandardPixmap.SP_MessageBoxWarning, "Check the support system"
            parts = [esc(e.last_error)]
        else:
            icon, title = QStyle.StandardPixmap.SP_MessageBoxCritical, "The ticket was not accepted"
            parts = [esc(e.last_error),
                     f"Nothing is lost: it waits in the outbox as #{e.id}. Fix the problem (Support backends…), "
                     "then press Retry in the Outbox tab."]
        self.result_icon.setPixmap(style.standardIcon(icon).pixmap(40, 40))
        self.result_title.setText(title)
        self.result_text.setText("<p>" + "</p><p>".join(p for p in parts if p) + "</p>")
        self.steps.setCurrentIndex(STEP_RESULT)
        state = STATE_LABELS.get(e.state, e.state)
        self._status(f"Ticket #{e.id}: {state}" + (f" as {e.remote_id}" if e.state == "sent" else ""))

    def new_ticket(self) -> None:
        self.form.reset()
        self.redaction.keywords_edit.clear()
        self.preview = None
        self._uid = None
        self.steps.setCurrentIndex(STEP_FORM)
        self._update_buttons()

    def _open_url(self, url: str) -> None:
        u = QUrl(url)
        if u.scheme() in ("http", "https", "file"):
            QDesktopServices.openUrl(u)

    # ================================================================ outbox
    def _outbox_changed(self, entries: list[OutboxEntry]) -> None:
        waiting = sum(1 for e in entries if e.state in OPEN_STATES)
        self.tabs.setTabText(1, f"Outbox ({waiting} waiting)" if waiting else "Outbox")

    def process_due(self) -> None:
        """Retry the tickets whose time has come (every minute while a backend is configured)."""
        if self._sending() or (self._due_task is not None and self._due_task.running):
            return
        hub = self._hub

        def job(token: CancelToken, _progress: Callable[[Any], None]) -> list[OutboxEntry]:
            return hub.service().process_due(cancel=token)

        task = self._tasks.start(ticket_job(job), name="outbox-due")
        task.succeeded.connect(lambda done: self.outbox.refresh() if done else None)
        self._due_task = task

    # ================================================================ settings
    def open_settings(self) -> None:
        if self.settings_dialog is None:
            self.settings_dialog = BackendsDialog(self._hub, self._tasks, self, test_timeout=self._test_timeout)
            self.settings_dialog.settings_changed.connect(self.reload_service)
        self.settings_dialog.reload()
        self.settings_dialog.show()
        self.settings_dialog.activateWindow()
