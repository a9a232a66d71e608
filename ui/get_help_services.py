"""What the Get Help page and the backend Settings need from the application, and small helpers they share.

`TicketsHub` is implemented by `desktop/tickets_hub.py` (config.toml, the data dir and the keyring joined there);
every method may block (files, keyring, network), so the pages call them only inside jobs on the task runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from diagnostics.model import Report
from tickets.errors import TicketError
from tickets.follow import Change, TicketFollower
from tickets.service import TicketService


@dataclass
class BackendRow:
    """One `[backends.NAME]` table as the Settings dialog shows it (never holds a secret value)."""

    name: str
    type: str
    table: dict[str, Any]  # the table as written in config.toml (with type)
    problem: str = ""  # validation error, "" when valid
    secret_fields: tuple[str, ...] = ()
    secrets_stored: dict[str, bool] = field(default_factory=dict)
    secrets_from_env: set[str] = field(default_factory=set)  # given by DESKSIDE_SECRET_<NAME>_<FIELD> instead
    default: bool = False
    organisation: bool = False  # defined in the organisation's system config, not in the user's
    locked: bool = False  # locked there: it cannot be edited or removed here


@dataclass
class BackendsInfo:
    rows: list[BackendRow]
    default: str | None
    keyring: str  # where secrets go, or why they cannot be stored
    keyring_ok: bool
    config_path: str
    problem: str = ""  # config.toml unreadable: nothing can be edited until it is fixed
    default_locked: bool = False  # the organisation chose the default backend ([tickets] backend is locked)


class TicketsHub(Protocol):
    def service(self) -> TicketService:
        """The ticket service for the current config (cached; rebuilt after a settings change)."""
        ...

    def backends(self) -> BackendsInfo: ...

    def save_backend(self, name: str, table: dict[str, Any], secrets: dict[str, str], *,
                     old_name: str | None = None, make_default: bool = False) -> str:
        """Validate, store the secrets in the keyring, write the table to config.toml; returns what was done."""
        ...

    def remove_backend(self, name: str) -> str: ...

    def set_default(self, name: str) -> str: ...

    def test_backend(self, name: str, table: dict[str, Any] | None, secrets: dict[str, str],
                     timeout: float) -> str:
        """Check connection and credentials, creating nothing. `table` None: the saved config."""
        ...

    def follower(self) -> TicketFollower:
        """Following sent tickets ("My tickets") with the current service."""
        ...

    def notify(self, changes: list[Change]) -> str | None:
        """A desktop notification for what changed on followed tickets; why none could be shown, or None."""
        ...


@dataclass
class ReportMaterial:
    """What a diagnostics report contributes to a ticket: the JSON dict and the log excerpts its findings
    point to (read from this machine)."""

    report: dict[str, Any]
    logs: dict[str, str]


def prepare_material(report: Report, this_machine: str | None = None) -> ReportMaterial:
    """Blocking (reads log files): call on a worker. The log excerpts are read on this machine, so only for a
    report made here (`this_machine`: this computer's host name); a remote host's report (Remote page, Run
    diagnostics) names paths that here hold other, unrelated data, and goes without excerpts."""
    import platform

    from tickets.bundle import log_excerpts

    data = report.to_dict()
    local = platform.node() if this_machine is None else this_machine
    return ReportMaterial(data, log_excerpts(data) if report.host == local else {})


def backend_title(svc: TicketService | None, name: str) -> str:
    """"helpdesk (Request Tracker)": a backend's name with the title of its connector type."""
    if svc is None:
        return name
    type_ = str(svc.backends.get(name, {}).get("type", ""))
    try:
        from tickets.connectors import connector_class

        title = connector_class(type_).title
    except (TicketError, ImportError):
        title = type_
    return f"{name} ({title})" if title else name
