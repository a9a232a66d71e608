"""The frozen program's entry point (PyInstaller): the same `deskside` command as the console script."""

import sys

from desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
