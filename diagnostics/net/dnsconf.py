"""DNS client configuration: /etc/resolv.conf and, behind the systemd-resolved stub, its real upstream servers."""

from __future__ import annotations

from common.text import clean_text

from ..sections.network import ResolvConf

RESOLV_CONF = "/etc/resolv.conf"
RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf"
RESOLVED_STUBS = frozenset({"127.0.0.53", "127.0.0.54"})


def parse_resolv_conf(text: str) -> ResolvConf:
    """nameservers (in order), search domains and options, as the C library reads them.

    Comments start with '#' or ';'. `domain` and `search` override each other: the last one wins.
    """
    text = clean_text(text)
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        parts = line.split()
        key, values = parts[0], parts[1:]
        if key == "nameserver" and values:
            nameservers.append(values[0])
        elif key in ("search", "domain"):
            search = [v for v in values if v[0] not in "#;"] if key == "search" else values[:1]
        elif key == "options":
            options.extend(values)
    return {"nameservers": nameservers, "search": search, "options": options}


def uses_resolved_stub(nameservers: list[str]) -> bool:
    return bool(nameservers) and all(ns in RESOLVED_STUBS for ns in nameservers)


def server_address(entry: str, default_port: int = 53) -> tuple[str, int]:
    """'1.2.3.4', '1.2.3.4:5353', '::1', '[::1]:5353' or 'fe80::1%eth0' -> (address, port)."""
    entry = entry.strip()
    if entry.startswith("["):
        addr, _, rest = entry[1:].partition("]")
        return addr, int(rest[1:]) if rest.startswith(":") else default_port
    if entry.count(":") == 1:
        addr, _, port = entry.partition(":")
        return addr, int(port)
    return entry, default_port
