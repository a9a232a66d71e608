"""The start-up hooks a packaged build relies on: DESKSIDE_FIRST_PAINT=1 makes `deskside gui` report its first
paint on stderr (what bench/bench_package.py times), nothing without it; a frozen build (PyInstaller) starts its
background agent as its own program, not as `python -m`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop import agent_units


def _gui(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", "gui", "--screenshot", str(tmp_path / "w.png")],
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env}, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_first_paint_is_reported_only_when_asked(tmp_path: Path) -> None:
    before = time.time()
    res = _gui(tmp_path, DESKSIDE_FIRST_PAINT="1")
    assert res.returncode == 0, res.stderr
    marks = [line.split() for line in res.stderr.splitlines() if line.startswith("deskside: first-paint ")]
    assert len(marks) == 1
    assert before < float(marks[0][-1]) < time.time()
    res = _gui(tmp_path)
    assert res.returncode == 0 and "first-paint" not in res.stderr


def test_a_frozen_build_runs_its_agent_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    assert agent_units.command()[1:3] == ["-m", "desktop.cli"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/deskside/deskside")
    assert agent_units.command() == ["/opt/deskside/deskside", "agent", "run"]
