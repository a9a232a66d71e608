"""The Compliance page's services (`ui.compliance_services.ComplianceServices`) over `desktop.wiring`: the inventory
(a file or the address book and ~/.ssh/config), the policy, the SSH scan with the scan history, exports, tickets
through the outbox, and a host's address-book profile for a terminal on the Remote page.

Every method runs on a worker thread (the page starts them through the task runner). Errors of the user's input
(an inventory or policy that cannot be read) become `UserError`s whose message names the file and line.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.cancel import CancelToken
from common.errors import UserError
from fleet.evaluate import HostResult
from fleet.inventory import InventoryError, InventoryHost
from fleet.policy import Policy, PolicyError
from fleet.scan import ScanResult

from . import settings, wiring
from .fleet_patch import PatchOutcome
from .fleet_tickets import TicketOutcome

log = logging.getLogger(__name__)


class ComplianceHub:
    """`connector(accept_new)` builds the scan's SSH connector (default: `wiring.fleet_connector`); the other
    arguments default to the user's files through `desktop.wiring` (tests pass their own). With the default
    connector and `isolate` (the default) a scan runs in a child process (`desktop/scan_process.py`) so that the
    SSH work never holds the GUI process's GIL; with a connector of the caller's it runs on the calling thread."""

    def __init__(self, *, connector: Callable[[bool], Any] | None = None, history_path: Path | None = None,
                 use_history: bool = True, concurrency: int = 8, host_timeout: float = 180.0,
                 ticket_service: Callable[[], Any] | None = None, use_ansible: bool = True,
                 home: Path | None = None, isolate: bool = True) -> None:
        self.isolate = isolate and connector is None
        self._connector = connector or (lambda accept_new: wiring.fleet_connector(accept_new=accept_new))
        self._history_path = history_path
        self.use_history = use_history
        self.concurrency = concurrency
        self.patch_concurrency = 4  # as deskside patch's default -j
        self.host_timeout = host_timeout
        self._ticket_service = ticket_service or wiring.ticket_service
        self.use_ansible = use_ansible
        self._home = home
        self._lock = threading.Lock()
        self.hosts: dict[str, InventoryHost] = {}  # the last inventory's hosts by name (for a terminal)

    def history_path(self) -> Path:
        return self._history_path or wiring.fleet_history_path()

    def default_dir(self) -> Path:
        return self._home or Path.home()

    # -- inventory and policy ---------------------------------------------------------------------------------
    def load_inventory(self, path: Path | None) -> list[InventoryHost]:
        try:
            hosts = list(wiring.fleet_inventory(path, use_ansible=self.use_ansible))
        except InventoryError as exc:
            raise UserError(str(exc)) from exc
        except OSError as exc:
            raise UserError(f"{path}: {exc.strerror or exc}") from exc
        with self._lock:
            self.hosts.update({h.name: h for h in hosts})
        return hosts

    def load_policy(self, path: Path | None) -> Policy:
        from fleet import policy as pol

        if path is None:  # the configured policy ([compliance] in config.toml, e.g. the organisation's)
            try:
                return wiring.compliance_policy()
            except (PolicyError, settings.ConfigError) as exc:
                raise UserError(str(exc)) from exc

        try:
            return pol.load(path)
        except PolicyError as exc:
            raise UserError(str(exc)) from exc
        except OSError as exc:
            raise UserError(f"{path}: {exc.strerror or exc}") from exc

    # -- scan and history -------------------------------------------------------------------------------------
    def _history(self) -> Any:
        if not self.use_history:
            return None
        from fleet.history import History, HistoryError

        try:
            from . import paths

            paths.ensure(self.history_path().parent)
            return History(self.history_path())
        except (HistoryError, OSError) as exc:
            log.error("scan history: %s; scanning without history", exc)
            return None

    def scan(self, hosts: list[InventoryHost], policy: Policy, *, accept_new: bool, cancel: CancelToken,
             progress: Callable[[str, str, HostResult | None], None]) -> ScanResult:
        from fleet.scan import scan

        with self._lock:
            self.hosts.update({h.name: h for h in hosts})
        history = self._history()
        try:
            if self.isolate:
                from .scan_process import ScanRequest, scan_in_child

                request = ScanRequest(hosts, policy, accept_new, self.concurrency, self.host_timeout,
                                      str(self.history_path()) if history is not None else None)
                result = scan_in_child(request, cancel=cancel, progress=progress)
            else:
                result = scan(hosts, policy, self._connector(accept_new), concurrency=self.concurrency,
                              host_timeout=self.host_timeout, cancel=cancel,
                              first_seen=history.first_seen if history is not None else None, progress=progress,
                              answers=wiring.fleet_apt_answers())
            if history is not None:
                try:
                    history.record(result.results, result.totals, started_at=result.started_at,
                                   policy=policy.source, now=dt.datetime.now(dt.UTC))
                except Exception as exc:  # the results are still shown; only the history misses this scan
                    log.error("the scan history could not be written: %s", exc)
            return result
        finally:
            if history is not None:
                history.close()

    def trend(self) -> list[tuple[str, dict[str, Any]]]:
        if not self.use_history or not self.history_path().exists():
            return []
        from fleet.history import History, HistoryError

        try:
            with History(self.history_path()) as h:
                return [(when, totals) for _id, when, totals in reversed(h.scans(30))]
        except HistoryError as exc:
            raise UserError(str(exc)) from exc

    # -- results ----------------------------------------------------------------------------------------------
    def export(self, result: ScanResult, policy: Policy, fmt: str, path: Path) -> Path:
        from diagnostics.render.files import write_atomic
        from fleet import export

        if fmt == "csv":
            text = export.to_csv(result)
        elif fmt == "json":
            text = export.to_json(result, policy.source)
        elif fmt == "html":
            try:
                trend = self.trend()
            except UserError:
                trend = []
            text = export.to_html(result, policy.source, trend or None)
        else:
            raise UserError(f"unknown export format {fmt!r}: choose csv, json or html")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return path

    def file_tickets(self, results: list[HostResult]) -> list[TicketOutcome]:
        from tickets.errors import TicketError

        from . import settings
        from .fleet_tickets import file_tickets

        try:
            return file_tickets(self._ticket_service(), results)
        except (settings.ConfigError, ValueError) as exc:
            raise UserError(str(exc)) from exc
        except TicketError:
            raise

    # -- patching (deskside patch's own code) -----------------------------------------------------------------
    def patch(self, hosts: list[InventoryHost], policy: Policy, *, accept_new: bool, security_only: bool,
              dry_run: bool, reboot_if_required: bool, cancel: CancelToken,
              progress: Callable[[str, str, Any], None], ask_password: Callable[[str], str | None]
              ) -> list[PatchOutcome]:
        from concurrent.futures import ThreadPoolExecutor

        from remote.auth import KeyringSecrets

        from .fleet_patch import PasswordSource, patch_host

        with self._lock:
            self.hosts.update({h.name: h for h in hosts})
        connector = self._connector(accept_new)
        passwords = PasswordSource(KeyringSecrets(), ask_password)

        def one(h: InventoryHost) -> PatchOutcome:
            if cancel.cancelled:
                out = PatchOutcome(host=h.name, state="unknown", detail="not started: cancelled")
            else:
                out = patch_host(h, policy, connector, passwords, security_only=security_only, dry_run=dry_run,
                                 reboot_if_required=reboot_if_required, cancel=cancel,
                                 progress=lambda name, step: progress(name, step, None))
            progress(h.name, "done", out)
            return out

        with ThreadPoolExecutor(max_workers=max(1, self.patch_concurrency), thread_name_prefix="patch") as pool:
            futures = [pool.submit(one, h) for h in hosts]
        return [f.result() for f in futures]

    # -- terminal ---------------------------------------------------------------------------------------------
    def profile(self, name: str) -> Any:
        """The address-book profile a terminal on the inventory host `name` connects with (as a scan does)."""
        from .fleet_hosts import profile_for

        with self._lock:
            inv = self.hosts.get(name)
        if inv is None:
            inv = InventoryHost(name=name, hostname=name)
        book = wiring.load_address_book(spare_if_unreadable=True)
        return profile_for(inv, book, wiring.ssh_config_path())


def wire_terminal(window: Any) -> None:
    """For desktop/app.py: the Compliance page's "Open terminal" opens a session on the Remote page (the host's
    profile is resolved on a worker: it reads the address book and ~/.ssh/config). The Remote page is asked for
    (and so built) only when a terminal is opened."""
    try:
        page = window.page("compliance")
    except KeyError:
        return
    hub = getattr(page, "services", None)
    if not (hasattr(page, "terminal_requested") and isinstance(hub, ComplianceHub)
            and "remote" in window.page_keys()):
        return

    def connect(profile: Any) -> None:
        remote = window.page("remote")
        if hasattr(remote, "connect_to"):
            remote.connect_to(profile)
            window.show_page("remote")

    def open_terminal(name: str) -> None:
        task = page.tasks.start(lambda _token, _progress: hub.profile(name), name="compliance-terminal")
        task.succeeded.connect(connect)
        task.failed.connect(lambda exc: page.report_failure("Could not open a terminal", exc))
        page.keep(task)

    page.terminal_requested.connect(open_terminal)
