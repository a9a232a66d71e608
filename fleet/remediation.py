"""What `deskside patch` does to a host: the plan (which updates, which command), a dry run, the upgrade with sudo,
a reboot only when required and allowed, and the rescan. Qt-free and SSH-free: the host is reached through a
`PrivilegedHost` that desktop implements over SSH (`desktop/fleet_patch.py`).

The sudo password goes to `sudo -S` on the command's standard input, never into a command line, a log or a file.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Protocol

from common.cancel import CancelToken
from diagnostics.updates.posture import PendingUpdate, Posture

APT_ENV = "DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a"
APT_OPTS = "-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
SYSTEM = ("apt", "dnf", "zypper", "pacman")


class PatchError(Exception):
    """This host cannot be patched as asked; the message says why and what to do."""


@dataclass
class PatchPlan:
    host: str
    manager: str
    updates: list[PendingUpdate] = field(default_factory=list)
    command: str = ""  # the upgrade, run as root
    simulate: str = ""  # the same as a dry run, needs no root

    @property
    def empty(self) -> bool:
        return not self.updates


def _names(updates: list[PendingUpdate]) -> str:
    return " ".join(shlex.quote(u.name) for u in updates)


def plan(posture: Posture, security_only: bool) -> PatchPlan:
    """The upgrade for the host's system package manager. Raises PatchError when it cannot be planned."""
    manager = next((m for m in posture.checked if m in SYSTEM), None)
    if manager is None:
        raise PatchError(f"no system package manager could be read on {posture.host} "
                         f"({', '.join(posture.managers) or 'none found'}), so nothing can be patched")
    updates = [u for u in posture.pending if u.manager == manager and (u.security or not security_only)]
    if security_only and not posture.security_data.get(manager):
        raise PatchError(f"{manager} on {posture.host} does not say which updates are security updates, so "
                         "--security-only cannot choose; patch without it, or install the advisories' data")
    p = PatchPlan(host=posture.host, manager=manager, updates=updates)
    if not updates:
        return p
    names = _names(updates)
    if manager == "apt":
        p.command = f"{APT_ENV} apt-get {APT_OPTS} install --only-upgrade {names}"
        p.simulate = f"{APT_ENV} apt-get -s -q install --only-upgrade {names}"
    elif manager == "dnf":
        p.command = "dnf -y upgrade --security" if security_only else "dnf -y upgrade"
        p.simulate = "dnf -q --assumeno upgrade --security" if security_only else "dnf -q --assumeno upgrade"
    elif manager == "zypper":
        p.command = ("zypper --non-interactive patch --category security" if security_only
                     else "zypper --non-interactive update")
        p.simulate = p.command.replace("--non-interactive", "--non-interactive --dry-run", 1)
    else:  # pacman: no partial upgrades on Arch
        if security_only:
            raise PatchError("pacman has no security-only upgrade (Arch does not support partial upgrades); patch "
                             "without --security-only")
        p.command = "pacman -Syu --noconfirm"
        p.simulate = "pacman -Qu"
    return p


_APT_INST = re.compile(r"^Inst (\S+) (?:\[(\S+)\] )?\((\S+)")


def simulated_changes(manager: str, output: str) -> list[str]:
    """What a dry run says would change, one line per package (`openssl 3.0.11 -> 3.0.13`)."""
    if manager == "apt":
        out = []
        for line in output.splitlines():
            m = _APT_INST.match(line)
            if m:
                out.append(f"{m.group(1)} {m.group(2) or '(new)'} -> {m.group(3)}")
        return out
    return [ln.strip() for ln in output.splitlines() if ln.strip()][:200]


class PrivilegedHost(Protocol):
    """What patching needs of a host (desktop implements it over SSH)."""

    name: str

    def run_shell(self, command: str, *, stdin: bytes | None = None, timeout: float = 60.0,
                  cancel: CancelToken | None = None) -> tuple[int, str, str]: ...


def sudo_wrap(command: str, *, as_root: bool, with_password: bool) -> str:
    """`command` run as root: directly for root, `sudo -n` when no password is needed, else `sudo -S` reading the
    password from standard input (with an empty prompt, so nothing of it reaches the output)."""
    if as_root:
        return f"sh -c {shlex.quote(command)}"
    flags = "-S -p ''" if with_password else "-n"
    return f"sudo {flags} -- sh -c {shlex.quote(command)}"


def sudo_problem(status: int, stderr: str) -> str | None:
    """The plain reason when sudo itself refused (a wrong password, not in sudoers, no sudo), not the command."""
    if status == 0:
        return None
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    if status == 127 and any("sudo" in ln and "not found" in ln for ln in lines):
        return "sudo is not installed on the host"
    # "sudo: unable to resolve host X" is a warning sudo prints before running the command anyway
    said = [ln for ln in lines if (ln.lower().startswith("sudo:") or ln.lower().startswith("sorry, try again"))
            and "unable to resolve host" not in ln]
    if said:
        return f"sudo refused: {said[-1]}"
    # sudo 1.9 says these without its "sudo:" prefix
    denied = [ln for ln in lines if any(p in ln for p in _DENIED)]
    if denied:
        return f"sudo refused: {denied[0]}"
    return None


_DENIED = ("is not in the sudoers file", "is not allowed to run sudo", "is not allowed to execute")
