"""Network health rules on hand-built reports."""

from __future__ import annotations

from typing import Any

from diagnostics.model import Finding, Report, Section, SectionStatus, Severity
from diagnostics.rules import network as rules
from diagnostics.schema import validate
from diagnostics.sections.factory import make_data


def _report(network: dict[str, Any] | None = None, connectivity: dict[str, Any] | None = None,
            status: SectionStatus = SectionStatus.OK) -> Report:
    sections = {}
    if network is not None:
        sections["network"] = Section("network", "Network", status=status, data=make_data("network", **network))
    if connectivity is not None:
        sections["connectivity"] = Section("connectivity", "Internet connection", status=status,
                                           data=make_data("connectivity", **connectivity))
    return Report(host="h", generated_at="2026-01-01T00:00:00+00:00", platform="linux", sections=sections)


def _all(report: Report) -> dict[str, Finding]:
    out: dict[str, Finding] = {}
    for rule in rules.RULES:
        for f in rule(report):
            out[f.id] = f
    r = report.to_dict()
    r["findings"] = [f.to_dict() for f in out.values()]
    validate(r)  # every finding fits the report schema
    return out


def _c(ok: bool | None, **kw: Any) -> dict[str, Any]:
    return {"ok": ok, "target": kw.pop("target", "t"), "summary": kw.pop("summary", "s"), "duration_s": 0.1, **kw}


LO = {"name": "lo", "up": True, "loopback": True, "addresses": [], "counters": {}}
ETH = {"name": "eth0", "up": True, "loopback": False, "addresses": [],
       "counters": {"packets_recv": 100000, "packets_sent": 50000, "errin": 0, "errout": 0, "dropin": 0,
                    "dropout": 0}}
GW = {"family": "ipv4", "gateway": "192.0.2.1", "interface": "eth0", "metric": 0, "flags": []}
HEALTHY_NET = {"interfaces": [LO, ETH], "default_routes": [GW], "dns": {"nameservers": ["192.0.2.53"]},
               "proxy": {"settings": [], "effective": {}, "configured": False}}


def test_healthy_machine_has_no_findings() -> None:
    conn = {"verdict": "online", "reasons": ["all good"], "checks": {
        "dns": _c(True), "gateway": _c(True), "internet": _c(True), "tls": _c(True),
        "clock": _c(True, skew_s=1.2, source="HTTPS Date header")}}
    assert _all(_report(HEALTHY_NET, conn)) == {}


def test_no_dns_is_critical_with_servers_as_evidence() -> None:
    conn = {"verdict": "limited", "reasons": ["names"], "checks": {"dns": _c(
        False, summary="Names cannot be resolved: 192.0.2.53 did not answer within 2 s.",
        servers={"192.0.2.53": "did not answer within 2 s"})}}
    f = _all(_report(HEALTHY_NET, conn))["network.no_dns"]
    assert f.severity == Severity.CRITICAL and f.title.startswith("Names cannot be resolved")
    assert "DNS server 192.0.2.53 did not answer within 2 s" in f.evidence
    assert "Automatic" in f.fix and f.self_service


def test_no_nameserver_configured_is_a_warning_without_traffic() -> None:
    net = {**HEALTHY_NET, "dns": {"nameservers": [], "source": "/etc/resolv.conf"}}
    f = _all(_report(net))["network.no_dns_servers"]
    assert f.severity == Severity.WARNING and "nameserver" in f.evidence[0]


def test_no_default_gateway_is_critical() -> None:
    f = _all(_report({**HEALTHY_NET, "default_routes": []}))["network.no_gateway"]
    assert f.severity == Severity.CRITICAL and "Connected interfaces: eth0" in f.evidence


def test_gateway_not_collected_gives_no_finding() -> None:
    # not collected: the routes could not be read, so the section is partial and its skip says why
    r = _report(HEALTHY_NET, status=SectionStatus.PARTIAL)
    del r.sections["network"].data["default_routes"]
    r.sections["network"].skip("default gateway", "/proc/net/route is not readable and `ip` is not installed")
    assert "network.no_gateway" not in _all(r)
    assert _all(_report({**HEALTHY_NET, "default_routes": []}, status=SectionStatus.SKIPPED)) == {}


def test_offline_and_limited_verdicts() -> None:
    off = _all(_report(connectivity={"verdict": "offline", "reasons": ["Your router does not answer."],
                                     "checks": {"gateway": _c(False, summary="The router did not answer")}}))
    assert off["network.offline"].severity == Severity.CRITICAL
    assert off["network.offline"].evidence == ["Your router does not answer."]
    assert "network.gateway_unreachable" in off
    lim = _all(_report(connectivity={"verdict": "limited", "reasons": ["DNS"],
                                     "checks": {"gateway": _c(False)}}))
    assert lim["network.limited"].severity == Severity.WARNING
    assert "network.gateway_unreachable" not in lim  # the internet answers, so the router works
    assert "network.offline" not in _all(_report(connectivity={"verdict": "online", "checks": {}}))


def test_untrusted_certificate_is_a_security_incident() -> None:
    conn = {"verdict": "limited", "checks": {"tls": _c(False, cert_error=True, summary="not trusted: self-signed")}}
    f = _all(_report(connectivity=conn))["network.tls_untrusted"]
    assert f.incident_type == "security" and f.severity == Severity.CRITICAL and not f.self_service
    assert "not trusted: self-signed" in f.evidence


def test_other_tls_failure_is_technical() -> None:
    conn = {"verdict": "limited", "checks": {"tls": _c(False, cert_error=False)}}
    found = _all(_report(connectivity=conn))
    assert found["network.tls_failed"].incident_type == "technical failure"
    assert "network.tls_untrusted" not in found
    unreachable = {"verdict": "offline", "checks": {"tls": _c(False, cert_error=False, unreachable=True)}}
    assert "network.tls_failed" not in _all(_report(connectivity=unreachable))


def test_clock_skew_thresholds() -> None:
    def skew(s: float) -> dict[str, Finding]:
        return _all(_report(connectivity={"verdict": "online", "checks": {
            "clock": _c(True, skew_s=s, source="ntp 127.0.0.1")}}))

    assert "network.clock_skew" not in skew(59)
    warn = skew(-90)["network.clock_skew"]
    assert warn.severity == Severity.WARNING and "90 seconds behind" in warn.title
    crit = skew(3600 * 3)["network.clock_skew"]
    assert crit.severity == Severity.CRITICAL and "3.0 hours ahead" in crit.title and "timedatectl" in crit.fix


def test_default_route_interface_down() -> None:
    net = {**HEALTHY_NET, "interfaces": [LO, {**ETH, "up": False}]}
    f = _all(_report(net))["network.default_interface_down"]
    assert f.severity == Severity.CRITICAL and "eth0" in f.title
    linkdown = {**HEALTHY_NET, "default_routes": [{**GW, "flags": ["linkdown"]}]}
    assert "network.default_interface_down" in _all(_report(linkdown))


def test_many_interface_errors() -> None:
    bad = {**ETH, "counters": {**ETH["counters"], "errin": 900, "errout": 100}}
    f = _all(_report({**HEALTHY_NET, "interfaces": [LO, bad]}))["network.interface_errors"]
    assert "1000 errors" in f.evidence[0]
    few = {**ETH, "counters": {**ETH["counters"], "errin": 50}}
    assert "network.interface_errors" not in _all(_report({**HEALTHY_NET, "interfaces": [LO, few]}))


def test_proxy_unreachable_and_captive_portal() -> None:
    conn = {"verdict": "limited", "checks": {
        "proxy": _c(False, proxy="http://u:***@proxy:3128", summary="The proxy server proxy:3128 refused"),
        "internet": _c(True, captive_portal_suspected=True, redirect="http://login.hotel/")}}
    found = _all(_report(connectivity=conn))
    assert "proxy setting: http://u:***@proxy:3128" in found["network.proxy_unreachable"].evidence
    assert "redirect to: http://login.hotel/" in found["network.captive_portal"].evidence


def test_a_url_password_in_an_older_report_is_masked_in_the_findings() -> None:
    """A report from another version or host may still hold 'user:password@' in the connectivity data: the
    findings (captive portal redirect, TLS endpoint, proxy) mask it."""
    conn = {"verdict": "limited", "reasons": ["x"], "checks": {
        "internet": _c(True, captive_portal_suspected=True, redirect="http://guest:Wifi-pw@portal.local/login"),
        "tls": _c(False, target="https://bob:hunter2@tls.local/", summary="failed for https://bob:hunter2@tls.local/"),
        "proxy": _c(False, proxy="http://u:p@ss@proxy.local:3128"),
    }}
    found = _all(_report(HEALTHY_NET, conn))
    text = str([f.to_dict() for f in found.values()])
    assert "redirect to: http://guest:***@portal.local/login" in found["network.captive_portal"].evidence
    assert "endpoint: https://bob:***@tls.local/" in found["network.tls_failed"].evidence
    assert "proxy setting: http://u:***@proxy.local:3128" in found["network.proxy_unreachable"].evidence
    assert "Wifi-pw" not in text and "hunter2" not in text and "p@ss" not in text
