"""CPU: model, physical and logical cores, load average, usage (sampled over a quarter of a second), frequency
and, on Linux, CPU pressure (PSI).

Local machine: psutil. Remote Linux host: /proc/cpuinfo, /proc/loadavg and /proc/stat through `ctx.host`.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any, cast

from common.text import clean_text

from ..cancel import Cancelled
from ..host import Host, decode
from ..model import Section
from ..sections.cpu import CpuData
from .base import CollectContext, Collector

SAMPLE_S = 0.25  # how long CPU usage is sampled


def read_text(host: Host, path: str, max_bytes: int = 1 << 20) -> str | None:
    raw = host.read_file(path, max_bytes)
    return None if raw is None else decode(raw)


def parse_cpuinfo(text: str) -> dict[str, Any]:
    """Model, logical and physical core counts and the mean 'cpu MHz' from /proc/cpuinfo."""
    text = clean_text(text)
    model = ""
    logical = 0
    cores: set[tuple[str, str]] = set()
    mhz: list[float] = []
    block: dict[str, str] = {}

    def close(b: dict[str, str]) -> None:
        nonlocal logical
        if "processor" in b:
            logical += 1
        if "physical id" in b and "core id" in b:
            cores.add((b["physical id"], b["core id"]))

    for line in text.splitlines():
        if not line.strip():
            close(block)
            block = {}
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        block[key] = value
        if not model and key in ("model name", "Model", "cpu model", "Processor", "uarch"):
            model = value
        if key == "cpu MHz":
            try:
                mhz.append(float(value))
            except ValueError:
                pass
    close(block)
    return {
        "model": model,
        "logical": logical or None,
        "physical": len(cores) or None,
        "mhz": round(sum(mhz) / len(mhz), 1) if mhz else None,
    }


def parse_loadavg(text: str) -> list[float] | None:
    text = clean_text(text)
    try:
        parts = text.split()
        return [float(parts[0]), float(parts[1]), float(parts[2])]
    except (ValueError, IndexError):
        return None


def parse_proc_stat_cpu(text: str) -> tuple[float, float] | None:
    """(busy, total) jiffies from the aggregate 'cpu' line of /proc/stat."""
    text = clean_text(text)
    for line in text.splitlines():
        if line.startswith("cpu "):
            try:
                vals = [float(v) for v in line.split()[1:]]
            except ValueError:
                return None
            if len(vals) < 4:
                return None
            # user nice system idle iowait irq softirq steal guest guest_nice; guest is already in user
            total = sum(vals[:8])
            idle = vals[3] + (vals[4] if len(vals) > 4 else 0.0)
            return total - idle, total
    return None


def parse_pressure(text: str) -> dict[str, dict[str, float]]:
    """/proc/pressure/* ('some avg10=0.00 avg60=0.00 avg300=0.00 total=0') as nested dicts."""
    text = clean_text(text)
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0] not in ("some", "full"):
            continue
        vals: dict[str, float] = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            try:
                vals[k] = float(v)
            except ValueError:
                continue
        out[parts[0]] = vals
    return out


def usage_percent(before: tuple[float, float], after: tuple[float, float]) -> float | None:
    busy = after[0] - before[0]
    total = after[1] - before[1]
    if total <= 0:
        return None
    return round(max(0.0, min(100.0, 100.0 * busy / total)), 1)


class CpuCollector(Collector):
    name = "cpu"
    title = "Processor"
    platforms = frozenset({"linux", "windows", "darwin"})
    timeout_s = 3.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        if ctx.host.is_local:
            self._local(ctx, section)
        elif ctx.host.platform == "linux":
            self._remote_linux(ctx, section)
        else:
            section.skip("cpu", f"reading the CPU of a remote {ctx.host.platform} host is not supported")

    def _local(self, ctx: CollectContext, section: Section) -> None:
        import psutil

        d = cast(CpuData, section.data)
        host = ctx.host

        def times() -> tuple[float, float]:
            t = psutil.cpu_times()
            total = float(sum(t))
            idle = t.idle + getattr(t, "iowait", 0.0)
            # guest time is counted inside user on Linux; don't count it twice
            total -= getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)
            return total - idle, total

        before = times()  # start the usage sample first; everything else is read while it runs
        info: dict[str, Any] = {}
        if host.platform == "linux":
            text = read_text(host, "/proc/cpuinfo")
            if text is not None:
                info = parse_cpuinfo(text)
        model = info.get("model") or _model_other(ctx)
        if model:
            d["model"] = model
        else:
            section.skip("model", "the processor does not report a model name")
        d["logical_cores"] = psutil.cpu_count(logical=True) or os.cpu_count()
        physical = psutil.cpu_count(logical=False)
        if physical:
            d["physical_cores"] = physical
        else:
            section.skip("physical_cores", "the number of physical cores is not exposed")
        try:
            load = [round(x, 2) for x in psutil.getloadavg()]
            d["load_average"] = {"1min": load[0], "5min": load[1], "15min": load[2]}
        except (OSError, AttributeError) as exc:
            section.skip("load_average", f"not available: {exc}")
        try:
            freq = psutil.cpu_freq()
        except Exception:  # psutil raises on some VMs without cpufreq
            freq = None
        if freq is not None and freq.current:
            d["frequency_mhz"] = {"current": round(freq.current, 1),
                                  "min": round(freq.min, 1) or None, "max": round(freq.max, 1) or None}
        elif info.get("mhz"):
            d["frequency_mhz"] = {"current": info["mhz"], "min": None, "max": None}
        else:
            section.skip("frequency", "the CPU frequency is not exposed on this machine")
        if host.platform == "linux":
            self._pressure(host, d, section)
        if ctx.cancel.wait(SAMPLE_S):
            raise Cancelled("cancelled by the user")
        usage = usage_percent(before, times())
        if usage is None:
            section.skip("usage", "the CPU counters did not move during the sample")
        else:
            d["usage_percent"] = usage
            d["usage_sample_s"] = SAMPLE_S

    def _remote_linux(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        d = cast(CpuData, section.data)
        stat1 = read_text(host, "/proc/stat")
        before = parse_proc_stat_cpu(stat1) if stat1 else None
        text = read_text(host, "/proc/cpuinfo")
        if text is None:
            section.skip("cpuinfo", "/proc/cpuinfo could not be read")
        else:
            info = parse_cpuinfo(text)
            if info["model"]:
                d["model"] = info["model"]
            else:
                section.skip("model", "the processor does not report a model name")
            if info["logical"]:
                d["logical_cores"] = info["logical"]
            if info["physical"]:
                d["physical_cores"] = info["physical"]
            else:
                section.skip("physical_cores", "the number of physical cores is not exposed")
            if info["mhz"]:
                d["frequency_mhz"] = {"current": info["mhz"], "min": None, "max": None}
            else:
                section.skip("frequency", "the CPU frequency is not exposed on this machine")
        la = parse_loadavg(read_text(host, "/proc/loadavg") or "")
        if la:
            d["load_average"] = {"1min": la[0], "5min": la[1], "15min": la[2]}
        else:
            section.skip("load_average", "/proc/loadavg could not be read")
        self._pressure(host, d, section)
        if before is None:
            section.skip("usage", "/proc/stat could not be read")
            return
        if ctx.cancel.wait(SAMPLE_S):
            raise Cancelled("cancelled by the user")
        stat2 = read_text(host, "/proc/stat")
        after = parse_proc_stat_cpu(stat2) if stat2 else None
        usage = usage_percent(before, after) if after else None
        if usage is None:
            section.skip("usage", "the CPU counters in /proc/stat could not be sampled")
        else:
            d["usage_percent"] = usage
            d["usage_sample_s"] = SAMPLE_S

    @staticmethod
    def _pressure(host: Host, d: CpuData, section: Section) -> None:
        text = read_text(host, "/proc/pressure/cpu")
        if text is None:
            section.skip("pressure", "the kernel does not expose pressure stall information (/proc/pressure)")
            return
        p = parse_pressure(text)
        if p:
            d["pressure"] = p


def _model_other(ctx: CollectContext) -> str:
    """The marketing name on macOS (sysctl) and Windows (registry); `platform` as a last resort."""
    if sys.platform == "darwin":
        res = ctx.host.run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout=2.0, cancel=ctx.cancel)
        if res.ok and res.stdout.strip():
            return res.stdout.strip()
    if sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE,
                                r"HARDWARE\DESCRIPTION\System\CentralProcessor\0") as key:
                return str(winreg.QueryValueEx(key, "ProcessorNameString")[0]).strip()
        except OSError:
            pass
    return platform.processor() or ""
