"""The Compliance page's actions on a finished scan: export (CSV, JSON, HTML, to a file chosen in a dialog) and
compliance tickets (asked first, then filed through the services' outbox). The writing and the filing run on worker
threads; what happened is shown on the page's message line and, for tickets, in a box listing each one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from common.cancel import CancelToken
from fleet.policy import Policy
from fleet.scan import ScanResult

from .compliance_model import one_line
from .compliance_services import EXPORT_FORMATS, ComplianceServices, TicketOutcome
from .plain import plain_message_box
from .services import TaskHandle

EXPORT_FILTERS = {"csv": "CSV spreadsheet (*.csv)", "json": "JSON (*.json)", "html": "HTML report (*.html *.htm)"}
Job = Callable[[CancelToken, Callable[[Any], None]], Any]


@dataclass
class PageHooks:
    """What the actions use of the page: its services, its task starter and its message line."""

    services: ComplianceServices
    start: Callable[[Job, str], TaskHandle]
    status: Callable[[str], None]  # a neutral note
    ok: Callable[[str], None]  # a success
    fail: Callable[[str, BaseException], None]  # what failed, and the exception
    scan: Callable[[], tuple[ScanResult | None, Policy]]  # the last scan and the policy it used


def export_format(path: str, chosen_filter: str) -> tuple[str, Path]:
    """The format for `path` (its suffix, else the chosen filter's) and the path with a suffix."""
    fmt = next((f for f, label in EXPORT_FILTERS.items() if label == chosen_filter), "csv")
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in EXPORT_FORMATS:
        return suffix, Path(path)
    if suffix == "htm":
        return "html", Path(path)
    return fmt, Path(f"{path}.{fmt}")


class ResultActions:
    def __init__(self, hooks: PageHooks, parent: QWidget) -> None:
        self.hooks = hooks
        self.parent = parent
        self.message_box: QMessageBox | None = None

    def export_dialog(self) -> None:
        result, _policy = self.hooks.scan()
        if result is None:
            return
        start = self.hooks.services.default_dir() / "deskside-scan.csv"
        path, chosen = QFileDialog.getSaveFileName(self.parent, "Export the scan", str(start),
                                                   ";;".join(EXPORT_FILTERS.values()))
        if path:
            fmt, target = export_format(path, chosen)
            self.export(fmt, target)

    def export(self, fmt: str, path: Path) -> TaskHandle | None:
        """Write the last scan as `fmt` to `path` on a worker."""
        result, policy = self.hooks.scan()
        if result is None:
            return None
        services = self.hooks.services

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> Path:
            return services.export(result, policy, fmt, path)

        self.hooks.status(f"Exporting to {path}…")
        task = self.hooks.start(job, "compliance-export")
        task.succeeded.connect(lambda p: self.hooks.ok(f"Exported {len(result.results)} hosts to {p}"))
        task.failed.connect(lambda exc: self.hooks.fail("Could not export the scan", exc))
        return task

    def confirm_tickets(self) -> None:
        result, _policy = self.hooks.scan()
        if result is None:
            return
        n = sum(len(r.reasons) for r in result.results if r.status == "non-compliant")
        if n == 0:
            self.hooks.status("No ticket needed: no host is non-compliant.")
            return
        box = plain_message_box(QMessageBox.Icon.Question, "Create tickets",
                                f"Create a ticket for each of the {n} non-compliant host and rule pairs? A pair that "
                                "already has a ticket gets no second one.",
                                QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self.parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(self.file_tickets)
        box.open()
        self.message_box = box

    def file_tickets(self) -> TaskHandle | None:
        """File the last scan's tickets on a worker; the outcome is shown when it is done."""
        result, _policy = self.hooks.scan()
        if result is None:
            return None
        services = self.hooks.services

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> Sequence[TicketOutcome]:
            return services.file_tickets(result.results)

        self.hooks.status("Creating tickets…")
        task = self.hooks.start(job, "compliance-tickets")
        task.succeeded.connect(self._tickets_done)
        task.failed.connect(lambda exc: self.hooks.fail("No compliance ticket was made", exc))
        return task

    def _tickets_done(self, outcomes: Sequence[TicketOutcome]) -> None:
        if not outcomes:
            self.hooks.status("No ticket needed: no host is non-compliant.")
            return
        states: dict[str, int] = {}
        for o in outcomes:
            states[o.state] = states.get(o.state, 0) + 1
        summary = f"{len(outcomes)} compliance tickets: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
        self.hooks.ok(summary)
        lines = [f"{o.reference} {o.state}: {one_line(o.host)} ({o.key})" + (f" {one_line(o.detail)}" if o.detail
                                                                             else "") for o in outcomes]
        box = plain_message_box(QMessageBox.Icon.Information, "Compliance tickets", summary,
                                QMessageBox.StandardButton.Close, self.parent)
        box.setDetailedText("\n".join(lines))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_box = box
