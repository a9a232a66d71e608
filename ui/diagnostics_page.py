"""The Diagnostics page: run the local diagnostics, watch each collector, read the findings with their fixes,
browse every section, save the report as JSON or HTML.

It never blocks the GUI thread: the run (and saving) goes through the injected task starter onto a worker thread;
the page only reacts to signals. It gets its services by injection and imports no system library itself.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from diagnostics.cancel import CancelToken
from diagnostics.model import Finding, Report, Severity

from .collector_status import CollectorStatus
from .findings_view import FindingDetail, FindingsModel, FindingsView, severity_counts
from .sections_view import SectionsView
from .services import DiagnosticsProgress, ListCollectors, RunDiagnostics, TaskHandle, TaskStarter

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


def _plain(text: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    return label


def render_json(report: Report) -> str:
    from diagnostics.render.json import dumps

    return dumps(report)


def render_html(report: Report) -> str:
    from diagnostics.render.html import render_html as _render

    return _render(report)


RENDERERS: dict[str, tuple[str, str, Callable[[Report], str]]] = {
    # format -> (dialog title, file filter, renderer)
    "json": ("Save report as JSON", "JSON report (*.json)", render_json),
    "html": ("Save report as HTML", "HTML report (*.html *.htm)", render_html),
}


def summary_text(report: Report) -> str:
    counts = severity_counts(report.findings)
    parts = [f"{counts[s]} {name}{'s' if counts[s] != 1 and name != 'info' else ''}"
             for s, name in ((Severity.CRITICAL, "critical"), (Severity.WARNING, "warning"),
                             (Severity.INFO, "info")) if counts[s]]
    text = ", ".join(parts) if parts else "no problems found"
    unfinished = [s.title for s in report.sections.values() if s.status.value in ("timeout", "error")]
    if unfinished:  # not a clean bill of health: say which checks are missing
        text += f"; {', '.join(unfinished)} did not finish"
    return text


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
        self._save_dir = save_dir
        self._task: TaskHandle | None = None
        self._save_task: TaskHandle | None = None
        self._cancel_requested = False
        self._next_service: RunDiagnostics | None = None  # run_with(): one run with another service
        self._next_where = LOCAL
        self._running_where = LOCAL
        self._updates_network = updates_network  # the update check may contact its servers
        self.report_subject = LOCAL  # which machine the shown report (or the first run's progress) is about
        self.report: Report | None = None
        self.save_error_box: QMessageBox | None = None
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

        heading = _plain("Diagnostics")
        hf = QFont(heading.font())
        hf.setPointSizeF(hf.pointSizeF() * 1.5)
        hf.setBold(True)
        heading.setFont(hf)
        outer.addWidget(heading)
        self.heading = heading
        self.intro = _plain(wrap=True)
        self.intro.setObjectName("diagnosticsIntro")
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
        self.status_label = _plain("Not run yet: press Run (F5)")
        self.status_label.setObjectName("diagnosticsStatus")
        prog.addWidget(self.progress_bar)
        prog.addWidget(self.status_label, 1)
        outer.addLayout(prog)

        self.collector_status = CollectorStatus()
        outer.addWidget(self.collector_status)

        self.stack = QStackedWidget()
        self.empty_state = self._empty_state()
        self.stack.addWidget(self.empty_state)

        self.tabs = QTabWidget()
        self.findings_model = FindingsModel(self)
        self.findings_view = FindingsView(self.findings_model)
        self.detail = FindingDetail()
        self.findings_view.current_finding.connect(self._show_finding)
        # list above, details below: evidence lines (package versions, log lines) are long and need the width
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings_view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setSizes([170, 330])
        split.setChildrenCollapsible(False)
        self.findings_splitter = split
        self.sections_view = SectionsView()
        self.tabs.addTab(split, "Findings")
        self.tabs.addTab(self.sections_view, "Sections")
        self.stack.addWidget(self.tabs)
        outer.addWidget(self.stack, 1)

    def _button(self, action: QAction, text: str, tip: str) -> QPushButton:
        b = QPushButton(action.icon(), text)
        b.setToolTip(tip)
        b.clicked.connect(action.trigger)
        action.enabledChanged.connect(b.setEnabled)
        return b

    def _empty_state(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addStretch(1)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon).pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = _plain("No diagnostics yet")
        tf = QFont(title.font())
        tf.setPointSizeF(tf.pointSizeF() * 1.3)
        tf.setBold(True)
        title.setFont(tf)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = _plain("Press Run (F5) to check this computer: system, processor, memory, disks, network, "
                      "services, logs and updates. It takes a few seconds, and every problem found comes with "
                      "a fix you can follow.", wrap=True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setMaximumWidth(560)
        self.empty_title = title
        lay.addWidget(icon)
        lay.addWidget(title)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(text)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(2)
        return w

    # ---------------------------------------------------------------- state
    @property
    def is_running(self) -> bool:
        return self._task is not None and self._task.running

    def _set_running(self, running: bool) -> None:
        self.run_action.setEnabled(not running)
        self.cancel_action.setEnabled(running)
        self.connectivity_box.setEnabled(not running)
        can_save = (not running) and self.report is not None
        self.save_json_action.setEnabled(can_save)
        self.save_html_action.setEnabled(can_save)

    def _status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_message.emit(text)

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
            self.stack.setCurrentWidget(self.tabs)
            self.findings_model.set_findings([])
            self.detail.show_message("Collecting…")
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
            self._on_failed(f"the diagnostics service returned {type(result).__name__}, not a report")
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
        titles = {k: s.title for k, s in result.sections.items()}
        self.findings_model.set_findings(result.findings, titles)
        self.sections_view.set_report(result)
        total_h = sum(self.findings_splitter.sizes())
        list_h = min(self.findings_view.fitting_height(), max(total_h // 2, 120))
        self.findings_splitter.setSizes([list_h, max(total_h - list_h, 200)])
        self.tabs.setTabText(0, f"Findings ({len(result.findings)})")
        self.tabs.setTabText(1, f"Sections ({n})")
        self.stack.setCurrentWidget(self.tabs)
        if not result.findings:
            self.detail.show_message("No problems found. Every check that could run passed."
                                     if not result.cancelled else "No findings in the partial results.")
        finished = sum(1 for s in result.sections.values() if s.status.value != "cancelled")
        if result.cancelled:
            self._status(f"Cancelled — partial results from {finished} of {n} collectors: {summary_text(result)}")
        else:
            self._status(f"Done in {result.duration_s:.1f} s on {result.host}: {summary_text(result)}")
        self.run_finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self._set_running(False)
        self.collector_status.cancel_unfinished()
        if self.report is None:
            self.detail.show_message(f"The diagnostics could not run: {message}")
        self._status(f"Diagnostics failed: {message}")
        self.run_finished.emit(None)

    def _on_cancelled(self) -> None:
        self._set_running(False)
        self.collector_status.cancel_unfinished()
        if self.report is None:
            self.detail.show_message("Cancelled before anything was collected. Press Run (F5) to try again.")
        self._status("Cancelled")
        self.run_finished.emit(None)

    def _show_finding(self, finding: Finding | None) -> None:
        if finding is None:
            if self.report is not None and not self.report.findings:
                return  # keep the "no problems found" message
            self.detail.show_finding(None)
            return
        title = ""
        if self.report is not None and finding.section in self.report.sections:
            title = self.report.sections[finding.section].title
        self.detail.show_finding(finding, title)

    # ---------------------------------------------------------------- save
    def default_save_path(self, fmt: str) -> Path:
        base = self._save_dir or Path.home()
        host = (self.report.host if self.report else "report").replace(os.sep, "_") or "report"
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        return base / f"deskside-{host}-{stamp}.{fmt}"

    def save_dialog(self, fmt: str) -> None:
        if self.report is None or self.is_running:
            return
        title, filt, _render = RENDERERS[fmt]
        path, _ = QFileDialog.getSaveFileName(self, title, str(self.default_save_path(fmt)), filt)
        if path:
            if not Path(path).suffix:
                path += f".{fmt}"
            self.save(fmt, Path(path))

    def save(self, fmt: str, path: Path) -> None:
        """Render and write the report on a worker thread; the result is reported in the status line."""
        report = self.report
        if report is None:
            return
        _title, _filter, render = RENDERERS[fmt]

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> str:
            from diagnostics.render.files import write_atomic

            text = render(report)
            try:
                write_atomic(path, text)
            except OSError as exc:
                raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
            return str(path)

        self._status(f"Saving {path}…")
        task = self._tasks.start(job, name=f"save-{fmt}")
        task.succeeded.connect(lambda p: self._status(f"Saved the report to {p}"))
        task.failed.connect(self._on_save_failed)
        self._save_task = task

    def _on_save_failed(self, message: str) -> None:
        message = message.removeprefix("OSError: ")  # the job's own sentence; the class name means nothing to a user
        self._status(f"Could not save the report: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Could not save the report",
                          f"{message}\n\nChoose another folder or file name and try again.",
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.save_error_box = box
