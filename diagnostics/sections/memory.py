"""The `memory` section: RAM, swap, a container's memory limit, memory pressure."""

from typing import NotRequired, Required, TypedDict

from .cpu import Pressure


class Ram(TypedDict):
    total: int
    available: int
    used: int
    percent: float


class Swap(TypedDict):
    total: int
    used: int
    free: int
    percent: float


class ContainerLimit(TypedDict):
    cgroup: str  # "v1" or "v2"
    limit: int
    used: int
    percent: float


class MemoryData(TypedDict, total=False):
    ram: Required[Ram]
    swap: Required[Swap]
    container_limit: NotRequired[ContainerLimit]  # only inside a memory-limited cgroup
    pressure: NotRequired[Pressure]
