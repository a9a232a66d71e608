"""The `logs` section: errors of the last hours grouped by source, OOM kills and segfaults."""

from typing import NotRequired, Required, TypedDict

from .contract import allow_extra_keys


class LogGroup(TypedDict):
    unit: str  # the unit, tag or program that logged
    count: int
    first: str | None  # ISO 8601
    last: str | None
    sample: str  # the latest message
    worst_priority: int  # syslog priority: 0 emergency ... 3 error
    level: str


class OomKill(TypedDict):
    time: str | None
    process: str
    pid: int
    message: str


class Segfault(TypedDict):
    time: str | None
    process: str
    pid: int
    library: str | None
    message: str


class LogFile(TypedDict, total=False):
    path: Required[str]
    size: Required[int | None]
    bytes_read: Required[int]
    truncated: Required[bool]


allow_extra_keys(LogFile)


class LogSummary(TypedDict):
    """What `diagnostics.parsers.logevents.summarize` makes of the events read."""

    errors_total: int
    groups: list[LogGroup]
    groups_omitted: int  # groups beyond the 50 listed
    oom_kills: list[OomKill]
    segfaults: list[Segfault]


class LogsData(LogSummary, total=False):
    since_hours: Required[float]  # 0: since the last boot
    max_lines: Required[int]
    source: Required[str]  # "journal", "files", "dmesg", "windows-eventlog", "macos-unified-log"
    dmesg: NotRequired[bool]  # the kernel log was read with dmesg
    files: NotRequired[list[LogFile]]  # source "files" / "dmesg"
    capped: Required[bool]  # max_lines (or a file's tail) was reached: there may be more
