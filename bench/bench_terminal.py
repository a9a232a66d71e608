"""The terminal beside xterm on the same X display (Xvfb), same shell, same size (100x40):

- flood: `yes | head -200000` until the screen has settled (the marker after it is painted, nothing left to parse);
- ctrl-c: `yes` running for 2 s, then Ctrl+C, until the prompt is back on screen.

Both terminals run bash on a local pty, then over SSH to a real sshd
(tests/integration/sshd.py; needs root). xterm is timed by the shell (it cannot be watched from outside: its output
is read as fast as xterm draws): before each prompt the shell asks the terminal for its device attributes and
stamps the time when the answer is back, i.e. when the terminal has read everything before it. Deskside's widget is
timed the same way and also until its screen shows the result. Prints medians over BENCH_TERMINAL_RUNS (3) and
the ratios.
Needs xterm, Xvfb and xdotool (scripts/install-system-deps.sh). Exits 0.
"""

from __future__ import annotations

import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from xvfb import start_xvfb

RUNS = int(os.environ.get("BENCH_TERMINAL_RUNS", "3"))
COLS, ROWS = 100, 40
FLOOD = "yes | head -200000"
# Before each prompt the shell asks the terminal for its device attributes and waits for the answer: a terminal
# answers only once it has read everything before the question, so the time stamped is when the terminal has
# consumed the output (over SSH the shell itself finishes long before: the output waits in buffers).
RC = """PS1='BENCH-PROMPT$ '
PROMPT_COMMAND='printf "\\033[c"; read -rs -d c -t 300 _; date +%s.%N >> {stamps}'
"""


def start_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("BENCH_DISPLAY"):
        os.environ["DISPLAY"] = os.environ["BENCH_DISPLAY"]
        return None
    return start_xvfb(":87")


def wait_lines(path: Path, n: int, timeout: float = 120) -> list[float]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        stamps = [float(x) for x in path.read_text().split()] if path.exists() else []
        if len(stamps) >= n:
            return stamps
        time.sleep(0.01)
    raise TimeoutError(f"{path} has fewer than {n} prompts")


def xterm_run(tmp: Path, via: list[str]) -> tuple[float, float]:
    """`via`: what runs the shell: [] (a local pty) or an ssh command line."""
    stamps = tmp / "xterm-stamps"
    stamps.unlink(missing_ok=True)
    rc = tmp / "xterm-rc"
    rc.write_text(RC.format(stamps=stamps))
    proc = subprocess.Popen(["xterm", "-name", "benchxterm", "-geometry", f"{COLS}x{ROWS}", "-fa", "Monospace",
                             "-fs", "10", "-e", *via, "bash", "--noprofile", "--rcfile", str(rc), "-i"])  # fmt: skip
    try:
        wid = ""
        end = time.monotonic() + 60
        while not wid and time.monotonic() < end and proc.poll() is None:
            wid = "".join(subprocess.run(["xdotool", "search", "--classname", "benchxterm"], capture_output=True,
                                         text=True).stdout.split()[:1])  # fmt: skip
            time.sleep(0.1)
        if not wid:
            raise RuntimeError("the xterm window did not appear")
        wait_lines(stamps, 1)
        subprocess.run(["xdotool", "windowfocus", "--sync", wid], check=False)
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


def deskside_run(tmp: Path, ssh: tuple[object, object] | None) -> tuple[float, float, float, float]:
    """(flood by the shell, flood until painted, ctrl-c by the shell, ctrl-c until the prompt is painted).
    `ssh`: (SshEnv, Sshd) to run the shell over SSH (a reader thread emitting the output, as the app's worker),
    or None for a local pty."""
    import pty

    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QSocketNotifier, Qt, Signal
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from ui.terminal import TerminalWidget

    class Pump(QObject):
        output = Signal(bytes)

    app = QApplication.instance() or QApplication([])
    stamps = tmp / "deskside-stamps"
    stamps.unlink(missing_ok=True)
    rc = tmp / "deskside-rc"
    rc.write_text(RC.format(stamps=stamps))
    term = TerminalWidget(cols=COLS, rows=ROWS)
    term.resize(term.width_for_columns(COLS), int(ROWS * term.cellSize()[1]) + 8)
    term.show()
    painted: list[float] = []
    stop = threading.Event()
    if ssh is None:
        pid, fd = pty.fork()
        if pid == 0:
            env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
            os.execvpe("bash", ["bash", "--noprofile", "--rcfile", str(rc), "-i"], env)  # noqa: S606 - the shell

        def readable() -> None:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                return
            term.feed(data)

        notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read)
        notifier.activated.connect(readable)
        term.bytes_to_send.connect(lambda data: os.write(fd, data))

        def finish() -> None:
            notifier.setEnabled(False)
            os.close(fd)
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    else:
        ssh_env, server = ssh
        conn = ssh_env.connect(server)  # type: ignore[attr-defined]
        shell = conn.open_shell(COLS, ROWS)
        pump = Pump()
        pump.output.connect(term.feed)

        def reader() -> None:  # as desktop/ssh_worker: read what is there, hand it to the GUI thread
            while not stop.is_set():
                select.select([shell.fileno()], [], [], 0.2)
                data = shell.read_available()
                if data:
                    pump.output.emit(data)

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        term.bytes_to_send.connect(shell.send)
        shell.send(f"exec bash --noprofile --rcfile {rc} -i\r".encode())

        def finish() -> None:
            stop.set()
            thread.join()
            shell.close()
            conn.close()
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
    finish()
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
            os.chmod(tmp, 0o1777)  # noqa: S103 - a throwaway folder the SSH test account writes its prompt times to
            report("local pty", [xterm_run(tmp, []) for _ in range(RUNS)],
                   [deskside_run(tmp, None) for _ in range(RUNS)])  # fmt: skip
            if os.geteuid() == 0 and os.path.exists("/usr/sbin/sshd"):
                from tests.integration.sshd import SshEnv

                ssh_env = SshEnv(tmp / "ssh")
                server = ssh_env.sshd("benchterminal")
                try:
                    known = tmp / "known_hosts"
                    known.write_text(f"[127.0.0.1]:{server.port} {server.host_pub_line}\n")
                    via = ["ssh", "-F", "/dev/null", "-tt", "-p", str(server.port), "-i", str(ssh_env.client_key),
                           "-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
                           "-o", "IdentitiesOnly=yes", f"{ssh_env.user}@127.0.0.1"]  # fmt: skip
                    report("over SSH (real sshd)", [xterm_run(tmp, via) for _ in range(RUNS)],
                           [deskside_run(tmp, (ssh_env, server)) for _ in range(RUNS)])  # fmt: skip
                finally:
                    server.stop()
            else:
                print("(the SSH rows need root and sshd: skipped)")
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()


def report(title: str, xt: list[tuple[float, float]], ds: list[tuple[float, float, float, float]]) -> None:
    med = statistics.median
    xf, xc = med(r[0] for r in xt), med(r[1] for r in xt)
    df, dfp, dc, dcp = (med(r[i] for r in ds) for i in range(4))
    print(f"{title:34}{'xterm':>10}{'Deskside':>10}{'ratio':>8}")
    print(f"{'flood ' + FLOOD + ' (shell)':34}{xf:>9.2f}s{df:>9.2f}s{df / xf:>8.2f}")
    print(f"{'flood, until painted':34}{'':>10}{dfp:>9.2f}s{dfp / xf:>8.2f}")
    print(f"{'Ctrl-C during yes (shell)':34}{xc:>9.2f}s{dc:>9.2f}s{dc / xc:>8.2f}")
    print(f"{'Ctrl-C, until prompt painted':34}{'':>10}{dcp:>9.2f}s{dcp / xc:>8.2f}")
    print(f"({RUNS} runs each, medians; {COLS}x{ROWS}, Xvfb)", flush=True)


if __name__ == "__main__":
    main()
