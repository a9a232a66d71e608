"""Proxy settings from the environment and /etc/environment (read only; credentials are masked)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from common.text import clean_text

from ..sections.network import Proxy, ProxySetting

ETC_ENVIRONMENT = "/etc/environment"
PROXY_VARS = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")
DEFAULT_PORTS = {"http": 80, "https": 443, "socks": 1080, "socks4": 1080, "socks4a": 1080, "socks5": 1080,
                 "socks5h": 1080}


def parse_environment_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines as pam_env reads /etc/environment (quotes removed, `export ` tolerated)."""
    text = clean_text(text)
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export "):].strip()
        key, _, value = line.partition("=")
        value = value.strip()
        try:
            parts = shlex.split(value, comments=False)
            value = parts[0] if len(parts) == 1 else value
        except ValueError:
            value = value.strip("'\"")
        out[key.strip()] = value
    return out


_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*://")


def redact(value: str) -> str:
    """Mask the password in '[scheme://]user:password@host:port' so it never reaches a report. Works on any text,
    valid URL or not (a malformed setting is reported as it is, so it must be masked too), and never raises. The
    password runs to the last '@': people do not percent-encode an '@' in it."""
    m = _SCHEME.match(value)
    prefix, rest = (value[:m.end()], value[m.end():]) if m else ("", value)
    at = rest.rfind("@")
    if at < 0:
        return value
    user, colon, password = rest[:at].partition(":")
    if not colon or not password or "/" in user:
        return value
    return f"{prefix}{user}:***@{rest[at + 1:]}"


# 'scheme://user:password@' in free text: the password runs to the last '@' before a space, quote, '/', '?' or '#'
_USERINFO_IN_TEXT = re.compile(r"""([A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:'"]*):[^\s/?#'"]*@""")


def redact_text(text: str, known: Iterable[str] = ()) -> str:
    """`text` (a summary, an error, a target) with every URL password masked as '***': first each of the `known`
    settings wherever it appears (also a proxy written without a scheme, 'user:pw@host:port'), then any
    'scheme://user:password@' (a redirect from a server, a URL quoted in an error)."""
    for value in known:
        if value and (masked := redact(value)) != value:
            text = text.replace(value, masked)
    return _USERINFO_IN_TEXT.sub(r"\1:***@", text)


def scrub(value: Any, known: Iterable[str] = ()) -> Any:
    """`value` (report data: dicts, lists, strings) with `redact_text` applied to every string in it."""
    known = tuple(known)
    if isinstance(value, str):
        return redact_text(value, known)
    if isinstance(value, dict):
        return {k: scrub(v, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, known) for v in value)
    return value


def endpoint(value: str) -> tuple[str, int] | None:
    """(host, port) of a proxy URL such as 'http://proxy:3128' or 'proxy.example:8080'; None if unusable."""
    value = value.strip()
    if not value:
        return None
    try:
        parts = urlsplit(value if "://" in value else "http://" + value)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port or DEFAULT_PORTS.get(parts.scheme.lower(), 80)


def collect_proxy(env: Mapping[str, str], etc_environment: str | None) -> Proxy:
    """Every proxy variable found (any case), where it came from, and the effective value per scheme.

    The process environment wins over /etc/environment, and a lowercase variable over its uppercase twin
    (as curl and most Unix tools do).
    """
    sources: list[tuple[str, Mapping[str, str]]] = [("environment", env)]
    if etc_environment is not None:
        sources.append((ETC_ENVIRONMENT, parse_environment_file(etc_environment)))
    settings: list[ProxySetting] = []
    effective: dict[str, str] = {}
    for source, values in sources:
        for var in PROXY_VARS:
            for name in (var, var.upper()):
                value = values.get(name)
                if value is None or not value.strip():
                    continue
                settings.append({"variable": name, "value": redact(value), "source": source})
                effective.setdefault(var, redact(value))
    return {"settings": settings, "effective": effective, "configured": any(k != "no_proxy" for k in effective)}
