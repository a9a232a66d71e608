"""The `crashes` section: apport reports and core dumps of the last days, counted per program."""

from typing import NotRequired, Required, TypedDict

from .contract import allow_extra_keys


class CrashReport(TypedDict, total=False):
    time: Required[str | None]  # ISO 8601
    executable: Required[str]
    source: Required[str]  # "apport", "coredump", "core file"
    signal: str
    pid: int | str | None  # as coredumpctl --json gives it
    path: str
    corefile: str
    problem_type: str
    package: str
    readable: bool


allow_extra_keys(CrashReport)  # each source adds what it knows


class CrashGroup(TypedDict):
    executable: str
    count: int
    count_24h: int
    last: str | None
    signal: str


class CrashDir(TypedDict):
    path: str
    present: bool


class CrashesData(TypedDict, total=False):
    since_days: Required[float]
    crash_dir: NotRequired[CrashDir]  # absent when the folder could not be listed (a skip says why)
    coredump_files: Required[int]
    older: Required[int]
    total: Required[int]
    reports: Required[list[CrashReport]]
    by_executable: Required[list[CrashGroup]]
