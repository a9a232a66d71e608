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
class _ShellCommand:
    shell_id: int  # chosen by the GUI thread when it asks for the shell


@dataclass(frozen=True)
class OpenShell(_ShellCommand):
    cols: int
    rows: int
    term: str  # the TERM the shell gets, e.g. xterm-256color


@dataclass(frozen=True)
class Send(_ShellCommand):
    data: bytes  # typed keys or pasted text, already encoded


@dataclass(frozen=True)
class Resize(_ShellCommand):
    cols: int
    rows: int


class CloseShell(_ShellCommand):
    """Close one terminal's shell; the others and the connection stay."""


@dataclass(frozen=True)
class ListDir:
    request_id: int
    path: str  # "" or "." = the login folder


@dataclass(frozen=True)
class _Transfer:
    transfer_id: int
    source: str  # a file or folder
    target_dir: str  # copied INTO this folder
    resume: bool = False  # continue a partial copy


class Download(_Transfer):
    """source is on the server, target_dir here."""


class Upload(_Transfer):
    """source is here, target_dir on the server."""


@dataclass(frozen=True)
class _ForwardCommand:
    forward_id: int


@dataclass(frozen=True)
class StartForward(_ForwardCommand):
    spec: ForwardSpec


class StopForward(_ForwardCommand):
    """Stop one tunnel; connections it carries are closed."""


Transfer = Download | Upload
ShellCommand = OpenShell | Send | Resize | CloseShell
Command = Connect | Wake | Quit | ShellCommand | ListDir | Transfer | StartForward | StopForward
