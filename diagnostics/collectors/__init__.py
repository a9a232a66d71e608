"""The registry of collectors, in display order. One module per area."""

from __future__ import annotations

import importlib

from .base import CollectContext, Collector

# module name -> class name; imported on demand so `--list-collectors` and a partial run stay cheap.
_REGISTRY: list[tuple[str, str]] = [
    ("system", "SystemCollector"),
    ("cpu", "CpuCollector"),
    ("memory", "MemoryCollector"),
    ("storage", "StorageCollector"),
    ("power", "PowerCollector"),
    ("network", "NetworkCollector"),
    ("connectivity", "ConnectivityCollector"),
    ("processes", "ProcessesCollector"),
    ("services", "ServicesCollector"),
    ("logs", "LogsCollector"),
    ("crashes", "CrashesCollector"),
    ("updates", "UpdatesCollector"),
]


def all_collectors() -> list[Collector]:
    out: list[Collector] = []
    for mod, cls in _REGISTRY:
        # Every module is shipped: a missing one is a broken install and must not silently drop its checks.
        module = importlib.import_module(f"{__name__}.{mod}")
        out.append(getattr(module, cls)())
    return out


def select(only: list[str] | None = None, skip: list[str] | None = None,
           include_optional: bool = False) -> list[Collector]:
    """Collectors for a run. `only` names win over defaults (so `--only connectivity` runs it)."""
    collectors = all_collectors()
    known = {c.name for c in collectors}
    unknown = [n for n in (only or []) + (skip or []) if n not in known]
    if unknown:
        raise ValueError(
            f"unknown collector(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if only:
        chosen = [c for c in collectors if c.name in only]
    else:
        chosen = [c for c in collectors if c.default or include_optional]
    chosen = [c for c in chosen if c.name not in (skip or [])]
    if not chosen and (only or skip):
        raise ValueError("no collector is left to run: --skip names every one that --only or the default run "
                         "chose; see --list-collectors")
    return chosen


__all__ = ["CollectContext", "Collector", "all_collectors", "select"]
