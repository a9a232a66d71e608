"""`deskside patch` on one host over SSH: plan, dry run or upgrade with sudo, reboot when required and allowed,
wait for the host to come back, rescan. Every command goes through the connection's audit log (the sudo password
travels on the command's standard input only, never in a command line, the log or a file)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.cancel import Cancelled, CancelToken
from fleet.evaluate import HostResult, evaluate
from fleet.inventory import InventoryHost
from fleet.policy import Policy
from fleet.remediation import PatchError, plan, simulated_changes, sudo_problem, sudo_wrap
from fleet.scan import HostUnavailable, collect_evidence

UPGRADE_TIMEOUT = 3600.0


@dataclass
class PatchOutcome:
    host: str
    state: str  # "would change", "up to date", "patched", "failed", "unknown"
    changes: list[str] = field(default_factory=list)
    detail: str = ""
    rebooted: bool = False
    before: HostResult | None = None
    after: HostResult | None = None


def sudo_key(user: str, hostname: str, port: int) -> str:
    return f"sudo:{user}@{hostname}:{port}"


class PasswordSource:
    """The sudo password: from the keyring (a stored sudo or login password of that login), else asked once (the
    same answer is used for every host that needs one), else none. Thread-safe."""

    def __init__(self, secrets: Any, ask: Callable[[str], str | None] | None) -> None:
        self._secrets = secrets
        self._ask = ask
        self._lock = threading.Lock()
        self._asked: str | None = None
        self._tried = False

    def get(self, user: str, hostname: str, port: int) -> str | None:
        from remote.auth import password_key

        for key in (sudo_key(user, hostname, port), password_key(user, hostname, port)):
            stored = self._secrets.get(key) if self._secrets is not None else None
            if stored:
                return str(stored)
        with self._lock:
            if not self._tried and self._ask is not None:
                self._tried = True
                self._asked = self._ask("sudo password for the hosts to patch: ")
            return self._asked


def _exec(conn: Any, command: str, *, stdin: bytes | None = None, timeout: float = 60.0,
          cancel: CancelToken | None = None) -> tuple[int, str, str]:
    res = conn.exec(command, timeout=timeout, cancel=cancel, stdin=stdin)
    return int(res.exit_status), res.stdout.decode("utf-8", "replace"), res.stderr.decode("utf-8", "replace")


def patch_host(inv: InventoryHost, policy: Policy, connector: Any, passwords: PasswordSource, *,
               security_only: bool, dry_run: bool, reboot_if_required: bool, cancel: CancelToken,
               progress: Callable[[str, str], None] | None = None, reboot_wait: float = 600.0) -> PatchOutcome:
    def say(step: str) -> None:
        if progress is not None:
            progress(inv.name, step)

    out = PatchOutcome(host=inv.name, state="unknown")
    try:
        with connector(inv, cancel) as host:
            conn = host.conn
            say("reading the posture")
            evidence, _ = collect_evidence(host, policy, cancel)
            out.before = evaluate(inv.name, inv.groups, evidence, policy)
            p = plan(evidence.posture, security_only)
            if p.empty:
                out.state, out.after = "up to date", out.before
                out.detail = "nothing to install" + (" (no pending security update)" if security_only else "")
                return out
            if dry_run:
                say("dry run")
                status, stdout, stderr = _exec(conn, p.simulate, timeout=300, cancel=cancel)
                out.changes = simulated_changes(p.manager, stdout)
                if status != 0:
                    out.state, out.detail = "failed", f"the dry run failed: {stderr.strip()[-300:]}"
                else:
                    out.state = "would change"
                return out
            say("upgrading")
            stdin = None
            as_root = bool(getattr(host, "is_admin", False))
            if not as_root:
                status, _o, _e = _exec(conn, "sudo -n true", timeout=30, cancel=cancel)
                if status != 0:
                    prof = conn.profile
                    pw = passwords.get(prof.login_user, prof.hostname, prof.port)
                    if not pw:
                        out.state = "failed"
                        out.detail = ("sudo needs a password and none was given: run deskside patch on a terminal "
                                      "(it asks once), or store it in the keyring")
                        return out
                    stdin = (pw + "\n").encode()
            command = sudo_wrap(p.command, as_root=as_root, with_password=stdin is not None)
            status, stdout, stderr = _exec(conn, command, stdin=stdin, timeout=UPGRADE_TIMEOUT, cancel=cancel)
            refused = sudo_problem(status, stderr)
            if refused:
                out.state, out.detail = "failed", refused
                return out
            if status != 0:
                out.state = "failed"
                out.detail = f"the upgrade failed (exit {status}): {(stderr or stdout).strip()[-400:]}"
                return out
            out.changes = [f"{u.name} {u.installed or ''} -> {u.candidate or ''}" for u in p.updates]
            out.state = "patched"
            say("rescanning")
            evidence, _ = collect_evidence(host, policy, cancel)
            out.after = evaluate(inv.name, inv.groups, evidence, policy)
            needs_reboot = evidence.posture.reboot.required is True
            if needs_reboot and not reboot_if_required:
                out.detail = "a reboot is required to finish: patch again with --reboot-if-required, or reboot it"
            if not (needs_reboot and reboot_if_required):
                return out
            say("rebooting")
            _exec(conn, sudo_wrap("systemctl reboot || shutdown -r now", as_root=as_root,
                                  with_password=stdin is not None), stdin=stdin, timeout=30, cancel=cancel)
        out.rebooted = True
        out.after = _wait_and_rescan(inv, policy, connector, cancel, reboot_wait, say)
        return out
    except (PatchError, HostUnavailable) as exc:
        out.state, out.detail = ("failed" if isinstance(exc, PatchError) else "unknown"), str(exc)
        return out
    except Cancelled:
        out.state, out.detail = "unknown", "cancelled"
        return out


def _wait_and_rescan(inv: InventoryHost, policy: Policy, connector: Any, cancel: CancelToken, wait: float,
                     say: Callable[[str], None]) -> HostResult | None:
    """Wait until the host answers again after its reboot (or `wait` seconds), then rescan it."""
    say("waiting for the host to come back")
    end = time.monotonic() + wait
    while time.monotonic() < end:
        cancel.raise_if_cancelled()
        try:
            with connector(inv, cancel) as host:
                evidence, _ = collect_evidence(host, policy, cancel)
                return evaluate(inv.name, inv.groups, evidence, policy)
        except HostUnavailable:
            cancel.wait(5.0)
    return None
