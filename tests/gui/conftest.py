"""GUI tests run headless: Qt's offscreen platform unless the caller chose one (e.g. xcb under Xvfb)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def task_runner(qtbot: object) -> Iterator[object]:
    """The app's real worker bridge (desktop/tasks.py); every job is cancelled and joined after the test."""
    from desktop.tasks import TaskRunner

    runner = TaskRunner()
    yield runner
    assert runner.shutdown(10_000), "a worker thread did not finish within 10 s of being cancelled"


@pytest.fixture
def window(qtbot: object, task_runner: object) -> object:
    """The app's main window as `deskside gui` builds it (only the system collector), shown and exposed. Test
    modules that need it sized or activated define their own `window`."""
    from desktop import app as desktop_app

    ctx = desktop_app.AppContext(tasks=task_runner, collector_names=["system"])  # type: ignore[arg-type]
    w = desktop_app.build_window(ctx)
    qtbot.addWidget(w)  # type: ignore[attr-defined]
    w.show()
    qtbot.waitExposed(w)  # type: ignore[attr-defined]
    return w
