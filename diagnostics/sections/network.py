"""The `network` section: interfaces, default routes, DNS configuration, proxy settings."""

from typing import Any, Required, TypedDict

from .contract import allow_extra_keys


class Address(TypedDict):
    family: str  # "ipv4" / "ipv6"
    address: str
    prefixlen: int | None


class Interface(TypedDict, total=False):
    name: Required[str]
    up: Required[bool | None]
    mtu: Required[int | None]
    speed_mbps: Required[int | None]
    mac: Required[str | None]
    addresses: Required[list[Address]]
    loopback: Required[bool]
    operstate: str | None
    counters: dict[str, int]  # bytes_sent, bytes_recv, packets_*, errin, errout, dropin, dropout


class Route(TypedDict):
    family: str
    gateway: str | None
    interface: str
    metric: int
    flags: list[str]


class ResolvConf(TypedDict):
    nameservers: list[str]
    search: list[str]
    options: list[str]


class Dns(ResolvConf, total=False):
    source: Required[str]
    resolver: Required[str]  # "systemd-resolved" or "resolv.conf"
    upstream_nameservers: list[str]
    upstream_source: str


class ProxySetting(TypedDict):
    variable: str
    value: str  # passwords masked
    source: str


class Proxy(TypedDict, total=False):
    settings: Required[list[ProxySetting]]
    effective: Required[dict[str, Any]]
    configured: Required[bool]
    note: str


allow_extra_keys(Interface)  # platform-specific extras


class NetworkData(TypedDict, total=False):
    interfaces: Required[list[Interface]]
    default_routes: Required[list[Route]]
    routes_source: Required[list[str]]
    dns: Required[Dns]
    proxy: Required[Proxy]
