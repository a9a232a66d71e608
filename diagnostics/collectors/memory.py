"""Memory: RAM total/available/used/percent, swap total/used/percent and, on Linux, memory pressure (PSI) and
the memory limit of the container (cgroup) when it is below the RAM.

Local machine: psutil. Remote Linux host: /proc/meminfo through `ctx.host`. Sizes are bytes.
"""

from __future__ import annotations

from typing import cast

from common.text import clean_text

from ..host import Host, decode
from ..model import Section
from ..sections.memory import ContainerLimit, MemoryData, Ram, Swap
from .base import CollectContext, Collector
from .cpu import parse_pressure


def read_text(host: Host, path: str, max_bytes: int = 65536) -> str | None:
    raw = host.read_file(path, max_bytes)
    return None if raw is None else decode(raw)


def parse_meminfo(text: str) -> dict[str, int]:
    """/proc/meminfo as bytes per key."""
    text = clean_text(text)
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        parts = rest.split()
        if not parts:
            continue
        try:
            value = int(parts[0])
        except ValueError:
            continue
        if len(parts) > 1 and parts[1].lower() == "kb":
            value *= 1024
        out[key.strip()] = value
    return out


def memory_from_meminfo(mi: dict[str, int]) -> tuple[Ram | None, Swap | None]:
    """(ram, swap) in the same shape as the psutil path, or None where /proc/meminfo lacks the numbers."""
    ram: Ram | None = None
    swap: Swap | None = None
    total = mi.get("MemTotal")
    if total:
        avail = mi.get("MemAvailable")
        if avail is None:  # kernels before 3.14
            avail = mi.get("MemFree", 0) + mi.get("Buffers", 0) + mi.get("Cached", 0)
        used = total - mi.get("MemFree", 0) - mi.get("Buffers", 0) - mi.get("Cached", 0) - mi.get("SReclaimable", 0)
        if used < 0:
            used = total - mi.get("MemFree", 0)
        ram = {"total": total, "available": avail, "used": used,
               "percent": round(100.0 * (total - avail) / total, 1)}
    if "SwapTotal" in mi:
        st = mi["SwapTotal"]
        su = st - mi.get("SwapFree", st)
        swap = {"total": st, "used": su, "free": st - su, "percent": round(100.0 * su / st, 1) if st else 0.0}
    return ram, swap


CGROUP_V2 = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory.stat")
CGROUP_V1 = ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes",
             "/sys/fs/cgroup/memory/memory.stat")


def cgroup_limit(host: Host, ram_total: int | None) -> ContainerLimit | None:
    """The memory limit of the cgroup we run in (a container, a systemd slice), when it is below the RAM.

    Usage leaves out inactive file cache, which the kernel drops before it reaches the limit."""
    for version, (limit_p, usage_p, stat_p) in (("v2", CGROUP_V2), ("v1", CGROUP_V1)):
        limit_t = read_text(host, limit_p)
        if limit_t is None:
            continue
        usage_t = read_text(host, usage_p)
        try:
            limit = int(limit_t.strip())  # "max" (v2) means no limit
            usage = int((usage_t or "").strip())
        except ValueError:
            return None
        if limit <= 0 or (ram_total and limit >= ram_total):
            return None
        inactive = 0
        for line in (read_text(host, stat_p) or "").splitlines():
            k, _, v = line.partition(" ")
            if k in ("inactive_file", "total_inactive_file"):
                try:
                    inactive = int(v)
                except ValueError:
                    inactive = 0
                break
        used = max(0, usage - inactive)
        return {"cgroup": version, "limit": limit, "used": used, "percent": round(100.0 * used / limit, 1)}
    return None


class MemoryCollector(Collector):
    name = "memory"
    title = "Memory"
    platforms = frozenset({"linux", "windows", "darwin"})
    timeout_s = 2.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        d = cast(MemoryData, section.data)
        if host.is_local:
            import psutil

            vm = psutil.virtual_memory()
            d["ram"] = {"total": vm.total, "available": vm.available, "used": vm.used,
                        "percent": round(vm.percent, 1)}
            try:
                sw = psutil.swap_memory()
                d["swap"] = {"total": sw.total, "used": sw.used, "free": sw.free, "percent": round(sw.percent, 1)}
            except Exception as exc:  # psutil raises on some systems without swap accounting
                section.skip("swap", f"swap usage could not be read: {exc}")
        elif host.platform == "linux":
            text = read_text(host, "/proc/meminfo")
            if text is None:
                section.skip("memory", "/proc/meminfo could not be read")
                return
            ram, swap = memory_from_meminfo(parse_meminfo(text))
            if ram is None:
                section.skip("ram", "/proc/meminfo has no MemTotal line")
            else:
                d["ram"] = ram
            if swap is None:
                section.skip("swap", "/proc/meminfo has no SwapTotal line")
            else:
                d["swap"] = swap
        else:
            section.skip("memory", f"reading the memory of a remote {host.platform} host is not supported")
            return
        if host.platform == "linux":
            limit = cgroup_limit(host, (d.get("ram") or {}).get("total"))
            if limit is not None:
                d["container_limit"] = limit
            text = read_text(host, "/proc/pressure/memory")
            if text is None:
                section.skip("pressure", "the kernel does not expose pressure stall information (/proc/pressure)")
            else:
                p = parse_pressure(text)
                if p:
                    d["pressure"] = p
