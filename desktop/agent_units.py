"""`deskside agent install | uninstall`: the agent as a systemd user service with a timer.

Three units in ~/.config/systemd/user (or $XDG_CONFIG_HOME/systemd/user):
  deskside-agent.service        Type=oneshot, `deskside agent run` (low CPU and I/O priority)
  deskside-agent.timer          starts it 2 min after login, then every `interval` (default 15 min)
  deskside-agent-login.service  Type=oneshot at login (default.target): `deskside agent run --at-login`
then `systemctl --user daemon-reload` and `enable --now` of the timer and the login service.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

SERVICE, TIMER, LOGIN = "deskside-agent.service", "deskside-agent.timer", "deskside-agent-login.service"
UNITS = (SERVICE, TIMER, LOGIN)


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def command() -> list[str]:
    """How systemd starts this very installation: its Python and `-m desktop.cli` (no PATH lookup); a frozen
    build (PyInstaller, packaging/) is its own program."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "agent", "run"]
    return [sys.executable, "-m", "desktop.cli", "agent", "run"]


def _env_lines() -> str:
    # The data/config places the user chose by environment variable must be the agent's too.
    keep = [k for k in ("DESKSIDE_CONFIG_DIR", "DESKSIDE_DATA_DIR", "DESKSIDE_CACHE_DIR", "DESKSIDE_LOG_DIR")
            if os.environ.get(k)]
    return "".join(f"Environment={shlex.quote(f'{k}={os.environ[k]}')}\n" for k in keep)


def units(interval: str = "15min") -> dict[str, str]:
    exec_start = shlex.join(command())
    common = ("Nice=19\nIOSchedulingClass=idle\nCPUSchedulingPolicy=idle\nNoNewPrivileges=yes\n"
              f"{_env_lines()}")
    return {
        SERVICE: ("[Unit]\nDescription=Deskside agent: send waiting tickets, follow tickets, run the checks\n"
                  "\n[Service]\nType=oneshot\n"
                  f"ExecStart={exec_start}\n{common}"),
        TIMER: ("[Unit]\nDescription=Run the Deskside agent regularly\n\n[Timer]\nOnStartupSec=2min\n"
                f"OnUnitActiveSec={interval}\nRandomizedDelaySec=30s\nPersistent=false\n\n"
                "[Install]\nWantedBy=timers.target\n"),
        LOGIN: ("[Unit]\nDescription=Deskside agent: the checks at login\nAfter=graphical-session.target\n\n"
                f"[Service]\nType=oneshot\nExecStart={exec_start} --at-login\n{common}\n"
                "[Install]\nWantedBy=default.target\n"),
    }


def write_units(directory: Path, interval: str = "15min") -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in units(interval).items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def systemctl(*args: str) -> tuple[bool, str]:
    """`systemctl --user ARGS`: (worked, what it said)."""
    exe = shutil.which("systemctl")
    if exe is None:
        return False, "systemctl is not installed (this system does not use systemd)"
    try:
        r = subprocess.run([exe, "--user", *args], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return r.returncode == 0, (r.stderr or r.stdout).strip()


def install(interval: str = "15min", enable: bool = True) -> tuple[list[Path], str | None]:
    """Write the units and enable them. Returns the files and, when systemd could not enable them, why."""
    files = write_units(unit_dir(), interval)
    if not enable:
        return files, None
    for args in (("daemon-reload",), ("enable", "--now", TIMER), ("enable", LOGIN)):
        ok, said = systemctl(*args)
        if not ok:
            return files, f"`systemctl --user {' '.join(args)}` failed: {said or 'no reason given'}"
    return files, None


def uninstall(disable: bool = True) -> tuple[list[Path], str | None]:
    """Disable and remove the units. Returns the removed files and, when systemd could not be told, why."""
    problem = None
    if disable:
        ok, said = systemctl("disable", "--now", *UNITS)
        if not ok:
            problem = f"`systemctl --user disable --now` failed: {said or 'no reason given'}"
    removed = []
    for name in UNITS:
        path = unit_dir() / name
        if path.exists():
            path.unlink()
            removed.append(path)
    if disable and problem is None:
        systemctl("daemon-reload")
    return removed, problem

