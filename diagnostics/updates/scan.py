"""Build the patch posture of a host: which package managers, what is pending, what is security, reboot, end of
life, cache age and confidence. Used by the `updates` collector and reusable on its own (e.g. by a compliance run
over many hosts), since it only needs a `Host`."""

from __future__ import annotations

import datetime as dt
import fnmatch
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cancel import CancelToken
from ..host import Host, decode
from . import apt, cache, eol, reboot
from .common import SourceResult, stat_paths
from .posture import (
    CACHE_STALE_DAYS,
    CACHE_VERY_STALE_DAYS,
    NO_MANAGER,
    CacheAge,
    Confidence,
    Posture,
    SourceSkip,
)

# Detection order: the system package managers, then the app stores.
SYSTEM_MANAGERS = ("apt", "dnf", "zypper", "pacman")
APP_MANAGERS = ("flatpak", "snap")
_DETECT: dict[str, tuple[str, ...]] = {
    "apt": ("apt",), "dnf": ("dnf", "dnf5", "yum"), "zypper": ("zypper",), "pacman": ("pacman",),
    "flatpak": ("flatpak",), "snap": ("snap",),
}


@dataclass
class Paths:
    """Where the scan looks; tests point these at temporary directories."""

    os_release: tuple[str, ...] = ("/etc/os-release", "/usr/lib/os-release")
    run_dir: str = reboot.RUN_DIR
    boot_dir: str = reboot.BOOT_DIR
    modules_dirs: tuple[str, ...] = reboot.MODULES_DIRS
    distro_info_dir: str = eol.DISTRO_INFO_DIR
    apt_lists: str = apt.LISTS_DIR
    dpkg_status: str = apt.DPKG_STATUS

    @property
    def reboot_flag(self) -> str:
        return f"{self.run_dir}/{reboot.FLAG}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def running_kernel(host: Host, cancel: CancelToken | None = None) -> str | None:
    if host.is_local:
        if hasattr(os, "uname"):
            return os.uname().release or None
        import platform

        return platform.release() or None
    res = host.run(["uname", "-r"], timeout=5.0, cancel=cancel)
    return res.stdout.strip() or None if res.ok else None


def read_os_release(host: Host, paths: Paths) -> dict[str, str]:
    for p in paths.os_release:
        data = host.read_file(p, max_bytes=65536)
        if data:
            return eol.parse_os_release(decode(data))
    return {}


def detect_managers(host: Host) -> list[str]:
    return [m for m in (*SYSTEM_MANAGERS, *APP_MANAGERS) if any(host.which(p) for p in _DETECT[m])]


def _mod(manager: str) -> Any:
    """A source module, imported only when its manager is present (keeps the common case cheap)."""
    return importlib.import_module(f"{__package__}.{manager}")


def _specs(manager: str, paths: Paths) -> tuple[list[str], list[str]]:
    if manager == "apt":
        return apt.fingerprint_spec(paths.apt_lists, paths.dpkg_status)
    mod = _mod(manager)
    return list(mod.FINGERPRINT_PATHS), list(mod.FINGERPRINT_GLOBS)


def _age_specs(manager: str, paths: Paths) -> tuple[list[str], list[str]]:
    if manager == "apt":
        return apt.cache_age_spec(paths.apt_lists)
    mod = _mod(manager)
    return list(mod.CACHE_AGE_PATHS), list(mod.CACHE_AGE_GLOBS)


def _collect_one(manager: str, host: Host, cancel: CancelToken | None, allow_network: bool,
                 paths: Paths) -> SourceResult:
    if manager == "apt":
        return apt.collect(host, cancel, lists_dir=paths.apt_lists)
    if manager in APP_MANAGERS:
        result: SourceResult = _mod(manager).collect(host, cancel, allow_network=allow_network)
        return result
    collect: Callable[[Host, CancelToken | None], SourceResult] = _mod(manager).collect
    return collect(host, cancel)


def cache_age(manager: str, stats: dict[str, tuple[float, int]], now: dt.datetime) -> CacheAge:
    age = CacheAge(manager=manager)
    if not stats:
        age.stale = True
        return age
    path, (mtime, _size) = max(stats.items(), key=lambda kv: kv[1][0])
    age.path = path
    age.updated_at = dt.datetime.fromtimestamp(mtime, dt.UTC).isoformat(timespec="seconds")
    age.age_days = round(max(0.0, (now.timestamp() - mtime) / 86400), 2)
    age.stale = age.age_days > CACHE_STALE_DAYS
    return age


def _age_from_iso(manager: str, iso: str | None, now: dt.datetime) -> CacheAge:
    if not iso:
        return CacheAge(manager=manager, stale=True)
    when = dt.datetime.fromisoformat(iso)
    days = round(max(0.0, (now - when).total_seconds() / 86400), 2)
    return CacheAge(manager=manager, updated_at=iso, age_days=days, stale=days > CACHE_STALE_DAYS)


def assess_confidence(posture: Posture, results: list[SourceResult]) -> Confidence:
    level = 2  # 2 high, 1 medium, 0 low
    reasons: list[str] = []

    def lower(to: int, why: str) -> None:
        nonlocal level
        level = min(level, to)
        if why not in reasons:
            reasons.append(why)

    if not posture.managers:
        lower(0, "no supported package manager was found")
    for r in results:
        if not r.ok and r.manager in (*SYSTEM_MANAGERS, "windows", "macos"):
            lower(0, f"the pending updates of {r.manager} could not be read")
        elif not r.ok and r.manager == "flatpak":
            lower(1, "flatpak apps were not checked")
        if r.ok and not r.security_data:
            lower(1, f"{r.manager} has no security data: security updates cannot be told apart")
        for note in r.notes:
            if "no package lists" in note or "no metadata cache" in note:
                lower(0, note)
    for c in posture.cache:
        if c.age_days is None:
            if c.manager in (*SYSTEM_MANAGERS, "windows", "macos"):
                lower(0, f"the {c.manager} package cache is missing: the pending list may be incomplete")
        elif c.age_days > CACHE_VERY_STALE_DAYS:
            lower(0, f"the {c.manager} package cache is {c.age_days:.0f} days old: the pending list is probably "
                     "incomplete")
        elif c.age_days > CACHE_STALE_DAYS:
            lower(1, f"the {c.manager} package cache is {c.age_days:.0f} days old: the pending list may be "
                     "incomplete")
    return Confidence(level=("low", "medium", "high")[level], reasons=reasons)


def scan_posture(
    host: Host, *, cancel: CancelToken | None = None, cache_dir: Path | None = None, allow_network: bool = False,
    paths: Paths | None = None, now: dt.datetime | None = None,
) -> Posture:
    now = now or _now()
    paths = paths or Paths()
    posture = Posture(host=host.name, collected_at=now.isoformat(timespec="seconds"), platform=host.platform)
    if host.platform == "windows":
        _scan_windows(host, posture, cancel, now)
    elif host.platform == "darwin":
        _scan_macos(host, posture, cancel, now, allow_network)
    else:
        _scan_linux(host, posture, cancel, now, cache_dir, allow_network, paths)
    posture.recount()
    return posture


def _finish(posture: Posture, results: list[SourceResult]) -> None:
    for r in results:
        if r.ok:
            posture.checked.append(r.manager)
        posture.pending.extend(r.pending)
        posture.security_data[r.manager] = r.security_data and r.ok
        posture.skipped.extend(r.skips)
    posture.confidence = assess_confidence(posture, results)


def _scan_linux(host: Host, posture: Posture, cancel: CancelToken | None, now: dt.datetime,
                cache_dir: Path | None, allow_network: bool, paths: Paths) -> None:
    osr = read_os_release(host, paths)
    kernel = running_kernel(host, cancel)
    posture.managers = detect_managers(host)
    queried = [m for m in posture.managers if m in SYSTEM_MANAGERS or allow_network]
    if not any(m in SYSTEM_MANAGERS for m in posture.managers):
        # Say so: an empty pending list here means "not checked", not "up to date".
        posture.skipped.append(SourceSkip(NO_MANAGER, f"none of {', '.join(SYSTEM_MANAGERS)} was found, so the "
                                                      "pending system updates could not be listed"))

    # One stat pass gives both the result-cache key and the cache ages.
    want_paths: list[str] = list(paths.os_release)
    want_globs: list[str] = []
    for m in queried:
        p, g = _specs(m, paths)
        want_paths += p
        want_globs += g
    for m in posture.managers:
        if m in SYSTEM_MANAGERS:
            p, g = _age_specs(m, paths)
            want_paths += p
            want_globs += g
    stats = stat_paths(host, list(dict.fromkeys(want_paths)), list(dict.fromkeys(want_globs)), cancel)

    key_stats = {}
    for m in queried:
        p, g = _specs(m, paths)
        key_stats.update({k: v for k, v in stats.items() if k in p or any(_glob_match(k, pat) for pat in g)})
    key_stats.update({k: v for k, v in stats.items() if k in paths.os_release})
    key = cache.make_key({"host": host.name, "managers": posture.managers, "queried": queried,
                          "kernel": kernel, "network": allow_network}, key_stats)
    results = cache.load(cache_dir, host.name, key)
    if results is not None:
        posture.from_cache = True
    else:
        results = []
        for m in posture.managers:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if m in queried:
                results.append(_collect_one(m, host, cancel, allow_network, paths))
            else:
                r = SourceResult(m, ok=False, security_data=False)
                r.skip(_mod(m).NETWORK_SKIP)
                results.append(r)
        cache.save(cache_dir, host.name, key, results)

    for m in posture.managers:
        if m in SYSTEM_MANAGERS:
            p, g = _age_specs(m, paths)
            mine = {k: v for k, v in stats.items() if k in p or any(_glob_match(k, pat) for pat in g)}
            posture.cache.append(cache_age(m, mine, now))
    _finish(posture, results)

    posture.reboot = reboot.check(host, kernel, uses_reboot_file="apt" in posture.managers,
                                  run_dir=paths.run_dir, boot_dir=paths.boot_dir, modules_dirs=paths.modules_dirs)
    posture.eol = eol.lookup(osr.get("ID"), osr.get("VERSION_ID"), now.date(), host=host,
                             distro_info_dir=paths.distro_info_dir, name=osr.get("PRETTY_NAME"))


def _glob_match(path: str, pattern: str) -> bool:
    return fnmatch.fnmatch(path, pattern)


def _scan_windows(host: Host, posture: Posture, cancel: CancelToken | None, now: dt.datetime) -> None:
    from . import windows

    posture.managers = ["windows"]
    result, search = windows.collect(host, cancel)
    if search is not None:
        posture.cache.append(_age_from_iso("windows", search.last_search, now))
        if search.reboot_pending is not None:
            posture.reboot.required = search.reboot_pending
            if search.reboot_pending:
                posture.reboot.reasons.append("Windows Update is waiting for a restart to finish installing")
        posture.eol = eol.lookup("windows", search.version, now.date(), name=search.product)
    _finish(posture, [result])


def _scan_macos(host: Host, posture: Posture, cancel: CancelToken | None, now: dt.datetime,
                allow_network: bool) -> None:
    from . import macos

    posture.managers = ["macos"]
    result, last_check = macos.collect(host, cancel, allow_network=allow_network)
    posture.cache.append(_age_from_iso("macos", last_check, now))
    res = host.run(["sw_vers", "-productVersion"], timeout=5.0, cancel=cancel)
    version = res.stdout.strip() if res.ok else None
    posture.eol = eol.lookup("macos", version, now.date(), name=f"macOS {version}" if version else None)
    if any(p.reboot for p in result.pending):
        posture.reboot.reasons.append("installing the pending macOS updates needs a restart")
    _finish(posture, [result])


__all__ = ["Paths", "SourceSkip", "scan_posture"]
