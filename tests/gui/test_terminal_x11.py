"""The terminal in a real X11 window (Xvfb + Qt's xcb plugin) with keys typed by xdotool through the X server, as a
person types them: the program on the PTY receives exactly the bytes xterm would send."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, need
from tests.gui.test_x11 import _start_xvfb

pytestmark = [pytest.mark.gui, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is Linux")]

APP = textwrap.dedent(
    """
    import fcntl, os, struct, subprocess, sys, termios
    from pathlib import Path
    from PySide6.QtCore import QSocketNotifier, QTimer
    from PySide6.QtWidgets import QApplication
    from ui.terminal import TerminalWidget

    out, ready, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    app = QApplication([])
    term = TerminalWidget()
    term.setWindowTitle("deskside-terminal-x11-test")
    term.resize(640, 360)
    master, slave = os.openpty()
    proc = subprocess.Popen(["sh", "-c", f"stty raw -echo; echo READY; head -c {n} > {out}; echo DONE"],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    os.set_blocking(master, False)

    def readable():
        try:
            data = os.read(master, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            notifier.setEnabled(False)
            app.quit()
            return
        term.feed(data)
        if "READY" in term.text() and not ready.exists():
            ready.write_text(str(int(term.winId())))
        if "DONE" in term.text():
            QTimer.singleShot(100, app.quit)

    focused = ready.with_name("focused")

    def check_focus():  # tells the test when typed keys will reach the terminal
        if term.isActiveWindow() and term.hasFocus() and not focused.exists():
            focused.write_text("yes")

    focus_timer = QTimer()
    focus_timer.timeout.connect(check_focus)
    focus_timer.start(20)

    notifier = QSocketNotifier(master, QSocketNotifier.Type.Read)
    notifier.activated.connect(readable)
    term.bytes_to_send.connect(lambda b: os.write(master, b))
    term.show()
    term.activateWindow()
    term.setFocus()
    QTimer.singleShot(60000, app.quit)
    app.exec()
    proc.kill()
    """
)

# (xdotool key name, bytes xterm sends)
KEYS = [
    ("Up", b"\x1b[A"),
    ("Escape", b"\x1b"),
    ("ctrl+c", b"\x03"),
    ("F5", b"\x1b[15~"),
    ("a", b"a"),
    ("shift+Tab", b"\x1b[Z"),
    ("alt+b", b"\x1bb"),
    ("Home", b"\x1b[H"),
    ("ctrl+Left", b"\x1b[1;5D"),
    ("BackSpace", b"\x7f"),
    ("Return", b"\r"),
]


def test_keys_typed_on_a_real_x_server_reach_the_program(tmp_path: Path) -> None:
    need(shutil.which("xdotool") is not None, "xdotool (apt package xdotool)")
    proc, display = _start_xvfb()
    app = None
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env["DISPLAY"] = display
        env["PYTHONPATH"] = str(REPO)
        script = tmp_path / "term_app.py"
        script.write_text(APP)
        out, ready = tmp_path / "keys.bin", tmp_path / "ready"
        expected = b"".join(b for _, b in KEYS)
        app = subprocess.Popen([sys.executable, str(script), str(out), str(ready), str(len(expected))],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert app.poll() is None, app.stdout.read().decode() if app.stdout else ""
            assert time.monotonic() < deadline, "the terminal window did not come up"
            time.sleep(0.1)
        wid = ready.read_text().strip()
        subprocess.run(["xdotool", "windowfocus", "--sync", wid], env=env, check=True, timeout=30)
        while not (tmp_path / "focused").exists():  # the app says the terminal has the keyboard focus
            assert app.poll() is None, app.stdout.read().decode() if app.stdout else ""
            assert time.monotonic() < deadline, "the terminal window never got the focus"
            time.sleep(0.05)
        for name, _ in KEYS:
            subprocess.run(["xdotool", "key", "--clearmodifiers", name], env=env, check=True, timeout=30)
        app.wait(timeout=60)
        assert out.read_bytes() == expected
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.wait()
        proc.terminate()
        proc.wait(timeout=10)
