"""Network interfaces: names, state, MTU, MAC, addresses with prefix length, and error/drop counters."""

from __future__ import annotations

import ipaddress
import json
import socket

from common.text import CouldNotRead, clean_text

from ..sections.network import Address, Interface

COUNTER_KEYS = ("bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "errin", "errout", "dropin", "dropout")


def _prefixlen(netmask: str | None, family: str) -> int | None:
    if not netmask:
        return None
    try:
        if family == "ipv4":
            return ipaddress.IPv4Network(f"0.0.0.0/{netmask}").prefixlen
        return bin(int(ipaddress.IPv6Address(netmask))).count("1")
    except ValueError:
        return None


def local_interfaces() -> list[Interface]:
    """This machine's interfaces through psutil (works on Linux, macOS and Windows)."""
    import psutil

    addrs = psutil.net_if_addrs()
    stats = psutil.net_if_stats()
    try:
        counters = psutil.net_io_counters(pernic=True)
    except (OSError, RuntimeError):
        counters = {}
    out: list[Interface] = []
    for name in sorted(set(addrs) | set(stats)):
        st = stats.get(name)
        iface: Interface = {
            "name": name,
            "up": bool(st.isup) if st else None,
            "mtu": st.mtu if st else None,
            "speed_mbps": st.speed if st and st.speed else None,
            "mac": None,
            "addresses": [],
            "loopback": name == "lo" or name.lower().startswith("loopback"),
        }
        for a in addrs.get(name, []):
            if a.family == socket.AF_INET:
                iface["addresses"].append(
                    {"family": "ipv4", "address": a.address, "prefixlen": _prefixlen(a.netmask, "ipv4")})
            elif a.family == socket.AF_INET6:
                iface["addresses"].append({"family": "ipv6", "address": a.address.split("%")[0],
                                           "prefixlen": _prefixlen(a.netmask, "ipv6")})
            elif a.family == psutil.AF_LINK and a.address and iface["mac"] is None:
                iface["mac"] = a.address.replace("-", ":").lower()
        if any(ad["address"] in ("127.0.0.1", "::1") for ad in iface["addresses"]):
            iface["loopback"] = True
        c = counters.get(name)
        if c is not None:
            iface["counters"] = {k: int(getattr(c, k)) for k in COUNTER_KEYS}
        out.append(iface)
    return out


def parse_ip_addr_json(text: str) -> list[Interface]:
    """Interfaces from `ip -j addr` output (remote Linux hosts)."""
    text = clean_text(text)
    try:
        rows = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise CouldNotRead(f"`ip -j addr` printed something that is not JSON: {exc}") from None
    out: list[Interface] = []
    for r in rows if isinstance(rows, list) else []:
        if not isinstance(r, dict) or "ifname" not in r:
            continue
        flags = [str(f) for f in r.get("flags", [])]
        addresses: list[Address] = []
        for a in r.get("addr_info", []):
            fam = {"inet": "ipv4", "inet6": "ipv6"}.get(a.get("family"))
            if fam and a.get("local"):
                addresses.append({"family": fam, "address": a["local"], "prefixlen": a.get("prefixlen")})
        mac = r.get("address") if r.get("link_type") not in ("loopback", "none") else None
        out.append({
            "name": r["ifname"],
            "up": "UP" in flags and ("LOWER_UP" in flags or "LOOPBACK" in flags),
            "mtu": r.get("mtu"),
            "speed_mbps": None,
            "mac": mac,
            "addresses": addresses,
            "loopback": "LOOPBACK" in flags,
            "operstate": r.get("operstate"),
        })
    return out


def parse_proc_net_dev(text: str) -> dict[str, dict[str, int]]:
    """Per-interface counters from /proc/net/dev, keyed like psutil's (errin, dropout...)."""
    text = clean_text(text)
    out: dict[str, dict[str, int]] = {}
    for line in text.splitlines()[2:]:
        if ":" not in line:
            continue
        name, _, rest = line.partition(":")
        f = rest.split()
        if len(f) < 16:
            continue
        try:
            v = [int(x) for x in f[:16]]
        except ValueError:
            continue
        out[name.strip()] = {"bytes_recv": v[0], "packets_recv": v[1], "errin": v[2], "dropin": v[3],
                             "bytes_sent": v[8], "packets_sent": v[9], "errout": v[10], "dropout": v[11]}
    return out
