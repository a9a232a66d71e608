"""The Diagnostics page: run the local diagnostics, watch each collector, read the findings with their fixes,
browse every section, save the report as JSON or HTML.

It never blocks the GUI thread: the run (and saving) goes through the injected task starter onto a worker thread;
the page only reacts to signals. It gets its services by injection and imports no system library itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from diagnostics.model import Report

from .collector_status import CollectorStatus
from .diagnostics_results import ReportView, local_time, not_run, summary_text
from .diagnostics_save import RENDERERS, ReportSaver
from .errors import MessageLine, failure_text
from .plain import heading_label, plain_label, plain_tooltip
from .services import DiagnosticsProgress, ListCollectors, RunDiagnostics, TaskHandle, TaskStarter, is_running

__all__ = ["RENDERERS", "DiagnosticsPage", "privacy_note", "summary_text"]

FINISHED_STATES = {"ok", "partial", "skipped", "timeout", "error", "cancelled"}
LIST_KEY = "*collectors*"  # progress item carrying the list of collectors of this run
LOCAL = "this computer"  # what a run with the page's own service checks


def privacy_note(updates_network: bool) -> str:
    """What the page promises about traffic; true with and without `[diagnostics.updates] allow_network`."""
    if updates_network:
        return ("The update check asks the Flatpak, Snap or Software Update servers for new versions "
                "([diagnostics.updates] allow_network is on in config.toml); apart from that, nothing leaves your "
                "computer unless you tick “Test my connection”.")
    return "Nothing leaves your computer unless you tick “Test my connection”."


class DiagnosticsPage(QWidget):
    """See the module docstring. Signals: `status_message(str)` for the status bar, `run_finished(object)` with
    the Report (or None when the run failed or was cancelled without a result)."""

    status_message = Signal(str)
    run_finished = Signal(object)

    def __init__(
        self,
        run_diagnostics: RunDiagnostics,
        tasks: TaskStarter,
        list_collectors: ListCollectors | None = None,
        collector_names: list[str] | None = None,
        save_dir: Path | None = None,
        test_connection: bool = False,
        parent: QWidget | None = None,
        updates_network: bool = False,
    ) -> None:
        super().__init__(parent)
        self._run_diagnostics = run_diagnostics
        self._tasks = tasks
        self._list_collectors = list_collectors
        self._collector_names = collector_names
        self._task: TaskHandle | None = None
        self.saver = ReportSaver(tasks, save_dir, self)
        self.saver.message.connect(self._status)
        self.saver.failed.connect(self._fail)
        self._cancel_requested = False
        self._next_service: RunDiagnostics | None = None  # run_with(): one run with another service
        self._next_where = LOCAL
        self._running_where = LOCAL
        self._updates_network = updates_network  # the update check may contact its servers
        self.report_subject = LOCAL  # which machine the shown report (or the first run's progress) is about
        self.report: Report | None = None
        self._build()
        self.connectivity_box.setChecked(test_connection)
        self._set_running(False)

    # ---------------------------------------------------------------- layout
    def _build(self) -> None:
        style = self.style()
        self.run_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "&Run diagnostics", self)
        self.run_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.run_action.triggered.connect(self.run)
        self.cancel_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_BrowserStop), "&Cancel", self)
        self.cancel_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_action.triggered.connect(self.cancel)
        self.save_json_action = QAction("Save as &JSON…", self)
        self.save_json_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_json_action.triggered.connect(lambda: self.save_dialog("json"))
        self.save_html_action = QAction("Save as &HTML…", self)
        self.save_html_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_html_action.triggered.connect(lambda: self.save_dialog("html"))
        for a in (self.run_action, self.cancel_action, self.save_json_action, self.save_html_action):
            # Window-wide, but only while this page is the visible one (Qt ignores shortcuts of hidden widgets).
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(a)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.setSpacing(8)

        self.heading = heading_label("Diagnostics", 1.5)
        outer.addWidget(self.heading)
        self.intro = plain_label(wrap=True, name="diagnosticsIntro")
        outer.addWidget(self.intro)
        self._show_subject(LOCAL)

        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.run_button = self._button(self.run_action, "Run", "Run the diagnostics (F5)")
        self.run_button.setDefault(True)
        self.cancel_button = self._button(self.cancel_action, "Cancel", "Stop the run (Esc); what was collected "
                                          "so far is kept")
        self.connectivity_box = QCheckBox("Test my connection")
        self.connectivity_box.setToolTip("Also check DNS, the gateway, internet and TLS reachability and the clock. "
                                         "This sends a few small requests to the configured endpoints.")
        self.save_json_button = self._button(self.save_json_action, "Save as JSON…", "Save the full report as JSON "
                                             "(Ctrl+S)")
        self.save_html_button = self._button(self.save_html_action, "Save as HTML…", "Save a readable report as "
                                             "HTML (Ctrl+Shift+S)")
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        bar.addSpacing(12)
        bar.addWidget(self.connectivity_box)
        bar.addStretch(1)
        bar.addWidget(self.save_json_button)
        bar.addWidget(self.save_html_button)
        outer.addLayout(bar)

        prog = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setVisible(False)  # an empty bar before the first run looks like a text field
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("%v of %m")
        self.progress_bar.setMinimumWidth(220)
        self.progress_bar.setMaximumWidth(320)
        self.status_label = MessageLine("Not run yet: press Run (F5)", name="diagnosticsStatus")
        prog.addWidget(self.progress_bar)
        prog.addWidget(self.status_label, 1)
        outer.addLayout(prog)

        self.collector_status = CollectorStatus()
        outer.addWidget(self.collector_status)

        # Says when the shown results are not those of a complete, current run (re-running, cancelled, failed).
        self.results_banner = plain_label(wrap=True, name="resultsBanner")
        self.results_banner.setStyleSheet("QLabel#resultsBanner { background: #fff4e0; color: #4a3500; "
                                          "border: 1px solid #ef8f00; border-radius: 4px; padding: 4px 8px; }")
        self.results_banner.setVisible(False)
        outer.addWidget(self.results_banner)

        self.results = ReportView()
        outer.addWidget(self.results, 1)

    def _button(self, action: QAction, text: str, tip: str) -> QPushButton:
        b = QPushButton(action.icon(), text)
        b.setToolTip(plain_tooltip(tip))
        b.clicked.connect(action.trigger)
        action.enabledChanged.connect(b.setEnabled)
        return b

    # ---------------------------------------------------------------- state
    @property
    def is_running(self) -> bool:
        return is_running(self._task)

    def _set_running(self, running: bool) -> None:
        self.run_action.setEnabled(not running)
        self.cancel_action.setEnabled(running)
        self.connectivity_box.setEnabled(not running)
        can_save = (not running) and self.report is not None
        self.save_json_action.setEnabled(can_save)
        self.save_html_action.setEnabled(can_save)

    def _banner(self, text: str) -> None:
        self.results_banner.setText(text)
        self.results_banner.setVisible(bool(text))

    def _status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_message.emit(text)

    def _fail(self, what: str, exc: BaseException) -> None:
        self.status_message.emit(self.status_label.show_failure(what, exc))

    # ---------------------------------------------------------------- run / cancel
    def run(self) -> None:
        if self.is_running:
            return
        include = self.connectivity_box.isChecked()
        self.collector_status.reset([])
        self.progress_bar.setRange(0, 0)  # a busy bar until the worker has listed the collectors
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setVisible(True)
        self._cancel_requested = False
        service, self._next_service = self._next_service or self._run_diagnostics, None
        self._running_where, self._next_where = self._next_where, LOCAL
        if self.report is None:
            self._show_subject(self._running_where)
        lister = self._list_collectors
        names = list(self._collector_names) if self._collector_names else None

        def job(token: CancelToken, report_progress: Callable[[Any], None]) -> Report:
            if lister is not None:  # listing imports the collector modules: worker-thread work too
                try:
                    listed = [c for c in lister(include) if names is None or c[0] in names]
                except Exception:  # noqa: S110 - the run itself reports what is wrong with the registry
                    pass
                else:
                    report_progress((LIST_KEY, listed, 0, len(listed)))

            def progress(name: str, state: str, done: int, total: int) -> None:
                report_progress((name, state, done, total))

            cb: DiagnosticsProgress = progress
            return service(names, include, token, cb)

        task = self._tasks.start(job, name="diagnostics", progress_key=lambda p: p[0])
        task.progress.connect(self._on_progress)
        task.succeeded.connect(self._on_result)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self._on_cancelled)
        self._task = task
        self._set_running(True)
        if self.report is None:
            self.results.collecting()
        else:  # the findings shown are the last run's until this one finishes: say so, and grey them
            self.results.set_stale(True)
            self._banner(f"Results from {local_time(self.report.generated_at)} — re-running… They are replaced "
                         "when the new run finishes.")
        self._status("Collecting…" + (" (including the connection test)" if include else ""))

    def run_with(self, service: RunDiagnostics | None, where: str) -> None:
        """One run with another service, e.g. of a remote host over SSH (`where` names it); Run is local again."""
        if self.is_running:
            self._status(f"A run is in progress; cancel it first to diagnose {where}")
            return
        if service is None:
            return
        self._next_service, self._next_where = service, where
        self.run()
        self._status(f"Collecting on {where}…")

    def _show_subject(self, where: str) -> None:
        """Header and intro name the machine the shown report is about."""
        self.report_subject = where
        if where == LOCAL:
            self.heading.setText("Diagnostics")
            self.intro.setText("Checks this computer for common problems and tells you how to fix them. "
                               + privacy_note(self._updates_network))
        else:
            self.heading.setText(f"Diagnostics of {where}")
            self.intro.setText(f"This report is about {where}, checked over SSH from the Remote page (not this "
                               "computer). Press Run (F5) to check this computer again. "
                               + privacy_note(self._updates_network))

    def cancel(self) -> None:
        if not self.is_running or self._task is None:
            return
        self._cancel_requested = True
        self._task.cancel()
        self.cancel_action.setEnabled(False)
        self._status("Cancelling…")

    def _on_progress(self, items: list[Any]) -> None:
        done = total = listed = 0
        for name, state, d, t in items:
            if name == LIST_KEY:
                self.collector_status.reset(state)
                listed = t
            else:
                self.collector_status.set_state(name, state)
                done, total = max(done, d), max(total, t)
        total = total or listed  # the runner's count wins over the registry's
        if total:
            if self.progress_bar.maximum() != total:
                self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(max(self.progress_bar.value(), done))
        if not self._cancel_requested:
            running = self.collector_status.titles_in_state("running")
            tail = f" — waiting for {', '.join(running[:4])}{'…' if len(running) > 4 else ''}" if running else ""
            self._status(f"Collecting… {done} of {total} done{tail}")

    def _on_result(self, result: object) -> None:
        if not isinstance(result, Report):
            self._on_failed(TypeError(f"the diagnostics service returned {type(result).__name__}, not a report"))
            return
        self.report = result
        self._show_subject(self._running_where)
        self._set_running(False)
        self.collector_status.apply_report(result)
        if result.cancelled:
            self.collector_status.cancel_unfinished()
        n = len(result.sections)
        self.progress_bar.setRange(0, max(n, 1))
        self.progress_bar.setValue(sum(1 for s in result.sections.values() if s.status.value != "cancelled"))
        self.results.set_stale(False)
        self.results.show_report(result)
        finished = sum(1 for s in result.sections.values() if s.status.value != "cancelled")
        if result.cancelled:
            missing = list(dict.fromkeys(not_run(result) + self.collector_status.titles_in_state("cancelled")))
            self._banner("Partial results: the run was cancelled"
                         + (f", so {', '.join(missing)} did not run" if missing else "")
                         + ". Press Run (F5) for a complete report.")
        else:
            self._banner("")
        if result.cancelled:
            self._status(f"Cancelled — partial results from {finished} of {n} collectors: {summary_text(result)}")
        else:
            self._status(f"Done in {result.duration_s:.1f} s on {result.host}: {summary_text(result)}")
        self.run_finished.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        self._set_running(False)
        self.collector_status.cancel_unfinished()
        self._fail("Diagnostics failed", exc)
        if self.report is None:
            self.results.show_message(failure_text("The diagnostics could not run", exc))
        else:
            self._keep_earlier("the new run failed")
        self.run_finished.emit(None)

    def _keep_earlier(self, why: str) -> None:
        """A re-run ended without a report: the earlier results stay, with badges that match them, and say so."""
        assert self.report is not None
        self.results.set_stale(False)
        self.collector_status.show_report(self.report)
        self._banner(f"Results from {local_time(self.report.generated_at)} ({why}; these are the earlier "
                     "results). Press Run (F5) to try again.")

    def _on_cancelled(self) -> None:
        self._set_running(False)
        self.collector_status.cancel_unfinished()
        if self.report is None:
            self.results.show_message("Cancelled before anything was collected. Press Run (F5) to try again.")
        else:
            self._keep_earlier("the new run was cancelled before it collected anything")
        self._status("Cancelled")
        self.run_finished.emit(None)

    # ---------------------------------------------------------------- save
    @property
    def save_error_box(self) -> QMessageBox | None:
        return self.saver.error_box

    def default_save_path(self, fmt: str) -> Path:
        return self.saver.default_path(self.report, fmt)

    def save_dialog(self, fmt: str) -> None:
        if self.report is None or self.is_running:
            return
        self.saver.ask(self.report, fmt)

    def save(self, fmt: str, path: Path) -> None:
        """Render and write the report on a worker thread; the result is reported in the status line."""
        if self.report is not None:
            self.saver.save(self.report, fmt, path)
