"""The commands the GUI thread queues for a connection's worker thread: one frozen dataclass each.

`ConnectionWorker` dispatches them by type (see `worker.py`); a handler's failure is answered on the signal of the
request that failed (`Command.fail`), so a terminal tab, a listing or a transfer row never waits forever.
"""

from __future__ import annotations

from dataclasses import dataclass

from ui.remote_services import ForwardSpec


@dataclass(frozen=True)
class Connect:
    """(Re)connect: closes what was open, then connects anew."""


@dataclass(frozen=True)
class Wake:
    """Nothing to do: wakes the worker so that it notices a connection lost (keepalive watchdog, a transfer)."""


@dataclass(frozen=True)
class Quit:
    """Close everything and end the worker thread."""


@dataclass(frozen=True)
class OpenShell:
    shell_id: int
    cols: int
    rows: int
    term: str


@dataclass(frozen=True)
class Send:
    shell_id: int
    data: bytes


@dataclass(frozen=True)
class Resize:
    shell_id: int
    cols: int
    rows: int


@dataclass(frozen=True)
class CloseShell:
    shell_id: int


@dataclass(frozen=True)
class ListDir:
    request_id: int
    path: str  # "" or "." = the login folder


@dataclass(frozen=True)
class Download:
    transfer_id: int
    remote_path: str
    local_dir: str  # the file or folder is downloaded INTO this folder
    resume: bool = False


@dataclass(frozen=True)
class Upload:
    transfer_id: int
    local_path: str
    remote_dir: str  # the file or folder is uploaded INTO this folder
    resume: bool = False


@dataclass(frozen=True)
class StartForward:
    forward_id: int
    spec: ForwardSpec


@dataclass(frozen=True)
class StopForward:
    forward_id: int


Transfer = Download | Upload
ShellCommand = OpenShell | Send | Resize | CloseShell
Command = Connect | Wake | Quit | ShellCommand | ListDir | Transfer | StartForward | StopForward
