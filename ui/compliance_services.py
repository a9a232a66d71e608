"""What the Compliance page needs from the application, as a protocol (`desktop/compliance_hub.py` implements it over
`desktop.wiring`; tests may inject their own). Every method is called on a worker thread (`ui.services.TaskStarter`),
never on the GUI thread: each may read files, open SSH connections or talk to a ticket backend.

Errors are raised as exceptions worded for users (`common.errors.UserError`, the remote and ticket errors);
`ui.errors.user_message` turns them into the one sentence the page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from common.cancel import CancelToken
from fleet.evaluate import HostResult
from fleet.inventory import InventoryHost
from fleet.policy import Policy
from fleet.scan import ScanResult

# progress(host name, state, result when done): state is "connecting", "collecting" or "done"
ScanProgress = Callable[[str, str, HostResult | None], None]
# patch progress(host name, step, the outcome when done): step is "reading the posture", "dry run", "upgrading",
# "rescanning", "rebooting", "waiting for the host to come back" or "done"
PatchProgress = Callable[[str, str, "PatchOutcome | None"], None]
# asked on a worker thread, at most once per patch run; None: no password
AskPassword = Callable[[str], str | None]
# a scan's totals from the history, oldest first: (finished at, FleetTotals as a dict)
Trend = list[tuple[str, dict[str, Any]]]
EXPORT_FORMATS = ("csv", "json", "html")


class TicketOutcome(Protocol):
    """What happened to one host and rule's ticket (desktop.fleet_tickets.TicketOutcome)."""

    host: str
    key: str
    state: str  # the outbox state ("sent", "queued", ...) or "already open"
    reference: str
    detail: str


class PatchOutcome(Protocol):
    """What patching did to one host (desktop.fleet_patch.PatchOutcome)."""

    host: str
    state: str  # "would change", "up to date", "patched", "rebooted" (nothing to install), "failed", "unknown"
    changes: list[str]
    detail: str
    rebooted: bool
    before: HostResult | None
    after: HostResult | None


class ComplianceServices(Protocol):
    def load_inventory(self, path: Path | None) -> list[InventoryHost]:
        """The hosts of an inventory file (Ansible INI/YAML, CSV), or of the address book and ~/.ssh/config when
        `path` is None. Errors name the file and line."""
        ...

    def load_policy(self, path: Path | None) -> Policy:
        """The policy of a TOML file, or the built-in one when `path` is None. Errors name the line."""
        ...

    def scan(self, hosts: list[InventoryHost], policy: Policy, *, accept_new: bool, cancel: CancelToken,
             progress: ScanProgress) -> ScanResult:
        """Scan `hosts` (finished hosts are kept when `cancel` is set) and record the scan in the history."""
        ...

    def trend(self) -> Trend:
        """Earlier scans' totals from the history, oldest first ([] without a history)."""
        ...

    def export(self, result: ScanResult, policy: Policy, fmt: str, path: Path) -> Path:
        """Write `result` as `fmt` ("csv", "json", "html") to `path`; returns the path written."""
        ...

    def file_tickets(self, results: list[HostResult]) -> Sequence[TicketOutcome]:
        """A ticket per non-compliant host and rule that has none yet, through the outbox."""
        ...

    def patch(self, hosts: list[InventoryHost], policy: Policy, *, accept_new: bool, security_only: bool,
              dry_run: bool, reboot_if_required: bool, cancel: CancelToken, progress: PatchProgress,
              ask_password: AskPassword) -> Sequence[PatchOutcome]:
        """`deskside patch` on `hosts` (a dry run, or the upgrade with sudo and a rescan), one outcome per host in
        their order. The sudo password comes from the keyring, else from `ask_password` (asked once)."""
        ...

    def default_dir(self) -> Path:
        """Where the file dialogs start."""
        ...
