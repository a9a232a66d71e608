"""`make run` (scripts/run-app.sh) on a machine without a display: it runs `deskside diagnose`, says in a sentence
what diagnose's exit code means, and ends cleanly when diagnose found problems (that is a result, not a failed
install); real errors still fail it. `deskside diagnose` itself keeps its exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "run-app.sh"


def run_app(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    full.update(env or {})
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=full, timeout=300,
                          stdin=subprocess.DEVNULL)


def test_findings_end_make_run_cleanly(tmp_path: Path) -> None:
    """The real `deskside diagnose`, on a machine where it finds a program that keeps crashing."""
    crashes = tmp_path / "crash"
    crashes.mkdir()
    for n in range(3):  # three crashes of one program today: a crash loop (a warning at least)
        (crashes / f"_usr_bin_flaky.{1000 + n}.crash").write_text(
            "ProblemType: Crash\nExecutablePath: /usr/bin/flaky\nSignal: 11\n")
    (Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml").write_text(
        f'[diagnostics.crashes]\ncrash_dir = "{crashes}"\n')
    env = {"DESKSIDE_BIN": str(Path(sys.executable).with_name("deskside"))}  # this checkout's deskside
    r = run_app(env)
    assert r.returncode == 0, r.stderr
    assert "flaky keeps crashing" in r.stdout  # diagnose's report, findings first
    assert "there is no display, so this is `deskside diagnose`" in r.stderr
    assert ("diagnose exit code 1: the worst finding above is a warning; Deskside itself works." in r.stderr
            or "diagnose exit code 2: the worst finding above is critical" in r.stderr), r.stderr


@pytest.mark.parametrize(("code", "make_rc", "sentence"), [
    (0, 0, "no problem found"),
    (1, 0, "the worst finding above is a warning"),
    (2, 0, "the worst finding above is critical"),
    (3, 3, "the run could not complete"),
    (64, 64, "a usage error"),
    (70, 70, "an unexpected error, a bug in Deskside"),
    (130, 130, "interrupted"),
])
def test_exit_code_mapping(tmp_path: Path, code: int, make_rc: int, sentence: str) -> None:
    """Each exit code of diagnose (a stand-in that only exits with it): findings end cleanly, errors fail."""
    stand_in = tmp_path / "deskside"
    stand_in.write_text(f'#!/bin/sh\necho "called with: $*"\nexit {code}\n')
    stand_in.chmod(0o755)
    r = run_app({"DESKSIDE_BIN": str(stand_in)})
    assert r.returncode == make_rc, r.stderr
    assert r.stdout == "called with: diagnose\n"
    assert f"make run: diagnose exit code {code}: {sentence}" in r.stderr


def test_with_a_display_make_run_starts_the_gui(tmp_path: Path) -> None:
    stand_in = tmp_path / "deskside"
    stand_in.write_text('#!/bin/sh\necho "called with: $*"\nexit 0\n')
    stand_in.chmod(0o755)
    r = run_app({"DESKSIDE_BIN": str(stand_in), "DISPLAY": ":99"})
    assert (r.returncode, r.stdout) == (0, "called with: gui\n")
