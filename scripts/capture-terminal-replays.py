#!/usr/bin/env python3
"""Record what full-screen programs write to an 80x24 xterm-256color terminal, for the terminal conformance test.

Each program runs in a fresh pty (no terminal answers its queries), gets a few keys, and everything it wrote until
just before it is told to quit is saved as tests/data/terminal/<name>.<locale>.replay. Rerun after changing the
list; the test (tests/gui/test_terminal_conformance.py) replays the files through our emulator and through tmux.
Usage: python3 scripts/capture-terminal-replays.py [name ...]
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "terminal"
COLUMNS, LINES = 80, 24
LOCALES = {"utf8": "C.UTF-8", "c": "C"}

# name -> (argv, [(seconds to wait, keys to send)...], keys that quit). Output is cut before the quit keys.
PROGRAMS: dict[str, tuple[list[str], list[tuple[float, bytes]], bytes]] = {
    "htop": (["htop", "-d", "5"], [(2.0, b""), (0.2, b"M"), (1.5, b"P"), (1.5, b"\x1b[B\x1b[B\x1b[B")], b"q"),
    "mc": (["mc", "-u", "-x", "/usr/share"], [(2.0, b""), (0.5, b"\x1b[B\x1b[B\x1b[B"), (1.0, b"")], b"\x1b0"),
    "tmux": (
        ["tmux", "-L", "capture", "-f", "/dev/null", "new-session", "sh", ";", "split-window", "-h", "sh", ";",
         "split-window", "-v", "sh"],
        [(2.0, b""), (0.5, b"ls /usr\r"), (1.0, b"printf 'caf\\303\\251 ok\\n'\r"), (1.0, b"")],
        b"exit\rexit\rexit\r",
    ),
    "ncdu": (["ncdu", "-x", "/usr/share/doc"], [(3.0, b""), (0.5, b"\x1b[B\x1b[B"), (1.0, b"")], b"q"),
    "vim": (
        ["vim", "-N", "-u", "NONE", "-i", "NONE", "-c", "syntax on", "-c", "set number hlsearch",
         "/usr/lib/python3.11/textwrap.py"],
        [(1.5, b""), (0.3, b"/the\r"), (1.0, b"")],
        b"\x1b:qa!\r",
    ),
    "less": (["less", "/etc/services"], [(1.0, b""), (0.3, b" "), (0.5, b"/tcp\r"), (1.0, b"")], b"q"),
    "top": (["top", "-d", "1"], [(2.5, b""), (0.2, b"M"), (1.5, b"")], b"q"),
}


def record(argv: list[str], steps: list[tuple[float, bytes]], quit_keys: bytes, lang: str, home: str) -> bytes:
    pid, fd = pty.fork()
    if pid == 0:
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "TERM": "xterm-256color", "LANG": lang, "LC_ALL": lang,
               "SHELL": "/bin/sh", "PS1": "$ "}
        os.chdir(home)
        os.execvpe(argv[0], argv, env)  # noqa: S606 - the program under test, in the forked child
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    out = bytearray()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    out.extend(os.read(fd, 65536))
                except OSError:
                    return

    for wait, keys in steps:
        pump(wait)
        if keys:
            os.write(fd, keys)
    pump(0.5)
    recorded = bytes(out)
    os.write(fd, quit_keys)
    pump(1.0)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    return recorded


def main() -> None:
    names = sys.argv[1:] or list(PROGRAMS)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        argv, steps, quit_keys = PROGRAMS[name]
        if shutil.which(argv[0]) is None:
            print(f"skip {name}: not installed (scripts/install-system-deps.sh)")
            continue
        for tag, lang in LOCALES.items():
            with tempfile.TemporaryDirectory() as home:
                data = record(argv, steps, quit_keys, lang, home)
            (OUT / f"{name}.{tag}.replay").write_bytes(data)
            print(f"{name}.{tag}: {len(data)} bytes")
    subprocess.run(["tmux", "-L", "capture", "kill-server"], capture_output=True, check=False)


if __name__ == "__main__":
    main()
