"""The dark theme and 200 % scaling: every main page is shown (after a diagnostics run), photographed, and checked
for clipped labels, buttons and fields and for text with less than 4.5:1 contrast (tests/gui/theme_walk.py, in a
process of its own because QT_SCALE_FACTOR is read when Qt starts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from desktop import app as desktop_app
from tests.conftest import REPO
from ui.theme import apply_theme, contrast, is_dark, readable

pytestmark = pytest.mark.gui

PAGES = ("diagnostics", "remote", "help", "compliance")


@pytest.mark.parametrize(("theme", "scale"), [("dark", "1"), ("light", "2"), ("dark", "2")])
def test_each_page_in_the_theme_and_scale_has_no_clipped_or_faint_text(theme: str, scale: str,
                                                                        tmp_path: Path) -> None:
    env = dict(os.environ, QT_SCALE_FACTOR=scale, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-m", "tests.gui.theme_walk", str(tmp_path), theme], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    lines = out.stdout.splitlines()
    assert lines[0] == f"ratio {scale}", out.stderr
    assert lines[1:] == [], "\n".join(lines[1:])
    for key in PAGES:
        img = QImage(str(tmp_path / f"{key}-{theme}.png"))
        assert (img.width(), img.height()) == (1280 * int(scale), 800 * int(scale))
        window_colour = img.pixelColor(img.width() // 2, img.height() - 3 * int(scale))  # the status bar
        assert is_dark_colour(window_colour) == (theme == "dark"), key


def is_dark_colour(c: QColor) -> bool:
    return c.lightnessF() < 0.5


def test_the_theme_comes_from_the_config_and_a_bad_value_is_reported() -> None:
    assert desktop_app.gui_settings({"gui": {"theme": "dark"}}) == ({"test_connection": False, "theme": "dark"}, [])
    gui, problems = desktop_app.gui_settings({"gui": {"theme": "purple"}})
    assert gui["theme"] == "system"
    assert problems == ["[gui] theme in config.toml must be one of 'system', 'light', 'dark', not 'purple'; "
                        "using 'system'"]  # fmt: skip


def test_status_colours_stay_readable_in_the_dark_theme(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    try:
        assert is_dark()
        bg = qapp.palette().color(qapp.palette().ColorRole.Window)
        assert contrast(QColor("#c62828"), bg) < 4.5  # the light theme's red is too dark here...
        for colour in ("#c62828", "#2e7d32", "#ef8f00", "#5b6272"):
            assert contrast(QColor(readable(colour)), bg) >= 4.5  # ...so a lighter one is used
    finally:
        apply_theme(qapp, "system")
    assert not is_dark()
