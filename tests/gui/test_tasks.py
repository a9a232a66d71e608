"""desktop/tasks.py: jobs run on a worker thread; results, errors, cancellation and (throttled) progress arrive
as signals on the GUI thread; the event loop keeps running meanwhile."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from PySide6.QtCore import QThread, QTimer

from common.cancel import Cancelled, CancelToken
from common.errors import UserError
from desktop.tasks import TaskRunner
from tickets.errors import TicketError
from ui.errors import failure_text, user_message


def test_result_arrives_on_gui_thread_and_work_ran_elsewhere(qtbot: Any, task_runner: TaskRunner) -> None:
    gui_thread = QThread.currentThread()
    seen: dict[str, Any] = {}

    def job(token: CancelToken, progress: Any) -> int:
        seen["worker"] = threading.current_thread().name
        return 6 * 7

    task = task_runner.start(job, name="answer")

    def on_result(value: object) -> None:
        seen["value"] = value
        seen["slot_on_gui_thread"] = QThread.currentThread() is gui_thread

    task.succeeded.connect(on_result)
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    assert seen["value"] == 42
    assert seen["slot_on_gui_thread"] is True
    assert seen["worker"] != threading.main_thread().name
    assert task.running is False


def test_keyed_progress_keeps_every_keys_last_state_and_comes_before_the_result(
        qtbot: Any, task_runner: TaskRunner) -> None:
    def job(token: CancelToken, progress: Any) -> str:
        for i in range(2000):  # far more updates than a display needs: they are coalesced, not queued
            progress((f"c{i % 5}", "running", i, 2000))
        for k in range(5):
            progress((f"c{k}", "ok", 2000, 2000))
        return "done"

    events: list[Any] = []
    task = task_runner.start(job, progress_key=lambda p: p[0], interval_ms=20)
    task.progress.connect(lambda items: events.append(("progress", list(items))))
    task.succeeded.connect(lambda v: events.append(("result", v)))
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    assert events[-1] == ("result", "done")
    batches = [e[1] for e in events if e[0] == "progress"]
    delivered = sum(len(b) for b in batches)
    assert delivered < 2005, "every single update was delivered; nothing was throttled"
    last: dict[str, str] = {}
    for batch in batches:
        for name, state, _d, _t in batch:
            last[name] = state
    assert last == {f"c{k}": "ok" for k in range(5)}


def test_unkeyed_progress_delivers_the_newest_value(qtbot: Any, task_runner: TaskRunner) -> None:
    release = threading.Event()

    def job(token: CancelToken, progress: Any) -> None:
        for i in range(101):
            progress(i)
        release.wait(5)

    got: list[list[int]] = []
    task = task_runner.start(job, interval_ms=10)
    task.progress.connect(got.append)
    # delivered by the timer while the job still runs, one value per delivery, ending with the newest
    qtbot.waitUntil(lambda: bool(got) and got[-1] == [100], timeout=10_000)
    assert task.running
    release.set()
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    assert all(len(batch) == 1 for batch in got)
    assert len(got) < 101


def test_an_error_arrives_as_the_exception(qtbot: Any, task_runner: TaskRunner) -> None:
    def job(token: CancelToken, progress: Any) -> None:
        raise PermissionError("cannot open /var/log/secret\nsecond line that must not show")

    task = task_runner.start(job)
    with qtbot.waitSignal(task.failed, timeout=10_000) as blocker:
        pass
    (exc,) = blocker.args
    assert isinstance(exc, PermissionError)  # the exception itself crosses the thread, not a line of text
    assert exc.__traceback__ is None  # (logged; the GUI keeps no frames of the job alive)
    # what a page shows of an unexpected error: its class and first line, never a traceback
    assert user_message(exc) == "PermissionError: cannot open /var/log/secret"


def test_an_error_worded_for_users_is_shown_as_it_is(qtbot: Any, task_runner: TaskRunner) -> None:
    def job(token: CancelToken, progress: Any) -> None:
        try:
            open("/nonexistent/deskside/report.json", encoding="utf-8")
        except OSError as exc:
            raise UserError("cannot write /nonexistent/deskside/report.json: the folder does not exist") from exc

    task = task_runner.start(job)
    with qtbot.waitSignal(task.failed, timeout=10_000) as blocker:
        pass
    (exc,) = blocker.args
    assert failure_text("Could not save", exc) == \
        "Could not save: cannot write /nonexistent/deskside/report.json: the folder does not exist"
    assert isinstance(exc.__cause__, FileNotFoundError)
    assert user_message(exc.__cause__) == "/nonexistent/deskside/report.json: No such file or directory"
    assert user_message(TicketError("the server refused the token\nask your admin")) == \
        "the server refused the token\nask your admin"


def test_cancel_sets_the_token_and_the_job_reports_cancelled(qtbot: Any, task_runner: TaskRunner) -> None:
    started = threading.Event()

    def job(token: CancelToken, progress: Any) -> None:
        started.set()
        while not token.wait(0.01):
            pass
        raise Cancelled("stopped")

    outcomes: list[str] = []
    task = task_runner.start(job)
    task.cancelled.connect(lambda: outcomes.append("cancelled"))
    task.succeeded.connect(lambda _v: outcomes.append("succeeded"))
    assert started.wait(10)
    assert task.running
    with qtbot.waitSignal(task.finished, timeout=10_000):
        task.cancel()
    assert outcomes == ["cancelled"]
    assert task.token.cancelled


def test_event_loop_keeps_running_during_a_job(qtbot: Any, task_runner: TaskRunner) -> None:
    release = threading.Event()

    def job(token: CancelToken, progress: Any) -> str:
        release.wait(10)
        return "ok"

    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    task = task_runner.start(job)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=10_000)
    assert task.running, "the job finished before the timer ticked: the test proved nothing"
    release.set()
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    timer.stop()


def test_shutdown_cancels_running_jobs(qtbot: Any) -> None:
    runner = TaskRunner()
    started = threading.Event()

    def job(token: CancelToken, progress: Any) -> str:
        started.set()
        token.wait(30)
        return "stopped" if token.cancelled else "ran to the end"

    task = runner.start(job)
    assert started.wait(10)
    results: list[object] = []
    task.succeeded.connect(results.append)
    assert runner.shutdown(10_000) is True
    qtbot.waitUntil(lambda: results == ["stopped"], timeout=10_000)


def test_finished_tasks_are_released(qtbot: Any, task_runner: TaskRunner) -> None:
    refs = []
    for _ in range(3):
        task = task_runner.start(lambda token, progress: 1)
        task.succeeded.connect(lambda value: None)
        with qtbot.waitSignal(task.finished, timeout=10_000):
            pass
        refs.append(weakref.ref(task))
    del task
    gc.collect()
    assert task_runner.active == []
    assert [r() for r in refs] == [None, None, None], "finished task handles are kept alive (a leak per run)"
