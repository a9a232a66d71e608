"""Power: batteries (charge, plugged in, time left, wear) and temperatures.

Linux (local or remote): sysfs, /sys/class/power_supply/*/uevent and /sys/class/hwmon (falling back to
/sys/class/thermal), read through `ctx.host`. Windows and macOS (local): psutil.
"""

from __future__ import annotations

import glob
import os
from typing import cast

from ..host import Host, decode
from ..model import Section
from ..sections.power import Battery, PowerData, Temperature
from .base import CollectContext, Collector

POWER_SUPPLY = "/sys/class/power_supply"
HWMON = "/sys/class/hwmon"
THERMAL = "/sys/class/thermal"


def sysfs_values(host: Host, patterns: list[str], timeout: float = 2.0) -> dict[str, str]:
    """path -> first line of every file matching the glob patterns (unreadable files are left out)."""
    out: dict[str, str] = {}
    if host.is_local:
        for pat in patterns:
            for path in sorted(glob.glob(pat)):
                raw = host.read_file(path, 4096)
                if raw is not None:
                    out[path] = decode(raw).strip()
        return out
    # One round trip: grep prints "path:line" for every line of every file; -s hides unreadable ones.
    res = host.run(["sh", "-c", "grep -Hs . " + " ".join(patterns) + " ; true"], timeout=timeout)
    for line in res.stdout.splitlines():
        path, sep, value = line.partition(":")
        if sep and path not in out:
            out[path] = value.strip()
        elif sep and path.endswith("/uevent"):
            out[path] += "\n" + value.strip()
    return out


def read_uevents(host: Host) -> dict[str, dict[str, str]]:
    """Supply name -> its uevent keys without the POWER_SUPPLY_ prefix."""
    supplies: dict[str, dict[str, str]] = {}
    if host.is_local:
        try:
            names = sorted(os.listdir(POWER_SUPPLY))
        except OSError:
            return {}
        raw = {f"{POWER_SUPPLY}/{n}/uevent": decode(host.read_file(f"{POWER_SUPPLY}/{n}/uevent", 65536) or b"")
               for n in names}
    else:
        raw = sysfs_values(host, [f"{POWER_SUPPLY}/*/uevent"])
    for path, text in raw.items():
        name = path.rstrip("/").split("/")[-2]
        kv: dict[str, str] = {}
        for line in text.splitlines():
            k, sep, v = line.partition("=")
            if sep:
                kv[k.strip().removeprefix("POWER_SUPPLY_")] = v.strip()
        if kv:
            supplies[name] = kv
    return supplies


def _num(kv: dict[str, str], key: str) -> float | None:
    try:
        return float(kv[key])
    except (KeyError, ValueError):
        return None


def batteries_from_uevents(supplies: dict[str, dict[str, str]]) -> tuple[list[Battery], bool | None]:
    """The system batteries (not a mouse's or a headset's) and whether mains power is connected."""
    mains: bool | None = None
    bats: list[Battery] = []
    for name, kv in supplies.items():
        kind = kv.get("TYPE", "")
        if kind in ("Mains", "USB", "USB_C", "USB_PD", "Wireless") and "ONLINE" in kv:
            mains = bool(mains) or kv["ONLINE"] == "1"
        if kind != "Battery" or kv.get("SCOPE") == "Device" or kv.get("PRESENT", "1") == "0":
            continue
        status = kv.get("STATUS", "Unknown")
        now = _num(kv, "ENERGY_NOW") or _num(kv, "CHARGE_NOW")
        full = _num(kv, "ENERGY_FULL") or _num(kv, "CHARGE_FULL")
        design = _num(kv, "ENERGY_FULL_DESIGN") or _num(kv, "CHARGE_FULL_DESIGN")
        rate = _num(kv, "POWER_NOW") if "ENERGY_NOW" in kv else _num(kv, "CURRENT_NOW")
        percent = _num(kv, "CAPACITY")
        if percent is None and now is not None and full:
            percent = 100.0 * now / full
        b: Battery = {
            "name": name,
            "percent": round(percent, 1) if percent is not None else None,
            "status": status.lower(),
            "health_percent": round(100.0 * full / design, 1) if full and design else None,
            "cycle_count": int(c) if (c := _num(kv, "CYCLE_COUNT")) else None,
            "technology": kv.get("TECHNOLOGY"),
            "manufacturer": kv.get("MANUFACTURER"),
            "model": kv.get("MODEL_NAME"),
            "capacity_level": kv.get("CAPACITY_LEVEL"),
            "health_status": kv.get("HEALTH"),  # "Good", "Dead", "Overheat"... where the driver says
            "seconds_left": None,
        }
        if status == "Discharging" and now and rate and rate > 0:
            b["seconds_left"] = int(3600 * now / rate)
        bats.append(b)
    if mains is None and bats:
        statuses = {b["status"] for b in bats}
        if "discharging" in statuses:
            mains = False
        elif statuses & {"charging", "full", "not charging"}:
            mains = True
    return bats, mains


def temperatures_from_sysfs(values: dict[str, str]) -> list[Temperature]:
    """Readings from hwmon files (tempN_input, _label, _max, _crit; millidegrees) and thermal zones."""
    sensors: list[Temperature] = []
    for path, value in sorted(values.items()):
        if not path.endswith("_input") or "/temp" not in path:
            continue
        base = path[: -len("_input")]
        chip_dir = base.rsplit("/", 1)[0]
        try:
            current = float(value) / 1000.0
        except ValueError:
            continue
        if current <= -273 or current > 250:  # disconnected or nonsense sensor
            continue

        def milli(suffix: str, base: str = base) -> float | None:
            try:
                v = float(values[f"{base}_{suffix}"]) / 1000.0
            except (KeyError, ValueError):
                return None
            return v if 0 < v < 250 else None

        sensors.append({
            "chip": values.get(f"{chip_dir}/name", chip_dir.rsplit("/", 1)[-1]),
            "label": values.get(f"{base}_label", base.rsplit("/", 1)[-1]),
            "celsius": round(current, 1), "high": milli("max"), "critical": milli("crit"),
        })
    if sensors:
        return sensors
    for path, value in sorted(values.items()):
        if not (path.startswith(THERMAL) and path.endswith("/temp")):
            continue
        zone = path.rsplit("/", 2)[-2]
        try:
            current = float(value) / 1000.0
        except ValueError:
            continue
        if -273 < current < 250:
            sensors.append({"chip": "thermal_zone", "label": values.get(path[:-5] + "/type", zone),
                            "celsius": round(current, 1), "high": None, "critical": None})
    return sensors


class PowerCollector(Collector):
    name = "power"
    title = "Battery and temperatures"
    platforms = frozenset({"linux", "windows", "darwin"})
    timeout_s = 3.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        if host.platform == "linux":
            self._linux(ctx, section)
        elif host.is_local:
            self._psutil(section)
        else:
            section.skip("power", f"reading the battery of a remote {host.platform} host is not supported")

    def _linux(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        d = cast(PowerData, section.data)
        bats, mains = batteries_from_uevents(read_uevents(host))
        if bats:
            d["batteries"] = bats
            d["battery"] = bats[0]
        else:
            section.skip("battery", "no battery (a desktop, server or virtual machine)")
        if mains is not None:
            d["plugged_in"] = mains
        ctx.cancel.raise_if_cancelled()
        values = sysfs_values(host, [f"{HWMON}/hwmon*/name", f"{HWMON}/hwmon*/temp*_input",
                                     f"{HWMON}/hwmon*/temp*_label", f"{HWMON}/hwmon*/temp*_max",
                                     f"{HWMON}/hwmon*/temp*_crit"])
        temps = temperatures_from_sysfs(values)
        if not temps:
            temps = temperatures_from_sysfs(sysfs_values(host, [f"{THERMAL}/thermal_zone*/temp",
                                                                f"{THERMAL}/thermal_zone*/type"]))
        if temps:
            d["temperatures"] = temps
        else:
            section.skip("temperatures", "no temperature sensors exposed (common in virtual machines)")

    def _psutil(self, section: Section) -> None:
        import psutil

        d = cast(PowerData, section.data)
        try:
            b = psutil.sensors_battery()
        except (AttributeError, NotImplementedError, OSError):
            b = None
        if b is None:
            section.skip("battery", "no battery (a desktop, server or virtual machine)")
        else:
            left = b.secsleft if isinstance(b.secsleft, int) and b.secsleft >= 0 else None
            bat: Battery = {"name": "battery", "percent": round(b.percent, 1),
                   "status": "charging" if b.power_plugged else "discharging", "health_percent": None,
                   "cycle_count": None, "technology": None, "manufacturer": None, "model": None,
                   "capacity_level": None, "health_status": None, "seconds_left": left}
            d["batteries"] = [bat]
            d["battery"] = bat
            if b.power_plugged is not None:
                d["plugged_in"] = bool(b.power_plugged)
        temps_fn = getattr(psutil, "sensors_temperatures", None)
        if temps_fn is None:
            section.skip("temperatures", "this platform does not expose temperature sensors to Deskside")
            return
        try:
            raw = temps_fn()
        except Exception as exc:
            section.skip("temperatures", f"the sensors could not be read: {exc}")
            return
        temps: list[Temperature] = [{"chip": chip, "label": e.label or chip, "celsius": round(e.current, 1),
                  "high": e.high or None, "critical": e.critical or None}
                 for chip, entries in raw.items() for e in entries]
        if temps:
            d["temperatures"] = temps
        else:
            section.skip("temperatures", "no temperature sensors exposed (common in virtual machines)")
