"""Patching from the Compliance page: the "Patch…" dialog for the chosen hosts. It runs a dry run first (what would
change per host, the same as `deskside patch --dry-run`), then, on "Install with sudo", the upgrade of the hosts
that have something to install: the sudo password taken from the keyring or asked once in a password box (never
echoed, never logged, kept only while the run needs it), security-only and reboot-if-required as options, the step
of each host while it runs, and each host's result (patched and its new status, up to date, sudo refused, failed,
unknown) with what changed. Cancel stops the running commands where they are.

The work is `ComplianceServices.patch` (desktop: `deskside patch`'s own code over SSH, every command in the audit
log) on a worker thread; the dialog only shows what it reports. Host output is shown as plain text.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from fleet.evaluate import HostResult, totals
from fleet.inventory import InventoryHost
from fleet.policy import Policy
from fleet.scan import ScanResult

from .compliance_model import one_line
from .compliance_services import ComplianceServices, PatchOutcome
from .errors import MessageLine
from .plain import plain_label, plain_tooltip
from .services import TaskHandle, TaskStarter, is_running

STATE_LABELS = {"would change": "Would change", "up to date": "Up to date", "patched": "Patched",
                "rebooted": "Rebooted", "failed": "Failed", "unknown": "Unknown"}


def outcome_text(o: PatchOutcome) -> tuple[str, str]:
    """The state and the detail a host's row shows (a refused sudo is said as such)."""
    state = STATE_LABELS.get(o.state, o.state)
    if o.state == "failed" and o.detail.startswith("sudo refused"):
        state = "Sudo refused"
    elif o.state in ("patched", "rebooted") and o.after is not None:
        state = f"{STATE_LABELS[o.state]}: now {o.after.status}" + (" (rebooted)" if o.rebooted and
                                                                        o.state == "patched" else "")
    return state, one_line(o.detail)


def merge_results(scan: ScanResult | None, fresh: list[HostResult]) -> ScanResult:
    """The last scan with `fresh` results in place of those hosts' (appended when new), and its totals again."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for r in fresh:
        r.scanned_at = r.scanned_at or now
    out = ScanResult(started_at=now, finished_at=now) if scan is None else scan
    by = {r.name: r for r in fresh}
    kept = [by.pop(r.name, r) for r in out.results]
    out.results = kept + [r for r in fresh if r.name in by]
    out.totals = totals(out.results)
    return out


class PasswordBox(QDialog):
    """The sudo password, asked once per run: a password field (never echoed) and OK / Cancel."""

    def __init__(self, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("sudo password")
        lay = QVBoxLayout(self)
        lay.addWidget(plain_label(one_line(prompt) or "sudo password", wrap=True))
        lay.addWidget(plain_label("It is used for this run only: sent to sudo on each host's standard input, never "
                                  "shown, logged or stored. Cancel: hosts that need it are not patched.", wrap=True))
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName("sudo password")
        lay.addWidget(self.field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class PasswordAsker(QObject):
    """`ask(prompt)` is called on a worker thread: it shows a PasswordBox on the GUI thread and waits for the answer
    (or the run's Cancel). The answer lives only in this call's frame."""

    _asked = Signal(str, object)  # prompt, the waiting call's [event, answer]

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._closed = threading.Event()  # the run ended or was cancelled: no question is answered any more
        self.asked = 0  # how many times the box was shown (once per run)
        self.box: PasswordBox | None = None
        self._asked.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def ask(self, prompt: str) -> str | None:
        slot: list[Any] = [threading.Event(), None]
        if self._closed.is_set():
            return None
        self._asked.emit(prompt, slot)
        while not slot[0].wait(0.2):
            if self._closed.is_set():
                return None
        answer: str | None = slot[1]
        slot[1] = None
        return answer

    def _show(self, prompt: str, slot: list[Any]) -> None:
        if self._closed.is_set():
            slot[0].set()
            return
        self.asked += 1
        box = self.box = PasswordBox(prompt, self._parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(code: int) -> None:
            slot[1] = box.field.text() if code == QDialog.DialogCode.Accepted and box.field.text() else None
            box.field.clear()
            self.box = None
            slot[0].set()

        box.finished.connect(done)
        box.open()

    def close(self) -> None:
        self._closed.set()
        if self.box is not None:
            self.box.reject()


class PatchDialog(QDialog):
    """Patch `hosts`: a dry run at once, then the upgrade on "Install with sudo". `patched(outcomes)` after an
    upgrade run (also after Cancel, with the hosts that got a result)."""

    patched = Signal(list)
    dry_run_done = Signal(list)

    def __init__(self, hosts: list[InventoryHost], policy: Policy, accept_new: bool, services: ComplianceServices,
                 tasks: TaskStarter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hosts, self.policy, self.accept_new = hosts, policy, accept_new
        self.services, self.tasks = services, tasks
        self.task: TaskHandle | None = None
        self.asker: PasswordAsker | None = None
        self.outcomes: dict[str, PatchOutcome] = {}
        self._dry_run_ok = False
        self._rerun = False  # the options changed while a run was going: a dry run once it ends
        self.setWindowTitle("Patch hosts")
        self.resize(820, 520)
        lay = QVBoxLayout(self)
        names = ", ".join(one_line(h.name) for h in hosts[:8]) + (" …" if len(hosts) > 8 else "")
        lay.addWidget(plain_label(f"Patch {len(hosts)} host{'s' if len(hosts) != 1 else ''}: {names}", wrap=True))
        lay.addWidget(plain_label("First a dry run shows what would change on each host; nothing is changed until "
                                  "you press Install with sudo.", wrap=True))
        opts = QHBoxLayout()
        self.security_box = QCheckBox("&Security updates only")
        self.security_box.toggled.connect(lambda _on: self._options_changed())
        self.reboot_box = QCheckBox("&Reboot if required (wait for the host, then rescan)")
        opts.addWidget(self.security_box)
        opts.addWidget(self.reboot_box)
        opts.addStretch(1)
        lay.addLayout(opts)
        self.tree = QTreeWidget()
        self.tree.setObjectName("patchHosts")
        self.tree.setAccessibleName("Hosts to patch")
        self.tree.setHeaderLabels(["Host", "State", "Detail"])
        self.tree.setColumnWidth(0, 180)
        self.tree.setColumnWidth(1, 190)
        self.items: dict[str, QTreeWidgetItem] = {}
        for h in hosts:
            item = QTreeWidgetItem([one_line(h.name), "Waiting", ""])
            self.tree.addTopLevelItem(item)
            self.items[h.name] = item
        lay.addWidget(self.tree, 1)
        self.status = MessageLine("", name="patchStatus")
        lay.addWidget(self.status)
        bar = QHBoxLayout()
        self.dry_button = QPushButton("&Dry run")
        self.dry_button.clicked.connect(self.dry_run)
        self.install_button = QPushButton("&Install with sudo")
        self.install_button.setToolTip(plain_tooltip("Install the updates the dry run listed, with sudo (the "
                                                     "password from the keyring, or asked once)"))
        self.install_button.clicked.connect(self.install)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        for b in (self.dry_button, self.install_button, self.cancel_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.close_button)
        lay.addLayout(bar)
        self._update()

    # ------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return is_running(self.task)

    def _update(self) -> None:
        running = self.running
        self.dry_button.setEnabled(not running)
        self.install_button.setEnabled(not running and self._dry_run_ok and bool(self._to_install()))
        self.cancel_button.setEnabled(running)
        self.security_box.setEnabled(not running)
        self.reboot_box.setEnabled(not running)
        self.close_button.setEnabled(not running)

    def _to_install(self) -> list[InventoryHost]:
        return [h for h in self.hosts if (o := self.outcomes.get(h.name)) is not None and o.state == "would change"]

    def reject(self) -> None:  # Esc / Close: never while commands run on the hosts (Cancel first)
        if self.running:
            self.cancel()
            return
        super().reject()

    # ------------------------------------------------------------ runs
    def _options_changed(self) -> None:
        """Security-only changes what would be installed: a new dry run (after the running one)."""
        self._dry_run_ok = False
        if self.running:
            self._rerun = True
        else:
            self.dry_run()
        self._update()

    def dry_run(self) -> None:
        if self.running:
            return
        self._rerun = False
        self._dry_run_ok = False
        self._start(self.hosts, dry_run=True)
        self.status.setText("Dry run: reading each host's pending updates…")

    def install(self) -> None:
        hosts = self._to_install()
        if self.running or not self._dry_run_ok or not hosts:
            return
        self._start(hosts, dry_run=False)
        self.status.setText(f"Installing on {len(hosts)} host{'s' if len(hosts) != 1 else ''} with sudo…")

    def cancel(self) -> None:
        if self.running and self.task is not None:
            self.task.cancel()
            if self.asker is not None:
                self.asker.close()
            self.status.setText("Cancelling: running commands are stopped where they are…")

    def _start(self, hosts: list[InventoryHost], *, dry_run: bool) -> None:
        services, policy, accept = self.services, self.policy, self.accept_new
        security, reboot = self.security_box.isChecked(), self.reboot_box.isChecked()
        for h in hosts:
            self.outcomes.pop(h.name, None)
            self._show(h.name, "Waiting", "", [])
        asker = self.asker = PasswordAsker(self)

        def job(token: CancelToken, report: Callable[[Any], None]) -> Sequence[PatchOutcome]:
            return services.patch(hosts, policy, accept_new=accept, security_only=security, dry_run=dry_run,
                                  reboot_if_required=reboot, cancel=token,
                                  progress=lambda name, step, o: report((name, step, o)),
                                  ask_password=asker.ask)

        task = self.tasks.start(job, name="compliance-patch", progress_key=lambda p: p[0], interval_ms=100)
        task.progress.connect(self._progress)
        task.succeeded.connect(lambda outcomes: self._done(list(outcomes), dry_run))
        task.failed.connect(lambda exc: self.status.show_failure("Patching failed", exc))
        task.cancelled.connect(lambda: self.status.setText("Cancelled."))
        task.finished.connect(self._ended)
        self.task = task
        self._update()

    def _progress(self, items: list[tuple[str, str, Any]]) -> None:
        for name, step, outcome in items:
            if outcome is not None:
                self.outcomes[name] = outcome
                state, detail = outcome_text(outcome)
                self._show(name, state, detail, outcome.changes)
            else:
                self._show(name, step[:1].upper() + step[1:] + "…", "", None)

    def _show(self, name: str, state: str, detail: str, changes: list[str] | None) -> None:
        item = self.items.get(name)
        if item is None:
            return
        item.setText(1, state)
        item.setText(2, detail)
        item.setToolTip(2, plain_tooltip(detail) if detail else "")
        if changes is not None:
            item.takeChildren()
            for c in changes:
                item.addChild(QTreeWidgetItem(["", "", one_line(c)]))
            item.setExpanded(len(changes) <= 30)

    def _done(self, outcomes: list[PatchOutcome], dry_run: bool) -> None:
        self._progress([(o.host, "done", o) for o in outcomes])
        counts: dict[str, int] = {}
        for o in outcomes:
            state = outcome_text(o)[0].split(":")[0]
            counts[state] = counts.get(state, 0) + 1
        summary = ", ".join(f"{n} {s.lower()}" for s, n in counts.items())
        if dry_run and self._rerun:
            return  # its options are stale: the new dry run starts when this one has ended
        if dry_run:
            self._dry_run_ok = True
            n = len(self._to_install())
            self.status.setText(f"Dry run: {summary}. " + (f"Install with sudo patches the {n} host"
                                                           f"{'s' if n != 1 else ''} that would change."
                                                           if n else "Nothing to install."))
            self.dry_run_done.emit(outcomes)
        else:
            bad = any(o.state in ("failed", "unknown") for o in outcomes)
            (self.status.show_error if bad else self.status.show_ok)(f"Patch run: {summary}.")
            self.patched.emit(outcomes)

    def _ended(self) -> None:
        if self.asker is not None:
            self.asker.close()
        if self._rerun:
            self.dry_run()
        self._update()
