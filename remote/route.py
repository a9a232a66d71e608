"""The route to a host: its jump hosts (ProxyJump chains, as OpenSSH follows them), and the stream the first hop's
SSH runs over: TCP (TCP_NODELAY), a ProxyCommand, or a direct-tcpip channel of the previous hop."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .handshake import ConnectError, Hop
from .hosts import HostProfile, parse_target
from .proxy import ProxyCommandError, ProxyProcess
from .ssh_config_tokens import TokenContext, TokenError, expand_for

if TYPE_CHECKING:
    import paramiko


def default_jump_resolver(text: str) -> HostProfile:
    user, host, port = parse_target(text)
    return HostProfile(name=host, hostname=host, user=user, port=port or 22)


def expand_jumps(profile: HostProfile, resolve_jump: Callable[[str], HostProfile], seen: set[tuple[str, int]],
                 depth: int = 0) -> list[HostProfile]:
    """The jump hosts before `profile`. As with OpenSSH, the first jump host's own ProxyJump (from the address
    book or ~/.ssh/config) is followed too, so chains can be written one hop at a time."""
    hops: list[HostProfile] = []
    for i, text in enumerate(profile.proxy_jump):
        jump = resolve_jump(text)
        key = (jump.hostname, jump.port)
        if key in seen:
            raise ConnectError(f"ProxyJump loop: {jump.display()} appears twice in the chain to {profile.display()}")
        seen.add(key)
        if i == 0 and jump.proxy_jump:
            if depth >= 8:
                raise ConnectError(f"ProxyJump chain to {profile.display()} is longer than 8 hops")
            hops.extend(expand_jumps(jump, resolve_jump, seen, depth + 1))
        hops.append(jump)
    return hops


def jump_channel(prev: paramiko.Transport, prev_hop: HostProfile, hop: HostProfile, timeout: float) -> Any:
    import paramiko

    try:
        return prev.open_channel("direct-tcpip", (hop.hostname, hop.port), ("127.0.0.1", 0), timeout=timeout)
    except paramiko.ChannelException as exc:
        raise ConnectError(
            f"the jump host {prev_hop.display()} could not reach {hop.hostname}:{hop.port}: {exc.text or exc}"
        ) from exc
    except paramiko.SSHException as exc:
        raise ConnectError(f"jump host {prev_hop.display()}: {exc}") from exc


def proxy_command(hop: Hop) -> ProxyProcess:
    """ProxyCommand as the transport (OpenSSH runs it as `exec COMMAND` in the user's shell), tokens expanded."""
    p = hop.profile
    try:
        ctx = TokenContext(host=p.name, hostname=p.hostname, user=p.login_user, port=p.port)
        return ProxyProcess(expand_for("proxycommand", hop.options.proxy_command, ctx))
    except (ProxyCommandError, TokenError) as exc:
        raise ConnectError(str(exc)) from exc


def tcp(hop: HostProfile, timeout: float) -> socket.socket:
    try:
        sock = socket.create_connection((hop.hostname, hop.port), timeout=timeout)
    except socket.gaierror as exc:
        raise ConnectError(f"cannot resolve the host name {hop.hostname!r}: {exc.strerror}") from exc
    except TimeoutError as exc:
        raise ConnectError(f"no answer from {hop.hostname}:{hop.port} within {timeout:.0f} s") from exc
    except OSError as exc:
        raise ConnectError(
            f"cannot connect to {hop.hostname}:{hop.port}: {exc.strerror or exc}. "
            "Check the host name and port, and that sshd runs there."
        ) from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)
    return sock
