"""ssh_config(5) TOKENS and ENVIRONMENT VARIABLES, as OpenSSH 9.2 expands them.

`%C` is the SHA-1 of %l%h%p%r (OpenSSH 9.2; later versions add %j). Which keywords take which tokens follows the
manual page: HostName takes only %h and %%; ProxyCommand %h %n %p %r %%; IdentityFile, CertificateFile, ControlPath,
UserKnownHostsFile, RemoteCommand, Match exec ... the full set; LocalCommand every token. ProxyJump is not expanded
(OpenSSH 9.2 does not expand it either). `${VAR}` is expanded only in the keywords OpenSSH expands it in.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path


class TokenError(ValueError):
    """An unknown %-token or an undefined ${VAR}: OpenSSH refuses these, so do we (the message names the value)."""


FULL = frozenset("%CdhikLlnpru")
TOKENS_BY_KEY: dict[str, frozenset[str]] = {
    "hostname": frozenset("%h"),
    "proxycommand": frozenset("%hnpr"),
    "localcommand": FULL | frozenset("T"),
    **{k: FULL for k in ("certificatefile", "controlpath", "identityagent", "identityfile", "knownhostscommand",
                         "localforward", "remotecommand", "remoteforward", "userknownhostsfile", "exec")},
}
ENV_KEYS = frozenset({"certificatefile", "controlpath", "identityagent", "identityfile", "knownhostscommand",
                      "userknownhostsfile"})
TILDE_KEYS = frozenset({"certificatefile", "controlpath", "identityagent", "identityfile", "userknownhostsfile",
                        "globalknownhostsfile"})


def _local_hostname() -> str:
    return socket.gethostname()


@dataclass
class TokenContext:
    """What the tokens stand for: `host` is %n (as typed), `hostname` %h, `user` %r, `port` %p."""

    host: str
    hostname: str
    user: str
    port: int
    local_user: str = field(default_factory=getpass.getuser)
    home: str = field(default_factory=lambda: str(Path.home()))
    uid: int = field(default_factory=os.getuid)
    local_hostname: str = field(default_factory=_local_hostname)
    host_key_alias: str = ""
    tun: str = "NONE"

    def values(self) -> dict[str, str]:
        port = str(self.port)
        conn = f"{self.local_hostname}{self.hostname}{port}{self.user}"
        return {
            "%": "%",
            "C": hashlib.sha1(conn.encode(), usedforsecurity=False).hexdigest(),
            "d": self.home,
            "h": self.hostname,
            "i": str(self.uid),
            "k": self.host_key_alias or self.host,
            "L": self.local_hostname.split(".", 1)[0],
            "l": self.local_hostname,
            "n": self.host,
            "p": port,
            "r": self.user,
            "u": self.local_user,
            "T": self.tun,
        }


_ENV_RE = re.compile(r"\$\{([^}]*)\}")


def expand_env(value: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in env:
            raise TokenError(f"{value!r}: environment variable ${{{name}}} is not set")
        return env[name]

    return _ENV_RE.sub(sub, value)


def expand_percent(value: str, ctx: TokenContext, allowed: frozenset[str] = FULL) -> str:
    repl = ctx.values()
    out: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(value):
            raise TokenError(f"{value!r}: a lone '%' at the end (write %% for a literal percent sign)")
        t = value[i + 1]
        if t not in allowed or t not in repl:
            raise TokenError(f"{value!r}: unknown token %{t} here")
        out.append(repl[t])
        i += 2
    return "".join(out)


def expand_tilde(value: str, home: str | None = None) -> str:
    if value == "~" or value.startswith("~/"):
        return (home or str(Path.home())) + value[1:]
    return os.path.expanduser(value)


def expand_for(key: str, value: str, ctx: TokenContext, environ: dict[str, str] | None = None) -> str:
    """Expand `value` of ssh_config keyword `key` the way OpenSSH does at connect time (~ first, then tokens and
    ${VAR} where that keyword takes them)."""
    key = key.lower()
    if key in TILDE_KEYS:
        value = expand_tilde(value, ctx.home)
    if key in ENV_KEYS:
        value = expand_env(value, environ)
    allowed = TOKENS_BY_KEY.get(key)
    return expand_percent(value, ctx, allowed) if allowed is not None else value


def expand_tokens(value: str, *, host: str, hostname: str, user: str, port: int) -> str:
    """IdentityFile-style expansion (~, ${VAR}, every token). Kept for the callers from before TokenContext."""
    return expand_for("identityfile", value, TokenContext(host=host, hostname=hostname, user=user, port=port))
