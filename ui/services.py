"""What the pages need from the application, as protocols. `desktop/app.py` provides the real implementations
(`desktop.tasks.TaskRunner`, `desktop.app.run_diagnostics` over `desktop.wiring`); tests may inject their own."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol

from PySide6.QtCore import SignalInstance

from common.cancel import CancelToken
from diagnostics.model import Report

# progress(collector name, state, number finished, total)
DiagnosticsProgress = Callable[[str, str, int, int], None]
# run_diagnostics(collector_names | None, include_connectivity, cancel_token, progress) -> Report
RunDiagnostics = Callable[[list[str] | None, bool, CancelToken, DiagnosticsProgress], Report]
# list_collectors(include_connectivity) -> [(name, title), ...] in run order
ListCollectors = Callable[[bool], list[tuple[str, str]]]


class TaskHandle(Protocol):
    """A running job (see desktop/tasks.py); every signal is delivered on the GUI thread."""

    progress: SignalInstance  # list of progress payloads
    succeeded: SignalInstance  # the result
    failed: SignalInstance  # the exception the job raised (ui.errors.user_message words it)
    cancelled: SignalInstance
    finished: SignalInstance

    @property
    def running(self) -> bool: ...

    def cancel(self) -> None: ...


def is_running(task: TaskHandle | None) -> bool:
    """True while `task` (None: never started) still runs."""
    return task is not None and task.running


class TaskStarter(Protocol):
    def start(
        self,
        fn: Callable[[CancelToken, Callable[[Any], None]], Any],
        *,
        name: str = ...,
        progress_key: Callable[[Any], Hashable] | None = ...,
        interval_ms: int = ...,
        token: CancelToken | None = ...,
    ) -> TaskHandle: ...
