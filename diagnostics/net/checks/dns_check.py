"""The DNS check: ask each configured server for the A record of a name."""

from __future__ import annotations

import functools
import time

from common.deadline import Ended, start, watch

from ...cancel import Cancelled, CancelToken
from ..dnsconf import server_address
from .base import CheckResult, Deadline, check_result, os_reason


def check_dns(name: str, servers: list[str], timeout: float, cancel: CancelToken | None = None) -> CheckResult:
    """Ask every configured DNS server (in parallel) for the A record of `name`. OK when one gives an answer."""
    started = time.monotonic()
    target = f"{name} via {', '.join(servers) or 'no server'}"
    if not servers:
        return check_result(False, target, "No DNS server is configured, so names cannot be resolved.", started,
                       servers={})
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    dl = Deadline(timeout, cancel)

    def ask(server: str) -> tuple[bool, str, list[str]]:
        try:
            addr, port = server_address(server)
            q = dns.message.make_query(name, dns.rdatatype.A)
            resp = dns.query.udp(q, addr, timeout=max(0.05, dl.end - time.monotonic()), port=port,
                                 ignore_unexpected=True)
            rcode = resp.rcode()
            ips = [r.to_text() for rrset in resp.answer for r in rrset if rrset.rdtype == dns.rdatatype.A]
            if rcode == dns.rcode.NOERROR:
                return True, f"answered {', '.join(ips) or '(no IPv4 address)'}", ips
            if rcode == dns.rcode.NXDOMAIN:
                return False, f"says {name} does not exist (NXDOMAIN)", []
            if rcode == dns.rcode.SERVFAIL:
                return False, "could not resolve it (SERVFAIL: its own upstream servers may be unreachable)", []
            return False, f"refused to answer ({dns.rcode.to_text(rcode)})", []
        except dns.exception.Timeout:
            return False, f"did not answer within {timeout:g} s", []
        except (OSError, ValueError, dns.exception.DNSException) as exc:
            reason = os_reason(exc, "it", timeout) if isinstance(exc, OSError) else str(exc)
            return False, f"failed: {reason}", []

    asked = {s: start(functools.partial(ask, s), name=f"dns-{s}") for s in servers}
    per_server: dict[str, str] = {}
    addresses: list[str] = []
    ok = False
    for server, ended in watch(asked, until=dl.end + 0.2, cancel=cancel):
        if ended is Ended.CANCELLED:
            raise Cancelled("cancelled by the user")
        if ended is Ended.DONE:
            good, text, ips = asked[server].result()
            per_server[server] = text
            if good:
                ok, addresses = True, ips
                break
    for s in servers:
        per_server.setdefault(s, f"did not answer within {timeout:g} s")
    if ok:
        summary = f"{name} resolves ({', '.join(addresses) or 'no IPv4 address'})."
    else:
        summary = f"Names cannot be resolved: {'; '.join(f'{s} {t}' for s, t in per_server.items())}."
    return check_result(ok, target, summary, started, servers=per_server, addresses=addresses)
