"""Start a private Xvfb display for the GUI benchmarks and wait until it answers."""

from __future__ import annotations

import os
import subprocess
import time


def start_xvfb(display: str) -> subprocess.Popen[bytes]:
    """Xvfb on `display` (1920x1080, no TCP), DISPLAY set to it; returns once `xdpyinfo` gets an answer."""
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.environ["DISPLAY"] = display
    for _ in range(600):  # up to 30 s on a busy machine (a benchmark, not a test: polling is fine here)
        if subprocess.run(["xdpyinfo"], capture_output=True).returncode == 0:
            return proc
        time.sleep(0.05)
    raise RuntimeError("Xvfb did not start")
