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


class ProcessSummary(TypedDict):
    """What one snapshot of the process list says."""

    total: int
    by_state: dict[str, int]
    top_cpu: list[ProcessEntry]
    top_memory: list[ProcessEntry]
    zombies: list[Zombie]
    zombie_count: int


class ProcessesData(ProcessSummary, total=False):
    cpu_basis: Required[str]  # how cpu_percent was measured
    cpu_count: NotRequired[int]  # local runs only
    own_excluded: NotRequired[int]  # remote runs: Deskside's own session processes left out of the counts
