"""The `services` section: failed systemd units (with their last log lines) and restart loops."""

from typing import NotRequired, Required, TypedDict


class FailedUnit(TypedDict):
    unit: str
    load: str
    active: str
    sub: str
    description: str
    last_lines: NotRequired[list[str]]  # for the first `max_units` units


class RestartLoop(TypedDict):
    unit: str
    restarts: int
    active: str
    sub: str
    result: str


class ServicesData(TypedDict, total=False):
    failed: Required[list[FailedUnit]]
    failed_count: Required[int]
    restart_loops: Required[list[RestartLoop]]
