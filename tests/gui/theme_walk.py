"""Run in a subprocess by test_themes.py (QT_SCALE_FACTOR is read when Qt starts): open the app's window with a
theme, show each main page, save a screenshot of it, and print one line per problem a user would see:

  clipped <page> <widget>: a label, button or field smaller than it needs to show its text;
  contrast <page> <widget>: text drawn with less than 4.5:1 contrast on its background.

Usage: python -m tests.gui.theme_walk OUTDIR THEME
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from desktop.app import AppContext, build_window, create_application
from desktop.tasks import TaskRunner
from ui.theme import apply_theme, contrast

COLOUR = re.compile(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})")


def spin(ms: int = 100) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def in_scroll_view(w: QWidget) -> bool:
    """Inside a list, a table or a scroll area: may be scrolled partly out of view, which is not clipping."""
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QAbstractScrollArea):
            return True
        p = p.parentWidget()
    return False


def text_colour(w: QWidget) -> QColor:
    m = COLOUR.search(w.styleSheet())
    return QColor(m.group(1)) if m else w.palette().color(QPalette.ColorGroup.Active, w.foregroundRole())


def background(w: QWidget) -> QColor:
    if isinstance(w, QPushButton | QLineEdit | QComboBox):
        return w.palette().color(w.backgroundRole())
    return w.palette().color(QPalette.ColorRole.Window)


def problems(page_key: str, page: QWidget) -> list[str]:
    out: list[str] = []
    for w in page.findChildren(QWidget):
        if not w.isVisible() or not isinstance(w, QLabel | QAbstractButton | QLineEdit | QComboBox):
            continue
        name = f"{type(w).__name__}({(w.text() if hasattr(w, 'text') else '')[:40]!r})"
        if not in_scroll_view(w) and isinstance(w, QPushButton | QCheckBox | QRadioButton | QComboBox):
            need = w.minimumSizeHint() if w.minimumSizeHint().isValid() else w.sizeHint()
            if w.width() < need.width() or w.height() < need.height():
                out.append(f"clipped {page_key} {name}: {w.width()}x{w.height()} < {need.width()}x{need.height()}")
        text = w.text() if hasattr(w, "text") else ""
        if w.isEnabled() and text.strip():
            ratio = contrast(text_colour(w), background(w))
            if ratio < 4.5:
                out.append(f"contrast {page_key} {name}: {ratio:.1f}")
    return out


def main(outdir: Path, theme: str) -> int:
    app = create_application()
    apply_theme(app, theme)
    tasks = TaskRunner()
    window = build_window(AppContext(tasks=tasks, collector_names=["system", "memory"]))
    window.resize(1280, 800)
    window.show()
    diag = window.page("diagnostics")
    loop = QEventLoop()
    diag.run_finished.connect(lambda _r: loop.quit())  # type: ignore[attr-defined]
    diag.run()  # type: ignore[attr-defined]
    loop.exec()
    found: list[str] = []
    for key in window.page_keys():
        window.show_page(key)
        spin(200)
        page = window.page(key)
        found += problems(key, page)
        window.grab().save(str(outdir / f"{key}-{theme}.png"))
    print(f"ratio {window.devicePixelRatioF():g}")
    for line in found:
        print(line)
    shutdown = getattr(window.page("remote"), "shutdown", None)
    if shutdown is not None:
        shutdown()
    tasks.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    if QApplication.instance() is not None:
        raise SystemExit("run this in a process of its own")
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
