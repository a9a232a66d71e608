"""The `power` section: batteries, mains power and temperature sensors."""

from typing import NotRequired, TypedDict


class Battery(TypedDict):
    name: str
    percent: float | None
    status: str  # "charging", "discharging", "full", "not charging", "unknown"...
    health_percent: float | None  # full charge against design capacity
    cycle_count: int | None
    technology: str | None
    manufacturer: str | None
    model: str | None
    capacity_level: str | None  # "Critical", "Low", "Normal"... where the driver says
    health_status: str | None  # "Good", "Dead", "Overheat"... where the driver says
    seconds_left: int | None


class Temperature(TypedDict):
    chip: str
    label: str
    celsius: float
    high: float | None
    critical: float | None


class PowerData(TypedDict, total=False):
    batteries: NotRequired[list[Battery]]  # absent without a battery (a skip says so)
    battery: NotRequired[Battery]  # the first of `batteries`
    plugged_in: NotRequired[bool]  # absent when no mains supply reports
    temperatures: NotRequired[list[Temperature]]
