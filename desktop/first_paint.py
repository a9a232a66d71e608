"""A cheap hook for measuring start-up (bench/bench_package.py): with DESKSIDE_FIRST_PAINT=1 in the environment,
the main window's first paint (`MainWindow.first_painted`) prints `deskside: first-paint <unix time>` to stderr.
Without the variable nothing is connected."""

from __future__ import annotations

import os
import sys
import time

from ui.main_window import MainWindow

ENV = "DESKSIDE_FIRST_PAINT"
MARKER = "deskside: first-paint"


def _report() -> None:
    print(f"{MARKER} {time.time():.6f}", file=sys.stderr, flush=True)


def install(window: MainWindow) -> None:
    """Report the window's first paint on stderr when DESKSIDE_FIRST_PAINT=1."""
    if os.environ.get(ENV) == "1":
        window.first_painted.connect(_report)
