"""The frozen program's entry point (PyInstaller): the same `deskside` command as the console script.

The app starts some of its helpers as `sys.executable -m MODULE` (the Compliance page's scan process,
desktop/scan_process.py). In a frozen build `sys.executable` is this program, so it runs those modules itself,
as `python -m` would; any other `-m` is refused.
"""

import runpy
import sys

CHILD_MODULES = {"desktop.scan_process", "desktop.cli"}

if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "-m":
        module = sys.argv[2] if len(sys.argv) >= 3 else ""
        if module not in CHILD_MODULES:
            sys.exit(f"deskside: -m runs only {', '.join(sorted(CHILD_MODULES))} in this build, not {module!r}")
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        sys.exit(0)
    from desktop.cli import main

    sys.exit(main())
