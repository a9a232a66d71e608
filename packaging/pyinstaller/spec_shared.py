"""What every PyInstaller spec of Deskside shares (Linux, Windows, macOS): the entry point, our packages with
their data files, and the modules to leave out. A spec does `exec()` of this file (specs are not importable
modules) and then calls `deskside_analysis(Analysis)`.

`desktop/cli.py` imports its commands by name (`importlib`), so every submodule of our packages is listed as a
hidden import; data files (JSON schemas, the EOL table, the Ansible playbook and its roles) are collected with
the package-data patterns of pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

APP_ID = "io.github.deskside.Deskside"
PACKAGES = ["desktop", "ui", "fleet", "diagnostics", "remote", "tickets", "common"]
# Never imported at run time by Deskside; some are pulled in by optional imports of its dependencies.
EXCLUDES = ["tkinter", "_tkinter", "pytest", "hypothesis", "mypy", "IPython", "numpy", "matplotlib",
            "setuptools", "pip", "ansible", "aiosmtpd", "mkdocs"]


def deskside_analysis(analysis_class: Any, spec_dir: str) -> Any:
    """`Analysis(...)` of the `deskside` program; `spec_dir` is the spec's SPECPATH (packaging/<platform>)."""
    repo = Path(spec_dir).resolve().parents[1]
    hidden: list[str] = []
    datas: list[tuple[str, str]] = []
    for pkg in PACKAGES:
        hidden += collect_submodules(pkg)
        datas += collect_data_files(pkg, includes=["**/*.json", "**/*.csv", "**/*.svg", "**/*.png", "**/*.css",
                                                    "**/*.html", "**/*.yml", "ansible/**/*.py"])
    hidden += ["keyring.backends.SecretService", "keyring.backends.fail", "keyring.backends.null"]
    return analysis_class(
        [str(repo / "packaging" / "pyinstaller" / "deskside_main.py")],
        pathex=[str(repo)],
        hiddenimports=sorted(set(hidden)),
        datas=datas,
        excludes=EXCLUDES,
        noarchive=False,
    )
