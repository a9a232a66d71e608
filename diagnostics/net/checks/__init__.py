"""Connectivity checks. These SEND TRAFFIC to the configured endpoints, so they run only when the user asks.

Every check has its own deadline (a few seconds at most), so an offline machine gets a verdict quickly instead
of a hang. A check returns a plain dict (JSON-ready) with at least:
`ok` (True / False / None when not run), `target`, `summary` (one plain sentence) and `duration_s`.

One module per kind of check: `dns_check` (DNS), `tcp` (ip, gateway, proxy), `web` (HTTP and TLS), `clock` (NTP
and the clock verdict); `config` reads the settings, `base` holds what they share (result, deadline, connect,
running in parallel) and `verdict` sums them up. This package re-exports their public names, so callers write
`checks.check_dns(...)`.
"""

from .base import CheckFailed, CheckResult, Deadline, connect, is_loopback, not_run, resolve, run_parallel
from .clock import check_ntp, clock_from_checks
from .config import CHECK_NAMES, DEFAULTS, MAX_TIMEOUT, TIMEOUT_KEYS, ConnectivityConfig
from .dns_check import check_dns
from .tcp import check_gateway, check_tcp
from .verdict import verdict
from .web import check_http, check_tls, http_head_request, parse_http_head

__all__ = [
    "CHECK_NAMES", "DEFAULTS", "MAX_TIMEOUT", "TIMEOUT_KEYS", "CheckFailed", "CheckResult", "ConnectivityConfig",
    "Deadline", "check_dns", "check_gateway", "check_http", "check_ntp", "check_tcp", "check_tls",
    "clock_from_checks", "connect", "http_head_request", "is_loopback", "not_run", "parse_http_head", "resolve",
    "run_parallel", "verdict",
]
