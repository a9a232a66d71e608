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
