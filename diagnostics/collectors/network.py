"""Network configuration: interfaces, default gateways, DNS servers and proxy settings. Sends no traffic."""

from __future__ import annotations

import os
from typing import ClassVar, cast

from ..host import decode
from ..model import Section
from ..net import dnsconf, interfaces, proxy, routes
from ..sections.network import Dns, NetworkData, Route
from .base import CollectContext, Collector


class NetworkCollector(Collector):
    name = "network"
    title = "Network"
    platforms: ClassVar[frozenset[str]] = frozenset({"linux", "darwin", "windows"})
    timeout_s = 5.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        self._interfaces(ctx, section)
        ctx.cancel.raise_if_cancelled()
        self._routes(ctx, section)
        ctx.cancel.raise_if_cancelled()
        self._dns(ctx, section)
        self._proxy(ctx, section)

    # -- interfaces ---------------------------------------------------------------------------------------
    def _interfaces(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        if host.is_local:
            _data(section)["interfaces"] = interfaces.local_interfaces()
            return
        res = host.run(["ip", "-j", "addr"], timeout=3.0, cancel=ctx.cancel)
        if not res.ok:
            section.skip("interfaces", res.why_failed())
            return
        try:
            found = interfaces.parse_ip_addr_json(res.stdout)
        except ValueError as exc:
            section.skip("interfaces", str(exc))
            return
        dev = host.read_file("/proc/net/dev")
        counters = interfaces.parse_proc_net_dev(decode(dev)) if dev else {}
        for iface in found:
            if iface["name"] in counters:
                iface["counters"] = counters[iface["name"]]
        if dev is None:
            section.skip("interface counters", "/proc/net/dev could not be read")
        _data(section)["interfaces"] = found

    # -- default routes -----------------------------------------------------------------------------------
    def _routes(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        v4 = host.read_file("/proc/net/route")
        v6 = host.read_file("/proc/net/ipv6_route")
        found: list[Route] = []
        source = []
        if v4 is not None:
            found += routes.parse_proc_route(decode(v4))
            source.append("/proc/net/route")
        if v6 is not None:
            found += routes.parse_proc_ipv6_route(decode(v6))
            source.append("/proc/net/ipv6_route")
        if v4 is None:
            if host.which("ip") is None:
                section.skip("default gateway", "/proc/net/route is not readable and `ip` is not installed"
                             if host.platform == "linux" else f"not read on {host.platform} yet")
                return
            for fam, argv in (("ipv4", ["ip", "-j", "route", "show", "default"]),
                              ("ipv6", ["ip", "-j", "-6", "route", "show", "default"])):
                res = host.run(argv, timeout=3.0, cancel=ctx.cancel)
                if not res.ok:
                    section.skip(f"default gateway ({fam})", res.why_failed())
                    continue
                try:
                    found += routes.parse_ip_route_json(res.stdout, fam)
                    source.append(" ".join(argv))
                except ValueError as exc:
                    section.skip(f"default gateway ({fam})", str(exc))
            if not source:
                return
        _data(section)["default_routes"] = found
        _data(section)["routes_source"] = source

    # -- DNS ----------------------------------------------------------------------------------------------
    def _dns(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        raw = host.read_file(dnsconf.RESOLV_CONF)
        if raw is None:
            section.skip("dns servers", f"{dnsconf.RESOLV_CONF} does not exist or cannot be read"
                         if host.platform == "linux" else f"not read on {host.platform} yet")
            return
        conf = dnsconf.parse_resolv_conf(decode(raw))
        resolver = "systemd-resolved" if dnsconf.uses_resolved_stub(conf["nameservers"]) else "resolv.conf"
        dns: Dns = {"source": dnsconf.RESOLV_CONF, **conf, "resolver": resolver}
        if dns["resolver"] == "systemd-resolved":
            up = host.read_file(dnsconf.RESOLVED_UPSTREAM)
            if up is None:
                section.skip("dns upstream servers", f"{dnsconf.RESOLVED_UPSTREAM} cannot be read; "
                             "`resolvectl status` shows the servers systemd-resolved uses")
            else:
                upstream = dnsconf.parse_resolv_conf(decode(up))
                dns["upstream_nameservers"] = upstream["nameservers"]
                dns["upstream_source"] = dnsconf.RESOLVED_UPSTREAM
        _data(section)["dns"] = dns

    # -- proxy --------------------------------------------------------------------------------------------
    def _proxy(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        env: dict[str, str] = dict(os.environ) if host.is_local else {}
        etc = host.read_file(proxy.ETC_ENVIRONMENT) if host.platform == "linux" else None
        info = proxy.collect_proxy(env, decode(etc) if etc is not None else None)
        if not host.is_local:
            info["note"] = "on a remote host only /etc/environment is read, not a login session's variables"
        _data(section)["proxy"] = info


def _data(section: Section) -> NetworkData:
    """The section's data, typed by its definition (`diagnostics.sections.network`)."""
    return cast(NetworkData, section.data)
