"""Conformance measured, not guessed: what htop, mc, tmux, ncdu, vim, less and top really wrote to an 80x24 terminal
(UTF-8 and C locales, captured by scripts/capture-terminal-replays.py) is replayed through our emulator and through
tmux (the reference: a pane of the same size, fed the same bytes by `cat`), and the text screens must be equal.

tmux keeps DEC line-drawing cells as the ASCII letter plus a charset flag; `capture-pane -e` marks them with SO/SI,
which are translated here with the DEC special graphics table, so `lqqk` on our side would be a difference."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from pyte.charsets import VT100_MAP

from ui.terminal.screen import TerminalEmulator

DATA = Path(__file__).resolve().parent.parent / "data" / "terminal"
REPLAYS = sorted(DATA.glob("*.replay"))
COLUMNS, LINES = 80, 24
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def reference_screen(replay: Path, tmp_path: Path) -> list[str]:
    """tmux's screen after `cat replay` in a raw, non-echoing pane (so its answers to queries are not shown)."""
    sock = f"conformance-{os.getpid()}-{threading.get_ident()}"
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", TMUX_TMPDIR=str(tmp_path))
    env.pop("TMUX", None)
    tmux = ["tmux", "-u", "-L", sock, "-f", "/dev/null"]
    cmd = f"stty raw -echo; cat '{replay}'; tmux -L {sock} wait-for -S replayed; sleep 3600"
    subprocess.run([*tmux, "new-session", "-d", "-x", str(COLUMNS), "-y", str(LINES), cmd], check=True, env=env)
    try:
        subprocess.run([*tmux, "wait-for", "replayed"], check=True, env=env, timeout=60)
        out = subprocess.run([*tmux, "capture-pane", "-p", "-e"], check=True, env=env, capture_output=True).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True)
    lines, graphics = [], False  # capture-pane -e carries the SO/SI state from one line to the next
    for raw in out.decode("utf-8", "replace").split("\n")[:LINES]:
        text = []
        for part in re.split(r"([\x0e\x0f])", _SGR.sub("", raw)):
            if part in ("\x0e", "\x0f"):
                graphics = part == "\x0e"
            else:
                text.append(part.translate(VT100_MAP) if graphics else part)
        lines.append("".join(text).rstrip())
    return lines + [""] * (LINES - len(lines))


def our_screen(replay: Path) -> list[str]:
    emulator = TerminalEmulator(COLUMNS, LINES)
    emulator.feed(replay.read_bytes())
    return [line.rstrip() for line in emulator.screen.screen_text()]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux (the reference emulator) is not installed")
@pytest.mark.parametrize("replay", REPLAYS, ids=[p.stem for p in REPLAYS])
def test_screen_equals_tmux(replay: Path, tmp_path: Path) -> None:
    ref = reference_screen(replay, tmp_path)
    ours = our_screen(replay)
    differing = [f"row {y}:\n  tmux: {ref[y]!r}\n  ours: {ours[y]!r}" for y in range(LINES) if ref[y] != ours[y]]
    assert not differing, f"{replay.name}: {len(differing)} rows differ\n" + "\n".join(differing)


def test_every_program_in_both_locales_is_captured() -> None:
    names = {p.name for p in REPLAYS}
    for program in ("htop", "mc", "tmux", "ncdu", "vim", "less", "top"):
        for locale in ("utf8", "c"):
            assert f"{program}.{locale}.replay" in names
