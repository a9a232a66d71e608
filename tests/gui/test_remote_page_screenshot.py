"""The Remote page in the main window with a terminal showing real output from a real sshd, rendered to PNG.

With DESKSIDE_SCREENSHOTS=1 the pictures go to docs/screenshots/ (remote.png, remote-hostkey.png); otherwise to
the test's temporary folder. Either way the test checks that the terminal really painted coloured text."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage

from remote.hosts import HostProfile
from tests.conftest import screenshot_dir
from tests.gui.test_remote_page import Env, env, run_in_terminal, wait_dialog, wait_state  # noqa: F401
from tests.integration.sshd import Sshd, ssh_env, sshd_server  # noqa: F401
from ui.main_window import MainWindow
from ui.remote_dialogs import HostKeyDialog
from ui.remote_page import RemotePage

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def out_dir(tmp_path: Path) -> Path:
    return screenshot_dir(tmp_path)


def distinct_colours(image: QImage, rect: QRect) -> set[str]:
    seen: set[str] = set()
    for y in range(rect.top(), rect.bottom(), 3):
        for x in range(rect.left(), rect.right(), 3):
            seen.add(image.pixelColor(x, y).name())
    return seen


def test_remote_page_screenshot(qtbot, env: Env, sshd_server: Sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = env.profile(sshd_server, name="lab-server")
    target.group, target.tags, target.notes = "lab", ["debian"], "test box"
    env.book.add(target)
    env.book.add(HostProfile(name="web1", hostname="web1.example.test", user="ops", group="production",
                             tags=["nginx"]))  # fmt: skip
    env.book.add(HostProfile(name="db1", hostname="db1.example.test", user="ops", port=2222, group="production",
                             proxy_jump=["bastion.example.test"]))  # fmt: skip
    env.book.save()
    window = MainWindow("screenshot")
    page = RemotePage(env.services())
    window.add_page("remote", "Remote", page)
    qtbot.addWidget(window)
    window.resize(1400, 820)
    window.show()
    qtbot.waitExposed(window)
    page.book_panel.refresh()
    page.book_panel.select("lab-server")
    out = out_dir(tmp_path)

    view = page.connect_to(target)
    dlg = wait_dialog(qtbot, view, HostKeyDialog)
    qtbot.wait(100)
    # The dialog is a separate window: grab it on its own.
    assert dlg.grab().save(str(out / "remote-hostkey.png"))
    dlg.accept_button.click()
    wait_state(qtbot, view, "connected")
    run_in_terminal(qtbot, view, "clear; uname -sr", f"Linux {os.uname().release}")
    term = view.current_terminal()
    assert term is not None
    run_in_terminal(qtbot, view, "ls -l --color=always /etc | head -12; echo listed", "listed")
    run_in_terminal(qtbot, view, r"printf '\e[1;32mok\e[0m \e[1;33mwarn\e[0m \e[1;31mfail\e[0m\n'", "ok warn fail")
    qtbot.waitUntil(lambda: len(view.files.names()) > 0, timeout=20000)
    home = Path(pwd.getpwnam(env.ssh.user).pw_dir)
    (home / "app.log").write_bytes(b"log line\n" * 200_000)
    tid = view.files.download(str(home / "app.log"))
    qtbot.waitUntil(lambda: view.files.transfer_state(tid) == "done", timeout=30000)
    view.files.refresh()
    qtbot.waitUntil(lambda: "app.log" in view.files.names(), timeout=20000)
    qtbot.wait(200)
    path = out / "remote.png"
    assert window.grab().save(str(path))

    image = term.viewport().grab().toImage()
    colours = distinct_colours(image, image.rect())
    assert QColor("#1e1e1e").name() in colours  # the terminal background
    assert len(colours) > 8, colours  # text in several colours, not a blank widget
    assert path.stat().st_size > 20_000
    (home / "app.log").unlink()
