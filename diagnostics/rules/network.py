"""Network health rules: from the `network` section (configuration, no traffic) and the `connectivity` section
(the checks the user asked for)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import wraps

from ..model import Finding, Report, Severity
from ..net.proxy import redact_text
from ..sections import read
from ..sections.connectivity import Check

CLOCK_WARN_S = 60
CLOCK_CRIT_S = 300
ERROR_MIN = 100  # interface errors below this many are noise
ERROR_RATIO = 0.001  # ... or below 0.1 % of the packets
DROP_MIN = 1000
DROP_RATIO = 0.01

FIX_RESTART_NETWORK = (
    "Check that the network cable is plugged in or that Wi-Fi is switched on and connected. Then switch Wi-Fi (or "
    "the network connection) off and on again. If that does not help, restart your router by unplugging it for 30 "
    "seconds. If other devices on the same network are also offline, contact your internet provider."
)


def _checks(report: Report) -> dict[str, Check]:
    d = read(report, "connectivity")
    if d is None:
        return {}
    c = d.get("checks")
    return c or {}


def no_dns(report: Report) -> Iterable[Finding]:
    dns = _checks(report).get("dns")
    if dns and dns.get("ok") is False:
        servers = dns.get("servers") or {}
        evidence = [f"DNS server {server} {text}" for server, text in servers.items()] or [dns.get("summary", "")]
        if servers and dns.get("target"):
            evidence.append(f"looked up: {dns['target']}")
        yield Finding(
            id="network.no_dns", severity=Severity.CRITICAL, title="Names cannot be resolved (DNS does not work)",
            evidence=[e for e in evidence if e],
            fix="Web sites and e-mail will not open by name. Restart your router and this computer's network "
                "connection (switch Wi-Fi off and on). If you set DNS servers by hand, set DNS back to "
                "'Automatic' in the network settings. If you use a VPN, disconnect and reconnect it. If it still "
                "fails, contact your IT support or internet provider and say 'DNS does not resolve'.",
            section="connectivity",
        )
        return
    net = read(report, "network")
    if net is None:
        return
    conf = net.get("dns")
    if conf is not None and not conf["nameservers"]:
        yield Finding(
            id="network.no_dns_servers", severity=Severity.WARNING, title="No DNS server is configured",
            evidence=[f"{conf.get('source', '/etc/resolv.conf')} has no 'nameserver' line"],
            fix="Set DNS to 'Automatic (DHCP)' in the network settings and reconnect. If the problem stays, "
                "ask your IT support to check the network configuration.",
            section="network",
        )


def no_gateway(report: Report) -> Iterable[Finding]:
    net = read(report, "network")
    if net is None:
        return
    routes = net.get("default_routes")
    if routes is None:  # not collected (a skip says why)
        return
    if not routes:
        ups = [i["name"] for i in net.get("interfaces", []) if i.get("up") and not i.get("loopback")]
        yield Finding(
            id="network.no_gateway", severity=Severity.CRITICAL,
            title="No default gateway: this computer cannot reach other networks or the internet",
            evidence=["The routing table has no default route (IPv4 or IPv6)",
                      f"Connected interfaces: {', '.join(ups) if ups else 'none'}"],
            fix=FIX_RESTART_NETWORK, section="network",
        )


def gateway_unreachable(report: Report) -> Iterable[Finding]:
    gw = _checks(report).get("gateway")
    if not gw or gw.get("ok") is not False or gw.get("no_gateway"):
        return
    conn = read(report, "connectivity")
    if conn is not None and conn.get("verdict") in ("online", "limited"):
        return  # the internet answers, so the router works even if it ignores our probe
    evidence = [gw.get("summary", "")]
    if gw.get("neighbour_state"):
        evidence.append(f"neighbour table state of the router: {gw['neighbour_state']}")
    yield Finding(
        id="network.gateway_unreachable", severity=Severity.WARNING, title="Your router does not answer",
        evidence=[e for e in evidence if e], fix=FIX_RESTART_NETWORK, section="connectivity",
    )


def verdict(report: Report) -> Iterable[Finding]:
    d = read(report, "connectivity")
    if d is None:
        return
    v = d.get("verdict")
    reasons = [str(r) for r in d.get("reasons", [])]
    if v == "offline":
        yield Finding(
            id="network.offline", severity=Severity.CRITICAL, title="This computer is offline",
            evidence=reasons, fix=FIX_RESTART_NETWORK, section="connectivity",
        )
    elif v == "limited":
        yield Finding(
            id="network.limited", severity=Severity.WARNING, title="The internet connection only partly works",
            evidence=reasons,
            fix="Follow the fixes of the other network findings (DNS, secure connections, proxy). If you are on a "
                "hotel, airport or guest Wi-Fi, open a web browser and sign in on the page it shows. Otherwise "
                "restart your router and your network connection; if it stays, contact your IT support.",
            section="connectivity",
        )


def tls_failed(report: Report) -> Iterable[Finding]:
    tls = _checks(report).get("tls")
    if not tls or tls.get("ok") is not False or tls.get("unreachable"):
        return
    if tls.get("cert_error"):
        yield Finding(
            id="network.tls_untrusted", severity=Severity.CRITICAL,
            title="Secure connections are not trusted (possible sign-in page or interception)",
            evidence=[tls.get("summary", ""), f"endpoint: {tls.get('target', '')}"],
            fix="Do not enter passwords or payment details until this is solved. If you are on a hotel, airport or "
                "guest Wi-Fi, open a web browser and sign in on the page it shows, then test again. Check that the "
                "date and time of this computer are correct. If the problem stays, disconnect from this network and "
                "report it to your IT support as a security incident: someone may be intercepting your traffic.",
            section="connectivity", incident_type="security", self_service=False,
        )
    else:
        yield Finding(
            id="network.tls_failed", severity=Severity.WARNING, title="Secure (https) connections fail",
            evidence=[tls.get("summary", ""), f"endpoint: {tls.get('target', '')}"],
            fix="Check that the date and time of this computer are correct, then restart your network connection. "
                "If a firewall or security program filters web traffic, ask your IT support to check it.",
            section="connectivity",
        )


def clock_skew(report: Report) -> Iterable[Finding]:
    clock = _checks(report).get("clock")
    if not clock or not clock.get("ok") or not isinstance(clock.get("skew_s"), int | float):
        return
    skew = float(clock["skew_s"])
    if abs(skew) <= CLOCK_WARN_S:
        return
    critical = abs(skew) > CLOCK_CRIT_S
    direction = "ahead" if skew > 0 else "behind"
    minutes = abs(skew) / 60
    amount = f"{abs(skew):.0f} seconds" if minutes < 2 else f"{minutes:.0f} minutes" if minutes < 120 \
        else f"{minutes / 60:.1f} hours"
    yield Finding(
        id="network.clock_skew", severity=Severity.CRITICAL if critical else Severity.WARNING,
        title=f"The computer's clock is {amount} {direction}"
              + (": secure web sites and logins will fail" if critical else ""),
        evidence=[f"local clock minus reference: {skew:+.0f} s (source: {clock.get('source') or clock.get('target')})"],
        fix="Turn on automatic time: in Settings > Date & Time switch on 'Set time automatically' (on Linux, "
            "as an administrator: `sudo timedatectl set-ntp true`). Also check the time zone. If the clock is wrong "
            "again after every restart, the computer's clock battery may be empty: contact your IT support.",
        section="connectivity",
    )


def default_interface_down(report: Report) -> Iterable[Finding]:
    net = read(report, "network")
    if net is None:
        return
    ifaces = {i["name"]: i for i in net.get("interfaces", [])}
    seen = set()
    for r in net.get("default_routes") or []:
        name = r.get("interface")
        iface = ifaces.get(name) if name else None
        down = (iface is not None and iface.get("up") is False) or "linkdown" in (r.get("flags") or [])
        if down and name not in seen:
            seen.add(name)
            yield Finding(
                id="network.default_interface_down", severity=Severity.CRITICAL,
                title=f"The network connection {name} that leads to the internet is down",
                evidence=[f"default route via {r.get('gateway') or 'the link'} on {name}, but {name} is down"],
                fix="Plug the network cable in firmly (or reconnect to Wi-Fi) and check that the link light of the "
                    "network port is on. " + FIX_RESTART_NETWORK,
                section="network",
            )


def interface_errors(report: Report) -> Iterable[Finding]:
    net = read(report, "network")
    if net is None:
        return
    for i in net.get("interfaces", []):
        c = i.get("counters")
        if not c or i.get("loopback"):
            continue
        packets = max(1, int(c.get("packets_recv", 0)) + int(c.get("packets_sent", 0)))
        errors = int(c.get("errin", 0)) + int(c.get("errout", 0))
        drops = int(c.get("dropin", 0)) + int(c.get("dropout", 0))
        bad_errors = errors >= ERROR_MIN and errors / packets >= ERROR_RATIO
        bad_drops = drops >= DROP_MIN and drops / packets >= DROP_RATIO
        if not (bad_errors or bad_drops):
            continue
        yield Finding(
            id="network.interface_errors", severity=Severity.WARNING,
            title=f"Many transmission errors on the network connection {i.get('name')}",
            evidence=[f"{i.get('name')}: {errors} errors and {drops} dropped packets out of {packets} packets "
                      f"({(errors + drops) / packets:.1%})"],
            fix="A damaged cable, a bad port or weak Wi-Fi causes this. Try another network cable or port, or move "
                "closer to the Wi-Fi router. If it continues, contact your IT support.",
            section="network",
        )


def proxy_unreachable(report: Report) -> Iterable[Finding]:
    p = _checks(report).get("proxy")
    if not p or p.get("ok") is not False:
        return
    yield Finding(
        id="network.proxy_unreachable", severity=Severity.WARNING,
        title="A proxy server is set, but it does not answer",
        evidence=[p.get("summary", ""), f"proxy setting: {p.get('proxy') or p.get('target', '')}"],
        fix="Programs that use the proxy cannot reach the internet. If you are not on your company network, turn the "
            "proxy off in the network settings (or remove the http_proxy/https_proxy settings). On the company "
            "network, ask your IT support for the correct proxy address.",
        section="connectivity",
    )


def captive_portal(report: Report) -> Iterable[Finding]:
    inet = _checks(report).get("internet")
    if inet and inet.get("captive_portal_suspected"):
        yield Finding(
            id="network.captive_portal", severity=Severity.WARNING,
            title="This network wants you to sign in first",
            evidence=[inet.get("summary", ""), f"redirect to: {inet.get('redirect', '')}"],
            fix="Open a web browser and visit any web site: the network's sign-in page appears. Accept the terms or "
                "sign in, then test again.",
            section="connectivity",
        )


def _no_passwords(rule: Callable[[Report], Iterable[Finding]]) -> Callable[[Report], Iterable[Finding]]:
    """The rule's findings with any URL password ('scheme://user:pw@') in the title or evidence masked as '***':
    the collector masks its data already, but a report from elsewhere (an older version, another host) may not."""
    @wraps(rule)
    def safe(report: Report) -> Iterable[Finding]:
        for f in rule(report):
            yield replace(f, title=redact_text(f.title), evidence=[redact_text(e) for e in f.evidence])
    return safe


RULES = [_no_passwords(r) for r in (no_dns, no_gateway, gateway_unreachable, verdict, tls_failed, clock_skew,
                                    default_interface_down, interface_errors, proxy_unreachable, captive_portal)]
