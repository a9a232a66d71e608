"""OpenSSH 9.2 host patterns, `Match` criteria and hostname canonicalisation (readconf.c match_cfg_line, ssh.c
resolve_canonicalize), for remote.ssh_config.

`Match exec` runs a command on this machine, so it runs only when the caller allows it; otherwise the block is
treated as not matching and the caller names it as not honoured.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

from .ssh_config_tokens import TokenContext, TokenError, expand_for

# name -> canonical name (a CNAME target, or the name itself) when it resolves, else None
Resolver = Callable[[str], "str | None"]


def _wild(text: str, pattern: str, ignore_case: bool) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(rx, text, flags=flags) is not None


def host_matches(host: str, patterns: list[str], ignore_case: bool = False) -> bool:
    """OpenSSH pattern-list semantics: any negated match excludes, else any positive match includes. `Host` lines
    compare case-sensitively (OpenSSH 9.2 match_pattern); `Match host` ignores case (match_hostname)."""
    positive = False
    for pat in patterns:
        if pat.startswith("!"):
            if _wild(host, pat[1:], ignore_case):
                return False
        elif _wild(host, pat, ignore_case):
            positive = True
    return positive


def pattern_list(text: str, ignore_case: bool = False) -> Callable[[str], bool]:
    pats = text.split(",")
    return lambda s: host_matches(s, pats, ignore_case)


@dataclass
class MatchState:
    """What one evaluation pass knows when it meets a Match line."""

    host: str  # the name this pass matches Host lines against
    original_host: str
    hostname: str | None  # HostName so far (raw), None when unset
    user: str  # User so far, else the local user
    port: int
    local_user: str
    final_pass: bool
    allow_exec: bool
    want_final: bool = False
    notes: list[str] = field(default_factory=list)
    run: Callable[[str], int] | None = None


class MatchSyntaxError(ValueError):
    pass


def _run_shell(cmd: str) -> int:
    shell = os.environ.get("SHELL") or "/bin/sh"
    return subprocess.run([shell, "-c", cmd], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          check=False).returncode


def match_line(args: list[str], st: MatchState, where: str) -> bool:
    """Evaluate `Match <args>`: criteria ANDed, `!` negates one, `canonical`/`final` match only on the final pass,
    `exec` runs only when every earlier criterion matched and exec is allowed."""
    if not args:
        raise MatchSyntaxError("Match needs at least one criterion")
    if st.final_pass:
        host = st.hostname or st.host
    elif st.hostname is not None:
        host = st.hostname.replace("%h", st.host).replace("%%", "%") if "%" in st.hostname else st.hostname
    else:
        host = st.host
    result = True
    i = 0
    attributes = 0
    while i < len(args):
        raw = args[i]
        i += 1
        attributes += 1
        negate = raw.startswith("!")
        attrib = (raw[1:] if negate else raw).lower()
        if attrib == "all":
            if attributes > 1 and not all(a.lower().lstrip("!") in ("canonical", "final") for a in args[:i - 1]):
                raise MatchSyntaxError("'all' cannot be combined with other Match attributes")
            if i < len(args):
                raise MatchSyntaxError("'all' cannot be combined with other Match attributes")
            return result and not negate
        if attrib in ("canonical", "final"):
            if attrib == "final" and not negate:
                st.want_final = True
            if st.final_pass == negate:
                result = False
            continue
        if i >= len(args):
            raise MatchSyntaxError(f"Match keyword '{raw}' needs an argument")
        arg = args[i]
        i += 1
        if attrib == "host":
            ok = pattern_list(arg, ignore_case=True)(host)
        elif attrib == "originalhost":
            ok = pattern_list(arg, ignore_case=True)(st.original_host)
        elif attrib == "user":
            ok = pattern_list(arg)(st.user)
        elif attrib == "localuser":
            ok = pattern_list(arg)(st.local_user)
        elif attrib == "exec":
            if not result:
                continue  # as OpenSSH: not run when an earlier criterion failed
            if not st.allow_exec:
                st.notes.append(f"{where}: Match exec {arg} - not run (Deskside runs Match exec only when you "
                                "allow it), so this block was treated as not matching")
                ok = negate  # forces "not matching" whatever the negation
            else:
                ctx = TokenContext(host=st.original_host, hostname=host, user=st.user, port=st.port)
                try:
                    cmd = expand_for("exec", arg, ctx)
                except TokenError as exc:
                    raise MatchSyntaxError(str(exc)) from None
                ok = (st.run or _run_shell)(cmd) == 0
        else:
            raise MatchSyntaxError(f"unsupported Match attribute {raw}")
        if ok == negate:
            result = False
    return result


# -- canonicalisation ---------------------------------------------------------------------------------------------
def system_resolver(name: str) -> str | None:
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM, flags=socket.AI_CANONNAME)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        if info[3]:
            return info[3]
    return name if infos else None


@dataclass
class CanonOptions:
    mode: str  # "no" / "yes" / "always"
    domains: list[str]
    max_dots: int
    fallback_local: bool
    permitted_cnames: list[tuple[str, str]]
    direct: bool  # no ProxyCommand / ProxyJump


def _follow_cname(name: str, cname: str | None, co: CanonOptions) -> str:
    if not cname or cname.rstrip(".").lower() == name.lower():
        return name
    for src, dst in co.permitted_cnames:
        if pattern_list(src, True)(name) and pattern_list(dst, True)(cname):
            return cname.rstrip(".").lower()
    return name


def canonicalize(host: str, co: CanonOptions, resolver: Resolver) -> tuple[str, str | None]:
    """The canonical name for `host` (ssh.c resolve_canonicalize, then the CanonicalizePermittedCNAMEs lookup of the
    bare name when nothing resolved) and an error when ssh would stop there."""
    name, resolved, problem = _canonicalize(host, co, resolver)
    if problem or resolved or not co.permitted_cnames or not (co.direct or co.mode == "always"):
        return name, problem
    cname = resolver(name)
    if cname is None:
        return name, f"Could not resolve hostname {name!r} (CanonicalizePermittedCNAMEs is set)" if co.direct else None
    return _follow_cname(name, cname, co), None


def _canonicalize(host: str, co: CanonOptions, resolver: Resolver) -> tuple[str, bool, str | None]:
    if co.mode == "no" or (not co.direct and co.mode != "always"):
        return host, False, None
    addr, pct, scope = host.partition("%")
    try:
        return str(ipaddress.ip_address(addr)).lower() + pct + scope, True, None
    except ValueError:
        pass
    if host.count(".") > co.max_dots:
        return host, False, None
    for domain in co.domains:
        if domain.lower() == "none":
            break
        full = f"{host}.{domain}"
        cname = resolver(full + ".")
        if cname is None:
            continue
        return _follow_cname(full, cname, co), True, None
    if not co.fallback_local:
        return host, False, (f"Could not resolve host {host!r} in any CanonicalDomains ({' '.join(co.domains)}) "
                             "and CanonicalizeFallbackLocal is no")
    return host, False, None
