"""One-off jobs on worker threads, delivered to Qt (the other place where threads meet Qt: desktop/ssh_worker/).

`TaskRunner.start(fn)` runs `fn(cancel_token, report_progress)` on a `QThreadPool` and returns a `Task`, a QObject
living on the GUI thread whose signals deliver, always on the GUI thread:

- `progress(list)`: progress payloads reported since the last delivery (see throttling below);
- `succeeded(object)`: the function's return value;
- `failed(object)`: the exception the function raised (its traceback goes to the log, never to the user; pages
  turn it into the sentence the user reads with `ui.errors.user_message`);
- `cancelled()`: the function raised the core `Cancelled` exception;
- `finished()`: after any of the three above.

Throttling: the worker's `report_progress(payload)` only appends to a locked buffer (it never emits a signal, so a
fast loop is not slowed down by its progress display). A GUI-thread timer drains the buffer every `interval_ms`.
With `progress_key=None` only the newest payload survives a drain (right for "42 % done"); with a key function the
newest payload per key survives, in first-seen order (right for "collector X is now ok", where no collector's
final state may be lost). The buffer is drained once more before `succeeded`/`failed`/`cancelled` is emitted, so
the last progress always arrives before the result.

Cancellation uses the core `CancelToken`: `Task.cancel()` sets it; the function polls it (or passes it down to the
core call it makes). Widgets are never touched from the worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from common.cancel import Cancelled, CancelToken

log = logging.getLogger(__name__)

ReportProgress = Callable[[Any], None]
TaskFunction = Callable[[CancelToken, ReportProgress], Any]
ProgressKey = Callable[[Any], Hashable]

DEFAULT_INTERVAL_MS = 50


class _ProgressBuffer:
    """Thread-safe coalescing buffer between the worker (put) and the GUI timer (drain)."""

    def __init__(self, key: ProgressKey | None) -> None:
        self._key = key
        self._lock = threading.Lock()
        self._items: dict[Hashable, Any] = {}

    def put(self, payload: Any) -> None:
        k: Hashable = self._key(payload) if self._key is not None else None
        with self._lock:
            if self._key is not None and k in self._items:
                # keep first-seen order but the newest value
                self._items[k] = payload
            else:
                if self._key is None:
                    self._items.clear()
                self._items[k] = payload

    def drain(self) -> list[Any]:
        with self._lock:
            out = list(self._items.values())
            self._items.clear()
        return out


class _Relay(QObject):
    """Emitted from the worker thread; connected (queued, because the Task lives on the GUI thread) to the Task."""

    done = Signal(str, object)  # outcome ("ok" / "failed" / "cancelled"), value


class _Runnable(QRunnable):
    def __init__(self, fn: TaskFunction, token: CancelToken, buffer: _ProgressBuffer, relay: _Relay,
                 name: str) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._token = token
        self._buffer = buffer
        self._relay = relay
        self._name = name

    def run(self) -> None:
        outcome: str
        value: Any
        try:
            value = self._fn(self._token, self._buffer.put)
            outcome = "ok"
        except Cancelled:
            outcome, value = "cancelled", None
        except Exception as exc:
            log.exception("task %s failed", self._name)
            # logged with its traceback; the GUI needs only the exception (its frames would keep the job alive)
            outcome, value = "failed", exc.with_traceback(None)
        self._relay.done.emit(outcome, value)


class Task(QObject):
    """A handle on one running job; see the module docstring for its signals."""

    progress = Signal(list)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()

    def __init__(self, name: str, token: CancelToken, buffer: _ProgressBuffer, interval_ms: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.token = token
        self._buffer = buffer
        self._running = True
        self._relay = _Relay(self)  # lives on the GUI thread, so the worker's emit is queued to it
        self._relay.done.connect(self._on_done)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._drain)
        self._timer.start()

    @property
    def running(self) -> bool:
        return self._running

    def cancel(self) -> None:
        """Ask the job to stop; it finishes on its own (usually with a partial result or `cancelled`)."""
        self.token.cancel()

    @Slot()
    def _drain(self) -> None:
        items = self._buffer.drain()
        if items:
            self.progress.emit(items)

    @Slot(str, object)
    def _on_done(self, outcome: str, value: Any) -> None:
        self._timer.stop()
        self._drain()
        self._running = False
        if outcome == "ok":
            self.succeeded.emit(value)
        elif outcome == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(value)
        self.finished.emit()


class TaskRunner(QObject):
    """Starts jobs on its own thread pool and keeps their handles alive until they finish."""

    def __init__(self, max_threads: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._tasks: set[Task] = set()

    def start(
        self,
        fn: TaskFunction,
        *,
        name: str = "task",
        progress_key: ProgressKey | None = None,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        token: CancelToken | None = None,
    ) -> Task:
        """Run `fn(token, report_progress)` on a worker thread. Connect to the returned Task's signals at once
        (before control returns to the event loop; nothing is delivered earlier)."""
        token = token or CancelToken()
        buffer = _ProgressBuffer(progress_key)
        # No Qt parent: the handle is owned by Python, kept alive here until it finishes and afterwards for as
        # long as the caller holds it (so a late `task.running` never meets a deleted C++ object).
        task = Task(name, token, buffer, interval_ms)
        self._tasks.add(task)
        task.finished.connect(self._task_finished)  # a bound slot, not a lambda holding `task` (a leak cycle)
        self._pool.start(_Runnable(fn, token, buffer, task._relay, name))
        return task

    @Slot()
    def _task_finished(self) -> None:
        task = self.sender()
        if isinstance(task, Task):
            self._tasks.discard(task)

    @property
    def active(self) -> list[Task]:
        return [t for t in self._tasks if t.running]

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel every job and wait (bounded) for the workers; used when the app quits."""
        for t in list(self._tasks):
            t.cancel()
        return bool(self._pool.waitForDone(timeout_ms))
