"""packaging/: the .desktop entry, the AppStream metainfo and the icon are valid and agree with the app."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

from PySide6.QtGui import QImage

from desktop.app import APP_ID
from desktop.cli import build_parser
from diagnostics import __version__
from tests.conftest import REPO, need

PKG = REPO / "packaging"
DESKTOP = PKG / f"{APP_ID}.desktop"
METAINFO = PKG / f"{APP_ID}.metainfo.xml"
ICON = PKG / f"{APP_ID}.svg"


def _desktop_entry() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    cp.read(DESKTOP, encoding="utf-8")
    return cp["Desktop Entry"]


def test_desktop_entry_launches_the_gui_subcommand() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "Deskside"
    argv = shlex.split(entry["Exec"])
    assert argv[0] == "deskside"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "gui"
    assert entry["Icon"] == ICON.stem == APP_ID
    assert entry["Terminal"] == "false"


def test_desktop_entry_passes_desktop_file_validate() -> None:
    tool = shutil.which("desktop-file-validate")
    need(tool is not None, "desktop-file-validate (apt package desktop-file-utils)")
    out = subprocess.run([str(tool), str(DESKTOP)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_metainfo_is_valid_and_matches_the_app() -> None:
    root = ET.parse(METAINFO).getroot()  # noqa: S314 - our own file
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    releases = [r.get("version") for r in root.iter("release")]
    assert __version__ in releases
    tool = shutil.which("appstreamcli")
    need(tool is not None, "appstreamcli (apt package appstream)")
    out = subprocess.run([str(tool), "validate", "--no-net", str(METAINFO)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_icon_is_a_square_svg_qt_can_render(qtbot: Any) -> None:
    root = ET.parse(ICON).getroot()  # noqa: S314 - our own file
    assert root.tag.endswith("svg")
    img = QImage(str(ICON))
    assert not img.isNull()
    assert img.width() == img.height() == 128
    centre = img.pixelColor(64, 64)
    corner = img.pixelColor(1, 1)
    assert centre.alpha() == 255 and corner.alpha() == 0  # a tile with rounded corners, not a blank square
