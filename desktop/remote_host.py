"""`SshHost`: the diagnostics `Host` protocol over an SSH `Connection`, so the same collectors inspect a remote host.

This is where `desktop` joins `diagnostics` and `remote` (core packages never import each other).

How a command runs remotely:
  * argv is quoted with `shlex.join` (never glued into a shell string by hand) and started through `env`, which sets
    a fixed PATH that includes the sbin folders (sshd's default PATH for a non-root login has none), the C.UTF-8
    locale and no pager, the same settings `LocalHost` uses. A program that is not installed gives `env`'s exit
    status 127 and "No such file": `missing=True`. The whole line is one `sh -c` with fixed text (WATCHDOG) and the
    words as its arguments, so it means the same under any POSIX-like login shell.
  * Each call is one SSH channel (`Connection.exec`): exit status, stdout and stderr apart, with the caller's
    timeout and cancel token. A timed-out or cancelled command gets its channel closed, and WATCHDOG then ends the
    remote program (sshd itself would leave it running).
  * Output beyond `max_output` bytes per stream is not loaded: the channel is closed at the cap, what arrived is
    kept and the result says `truncated=True`.
  * `read_file` is `head -c MAX -- PATH` (one channel; None when the file is missing or unreadable); `which` is
    `command -v`, remembered for the life of the SshHost.

Threads: the diagnostics runner calls `run()` from one thread per collector. Each call opens its own channel and
only that thread touches it; paramiko's Transport multiplexes channels from several threads (the core's forwards
already rely on this), so up to `max_channels` commands run at once over ONE connection. The Connection's life
(connect, reconnect, close) stays with the thread that owns it. `max_channels=1` serializes every command. The
default stays below OpenSSH's `MaxSessions` (10 channels per connection); a server that allows fewer makes
SshHost use fewer (a refused channel is retried, and the limit lowered for the rest of the run).
"""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from diagnostics.cancel import Cancelled, CancelToken
from diagnostics.host import MAX_OUTPUT, CommandResult, decode

if TYPE_CHECKING:
    from remote.connection import Connection

# A superset of the usual PATHs (root's and a user's on Debian, Fedora, SUSE, Arch; snaps), sbin folders included.
REMOTE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin"
REMOTE_ENV = {"PATH": REMOTE_PATH, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "SYSTEMD_PAGER": "", "PAGER": "cat"}
# sshd leaves a command running when its channel is closed. This wrapper starts the command in the background and
# watches the channel's stdin (which we never close): when the channel goes away (timeout, cancel, cap reached,
# connection lost) `cat` sees the end of input and the command is ended. Otherwise it passes the exit status on.
WATCHDOG = 'exec 3<&0; "$@" & p=$!; (cat >/dev/null; kill $p) <&3 >/dev/null 2>&1 & w=$!; ' \
           'exec 3<&-; wait $p; s=$?; kill $w 2>/dev/null; exit $s'
DEFAULT_MAX_CHANNELS = 6
PLATFORMS = {"linux": "linux", "darwin": "darwin"}
PROBE_COMMAND = "uname -s; uname -n; id -u"  # what SshHost asks first (fleet.scan.PROBE asks the same)


class RemoteHostError(Exception):
    """The remote host cannot be diagnosed (e.g. no POSIX shell tools); the message says why."""


def _channel_refused(exc: BaseException) -> bool:
    """Did the server refuse to open a channel (rather than the connection failing)?"""
    import paramiko

    cause = exc.__cause__
    if isinstance(cause, paramiko.ChannelException):
        return True
    # When several threads open channels at once, paramiko can hand the refusal to another waiter and report
    # this one only as "Unable to open channel." (transport.open_channel); the connection itself is fine.
    return isinstance(cause, paramiko.SSHException) and str(cause) == "Unable to open channel."


class _Enough(Exception):
    """Raised from the output callback when a stream reached its cap: closes the channel."""


class SshHost:
    """A remote host reached through an open `remote.connection.Connection`. See the module docstring."""

    is_local = False

    def __init__(
        self,
        conn: Connection,
        *,
        max_channels: int = DEFAULT_MAX_CHANNELS,
        max_output: int = MAX_OUTPUT,
        timeout: float = 15.0,
        cancel: CancelToken | None = None,
        probe: bool = True,
    ) -> None:
        """`probe=False` defers the identity probe (platform, name, is_admin) to the first use, so that a caller
        whose first command answers it too (the fleet's posture script) can hand the answer over (`adopt_probe`)
        and save that round trip; until then commands are started as on a POSIX host."""
        self.conn = conn
        self.max_output = max_output
        self.max_channels = max(1, max_channels)  # lowered when the server refuses channels (its MaxSessions)
        self._slots = threading.BoundedSemaphore(self.max_channels)
        self._lock = threading.Lock()
        self._which: dict[str, str | None] = {}
        self.commands_run = 0  # SSH round trips (channels opened) so far
        self.max_parallel = 0  # the most channels that were open at once
        self._open = 0
        profile = conn.profile
        self.target = profile.display() if profile is not None else "the remote host"
        self._probe_with = (timeout, cancel)
        self._identity: tuple[str, str, bool] | None = self._probe(timeout, cancel) if probe else None

    @property
    def platform(self) -> str:
        return self._identify()[0]

    @platform.setter
    def platform(self, value: str) -> None:
        _, n, admin = self._identify()
        self._identity = (value, n, admin)

    @property
    def name(self) -> str:
        return self._identify()[1]

    @name.setter
    def name(self, value: str) -> None:
        p, _, admin = self._identify()
        self._identity = (p, value, admin)

    @property
    def is_admin(self) -> bool:
        return self._identify()[2]

    def _identify(self) -> tuple[str, str, bool]:
        if self._identity is None:
            self._identity = self._probe(*self._probe_with)
        return self._identity

    # -- detection ----------------------------------------------------------------------------------------------
    def adopt_probe(self, output: str) -> bool:
        """Take the answer of PROBE_COMMAND from a command that already ran it (no round trip of its own). False
        when it does not read as a POSIX host's answer; the probe then runs on first use."""
        found = self._read_probe(0, output.encode())
        if found is not None and self._identity is None:
            self._identity = found
        return found is not None

    def _read_probe(self, status: int, out: bytes) -> tuple[str, str, bool] | None:
        lines = decode(out).splitlines()
        if status != 0 or len(lines) < 2:
            return None
        kernel = lines[0].strip().lower()
        platform = PLATFORMS.get(kernel, "windows" if kernel.startswith(("cygwin", "mingw", "msys")) else kernel)
        uid = lines[2].strip() if len(lines) > 2 else ""
        return platform or "unknown", lines[1].strip() or self.target, uid == "0"

    def _probe(self, timeout: float, cancel: CancelToken | None) -> tuple[str, str, bool]:
        """One round trip: OS kernel name, host name and user id (`uname -s`, `uname -n`, `id -u`)."""
        status, out, err, timed_out, _ = self._exec(shlex.join(["sh", "-c", PROBE_COMMAND]), timeout, cancel, 4096)
        found = None if timed_out else self._read_probe(status, out)
        if found is not None:
            return found
        # No POSIX shell: a Windows OpenSSH server answers `ver` and `hostname` through cmd.exe.
        status, out, _, timed_out, _ = self._exec("ver && hostname", timeout, cancel, 4096)
        lines = [line.strip() for line in decode(out).splitlines() if line.strip()]
        if not timed_out and status == 0 and lines and "windows" in lines[0].lower():
            return "windows", lines[-1], False
        why = decode(err).strip().splitlines()
        raise RemoteHostError(
            f"{self.target} did not answer `uname` (exit status {status}"
            + (f": {why[-1][:200]}" if why else "") + "); Deskside diagnoses remote Linux hosts (macOS best-effort)."
        )

    # -- the Host protocol --------------------------------------------------------------------------------------
    def command_line(self, argv: list[str], env: dict[str, str] | None = None) -> str:
        """The remote command line for argv: every word quoted, started through `env` with our settings."""
        if self._identity is not None and self._identity[0] == "windows":  # unprobed: POSIX until told otherwise
            return subprocess.list2cmdline(argv)
        settings = dict(REMOTE_ENV)
        for key, value in (env or {}).items():
            if key.replace("_", "").isalnum() and not key[:1].isdigit():  # only valid names reach the remote side
                settings[key] = value
        return shlex.join(["sh", "-c", WATCHDOG, "sh", "env", *[f"{k}={v}" for k, v in settings.items()], *argv])

    def run(
        self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
        env: dict[str, str] | None = None,
    ) -> CommandResult:
        if not argv:
            raise ValueError("run() needs a program to run")
        start = time.monotonic()
        status, out, err, timed_out, truncated = self._exec(self.command_line(argv, env), timeout, cancel,
                                                            self.max_output)
        stderr = decode(err)
        missing = status == 127 and ("No such file" in stderr or "not found" in stderr)
        return CommandResult(
            argv, -9 if timed_out else status, decode(out), stderr, duration_s=time.monotonic() - start,
            timed_out=timed_out, missing=missing, truncated=truncated,
        )

    def read_file(self, path: str, max_bytes: int = MAX_OUTPUT) -> bytes | None:
        """The file's first `max_bytes` bytes, or None if it does not exist or cannot be read."""
        if self.platform == "windows" or max_bytes < 0:
            return None
        limit = min(max_bytes, self.max_output)
        cmd = self.command_line(["head", "-c", str(limit), "--", path])
        status, out, _, timed_out, _ = self._exec(cmd, 10.0, None, limit)
        if status != 0 or timed_out:
            return None
        return out[:limit]

    def which(self, program: str) -> str | None:
        with self._lock:
            if program in self._which:
                return self._which[program]
        if self.platform == "windows":
            cmd = subprocess.list2cmdline(["where", program])
        else:
            cmd = self.command_line(["sh", "-c", 'command -v -- "$1"', "sh", program])
        status, out, _, _, _ = self._exec(cmd, 10.0, None, 4096)
        lines = decode(out).strip().splitlines()
        found = lines[0].strip() if status == 0 and lines else None
        with self._lock:
            self._which[program] = found
        return found

    # -- one channel --------------------------------------------------------------------------------------------
    def _exec(
        self, command: str, timeout: float, cancel: CancelToken | None, limit: int
    ) -> tuple[int, bytes, bytes, bool, bool]:
        """(exit status, stdout, stderr, timed out, truncated) of one remote command. Raises diagnostics'
        Cancelled when `cancel` is set, and the core's ConnectionLost when the connection died."""
        from remote.connection import ConnectError
        from remote.exec import ExecTimeout

        out = bytearray()
        err = bytearray()

        def keep(buf: bytearray) -> Callable[[bytes], None]:
            def add(data: bytes) -> None:
                room = limit - len(buf)
                if len(data) > room:
                    buf.extend(data[: max(0, room)])
                    raise _Enough
                buf.extend(data)
            return add

        token = cancel if cancel is not None else CancelToken()  # diagnostics and remote share one token type
        while not self._slots.acquire(timeout=0.1):  # waiting for a free channel stays cancellable
            if token.cancelled:
                raise Cancelled(f"cancelled before it ran on {self.target}: {command}")
        keep_slot = True  # False: this slot is given up for good, because the server allows fewer channels
        with self._lock:
            self._open += 1
            self.max_parallel = max(self.max_parallel, self._open)
        try:
            # A refused channel is retried until the command's own timeout: under load the other channels can
            # take a while to close, and a fixed number of tries would turn a busy server into a skip.
            deadline = time.monotonic() + max(timeout, 1.0)
            attempt = 0
            while True:
                attempt += 1
                with self._lock:
                    self.commands_run += 1
                try:
                    res = self.conn.exec(command, timeout=timeout, cancel=token,
                                         on_stdout=keep(out), on_stderr=keep(err))
                except _Enough:
                    return 0, bytes(out), bytes(err), False, True
                except ExecTimeout:
                    return -9, bytes(out), bytes(err), True, False
                except ConnectError as exc:
                    if not self.conn.connected:
                        raise
                    if _channel_refused(exc) and time.monotonic() < deadline:
                        # The server allows fewer channels at once than we use (its MaxSessions): use one less
                        # from now on, and try again once another channel has closed.
                        with self._lock:
                            if keep_slot and self.max_channels > 1 and self._open > 1:
                                self.max_channels -= 1
                                keep_slot = False
                        if token.cancelled:
                            raise Cancelled(f"cancelled by the user: {command}") from None
                        time.sleep(min(0.05 * attempt, 0.5))
                        out.clear()
                        err.clear()
                        continue
                    return 255, b"", str(exc).encode(), False, False
                return res.exit_status, bytes(out), bytes(err), False, False
        finally:
            with self._lock:
                self._open -= 1
            if keep_slot:
                self._slots.release()

    def __repr__(self) -> str:
        name, platform = (self._identity or ("not probed yet", "not probed yet"))[1::-1]
        return f"SshHost({self.target}, name={name!r}, platform={platform!r})"
