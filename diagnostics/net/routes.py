"""Default routes (the gateways) from /proc/net/route, /proc/net/ipv6_route or `ip -j route`."""

from __future__ import annotations

import json
import socket
import struct

from common.text import CouldNotRead, clean_text

from ..sections.network import Route

RTF_UP = 0x0001
RTF_GATEWAY = 0x0002
RTF_REJECT = 0x0200


def _route(family: str, gateway: str | None, interface: str, metric: int,
           flags: list[str] | None = None) -> Route:
    return {"family": family, "gateway": gateway, "interface": interface, "metric": metric,
            "flags": flags or []}


def parse_proc_route(text: str) -> list[Route]:
    """IPv4 default routes from the text of /proc/net/route (hex fields, little-endian addresses)."""
    text = clean_text(text)
    out: list[Route] = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 8:
            continue
        try:
            iface, dest, gw, flags, metric, mask = f[0], int(f[1], 16), int(f[2], 16), int(f[3], 16), int(f[6]), \
                int(f[7], 16)
        except ValueError:
            continue
        if dest != 0 or mask != 0 or not flags & RTF_UP or flags & RTF_REJECT:
            continue
        gateway = socket.inet_ntoa(struct.pack("<I", gw)) if flags & RTF_GATEWAY and gw else None
        out.append(_route("ipv4", gateway, iface, metric))
    return sorted(out, key=lambda r: r["metric"])


def _hex_to_ipv6(h: str) -> str:
    return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(h))


def parse_proc_ipv6_route(text: str) -> list[Route]:
    """IPv6 default routes from the text of /proc/net/ipv6_route (reject routes such as lo's are left out)."""
    text = clean_text(text)
    out: list[Route] = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10 or len(f[0]) != 32:
            continue
        try:
            dest, plen, nexthop = int(f[0], 16), int(f[1], 16), f[4]
            metric, flags, iface = int(f[5], 16), int(f[8], 16), f[9]
        except ValueError:
            continue
        if dest != 0 or plen != 0 or not flags & RTF_UP or flags & RTF_REJECT or iface == "lo":
            continue
        gateway = _hex_to_ipv6(nexthop) if flags & RTF_GATEWAY and int(nexthop, 16) else None
        out.append(_route("ipv6", gateway, iface, metric))
    return sorted(out, key=lambda r: r["metric"])


def parse_ip_route_json(text: str, family: str = "ipv4") -> list[Route]:
    """Default routes from `ip -j route show` (or `ip -j -6 route show`) output."""
    text = clean_text(text)
    try:
        rows = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise CouldNotRead(f"`ip -j route` printed something that is not JSON: {exc}") from None
    out: list[Route] = []
    for r in rows if isinstance(rows, list) else []:
        if not isinstance(r, dict) or r.get("dst") != "default" or r.get("type", "unicast") != "unicast":
            continue
        out.append(_route(family, r.get("gateway"), str(r.get("dev", "")), int(r.get("metric", 0) or 0),
                          [str(x) for x in r.get("flags", [])]))
    return sorted(out, key=lambda r: r["metric"])
