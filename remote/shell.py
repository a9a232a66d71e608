"""An interactive shell on a PTY. The owner thread polls `fileno()` with select and calls `read_available()`."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from .channel_request import send_channel_request

if TYPE_CHECKING:
    import paramiko

READ_LIMIT = 1 << 20


class Shell:
    def __init__(self, channel: paramiko.Channel) -> None:
        self._chan = channel
        self._fileno = channel.fileno()
        self.refused_env: list[str] = []  # environment variables the server did not accept (its AcceptEnv)

    @classmethod
    def open(
        cls,
        transport: paramiko.Transport,
        cols: int,
        rows: int,
        term: str = "xterm-256color",
        timeout: float = 15.0,
        env: dict[str, str] | None = None,
        verdicts: dict[str, bool] | None = None,
    ) -> Shell:
        """A shell on a PTY. `env` is sent as OpenSSH's SendEnv does; with `verdicts` (kept per connection) the
        server is asked, the first time, which variables it accepts, and the refused names end up in `refused_env`.
        OpenSSH asks without a reply and cannot tell; paramiko closes a channel whose request was refused, so each
        refusal costs that channel and the shell opens on a new one."""
        import paramiko

        env = dict(env or {})
        chan = transport.open_session(timeout=timeout)
        on_chan: set[str] = set()  # accepted on this very channel already
        if verdicts is not None:
            for name, value in env.items():
                if name in verdicts:
                    continue
                try:
                    _env_request(chan, name, value)
                    verdicts[name] = True
                    on_chan.add(name)
                except paramiko.SSHException:
                    verdicts[name] = False
                    chan = transport.open_session(timeout=timeout)  # the refused request closed the last one
                    on_chan.clear()
        send = {k: v for k, v in env.items() if verdicts is None or verdicts.get(k)}
        rest = {k: v for k, v in send.items() if k not in on_chan}
        if rest:
            with contextlib.suppress(Exception):  # a refused variable is not an error for a shell
                chan.update_environment(rest)  # no reply asked, as OpenSSH
        chan.get_pty(term=term, width=max(1, cols), height=max(1, rows))
        chan.invoke_shell()
        shell = cls(chan)
        shell.refused_env = [k for k in env if k not in send]
        return shell

    def send(self, data: bytes) -> None:
        if data:
            self._chan.sendall(data)

    def read_available(self) -> bytes:
        """Everything received so far, without blocking (b"" when nothing is waiting)."""
        parts: list[bytes] = []
        size = 0
        while self._chan.recv_ready() and size < READ_LIMIT:
            chunk = self._chan.recv(65536)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        while self._chan.recv_stderr_ready() and size < READ_LIMIT:
            chunk = self._chan.recv_stderr(65536)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    def resize(self, cols: int, rows: int) -> None:
        if not self.closed:
            self._chan.resize_pty(width=max(1, cols), height=max(1, rows))

    @property
    def closed(self) -> bool:
        """True once the remote shell has ended and everything it sent has been read."""
        c = self._chan
        ended = bool(c.closed or c.eof_received or c.exit_status_ready())
        return ended and not c.recv_ready() and not c.recv_stderr_ready()

    def wait_exit(self, timeout: float = 2.0) -> int | None:
        """The shell's exit status, waiting up to `timeout` s for it (it may arrive just after the end of output)."""
        self._chan.status_event.wait(timeout)
        return self.exit_status

    @property
    def exit_status(self) -> int | None:
        return self._chan.recv_exit_status() if self._chan.exit_status_ready() else None

    def fileno(self) -> int:
        return self._fileno

    def close(self) -> None:
        self._chan.close()


def _env_request(chan: paramiko.Channel, name: str, value: str) -> None:
    """An "env" channel request that wants its answer (paramiko's set_environment_variable does not ask)."""
    send_channel_request(chan, "env", name, value, wait=True)
