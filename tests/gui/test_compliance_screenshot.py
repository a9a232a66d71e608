"""The Compliance page in the main window after two real scans (real sshd hosts, closed ports), rendered to PNG at
1280x800 and 1920x1080, and its layout checked at those sizes and the window's default 1100x720: every control is
inside the window, every column is shown and the table gets the space.

With DESKSIDE_SCREENSHOTS=1 the pictures go to docs/screenshots/ (compliance.png at 1280x800, compliance-1920.png);
otherwise to the test's temporary folder."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QComboBox, QWidget

from desktop import app as desktop_app
from tests.conftest import screenshot_dir
from tests.gui.test_compliance_page import line, load, scan, set_policy
from tests.integration.sshd import Sshd, SshEnv, free_port, ssh_env, sshd_servers  # noqa: F401
from ui.compliance_page import CompliancePage

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture(scope="module")
def servers(ssh_env: SshEnv) -> Iterator[list[Sshd]]:
    with sshd_servers(ssh_env, "compliance-shot", 3) as started:
        yield started


def out_dir(tmp_path: Path) -> Path:
    return screenshot_dir(tmp_path)


def inside(widget: QWidget, window: QWidget) -> bool:
    top_left = widget.mapTo(window, QPoint(0, 0))
    return QRect(0, 0, window.width(), window.height()).contains(QRect(top_left, widget.size()))


def test_compliance_screenshots_and_layout(qtbot: Any, task_runner: Any, tmp_path: Path, user_home: Path,
                                          ssh_env: SshEnv, servers: list[Sshd]) -> None:
    inv = tmp_path / "hosts.ini"
    inv.write_text("[web]\n" + line("web01", ssh_env, servers[0].port) + "\n" + line("web02", ssh_env, servers[1].port)
                   + "\n[db]\n" + line("db01", ssh_env, servers[2].port) + "\n"
                   + line("db02-decommissioned", ssh_env, free_port()) + "\n"
                   "[branch]\n" + "\n".join(line(f"branch-{c}", ssh_env, free_port()) for c in "abc") + "\n"
                   + line("web03", ssh_env, servers[0].port) + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text("[policy]\nmax_security_age_days = 0\nrequired_packages = [\"unattended-upgrades\"]\n"
                      "[groups.db]\nrequired_packages = []\n")
    ctx = desktop_app.AppContext(tasks=task_runner, collector_names=["system"])
    window = desktop_app.build_window(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.show_page("compliance")
    page = window.page("compliance")
    assert isinstance(page, CompliancePage)
    load(qtbot, page, inv)
    set_policy(qtbot, page, policy)
    page.trust_box.setChecked(True)
    page.select_group("db")
    scan(qtbot, page)  # an earlier scan of one group: the trend has two points
    page.select_group(None)
    result = scan(qtbot, page)
    assert result.totals.hosts == 8
    qtbot.waitUntil(lambda: len(page.chart.trend) == 2, timeout=10_000)
    assert page.select_host("web01")
    out = out_dir(tmp_path)
    sizes = (((1100, 720), ""), ((1280, 800), "compliance.png"), ((1920, 1080), "compliance-1920.png"))
    for (w, h), name in sizes:  # the window's default size (checked only), then the two pictures
        window.resize(w, h)
        qtbot.waitUntil(lambda w=w, h=h: (window.width(), window.height()) == (w, h), timeout=5_000)
        qtbot.wait(50)  # let the layout settle before the picture
        controls = [c for c in page.findChildren(QWidget) if isinstance(c, (QAbstractButton, QComboBox))
                    and c.isVisibleTo(page)]
        assert controls and all(inside(c, window) for c in controls), \
            [c.text() for c in controls if isinstance(c, QAbstractButton) and not inside(c, window)]
        assert page.table.width() > page.detail.width()  # the table gets the space
        assert page.table.viewport().height() >= 8 * page.table.verticalHeader().defaultSectionSize()
        header = page.table.horizontalHeader()
        assert header.sectionViewportPosition(7) + 60 <= page.table.viewport().width(), "no room for the reasons"
        assert not page.table.horizontalScrollBar().isVisible()  # every column shown
        if not name:
            continue
        png = out / name
        assert window.grab().save(str(png), "PNG")
        img = QImage(str(png))
        assert (img.width(), img.height()) == (w, h)
