"""Connectivity checks with a verdict: online / limited / offline. SENDS TRAFFIC, so never in the default run:
only with `deskside diagnose --network`, the "Test my connection" button, or the setting."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar, cast

from ..host import decode
from ..model import Section
from ..net import checks, dnsconf, proxy, routes
from ..sections.connectivity import Check, ConnectivityData, Verdict
from ..sections.network import Route
from .base import CollectContext, Collector


class ConnectivityCollector(Collector):
    name = "connectivity"
    title = "Internet connection"
    platforms: ClassVar[frozenset[str]] = frozenset({"linux", "darwin", "windows"})
    timeout_s = 15.0  # each check has its own, much shorter, timeout (2 s by default)
    default = False  # sends traffic: runs only when the user asks
    local_only = True  # the checks are made from this machine

    def collect(self, ctx: CollectContext, section: Section) -> None:
        opts = ctx.options.get("connectivity", {})
        cfg, problems = checks.ConnectivityConfig.from_options(opts if isinstance(opts, dict) else {})
        proxy_url = self._proxy_url(ctx, cfg.proxy)
        # a URL password from the settings never reaches the report: targets, summaries, errors, skips
        known = [v for v in (cfg.internet_url, cfg.tls_url, cfg.ip_endpoint, cfg.ntp_server, cfg.proxy,
                             proxy_url or "", *(opts.values() if isinstance(opts, dict) else ()))
                 if isinstance(v, str) and v]

        def safe(value: Any) -> Any:
            return proxy.scrub(value, known)

        for p in problems:
            section.skip("setting", safe(p))
        data = cast(ConnectivityData, section.data)
        data["config"] = safe(cfg.public_dict())
        results: dict[str, checks.CheckResult] = {}
        data["checks"] = cast(dict[str, Check], results)  # filled below, as each check ends
        tasks: dict[str, Callable[[], checks.CheckResult]] = {}
        cancel = ctx.cancel

        # DNS
        if cfg.dns_name:
            servers = cfg.dns_servers or self._system_dns(ctx)
            tasks["dns"] = partial(checks.check_dns, cfg.dns_name, servers, cfg.timeout_for("dns"), cancel)
        else:
            results["dns"] = checks.not_run("", "Switched off in the settings (dns_name is empty).")
        # Gateway
        gateway, iface = (cfg.gateway, None) if cfg.gateway else self._default_gateway(ctx)
        if gateway:
            tasks["gateway"] = partial(checks.check_gateway, gateway, iface, cfg.gateway_port,
                                       cfg.timeout_for("gateway"), cancel, partial(self._neighbour, ctx))
        else:
            results["gateway"] = {"ok": False, "target": "", "duration_s": 0.0,
                                  "summary": "There is no default gateway: this computer has no route to other "
                                             "networks.", "no_gateway": True}
        # Internet endpoint, by name and by address
        if cfg.internet_url:
            tasks["internet"] = partial(checks.check_http, cfg.internet_url, cfg.timeout_for("internet"), cancel,
                                        cfg.ca_file)
        if cfg.ip_endpoint:
            try:
                host, port = dnsconf.server_address(cfg.ip_endpoint, default_port=443)
                tasks["ip"] = partial(checks.check_tcp, host, port, cfg.timeout_for("ip"), cancel,
                                      f"The internet address {cfg.ip_endpoint}")
            except ValueError:
                section.skip("ip", safe(f"ip_endpoint {cfg.ip_endpoint!r} is not 'address:port'; fix it in "
                                        "[diagnostics.connectivity] in config.toml"))
        # TLS
        if cfg.tls_url:
            tasks["tls"] = partial(checks.check_tls, cfg.tls_url, cfg.timeout_for("tls"), cancel, cfg.ca_file)
        # NTP (optional; otherwise the clock is compared with the HTTP Date headers)
        if cfg.ntp_server:
            tasks["ntp"] = partial(checks.check_ntp, cfg.ntp_server, cfg.timeout_for("ntp"), cancel)
        # Proxy
        if proxy_url:
            ep = proxy.endpoint(proxy_url)
            if ep is None:
                results["proxy"] = {"ok": False, "target": proxy.redact(proxy_url), "duration_s": 0.0,
                                    "summary": f"The proxy setting {proxy.redact(proxy_url)!r} is not a valid address."}
            else:
                def proxy_check(ep: tuple[str, int] = ep, url: str = proxy_url) -> checks.CheckResult:
                    res = checks.check_tcp(ep[0], ep[1], cfg.timeout_for("proxy"), cancel,
                                           f"The proxy server {ep[0]}:{ep[1]}")
                    res["proxy"] = proxy.redact(url)
                    return res

                tasks["proxy"] = proxy_check

        wait_limit = max([cfg.timeout_for(n) for n in tasks] or [cfg.timeout]) + 1.0
        checks.run_parallel(tasks, cancel, lambda name, res: results.__setitem__(name, safe(res)), wait_limit)

        results["clock"] = safe(checks.clock_from_checks(results))
        verdict, reasons = checks.verdict(results)
        data["verdict"], data["reasons"] = cast(Verdict, verdict), safe(reasons)  # checks.verdict's four words

    # -- targets from this machine's configuration (no traffic) ---------------------------------------------
    @staticmethod
    def _system_dns(ctx: CollectContext) -> list[str]:
        raw = ctx.host.read_file(dnsconf.RESOLV_CONF)
        return dnsconf.parse_resolv_conf(decode(raw))["nameservers"] if raw is not None else []

    @staticmethod
    def _default_gateway(ctx: CollectContext) -> tuple[str | None, str | None]:
        found: list[Route] = []
        v4 = ctx.host.read_file("/proc/net/route")
        if v4 is not None:
            found += routes.parse_proc_route(decode(v4))
        v6 = ctx.host.read_file("/proc/net/ipv6_route")
        if v6 is not None:
            found += routes.parse_proc_ipv6_route(decode(v6))
        for r in found:
            if r["gateway"]:
                return r["gateway"], r["interface"]
        return None, None

    @staticmethod
    def _neighbour(ctx: CollectContext, address: str) -> str | None:
        """The kernel's neighbour-table state of `address` (REACHABLE, STALE, FAILED...); reading it sends nothing."""
        res = ctx.host.run(["ip", "-j", "neigh", "show", address], timeout=1.0, cancel=ctx.cancel)
        if not res.ok:
            return None
        try:
            rows = json.loads(res.stdout or "[]")
        except json.JSONDecodeError:
            return None
        for r in rows:
            state = r.get("state") if isinstance(r, dict) else None
            if state:
                return str(state[0] if isinstance(state, list) else state)
        return None

    @staticmethod
    def _proxy_url(ctx: CollectContext, setting: str) -> str | None:
        if setting.lower() in ("", "none", "off"):
            return None
        if setting.lower() != "auto":
            return setting
        etc = ctx.host.read_file(proxy.ETC_ENVIRONMENT)
        env = os.environ
        values: dict[str, str] = {}
        for source in (proxy.parse_environment_file(decode(etc)) if etc is not None else {}, env):
            for var in ("https_proxy", "http_proxy", "all_proxy"):
                for name in (var.upper(), var):
                    if source.get(name, "").strip():
                        values[var] = source[name].strip()
        return values.get("https_proxy") or values.get("http_proxy") or values.get("all_proxy")
