"""The app on a real X server (Xvfb) through Qt's xcb platform plugin, as on a Linux desktop: the plugin's
libraries are present, the window opens, the diagnostics run, and the window renders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from tests.conftest import REPO, need


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    xvfb = shutil.which("Xvfb")
    need(xvfb is not None, "Xvfb (apt package xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [str(xvfb), "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        number = fh.readline().decode().strip()  # Xvfb writes the display it chose once it is ready
    if not number.isdigit():
        proc.kill()
        proc.wait()
        pytest.fail("Xvfb did not start")
    return proc, f":{number}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is a Linux desktop")
def test_the_app_runs_in_a_real_x11_window(qtbot: Any, tmp_path: Path) -> None:
    proc, display = _start_xvfb()
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env["DISPLAY"] = display
        shot = tmp_path / "x11.png"
        out = subprocess.run(
            [sys.executable, "-m", "desktop.cli", "gui", "--run", "--only", "system", "--screenshot", str(shot)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert "Could not load the Qt platform plugin" not in out.stderr
        img = QImage(str(shot))
        assert (img.width(), img.height()) == (1100, 720)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
