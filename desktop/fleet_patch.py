"""`deskside patch` on one host over SSH: plan, dry run or upgrade with sudo, reboot when required and allowed,
wait for the host to come back (a new boot id, within a deadline, cancellable), rescan. Every command goes through
the connection's audit log, and so do the reboot and the wait (the sudo password travels on the command's standard
input only, never in a command line, the log or a file)."""

from __future__ import annotations

import threading
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
    state: str  # "would change", "up to date", "patched", "rebooted" (only), "failed", "unknown"
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


# The boot's identity: Linux's random boot id, else the boot time (a reboot changes either).
BOOT_ID = ["sh", "-c", "cat /proc/sys/kernel/random/boot_id 2>/dev/null || sed -n 's/^btime //p' /proc/stat"]
REBOOT = "systemctl reboot || shutdown -r now"


def boot_id(host: Any, cancel: CancelToken | None = None) -> str | None:
    res = host.run(list(BOOT_ID), timeout=30.0, cancel=cancel)
    text = res.stdout.strip() if res.ok else ""
    return text or None


class _Audit:
    """Records the reboot and the wait in the connection's audit log (the host may be down: kept from the first
    connection)."""

    def __init__(self, conn: Any) -> None:
        self.log, self.profile = getattr(conn, "audit", None), getattr(conn, "profile", None)

    def __call__(self, what: str, status: int | None = None) -> None:
        if self.log is not None and self.profile is not None:
            self.log.record(host=self.profile.hostname, port=self.profile.port, user=self.profile.login_user,
                            command=what, exit_status=status, kind="reboot")


def patch_host(inv: InventoryHost, policy: Policy, connector: Any, passwords: PasswordSource, *,
               security_only: bool, dry_run: bool, reboot_if_required: bool, cancel: CancelToken,
               progress: Callable[[str, str], None] | None = None, reboot_wait: float = 600.0,
               reboot_poll: float = 2.0) -> PatchOutcome:
    """Plan, dry run or upgrade, rescan; with `reboot_if_required`, a host that requires a reboot (after the upgrade,
    or already before it) is rebooted, waited for (its boot id must change, within `reboot_wait` seconds) and
    rescanned."""
    def say(step: str) -> None:
        if progress is not None:
            progress(inv.name, step)

    out = PatchOutcome(host=inv.name, state="unknown")
    try:
        with connector(inv, cancel) as host:
            conn = host.conn
            audit = _Audit(conn)
            say("reading the posture")
            evidence, _ = collect_evidence(host, policy, cancel)
            out.before = evaluate(inv.name, inv.groups, evidence, policy)
            p = plan(evidence.posture, security_only)
            reboot_now = reboot_if_required and evidence.posture.reboot.required is True
            if p.empty and not reboot_now:
                out.state, out.after = "up to date", out.before
                out.detail = "nothing to install" + (" (no pending security update)" if security_only else "")
                return out
            if dry_run:
                if reboot_now:
                    out.changes.append("reboot (the host requires one)")
                if p.empty:
                    out.state = "would change"
                    return out
                say("dry run")
                status, stdout, stderr = _exec(conn, p.simulate, timeout=300, cancel=cancel)
                out.changes = simulated_changes(p.manager, stdout) + out.changes
                if status != 0:
                    out.state, out.detail = "failed", f"the dry run failed: {stderr.strip()[-300:]}"
                else:
                    out.state = "would change"
                return out
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
            if p.empty:
                out.state, out.after = "up to date", out.before
                needs_reboot = True
            else:
                say("upgrading")
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
            before = boot_id(host, cancel)
            why = "; ".join(evidence.posture.reboot.reasons) or "the host requires it"
            asked, stderr = _reboot(conn, as_root, stdin, cancel)
            refused = sudo_problem(asked, stderr) if asked is not None else None
            if refused or (asked is not None and asked != 0):
                audit(f"reboot failed: {refused or stderr.strip()[-200:]}", asked)
                out.detail = f"the reboot failed: {refused or f'exit {asked}: ' + stderr.strip()[-300:]}"
                out.state = "failed"
                return out
            audit(f"reboot requested ({why}); boot id {before or 'not readable'}", asked)
        out.rebooted = True
        out.after, why_not = wait_for_reboot(inv, policy, connector, cancel, before, say, audit,
                                             deadline=reboot_wait, poll=reboot_poll)
        if out.after is None:
            out.state, out.detail = "unknown", f"{'rebooted' if p.empty else 'upgraded and rebooted'}, but {why_not}"
        elif p.empty:
            out.state, out.detail = "rebooted", "nothing to install; rebooted as the host required"
        return out
    except (PatchError, HostUnavailable) as exc:
        out.state, out.detail = ("failed" if isinstance(exc, PatchError) else "unknown"), str(exc)
        return out
    except Cancelled:
        out.state, out.detail = "unknown", "cancelled"
        return out


def _reboot(conn: Any, as_root: bool, stdin: bytes | None, cancel: CancelToken) -> tuple[int | None, str]:
    """Ask for the reboot. (None, "") when the connection dropped on the way: the host is going down."""
    try:
        status, _o, stderr = _exec(conn, sudo_wrap(REBOOT, as_root=as_root, with_password=stdin is not None),
                                   stdin=stdin, timeout=30, cancel=cancel)
    except Cancelled:
        raise
    except Exception:  # the host closed the connection as it went down
        return None, ""
    if status < 0:  # the channel closed without an exit status: the host went down under it
        return None, stderr
    return status, stderr


def wait_for_reboot(inv: InventoryHost, policy: Policy, connector: Any, cancel: CancelToken, before: str | None,
                    say: Callable[[str], None], audit: Callable[..., None], *, deadline: float,
                    poll: float = 2.0) -> tuple[HostResult | None, str]:
    """Wait until the host answers again with a new boot (its boot id changed; where it cannot be read, it must
    have been seen down first), at most `deadline` seconds; then rescan it. Returns the rescan, or None and why."""
    say("waiting for the host to go down")
    timer_token = CancelToken()  # cancels a connect still trying at the deadline
    timer = threading.Timer(max(0.0, deadline), timer_token.cancel)
    timer.daemon = True
    timer.start()
    stop = threading.Event()

    def relay() -> None:  # the user's cancel also stops a connect in progress
        while not stop.is_set() and not timer_token.cancelled:
            if cancel.wait(0.2):
                timer_token.cancel()
                return

    threading.Thread(target=relay, name="reboot-cancel", daemon=True).start()
    went_down, last = False, ""
    try:
        while True:
            cancel.raise_if_cancelled()
            if timer_token.cancelled:
                state = "it went down and" if went_down else "it never went down and"
                why = f"{state} did not come back within {deadline:g} s" + (f" (last: {last})" if last else "")
                audit(f"reboot wait ended: {why}", None)
                return None, why
            try:
                with connector(inv, timer_token) as host:
                    now = boot_id(host, timer_token)
                    if (before is not None and now == before) or (before is None and now is None and not went_down):
                        last = "still up, not rebooted yet"
                    else:
                        if not went_down:
                            say("the host went down")
                        audit(f"the host is back: boot id {before or '?'} -> {now or '?'}", 0)
                        say("back up: rescanning")
                        evidence, _ = collect_evidence(host, policy, timer_token)
                        result = evaluate(inv.name, inv.groups, evidence, policy)
                        audit(f"rescan after the reboot: {result.status}", 0)
                        return result, ""
            except Cancelled:
                cancel.raise_if_cancelled()
                continue  # the deadline: said at the top of the loop
            except Exception as exc:  # unreachable, refused, closed while starting: down (or not up yet)
                last = str(exc) or type(exc).__name__
                if not went_down:
                    went_down = True
                    audit(f"the host went down ({last})", None)
                    say("the host is down: waiting for it to come back")
            timer_token.wait(poll)
    finally:
        stop.set()
        timer.cancel()
