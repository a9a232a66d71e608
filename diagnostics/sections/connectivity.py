"""The `connectivity` section (optional, sends traffic): each check's result and the overall verdict."""

from typing import Any, Literal, Required, TypedDict

from .contract import allow_extra_keys

Verdict = Literal["online", "limited", "offline", "unknown"]


class Check(TypedDict, total=False):
    ok: bool | None  # None: not run / could not tell
    target: str
    summary: str
    duration_s: float
    # extras, per check (others are allowed: a check adds what it learnt)
    servers: dict[str, str]  # dns: what each server said
    addresses: list[str]
    answered: str  # tcp: "connected" / "refused"
    neighbour_state: str | None  # the kernel neighbour table entry of the gateway, when there is one
    no_gateway: bool
    cert_error: bool
    unreachable: bool
    captive_portal_suspected: bool
    redirect: str
    proxy: str
    skew_s: float
    source: str
    clock: dict[str, Any]
    certificate: dict[str, Any]


allow_extra_keys(Check)


class ConnectivityData(TypedDict, total=False):
    config: Required[dict[str, Any]]  # the targets and timeouts used (URL passwords masked)
    checks: Required[dict[str, Check]]  # by check name: dns, gateway, internet, ip, tls, ntp, proxy, clock
    verdict: Required[Verdict]
    reasons: Required[list[str]]
