"""The `cpu` section: model, cores, load, frequency, pressure and a usage sample."""

from typing import NotRequired, Required, TypedDict

# /proc/pressure/*: {"some": {"avg10": .., "avg60": .., "avg300": .., "total": ..}, "full": {...}}
Pressure = dict[str, dict[str, float]]

LoadAverage = TypedDict("LoadAverage", {"1min": float, "5min": float, "15min": float})


class Frequency(TypedDict):
    current: float
    min: float | None
    max: float | None


class CpuData(TypedDict, total=False):
    model: Required[str]
    logical_cores: NotRequired[int | None]  # None when the OS does not say
    physical_cores: Required[int]
    load_average: Required[LoadAverage]
    frequency_mhz: Required[Frequency]
    pressure: NotRequired[Pressure]  # Linux, when the kernel exposes it
    usage_percent: Required[float]
    usage_sample_s: Required[float]
