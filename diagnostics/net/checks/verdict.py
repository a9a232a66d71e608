"""The overall verdict from the checks' results: online, limited, offline (or unknown), with plain reasons."""

from __future__ import annotations

from collections.abc import Mapping

from .base import CheckResult


def verdict(checks: Mapping[str, CheckResult]) -> tuple[str, list[str]]:
    """'online', 'limited' or 'offline', with plain reasons."""

    def ok(name: str) -> bool | None:
        c = checks.get(name)
        return None if c is None else c.get("ok")

    reasons: list[str] = []
    reached = [n for n in ("internet", "ip", "tls") if ok(n)]
    if not reached:
        if ok("gateway") is False:
            reasons.append("Your router (the default gateway) does not answer: this computer is not connected to a "
                           "working network.")
        elif ok("gateway"):
            reasons.append("Your local network works, but nothing on the internet answers: the router or the "
                           "internet provider has no connection.")
        else:
            reasons.append("Nothing on the internet answers.")
        if ok("dns") is False:
            reasons.append("Names cannot be resolved (DNS).")
        tested = [n for n in ("internet", "ip", "tls") if ok(n) is False]
        if not tested:
            return "unknown", ["No internet endpoint was tested (they are switched off in the settings)."]
        if ok("proxy"):
            reasons.append("A proxy server is configured and answers: programs that use the proxy may still work.")
            return "limited", reasons
        return "offline", reasons
    if ok("dns") is False:
        reasons.append("The internet answers by address, but names cannot be resolved (DNS): web sites will not "
                       "open by name.")
    if ok("internet") is False:
        reasons.append("The internet test address does not answer although other addresses do.")
    if ok("ip") is False:
        reasons.append("A well-known internet address does not answer when reached directly (a firewall may block "
                       "it).")
    tls = checks.get("tls")
    if tls is not None and tls.get("ok") is False:
        if tls.get("cert_error"):
            reasons.append("Secure connections are not trusted: a sign-in page, a filter or an attacker may be "
                           "intercepting them.")
        elif tls.get("unreachable"):
            reasons.append("The secure (https) test address does not answer.")
        else:
            reasons.append("Secure (https) connections fail.")
    inet = checks.get("internet") or {}
    if inet.get("captive_portal_suspected"):
        reasons.append("The network redirects web requests: you may have to sign in (captive portal).")
    if reasons:
        return "limited", reasons
    return "online", ["DNS, the internet endpoint and secure connections all work."]
