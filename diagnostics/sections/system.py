"""The `system` section: OS, kernel, names, uptime, virtualisation, machine model."""

# No `from __future__ import annotations` in this package: Python 3.11 reads Required/NotRequired only from
# evaluated annotations.
from typing import NotRequired, Required, TypedDict


class OsInfo(TypedDict):
    name: str
    pretty_name: str
    id: str
    id_like: list[str]
    version: str
    version_id: str
    codename: str
    source: str  # the os-release file read, or "platform" when none was readable


class Kernel(TypedDict):
    name: str
    release: str
    version: str


class Virtualization(TypedDict):
    vm: str | None
    container: str | None
    method: str  # "systemd-detect-virt" or "heuristics"
    evidence: list[str]


class Machine(TypedDict, total=False):
    vendor: str
    product: str
    version: str
    board_vendor: str
    board: str
    bios_version: str
    chassis_type: str


class SystemData(TypedDict, total=False):
    os: Required[OsInfo]
    kernel: Required[Kernel]
    hostname: Required[str]
    architecture: Required[str]
    uptime_s: Required[float]
    uptime_human: Required[str]
    boot_time: Required[str]  # ISO 8601, UTC
    virtualization: NotRequired[Virtualization]  # Linux only
    machine: Required[Machine]
