"""`deskside gui`: the desktop application. Qt is imported only when this command runs, so `deskside diagnose`
never pays for it.

Exit codes: 0 the window was closed normally (or the screenshot was written); 3 the app could not start (no
display, Qt missing, screenshot not writable); 64 an unknown collector name in --only.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import Any

EXIT_CANNOT_START = 3
PAGES = ["diagnostics", "remote", "help", "compliance", "settings"]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "gui",
        help="open the Deskside desktop app (the default when there is a display)",
        description="Open the Deskside desktop app. Exit code: 0 closed normally, 3 could not start, "
        "64 unknown collector name.",
    )
    p.add_argument("--page", choices=PAGES, help="the page to show first (default: diagnostics)")
    p.add_argument("--run", action="store_true", help="start the diagnostics as soon as the window opens")
    p.add_argument("--only", metavar="NAMES", help="comma-separated collectors the Diagnostics page runs")
    p.add_argument("--screenshot", metavar="FILE.png", type=Path,
                   help="render the window to a PNG file and exit (after the run with --run); "
                   "works headless with QT_QPA_PLATFORM=offscreen")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Start-up makes some 100,000 objects that live as long as the app and none that are garbage: no collection
    # passes over them until the window has painted (desktop/app.py enables the collector again then).
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args: argparse.Namespace) -> int:
    try:
        from desktop import app
    except ImportError as exc:
        print(f"deskside gui: the desktop app cannot start because Qt is not available ({exc}). "
              "Install PySide6-Essentials (pip install PySide6-Essentials) or use `deskside diagnose`.",
              file=sys.stderr)
        return EXIT_CANNOT_START
    problem = app.display_problem()
    if problem:
        print(f"deskside gui: {problem}", file=sys.stderr)
        return EXIT_CANNOT_START
    names = [n.strip() for n in args.only.split(",") if n.strip()] if getattr(args, "only", None) else None
    if names:
        from diagnostics.collectors import all_collectors

        known = {c.name for c in all_collectors()}
        unknown = [n for n in names if n not in known]
        if unknown:
            print(f"deskside gui: unknown collector(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                  file=sys.stderr)
            return 64
    screenshot: Path | None = getattr(args, "screenshot", None)
    if screenshot is not None and not screenshot.parent.is_dir():
        print(f"deskside gui: cannot write the screenshot: the folder {screenshot.parent} does not exist",
              file=sys.stderr)
        return EXIT_CANNOT_START
    return app.run(page=args.page, run_first=args.run, screenshot=screenshot, collector_names=names)
