"""The Get Help page: describe the problem in a guided form, see the priority and SLA targets, include the last
diagnostics report, preview exactly what will be sent (with every masked value and a switch per value), send it,
and follow every ticket in the outbox.

The page composes its parts: the form (get_help_form.py) with the report box (get_help_report.py), the preview
and sending step (get_help_sending.py), the result step (get_help_result.py) and the outbox (outbox_view.py).
It loads the ticket service, picks the backend, retries due tickets every minute and opens the settings.

Nothing here blocks the GUI thread: loading the ticket service, building the preview (reads logs, redacts), sending
and reading the outbox all run on worker threads through the injected task starter. The services come from
`desktop/` (a `TicketsHub`); the page imports no network, keyring or system library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from common.errors import UserError
from diagnostics.model import Report
from tickets.outbox import OPEN_STATES, OutboxEntry
from tickets.service import Preview, TicketService

from .backends_settings import BackendsDialog
from .errors import MessageLine, user_message
from .get_help_form import HelpForm
from .get_help_notes import OUTBOX_TAB_SEE, CrashAttachment, RepairBanner
from .get_help_report import ReportBox
from .get_help_result import ResultStep
from .get_help_sending import PreviewStep
from .get_help_services import TicketsHub, backend_title
from .my_tickets_view import MyTicketsView
from .outbox_view import OutboxView
from .plain import heading_label, plain_label
from .services import TaskHandle, TaskStarter, is_running

AUTO_RETRY_MS = 60_000
STEP_FORM, STEP_PREVIEW, STEP_RESULT = range(3)


class GetHelpPage(QWidget):
    """Signals: `status_message(str)`; `service_ready()` after the ticket settings are (re)loaded;
    `preview_ready(object)` with each new Preview; `send_finished(object)` with the OutboxEntry (None on failure)."""

    status_message = Signal(str)
    outbox_repaired = Signal(str)  # what was found damaged and what was saved (once per repair)
    service_ready = Signal()
    preview_ready = Signal(object)
    send_finished = Signal(object)

    def __init__(self, hub: TicketsHub, tasks: TaskStarter, last_report: Callable[[], Report | None] | None = None,
                 run_diagnostics: Callable[[], None] | None = None, parent: QWidget | None = None,
                 test_timeout: float = 15.0) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks
        self._test_timeout = test_timeout
        self.service: TicketService | None = None
        self.service_error = ""
        self.last_entry: OutboxEntry | None = None
        self.repair_message = ""
        self._load_task: TaskHandle | None = None
        self._due_task: TaskHandle | None = None
        self.settings_dialog: BackendsDialog | None = None
        # In the app "Support backends…" opens Settings > Support backends; on its own the page opens a dialog.
        self.settings_opener: Callable[[], None] | None = None
        self._build(last_report() if last_report is not None else None, run_diagnostics)
        self._update_buttons()
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(AUTO_RETRY_MS)
        self.retry_timer.timeout.connect(self.process_due)
        self.reload_service()

    # ================================================================ layout
    def _build(self, report: Report | None, run_diagnostics: Callable[[], None] | None) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.setSpacing(8)
        top = QHBoxLayout()
        top.addWidget(heading_label("Get Help", 1.5))
        top.addStretch(1)
        self.settings_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView),
                                           "Support backends…")
        self.settings_button.setToolTip("Where tickets are sent: helpdesk systems, e-mail, credentials")
        self.settings_button.clicked.connect(self.open_settings)
        top.addWidget(self.settings_button)
        outer.addLayout(top)
        self.repair_banner = RepairBanner()
        self.repair_banner.show_outbox.connect(self._show_outbox)
        outer.addWidget(self.repair_banner)
        outer.addWidget(plain_label("Tell your support team what went wrong. You see exactly what will be sent, "
                                    "with personal data and secrets masked, before anything leaves this computer.",
                                    wrap=True))
        self.outbox = OutboxView(self._hub, self._tasks)
        self.outbox.status_message.connect(self._status)
        self.outbox.changed.connect(self._outbox_changed)
        self.tabs = QTabWidget()
        self.steps = QStackedWidget()
        self.steps.addWidget(self._form_step(report, run_diagnostics))
        self.preview_step = PreviewStep(self._hub, self._tasks, lambda: self.service)
        self.preview_step.status_message.connect(self._status)
        self.preview_step.preview_ready.connect(self.preview_ready)
        self.preview_step.sent.connect(self._sent)
        self.preview_step.send_finished.connect(self.send_finished)
        self.preview_step.send_finished.connect(lambda _e: self.outbox.refresh())
        self.preview_step.back.connect(lambda: self.steps.setCurrentIndex(STEP_FORM))
        self.preview_step.busy_changed.connect(self._update_buttons)
        self.steps.addWidget(self.preview_step)
        self.result_step = ResultStep()
        self.result_step.new_ticket.connect(self.new_ticket)
        self.result_step.show_outbox.connect(lambda: self.tabs.setCurrentWidget(self.outbox))
        self.steps.addWidget(self.result_step)
        self.tabs.addTab(self.steps, "New ticket")
        self.tabs.addTab(self.outbox, "Outbox")
        self.my_tickets = MyTicketsView(self._hub, self._tasks, lambda: self.report_box.report)  # sent tickets
        self.my_tickets.status_message.connect(self._status)
        self.tabs.addTab(self.my_tickets, "My tickets")
        self.tabs.currentChanged.connect(lambda i: self.my_tickets.refresh() if self.tabs.widget(i) is
                                         self.my_tickets else None)
        outer.addWidget(self.tabs, 1)

    def _form_step(self, report: Report | None, run_diagnostics: Callable[[], None] | None) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(4, 8, 8, 4)
        self.form = HelpForm()
        self.form.changed.connect(self._update_buttons)
        lay.addWidget(self.form)
        self.report_box = ReportBox(report, run_diagnostics)
        lay.addWidget(self.report_box)
        self.crash_row = CrashAttachment()
        self.crash_row.remove_button.clicked.connect(self.remove_crash_log)
        lay.addWidget(self.crash_row)
        lay.addStretch(1)
        scroll.setWidget(inner)

        # Where it goes and the Preview button stay in sight under the scrolling form, whatever the window size.
        step = QWidget()
        sl = QVBoxLayout(step)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(6)
        sl.addWidget(scroll, 1)
        bottom = QFrame()
        bottom.setObjectName("formButtons")
        bottom.setFrameShape(QFrame.Shape.NoFrame)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(4, 0, 8, 0)
        dest = QHBoxLayout()
        dest.addWidget(plain_label("Send to:"))
        self.backend_combo = QComboBox()
        self.backend_combo.setAccessibleName("Support backend")
        self.backend_combo.setMinimumContentsLength(24)
        self.backend_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        dest.addWidget(self.backend_combo)
        self.destination_label = MessageLine(name="destinationLabel")
        dest.addWidget(self.destination_label, 1)
        bl.addLayout(dest)

        row = QHBoxLayout()
        self.form_error = MessageLine()
        row.addWidget(self.form_error, 1)
        self.preview_button = QPushButton("Preview what will be sent…")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.show_preview)
        row.addWidget(self.preview_button)
        bl.addLayout(row)
        sl.addWidget(bottom)
        self.form_scroll = scroll
        return step

    # ================================================================ service
    def reload_service(self) -> None:
        """(Re)load the ticket settings on a worker; the outbox is refreshed afterwards."""
        hub = self._hub

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> TicketService:
            try:
                return hub.service()
            except ValueError as exc:  # a wrongly shaped setting; the message names it
                raise UserError(str(exc)) from exc

        self.destination_label.setText("Loading the support settings…")
        task = self._tasks.start(job, name="tickets-service")
        task.succeeded.connect(self._service_loaded)
        task.failed.connect(self._service_failed)
        self._load_task = task

    def _service_loaded(self, svc: TicketService) -> None:
        self.service = svc
        self.service_error = ""
        self.form.set_policy(svc.scale, svc.sla)
        self.backend_combo.clear()
        names = svc.backend_names()
        for name in names:
            self.backend_combo.addItem(backend_title(svc, name), name)
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
        repair = svc.outbox.repair
        if repair is not None:
            self.show_repair(repair.message(OUTBOX_TAB_SEE))
        if names:
            self.retry_timer.start()
        else:
            self.retry_timer.stop()
        self._update_buttons()
        self.outbox.refresh()
        self.service_ready.emit()

    def _service_failed(self, exc: BaseException) -> None:
        self.service = None
        self.service_error = user_message(exc)
        self.destination_label.show_failure("The ticket settings cannot be used", exc)
        self._status(f"Get Help: {self.service_error}")
        self._update_buttons()
        self.service_ready.emit()

    def show_repair(self, message: str) -> None:
        """The outbox file was damaged and repaired when it was opened (here or elsewhere in the app): say what
        happened and what was saved, once."""
        if message == self.repair_message:
            return
        self.repair_message = message
        self.repair_banner.show_message(message)
        self._status(f"Get Help: {message}")
        self.outbox_repaired.emit(message)
        self.outbox.refresh()

    def selected_backend(self) -> str | None:
        data = self.backend_combo.currentData()
        return str(data) if data else None

    # ================================================================ diagnostics report
    @property
    def report(self) -> Report | None:
        return self.report_box.report

    def set_report(self, report: object) -> None:
        """The Diagnostics page finished a run (None when it failed or was cancelled: the old report stays)."""
        self.report_box.set_report(report)

    def set_run_diagnostics(self, run: Callable[[], None] | None) -> None:
        """What "Run diagnostics now" does (desktop wires it to the Diagnostics page)."""
        self.report_box.set_run_diagnostics(run)

    def diagnostics_started(self) -> None:
        self.report_box.diagnostics_started()

    # ================================================================ steps
    @property
    def preview(self) -> Preview | None:
        return self.preview_step.preview

    def _status(self, text: str) -> None:
        self.status_message.emit(text)

    def _update_buttons(self) -> None:
        ok = self.service is not None
        self.preview_button.setEnabled(ok and self.form.is_complete() and not self.preview_step.sending())
        if self.form.is_complete():
            self.form_error.setText("")
        self.preview_step.update_buttons()

    def show_preview(self) -> None:
        if not self.form.is_complete():
            self.form_error.show_error("Say in one sentence what happened (the first field).")
            self.form.summary.setFocus()
            return
        if not self.form.check_requester():
            self.form_error.show_error("Your name and e-mail are needed: the support team answers there "
                                       "(see the fields marked in red).")
            self.form_scroll.ensureWidgetVisible(self.form.requester_errors)
            return
        self.form_error.setText("")
        self.steps.setCurrentIndex(STEP_PREVIEW)
        try:
            draft = self.form.draft()
        except ValueError as exc:
            self.preview_step.send_state.show_error(str(exc))
            return
        self.preview_step.start(draft, self.report_box.included(), self.selected_backend())

    def rebuild_preview(self) -> None:
        self.preview_step.rebuild()

    def send(self) -> None:
        self.preview_step.send()

    def cancel_send(self) -> None:
        self.preview_step.cancel_send()

    def _sent(self, e: OutboxEntry) -> None:
        self.last_entry = e
        backend = backend_title(self.service, e.backend) if e.backend else ""
        self._status(self.result_step.show_entry(e, backend))
        self.steps.setCurrentIndex(STEP_RESULT)

    def _show_outbox(self) -> None:
        self.tabs.setCurrentWidget(self.outbox)

    # ================================================================ crash report
    def report_crash(self, summary: str, log_name: str, log_text: str) -> None:
        """Start a ticket about a crash of Deskside itself: the form filled in, the crash log attached (masked like
        every attachment and shown in the preview before anything is sent). Nothing is sent from here."""
        self.steps.setCurrentIndex(STEP_FORM)
        self.tabs.setCurrentIndex(0)
        self.preview_step.forget()
        self.form.summary.setText(summary[:250])
        self.form.details.setPlainText("Deskside showed an unexpected error. What I was doing: ")
        index = self.form.incident_type.findData("software problem")
        if index >= 0:
            self.form.incident_type.setCurrentIndex(index)
        self.preview_step.extra_logs = {log_name: log_text}
        lines = log_text.count("\n") + 1
        self.crash_row.show_log(log_name, lines)
        self._update_buttons()

    @property
    def crash_log_attached(self) -> bool:
        return bool(self.preview_step.extra_logs)

    def remove_crash_log(self) -> None:
        self.preview_step.extra_logs = {}
        self.crash_row.setVisible(False)

    def new_ticket(self) -> None:
        self.remove_crash_log()
        self.form.reset()
        self.preview_step.forget()
        self.steps.setCurrentIndex(STEP_FORM)
        self._update_buttons()

    # ================================================================ outbox
    def _outbox_changed(self, entries: list[OutboxEntry]) -> None:
        waiting = sum(1 for e in entries if e.state in OPEN_STATES)
        self.tabs.setTabText(1, f"Outbox ({waiting} waiting)" if waiting else "Outbox")

    def process_due(self) -> None:
        """Retry the tickets whose time has come (every minute while a backend is configured)."""
        if self.preview_step.sending() or (is_running(self._due_task)):
            return
        hub = self._hub

        def job(token: CancelToken, _progress: Callable[[Any], None]) -> list[OutboxEntry]:
            return hub.service().process_due(cancel=token)

        task = self._tasks.start(job, name="outbox-due")
        task.succeeded.connect(lambda done: self.outbox.refresh() if done else None)
        self._due_task = task

    # ================================================================ settings
    def open_settings(self) -> None:
        if self.settings_opener is not None:
            self.settings_opener()
            return
        if self.settings_dialog is None:
            self.settings_dialog = BackendsDialog(self._hub, self._tasks, self, test_timeout=self._test_timeout)
            self.settings_dialog.settings_changed.connect(self.reload_service)
        self.settings_dialog.reload()
        self.settings_dialog.show()
        self.settings_dialog.activateWindow()
