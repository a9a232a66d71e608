"""Saving a report as JSON or HTML: the file dialog, rendering and writing on a worker thread, and a clear message
(plus a box that says what to do) when the file cannot be written."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from common.cancel import CancelToken
from common.errors import UserError
from diagnostics.model import Report

from .errors import user_message
from .plain import plain_message_box
from .services import TaskHandle, TaskStarter


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


class ReportSaver(QObject):
    """Signals: `message(str)` (saving, saved), `failed(str, object)` with what failed and the exception."""

    message = Signal(str)
    failed = Signal(str, object)

    def __init__(self, tasks: TaskStarter, save_dir: Path | None, parent: QWidget) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._save_dir = save_dir
        self._parent = parent
        self._task: TaskHandle | None = None
        self.error_box: QMessageBox | None = None

    def default_path(self, report: Report | None, fmt: str) -> Path:
        base = self._save_dir or Path.home()
        host = (report.host if report else "report").replace(os.sep, "_") or "report"
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        return base / f"deskside-{host}-{stamp}.{fmt}"

    def ask(self, report: Report, fmt: str) -> None:
        title, filt, _render = RENDERERS[fmt]
        path, _ = QFileDialog.getSaveFileName(self._parent, title, str(self.default_path(report, fmt)), filt)
        if path:
            if not Path(path).suffix:
                path += f".{fmt}"
            self.save(report, fmt, Path(path))

    def save(self, report: Report, fmt: str, path: Path) -> None:
        """Render and write the report on a worker thread."""
        _title, _filter, render = RENDERERS[fmt]

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> str:
            from diagnostics.render.files import write_atomic

            text = render(report)
            try:
                write_atomic(path, text)
            except OSError as exc:
                raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
            return str(path)

        self.message.emit(f"Saving {path}…")
        task = self._tasks.start(job, name=f"save-{fmt}")
        task.succeeded.connect(lambda p: self.message.emit(f"Saved the report to {p}"))
        task.failed.connect(self._save_failed)
        self._task = task

    def _save_failed(self, exc: BaseException) -> None:
        self.failed.emit("Could not save the report", exc)
        box = plain_message_box(QMessageBox.Icon.Warning, "Could not save the report",
                                f"{user_message(exc)}\n\nChoose another folder or file name and try again.",
                                QMessageBox.StandardButton.Ok, self._parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_box = box
