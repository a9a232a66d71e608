"""The .deb of `make package` in a clean Debian 12 (minbase chroot, a fresh copy of the cached base): `apt-get
install ./deskside_*.deb` resolves its Depends from the Debian mirrors, then the installed `deskside` (no Python
in the chroot) writes a valid `diagnose --json` report and renders its window offscreen to a PNG.

The package is built once per module (PyInstaller one-folder build plus dpkg-deb, packaging/linux/build.sh) into
a temporary folder. Needs root, debootstrap, dpkg-deb and PyInstaller (the dev extra); in CI a missing one fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, need

pytestmark = [pytest.mark.integration, pytest.mark.root, pytest.mark.timeout(1800)]
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "HOME": "/root",
       "DEBIAN_FRONTEND": "noninteractive"}


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need(shutil.which("dpkg-deb") is not None, "dpkg-deb")
    need(shutil.which("ldd") is not None, "ldd (libc-bin)")
    need(importable("PyInstaller"), "PyInstaller (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("package")
    env = dict(os.environ, DIST=str(out / "dist"), WORK=str(out / "work"), PY=str(REPO / ".venv/bin/python"))
    res = subprocess.run(["bash", str(REPO / "packaging/linux/build.sh")], env=env, capture_output=True, text=True,
                         timeout=1500, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    debs = sorted((out / "dist").glob("deskside_*_amd64.deb"))
    assert len(debs) == 1, res.stdout + res.stderr
    return debs[0]


def importable(name: str) -> bool:
    res = subprocess.run([str(REPO / ".venv/bin/python"), "-c", f"import {name}"], capture_output=True, check=False)
    return res.returncode == 0


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    need(os.geteuid() == 0, "root (chroot, mount)")
    from tests.integration.debian_chroot import fresh_chroot

    with fresh_chroot(tmp_path_factory.mktemp("deb-chroot")) as root:
        assert not (root / "usr/bin/python3").exists(), "the base chroot must not have Python"
        shutil.copy(deb, root / "tmp" / deb.name)
        chroot(root, "apt-get", "-q", "update", timeout=900)
        res = chroot(root, "apt-get", "install", "-y", "-q", "--no-install-recommends", f"/tmp/{deb.name}",
                     timeout=1200)
        assert "deskside" in res.stdout
        yield root


def chroot(root: Path, *argv: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(["chroot", str(root), *argv], env=ENV, capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    if check:
        assert res.returncode == 0, f"{argv}: {res.returncode}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    return res


def test_the_package_installs_the_command_menu_entry_icon_and_metainfo(installed: Path) -> None:
    app_id = "io.github.deskside.Deskside"
    assert os.path.realpath(installed / "usr/bin/deskside").endswith("/opt/deskside/deskside")
    for path in (f"usr/share/applications/{app_id}.desktop", f"usr/share/icons/hicolor/scalable/apps/{app_id}.svg",
                 f"usr/share/metainfo/{app_id}.metainfo.xml"):
        assert (installed / path).read_bytes() == (REPO / "packaging" / Path(path).name).read_bytes()
    assert chroot(installed, "deskside", "--version").stdout.startswith("deskside ")
    # Every library Qt's platform plugins load resolves inside the chroot (from the bundle or from Depends).
    plugins = installed / "opt/deskside/_internal/PySide6/Qt/plugins/platforms"
    lib_path = "/opt/deskside/_internal:/opt/deskside/_internal/PySide6/Qt/lib"
    for plugin in ("libqxcb.so", "libqwayland.so", "libqoffscreen.so"):
        if not (plugins / plugin).exists():
            continue
        res = chroot(installed, "env", f"LD_LIBRARY_PATH={lib_path}", "ldd",
                     f"/opt/deskside/_internal/PySide6/Qt/plugins/platforms/{plugin}")
        assert "not found" not in res.stdout, res.stdout


def test_diagnose_json_in_the_chroot_is_a_valid_report(installed: Path) -> None:
    from diagnostics.schema import validation_errors

    res = chroot(installed, "deskside", "diagnose", "--json", check=False)
    assert res.returncode in (0, 1, 2), res.stderr  # 0/1/2: the worst finding's severity (docs/exit-codes.md)
    report = json.loads(res.stdout)
    assert validation_errors(report) == []
    assert report["platform"] == "linux" and report["sections"], report.keys()
    assert "Traceback" not in res.stderr


def test_the_gui_renders_its_window_offscreen_in_the_chroot(installed: Path, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    res = chroot(installed, "env", "QT_QPA_PLATFORM=offscreen", "deskside", "gui", "--screenshot", "/tmp/shot.png")
    assert "Traceback" not in res.stderr, res.stderr
    shot = shutil.copy(installed / "tmp/shot.png", tmp_path / "deb-chroot.png")  # kept for a look after the run
    image = QImage(str(shot))
    assert not image.isNull()
    assert 800 <= image.width() <= 4000 and 500 <= image.height() <= 3000, image.size()
    colours, dark = set(), 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            colours.add(c.rgb())
            dark += c.lightness() < 90
    assert len(colours) > 30, "the window looks blank"
    assert dark > 300, "no text was drawn (fonts missing?)"


def test_the_compliance_pages_scan_process_runs_from_the_package(installed: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The Compliance page scans in `sys.executable -m desktop.scan_process`; in the package `sys.executable` is
    /opt/deskside/deskside, which runs that module itself. A real scan of one host that refuses the connection."""
    from common.cancel import CancelToken
    from desktop.scan_process import ScanRequest, scan_in_child
    from fleet.inventory import InventoryHost
    from fleet.policy import DEFAULT
    from tests.integration.sshd import free_port

    frozen = tmp_path / "deskside-in-chroot"
    frozen.write_text(f'#!/bin/sh\nexec chroot {installed} /usr/bin/deskside "$@"\n')
    frozen.chmod(0o755)
    monkeypatch.setattr("sys.executable", str(frozen))
    host = InventoryHost("closed", "127.0.0.1", free_port())  # nothing listens there
    result = scan_in_child(ScanRequest([host], DEFAULT, False, 1, 120.0, None), cancel=CancelToken())
    assert result.finished_at and not result.cancelled  # the child's own end-of-scan event arrived
    [r] = result.results
    assert r.name == "closed" and r.status == "unknown" and r.error, r
