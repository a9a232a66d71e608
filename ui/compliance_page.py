"""Long because: the inventory, group, policy and scan controls share one state (hosts, policy, scan, tasks).

The Compliance page: choose an inventory (a file or the address book), a group and a policy; scan with per-host
progress and Cancel; a sortable, filterable table of the hosts; the fleet chart; a host's reasons and updates;
export and tickets (ui/compliance_results.py) and a terminal on the host. The table is ui/compliance_table.py.

Everything that reads files, opens connections or talks to a ticket backend runs on a worker thread through the
task runner (`ui.services.TaskStarter`); the page only updates widgets. Services come in through the constructor
(`ui.compliance_services.ComplianceServices`). A terminal on a host is asked for with `terminal_requested(name)`;
`desktop/app.py` opens it on the Remote page.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from common.cancel import CancelToken
from fleet.inventory import InventoryHost
from fleet.policy import DEFAULT, Policy
from fleet.scan import ScanResult

from .compliance_chart import FleetChart
from .compliance_detail import HostDetail
from .compliance_model import HostRow, one_line
from .compliance_patch import PatchDialog, merge_results
from .compliance_results import PageHooks, ResultActions
from .compliance_services import ComplianceServices
from .compliance_table import HostTable
from .errors import MessageLine
from .plain import heading_label, plain_label, plain_tooltip
from .services import TaskHandle, TaskStarter, is_running

CHUNK = 20  # hosts' progress applied per event-loop turn
ADDRESS_BOOK = "Address book and ~/.ssh/config"
INVENTORY_FILTER = "Inventories (*.ini *.cfg *.yml *.yaml *.csv hosts *);;All files (*)"


class CompliancePage(QWidget):
    status_message = Signal(str)  # shown in the main window's status bar
    terminal_requested = Signal(str)  # the inventory name of a host to open a terminal on (desktop/app.py)
    scan_finished = Signal(object)  # the ScanResult (also after Cancel, with the finished hosts)
    inventory_loaded = Signal(list)  # the inventory's hosts, after each load

    def __init__(self, services: ComplianceServices, tasks: TaskStarter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.tasks = tasks
        self.hosts: list[InventoryHost] = []
        self.inventory_path: Path | None = None
        self.policy: Policy = DEFAULT
        self.scan_result: ScanResult | None = None
        self._scan_policy: Policy = DEFAULT
        self._scan_task: TaskHandle | None = None
        self._load_generation = 0
        self._policy_generation = 0  # only the last policy asked for applies (the default loads at first show)
        self._loading = False
        self._loaded_once = False
        self._done = 0
        self._cancelling = False
        self._pending: deque[tuple[str, str, Any]] = deque()  # progress not applied yet
        self._applying = False
        self._jobs: list[TaskHandle] = []  # export, tickets, trend: kept alive until they finish
        self.patch_dialog: PatchDialog | None = None
        self.results = ResultActions(PageHooks(services, self._start, self._status, self._ok, self._fail,
                                               lambda: (self.scan_result, self._scan_policy)), self)
        self._build()
        self._update_actions()

    # ---------------------------------------------------------------- layout
    def _action(self, text: str, key: QKeySequence | QKeySequence.StandardKey | Qt.Key | str, slot: Callable[[], Any]
                ) -> QAction:
        a = QAction(text, self)
        a.setShortcut(QKeySequence(key))
        # Window-wide, but only while this page is the visible one (Qt ignores shortcuts of hidden widgets).
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _button(self, action: QAction, text: str, tip: str) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(plain_tooltip(f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"))
        b.clicked.connect(action.trigger)
        action.enabledChanged.connect(b.setEnabled)
        b.setEnabled(action.isEnabled())
        return b

    def _build(self) -> None:
        self.scan_action = self._action("&Scan", Qt.Key.Key_F5, self.scan)
        self.cancel_action = self._action("&Cancel", Qt.Key.Key_Escape, self.cancel)
        self.open_inventory_action = self._action("Choose &inventory…", QKeySequence.StandardKey.Open,
                                                  self.choose_inventory)
        self.open_policy_action = self._action("Choose &policy…", "Ctrl+Shift+O", self.choose_policy)
        self.export_action = self._action("&Export…", QKeySequence.StandardKey.Save, self.export_dialog)
        self.tickets_action = self._action("Create &tickets…", "Ctrl+K", self.confirm_tickets)
        self.terminal_action = self._action("Open ter&minal", "Ctrl+T", self.open_terminal)
        self.patch_action = self._action("&Patch…", "Ctrl+P", self.open_patch)
        self.filter_action = self._action("Filter", QKeySequence.StandardKey.Find, lambda: self.filter_edit.setFocus())

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.setSpacing(6)
        outer.addWidget(heading_label("Compliance", 1.5))
        outer.addWidget(plain_label("Patch compliance of your hosts over SSH: pending security updates, reboots and "
                                    "end-of-life systems, scored against a policy.", wrap=True))

        src = QHBoxLayout()
        src.setSpacing(6)
        self.source_combo = QComboBox()
        self.source_combo.setAccessibleName("Inventory")
        self.source_combo.addItem(ADDRESS_BOOK, None)
        self.source_combo.setMinimumContentsLength(28)
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_combo.activated.connect(self._source_chosen)
        inv_label = plain_label("I&nventory:")
        inv_label.setBuddy(self.source_combo)
        self.group_combo = QComboBox()
        self.group_combo.setAccessibleName("Group")
        self.group_combo.setMinimumContentsLength(14)
        self.group_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.group_combo.currentIndexChanged.connect(lambda _i: self._show_hosts())
        group_label = plain_label("&Group:")
        group_label.setBuddy(self.group_combo)
        self.policy_label = plain_label("Policy: built-in", name="policyLabel")
        self.trust_box = QCheckBox("Trust ne&w host keys")
        self.trust_box.setToolTip(plain_tooltip("Accept the key of a host never connected to before (as "
                                                "deskside scan --accept-new). A changed key is always refused."))
        src.addWidget(inv_label)
        src.addWidget(self.source_combo, 1)
        for w in (self._button(self.open_inventory_action, "Choose…", "Choose an Ansible INI/YAML or CSV inventory"),
                  group_label, self.group_combo):
            src.addWidget(w)
        src.addSpacing(10)
        src.addWidget(self.policy_label)
        src.addWidget(self._button(self.open_policy_action, "Policy…", "Choose a policy TOML file"))
        self.builtin_policy_button = QPushButton("B&uilt-in")
        self.builtin_policy_button.setToolTip(plain_tooltip(
            "Use the default policy: [compliance] policy in config.toml (e.g. set by your organisation), "
            "else the built-in one"))
        self.builtin_policy_button.clicked.connect(lambda: self.set_policy(None))
        src.addWidget(self.builtin_policy_button)
        src.addSpacing(10)
        src.addWidget(self.trust_box)
        outer.addLayout(src)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.scan_button = self._button(self.scan_action, "Scan", "Scan the hosts shown")
        self.scan_button.setDefault(True)
        self.cancel_button = self._button(self.cancel_action, "Cancel", "Stop the scan; finished hosts are kept")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("%v of %m hosts")
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.setVisible(False)
        self.status_label = MessageLine("Choose an inventory and a group, then press Scan (F5).",
                                        name="complianceStatus")
        self.export_button = self._button(self.export_action, "Export…", "Save the results as CSV, JSON or HTML")
        self.tickets_button = self._button(self.tickets_action, "Create tickets…",
                                           "A ticket per non-compliant host and rule, never twice")
        self.terminal_button = self._button(self.terminal_action, "Open terminal", "A terminal on the selected host")
        self.patch_button = self._button(self.patch_action, "Patch…", "Install pending updates on the selected hosts "
                                         "(or the group's): a dry run first, then with sudo")
        for b in (self.scan_button, self.cancel_button, self.progress_bar):
            bar.addWidget(b)
        bar.addWidget(self.status_label, 1)
        for w in (self.export_button, self.tickets_button, self.patch_button, self.terminal_button):
            bar.addWidget(w)
        outer.addLayout(bar)

        self.host_table = left = HostTable()
        self.table, self.model, self.proxy = left.table, left.model, left.proxy
        self.filter_edit, self.status_filter = left.filter_edit, left.status_filter
        left.current_changed.connect(self._show_current)

        self.chart = FleetChart()
        self.detail = HostDetail()
        self.table.doubleClicked.connect(lambda _i: self.detail.tabs.setFocus())
        # The table gets the width and most of the height; the host's details and the fleet chart share the rest.
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.detail)
        lower.addWidget(self.chart)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        lower.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(left)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        outer.addWidget(self.splitter, 1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self.set_policy(None, quiet=True)  # the configured default ([compliance] in config.toml) or built-in
            self.set_inventory(self.inventory_path)
            self._load_trend()

    # ---------------------------------------------------------------- state
    @property
    def is_scanning(self) -> bool:
        return is_running(self._scan_task)

    def _update_actions(self) -> None:
        scanning = self.is_scanning
        has_results = self.scan_result is not None and not scanning
        self.scan_action.setEnabled(not scanning and not self._loading and bool(self.selected_hosts()))
        self.cancel_action.setEnabled(scanning)
        for w in (self.source_combo, self.group_combo, self.open_inventory_action, self.open_policy_action,
                  self.builtin_policy_button, self.trust_box):
            w.setEnabled(not scanning)
        self.export_action.setEnabled(has_results)
        self.tickets_action.setEnabled(has_results)
        self.terminal_action.setEnabled(self.current_row() is not None)
        self.patch_action.setEnabled(not scanning and not self._loading and bool(self.hosts_to_patch()))

    def _status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_message.emit(text)

    def _fail(self, what: str, exc: BaseException) -> None:
        self.status_message.emit(self.status_label.show_failure(what, exc))

    def report_failure(self, what: str, exc: BaseException) -> None:
        """Show that `what` failed and why (for the app's wiring, e.g. a terminal that cannot be opened)."""
        self._fail(what, exc)

    def keep(self, task: TaskHandle) -> TaskHandle:
        """Keep `task`'s handle alive until it finishes."""
        self._jobs.append(task)
        task.finished.connect(lambda: self._jobs.remove(task) if task in self._jobs else None)
        return task

    def _start(self, fn: Callable[[CancelToken, Callable[[Any], None]], Any], name: str) -> TaskHandle:
        return self.keep(self.tasks.start(fn, name=name))

    # ---------------------------------------------------------------- inventory, group, policy
    def choose_inventory(self) -> None:
        start = str(self.inventory_path.parent if self.inventory_path else self.services.default_dir())
        path, _ = QFileDialog.getOpenFileName(self, "Choose an inventory", start, INVENTORY_FILTER)
        if path:
            self.set_inventory(Path(path))

    def _source_chosen(self, index: int) -> None:
        data = self.source_combo.itemData(index)
        self.set_inventory(Path(data) if data else None)

    def set_inventory(self, path: Path | None) -> None:
        """Read the inventory (None: the address book) on a worker; the hosts shown change when it is read. A file
        that cannot be read is reported and the hosts shown before stay."""
        if self.is_scanning:
            return
        self._load_generation += 1
        generation = self._load_generation
        self._loading = True
        self._update_actions()
        where = str(path) if path else "the address book"
        self._status(f"Reading {where}…")
        services = self.services

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> list[InventoryHost]:
            return services.load_inventory(path)

        task = self._start(job, "compliance-inventory")
        task.succeeded.connect(lambda hosts: self._inventory_loaded(generation, path, hosts))
        task.failed.connect(lambda exc: self._inventory_failed(generation, path, exc))

    def _inventory_loaded(self, generation: int, path: Path | None, hosts: list[InventoryHost]) -> None:
        if generation != self._load_generation:
            return  # a later choice wins
        self._loading = False
        self.inventory_path = path
        self.hosts = list(hosts)
        self._select_source(path)
        previous = self.group_combo.currentData()
        groups = sorted({g for h in hosts for g in h.groups})
        self.group_combo.blockSignals(True)
        self.group_combo.clear()
        self.group_combo.addItem(f"All hosts ({len(hosts)})", None)
        for g in groups:
            self.group_combo.addItem(f"{one_line(g)} ({sum(g in h.groups for h in hosts)})", g)
        i = self.group_combo.findData(previous) if previous else 0
        self.group_combo.setCurrentIndex(max(0, i))
        self.group_combo.blockSignals(False)
        self._show_hosts()
        where = path.name if path else "the address book"
        self._status(f"{len(hosts)} hosts in {where}" + (f", {len(groups)} groups" if groups else "")
                     + (". Press Scan (F5)." if hosts else ". Add hosts to the address book or choose an inventory."))
        self.inventory_loaded.emit(self.hosts)

    def _inventory_failed(self, generation: int, path: Path | None, exc: BaseException) -> None:
        if generation != self._load_generation:
            return
        self._loading = False
        self._select_source(self.inventory_path)
        self._update_actions()
        self._fail("Could not read the inventory", exc)

    def _select_source(self, path: Path | None) -> None:
        i = self.source_combo.findData(str(path) if path else None)
        if i < 0 and path is not None:
            self.source_combo.addItem(str(path), str(path))
            i = self.source_combo.count() - 1
        self.source_combo.setCurrentIndex(max(0, i))
        self.source_combo.setToolTip(plain_tooltip(str(path) if path else ADDRESS_BOOK))

    def select_group(self, group: str | None) -> None:
        i = self.group_combo.findData(group) if group else 0
        if i >= 0:
            self.group_combo.setCurrentIndex(i)

    def selected_hosts(self) -> list[InventoryHost]:
        group = self.group_combo.currentData()
        return [h for h in self.hosts if group is None or group in h.groups]

    def _show_hosts(self) -> None:
        """The table lists the chosen group's hosts, with the last scan's result where there is one."""
        if self.is_scanning:
            return
        self.model.set_hosts(self.selected_hosts())
        if self.scan_result is not None:
            names = {h.name for h in self.selected_hosts()}
            self.model.set_results([r for r in self.scan_result.results if r.name in names])
        self._show_current()
        self._update_actions()

    def choose_policy(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a policy", str(self.services.default_dir()),
                                              "Policy (*.toml);;All files (*)")
        if path:
            self.set_policy(Path(path))

    def set_policy(self, path: Path | None, *, quiet: bool = False) -> None:
        """Read a policy file on a worker (None: the default policy, [compliance] in config.toml or the built-in
        one)."""
        services = self.services

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> Policy:
            return services.load_policy(path)

        task = self._start(job, "compliance-policy")
        self._policy_generation += 1
        generation = self._policy_generation
        task.succeeded.connect(lambda policy: self._policy_loaded(policy, quiet=quiet)
                               if generation == self._policy_generation else None)
        task.failed.connect(lambda exc: self._fail("Could not read the policy (the previous one stays)", exc))

    def _policy_loaded(self, policy: Policy, *, quiet: bool = False) -> None:
        self.policy = policy
        name = Path(policy.source).name if policy.source not in ("built-in default", "inline") else "built-in"
        if policy.source.startswith("[compliance]"):  # inline in config.toml (e.g. the organisation's)
            name = "config.toml [compliance]"
        self.policy_label.setText(f"Policy: {name}")
        self.policy_label.setToolTip(plain_tooltip(policy.source))
        if not quiet:
            self._status(f"Policy: {policy.source}")

    # ---------------------------------------------------------------- scan
    def scan(self) -> None:
        hosts = self.selected_hosts()
        if self.is_scanning or self._loading or not hosts:
            return
        services, policy, accept = self.services, self.policy, self.trust_box.isChecked()
        self._scan_policy = policy
        self.model.set_hosts(hosts, "waiting")
        # While the scan runs, rows stay where they are (re-sorting 100 rows on every delivery costs the GUI thread
        # tens of ms); the table is sorted and filtered again when the scan ends. A header click still sorts.
        self.proxy.setDynamicSortFilter(False)
        self._done = 0
        self._cancelling = False
        self.progress_bar.setRange(0, len(hosts))
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(True)

        def job(token: CancelToken, report: Callable[[Any], None]) -> ScanResult:
            return services.scan(hosts, policy, accept_new=accept, cancel=token,
                                 progress=lambda name, state, result: report((name, state, result)))

        # One progress entry per host survives each delivery: no host's final state is lost.
        task = self.tasks.start(job, name="compliance-scan", progress_key=lambda p: p[0], interval_ms=100)
        task.progress.connect(self._scan_progress)
        task.succeeded.connect(self._scan_done)
        task.failed.connect(self._scan_failed)
        task.cancelled.connect(lambda: self._status("Cancelled."))
        task.finished.connect(self._scan_ended)
        self._scan_task = task
        self._update_actions()
        self._status(f"Scanning {len(hosts)} hosts…")

    def _scan_progress(self, items: list[tuple[str, str, Any]]) -> None:
        """Queue a delivery; it is applied CHUNK hosts per event-loop turn, so 100 hosts finishing at once (closed
        ports) never hold the GUI thread for long."""
        self._pending.extend(items)
        if not self._applying:
            self._applying = True
            QTimer.singleShot(0, self._apply_progress)

    def _apply_progress(self) -> None:
        items = [self._pending.popleft() for _ in range(min(CHUNK, len(self._pending)))]
        if self._pending:
            QTimer.singleShot(0, self._apply_progress)
        else:
            self._applying = False
        if not items or not self.is_scanning:
            return  # the scan's result has been shown: it has every host's final state
        self._done += sum(1 for _name, state, _result in items if state == "done")
        self.model.update_hosts([(name, state, result if state == "done" else None) for name, state, result in items])
        self._set_progress(self._done)
        if not self._cancelling:
            self.status_label.setText(f"Scanning: {self._done} of {self.progress_bar.maximum()} hosts done…")
        current = self.current_row()
        if current is not None and any(name == current.name for name, _s, _r in items):
            self._show_current()

    def _set_progress(self, value: int) -> None:
        """QProgressBar.setValue repaints at once (~7 ms a call, profiled, during a 100-host scan); with updates off
        it only stores the value, and turning them on again schedules one ordinary paint with the rest."""
        bar = self.progress_bar
        bar.setUpdatesEnabled(False)
        bar.setValue(value)
        bar.setUpdatesEnabled(True)

    def _scan_done(self, result: ScanResult) -> None:
        self._pending.clear()
        self.scan_result = result
        self.model.set_results(result.results)
        self._set_progress(self.progress_bar.maximum())
        t = result.totals
        self.chart.set_today(dataclasses.asdict(t))
        score = "" if t.score is None else f"; fleet score {t.score}"
        text = f"{t.hosts} hosts: {t.compliant} compliant, {t.non_compliant} non-compliant, {t.unknown} unknown{score}"
        if result.cancelled:
            finished = sum(1 for r in result.results if not (r.error or "").endswith("the scan was cancelled"))
            self._status(f"Cancelled: {finished} hosts finished and kept; the rest are marked not scanned. {text}")
        else:
            self._status(text)
        self._show_current()
        self._load_trend()
        self.scan_finished.emit(result)

    def _scan_failed(self, exc: BaseException) -> None:
        self._fail("The scan failed", exc)

    def _scan_ended(self) -> None:
        self.proxy.setDynamicSortFilter(True)  # sorts and filters the results once
        self.progress_bar.setVisible(False)
        self._update_actions()

    def cancel(self) -> None:
        if self.is_scanning and self._scan_task is not None:
            self._scan_task.cancel()
            self._cancelling = True
            self._status("Cancelling: the hosts being scanned stop, finished ones are kept…")

    def _load_trend(self) -> None:
        services = self.services

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> list[tuple[str, dict[str, Any]]]:
            return services.trend()

        task = self._start(job, "compliance-trend")
        task.succeeded.connect(self.chart.set_trend)
        task.failed.connect(lambda exc: self._fail("The scan history could not be read", exc))

    # ---------------------------------------------------------------- the selected host
    def current_row(self) -> HostRow | None:
        return self.host_table.current_row()

    def select_host(self, name: str) -> bool:
        return self.host_table.select_host(name)

    def _show_current(self) -> None:
        self.detail.show_row(self.current_row())
        self.terminal_action.setEnabled(self.current_row() is not None)
        self.patch_action.setEnabled(not self.is_scanning and not self._loading and bool(self.hosts_to_patch()))

    # ---------------------------------------------------------------- patching (ui/compliance_patch.py)
    def hosts_to_patch(self) -> list[InventoryHost]:
        """The selected rows' hosts, or the chosen group's when no row is selected."""
        names = {r.name for r in self.host_table.selected_rows()}
        hosts = self.selected_hosts()
        return [h for h in hosts if h.name in names] if names else hosts

    def open_patch(self) -> None:
        hosts = self.hosts_to_patch()
        if not hosts or self.is_scanning or (self.patch_dialog is not None and self.patch_dialog.running):
            return
        dialog = PatchDialog(hosts, self.policy, self.trust_box.isChecked(), self.services, self.tasks, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.patched.connect(self._patched)
        dialog.destroyed.connect(lambda: setattr(self, "patch_dialog", None) if self.patch_dialog is dialog else None)
        self.patch_dialog = dialog
        dialog.open()
        dialog.dry_run()

    def _patched(self, outcomes: list[Any]) -> None:
        """The patched hosts' rescans (their state before, where the upgrade did not run) in the table."""
        if self.is_scanning:
            return
        fresh = [o.after or o.before for o in outcomes if (o.after or o.before) is not None]
        targets = {h.name: h.target() for h in self.hosts}
        for r in fresh:
            r.target = r.target or targets.get(r.name, "")
        self.scan_result = merge_results(self.scan_result, fresh)
        self.model.set_results(fresh)
        self.chart.set_today(dataclasses.asdict(self.scan_result.totals))
        self._status(f"Patched and rescanned: {len(fresh)} host{'s' if len(fresh) != 1 else ''} updated in the table.")
        self._show_current()
        self._update_actions()

    def open_terminal(self) -> None:
        row = self.current_row()
        if row is not None:
            self.terminal_requested.emit(row.name)
            self._status(f"Opening a terminal on {one_line(row.name)}…")

    # ---------------------------------------------------------------- export, tickets (ui/compliance_results.py)
    def export_dialog(self) -> None:
        self.results.export_dialog()

    def export(self, fmt: str, path: Path) -> TaskHandle | None:
        """Write the last scan as `fmt` ("csv", "json", "html") to `path` on a worker."""
        return self.results.export(fmt, path)

    def confirm_tickets(self) -> None:
        self.results.confirm_tickets()

    def file_tickets(self) -> TaskHandle | None:
        return self.results.file_tickets()

    @property
    def message_box(self) -> QMessageBox | None:
        return self.results.message_box

    def _ok(self, text: str) -> None:
        self.status_label.show_ok(text)
        self.status_message.emit(text)
