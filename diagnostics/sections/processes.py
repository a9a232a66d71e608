"""The `processes` section: counts by state, the busiest and largest processes, zombies."""

from typing import NotRequired, Required, TypedDict


class ProcessEntry(TypedDict):
    pid: int
    name: str
    username: str | None
    cpu_percent: float
    rss: int  # bytes
    memory_percent: NotRequired[float]  # when the total memory is known


class Zombie(TypedDict):
    pid: int
    name: str
    ppid: int | None
    parent_name: str | None


class ProcessesData(TypedDict, total=False):
    total: Required[int]
    by_state: Required[dict[str, int]]
    top_cpu: Required[list[ProcessEntry]]
    top_memory: Required[list[ProcessEntry]]
    zombies: Required[list[Zombie]]
    zombie_count: Required[int]
    cpu_basis: Required[str]  # how cpu_percent was measured
    cpu_count: NotRequired[int]  # local runs only
