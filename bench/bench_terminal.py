"""The terminal beside xterm on the same X display (Xvfb), same shell, same size (100x40):

- flood: `yes | head -200000` until the screen has settled (the marker after it is painted, nothing left to parse);
- ctrl-c: `yes` running for 2 s, then Ctrl+C, until the prompt is back on screen.

Both terminals run bash on a local pty. xterm is timed by the shell (it cannot be watched from outside: its output
is read as fast as xterm draws, so the shell's own timestamps bound it); Deskside's widget is timed by the shell the
same way and also until its screen shows the result. Prints medians over BENCH_TERMINAL_RUNS (3) and the ratios.
Needs xterm, Xvfb and xdotool (scripts/install-system-deps.sh). Exits 0.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_TERMINAL_RUNS", "3"))
COLS, ROWS = 100, 40
FLOOD = "yes | head -200000"
RC = """PS1='BENCH-PROMPT$ '
PROMPT_COMMAND='date +%s.%N >> {stamps}'
"""


def start_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("BENCH_DISPLAY"):
        os.environ["DISPLAY"] = os.environ["BENCH_DISPLAY"]
        return None
    display = ":87"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.environ["DISPLAY"] = display
    for _ in range(100):
        if subprocess.run(["xdpyinfo"], capture_output=True).returncode == 0:
            break
        time.sleep(0.05)
    return proc


def wait_lines(path: Path, n: int, timeout: float = 120) -> list[float]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        stamps = [float(x) for x in path.read_text().split()] if path.exists() else []
        if len(stamps) >= n:
            return stamps
        time.sleep(0.01)
    raise TimeoutError(f"{path} has fewer than {n} prompts")


def xterm_run(tmp: Path) -> tuple[float, float]:
    stamps = tmp / "xterm-stamps"
    stamps.unlink(missing_ok=True)
    rc = tmp / "xterm-rc"
    rc.write_text(RC.format(stamps=stamps))
    proc = subprocess.Popen(["xterm", "-name", "benchxterm", "-geometry", f"{COLS}x{ROWS}", "-fa", "Monospace",
                             "-fs", "10", "-e", "bash", "--noprofile", "--rcfile", str(rc), "-i"])  # fmt: skip
    try:
        wid = subprocess.run(["xdotool", "search", "--sync", "--classname", "benchxterm"], capture_output=True,
                             text=True, check=True).stdout.split()[0]  # fmt: skip
        subprocess.run(["xdotool", "windowfocus", "--sync", wid], check=False)
        wait_lines(stamps, 1)
        t0 = time.time()
        subprocess.run(["xdotool", "type", "--delay", "0", FLOOD + "\n"], check=True)
        flood = wait_lines(stamps, 2)[-1] - t0
        subprocess.run(["xdotool", "type", "--delay", "0", "yes\n"], check=True)
        time.sleep(2)
        t0 = time.time()
        subprocess.run(["xdotool", "key", "ctrl+c"], check=True)
        ctrl_c = wait_lines(stamps, 3)[-1] - t0
        return flood, ctrl_c
    finally:
        proc.terminate()
        proc.wait()


def deskside_run(tmp: Path) -> tuple[float, float, float, float]:
    """(flood by the shell, flood until painted, ctrl-c by the shell, ctrl-c until the prompt is painted)."""
    import pty

    from PySide6.QtCore import QElapsedTimer, QEvent, QSocketNotifier, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from ui.terminal import TerminalWidget

    app = QApplication.instance() or QApplication([])
    stamps = tmp / "deskside-stamps"
    stamps.unlink(missing_ok=True)
    rc = tmp / "deskside-rc"
    rc.write_text(RC.format(stamps=stamps))
    term = TerminalWidget(cols=COLS, rows=ROWS)
    term.resize(term.width_for_columns(COLS), int(ROWS * term.cellSize()[1]) + 8)
    term.show()
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        os.execvpe("bash", ["bash", "--noprofile", "--rcfile", str(rc), "-i"], env)  # noqa: S606 - the shell
    painted: list[float] = []

    def readable() -> None:
        try:
            data = os.read(fd, 1 << 16)
        except OSError:
            return
        term.feed(data)

    notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read)
    notifier.activated.connect(readable)
    term.bytes_to_send.connect(lambda data: os.write(fd, data))
    orig_paint = term.paintEvent

    def paint(event: object) -> None:
        orig_paint(event)  # type: ignore[arg-type]
        painted.append(time.time())

    term.paintEvent = paint  # type: ignore[method-assign]

    def until(cond: object, timeout: float = 120) -> None:
        timer = QElapsedTimer()
        timer.start()
        while not cond() and timer.elapsed() < timeout * 1000:  # type: ignore[operator]
            app.processEvents()
            time.sleep(0.001)

    def settled(marker: str) -> bool:
        lines = [x for x in term.screen_text() if x.strip()]
        return term.pending_bytes() == 0 and bool(lines) and lines[-1].startswith(marker) and \
            painted and painted[-1] >= last_feed[0]  # fmt: skip

    last_feed = [0.0]
    orig_parse = term._parse

    def parse(data: bytes) -> None:
        orig_parse(data)
        last_feed[0] = time.time()

    term._parse = parse  # type: ignore[method-assign]
    until(lambda: len(stamps.read_text().split()) >= 1 if stamps.exists() else False)
    until(lambda: settled("BENCH-PROMPT$"))
    t0 = time.time()
    term.bytes_to_send.emit((FLOOD + "\r").encode())
    until(lambda: stamps.exists() and len(stamps.read_text().split()) >= 2 and settled("BENCH-PROMPT$"))
    flood_painted = time.time() - t0
    flood_shell = wait_lines(stamps, 2)[-1] - t0
    term.bytes_to_send.emit(b"yes\r")
    end = time.time() + 2
    until(lambda: time.time() >= end)
    backlog = term.pending_bytes()
    t0 = time.time()
    app.sendEvent(term, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier, "\x03"))
    until(lambda: stamps.exists() and len(stamps.read_text().split()) >= 3 and settled("BENCH-PROMPT$"))
    ctrl_painted = time.time() - t0
    ctrl_shell = wait_lines(stamps, 3)[-1] - t0
    notifier.setEnabled(False)
    os.close(fd)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    term.close()
    term.deleteLater()
    print(f"  deskside run: backlog at Ctrl-C {backlog} bytes, skipped by the flood guard {term.skipped_bytes} bytes",
          flush=True)
    return flood_shell, flood_painted, ctrl_shell, ctrl_painted


def main() -> None:
    for tool in ("xterm", "Xvfb", "xdotool", "bash"):
        if shutil.which(tool) is None:
            print(f"skipped: {tool} is not installed (scripts/install-system-deps.sh)")
            return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    xvfb = start_display()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            xt = [xterm_run(tmp) for _ in range(RUNS)]
            ds = [deskside_run(tmp) for _ in range(RUNS)]
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    med = statistics.median
    xf, xc = med(r[0] for r in xt), med(r[1] for r in xt)
    df, dfp, dc, dcp = (med(r[i] for r in ds) for i in range(4))
    print(f"{'':34}{'xterm':>10}{'Deskside':>10}{'ratio':>8}")
    print(f"{'flood ' + FLOOD + ' (shell)':34}{xf:>9.2f}s{df:>9.2f}s{df / xf:>8.2f}")
    print(f"{'flood, until painted':34}{'':>10}{dfp:>9.2f}s{dfp / xf:>8.2f}")
    print(f"{'Ctrl-C during yes (shell)':34}{xc:>9.2f}s{dc:>9.2f}s{dc / xc:>8.2f}")
    print(f"{'Ctrl-C, until prompt painted':34}{'':>10}{dcp:>9.2f}s{dcp / xc:>8.2f}")
    print(f"({RUNS} runs each, medians; {COLS}x{ROWS}, local pty, Xvfb)")


if __name__ == "__main__":
    main()
