"""Deskside's result cache for the patch posture: reused when nothing changed, invalidated when a file apt depends
on changes. Runs the real `apt` of this machine through a counting wrapper around the real LocalHost."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from diagnostics.cancel import CancelToken
from diagnostics.host import CommandResult, LocalHost
from diagnostics.updates import apt, cache
from diagnostics.updates.common import SourceResult
from diagnostics.updates.posture import PendingUpdate
from diagnostics.updates.scan import Paths, scan_posture
from tests.conftest import need


class CountingHost:
    """The real local host, counting the commands run through it."""

    def __init__(self) -> None:
        self.inner = LocalHost()
        self.name = self.inner.name
        self.is_local = True
        self.platform = self.inner.platform
        self.commands: list[list[str]] = []

    def run(self, argv: list[str], timeout: float = 10.0, cancel: CancelToken | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        self.commands.append(list(argv))
        return self.inner.run(argv, timeout=timeout, cancel=cancel, env=env)

    def read_file(self, path: str, max_bytes: int = 16 << 20) -> bytes | None:
        return self.inner.read_file(path, max_bytes)

    def which(self, program: str) -> str | None:
        return self.inner.which(program)

    def apt_runs(self) -> int:
        return sum(1 for c in self.commands if c[:2] == ["apt", "list"])


def _without_volatile(d: dict) -> dict:  # type: ignore[type-arg]
    d = dict(d)
    for k in ("collected_at", "from_cache", "cache"):
        d.pop(k)
    return d


def test_second_run_reuses_the_result_and_a_changed_dependency_invalidates_it(tmp_path: Path) -> None:
    need(shutil.which("apt") is not None, "apt (Debian/Ubuntu)")
    # A stand-in for /var/lib/dpkg/status, so that other software installing packages during the test cannot
    # change the key under us; everything else is the real apt configuration and package lists.
    status = tmp_path / "status"
    status.write_text("Package: demo\n")
    paths = Paths(dpkg_status=str(status))
    cache_dir = tmp_path / "cache"
    host = CountingHost()

    first = scan_posture(host, cache_dir=cache_dir, paths=paths)
    assert host.apt_runs() == 1 and not first.from_cache
    assert list(cache_dir.glob("updates-*.json"))

    second = scan_posture(host, cache_dir=cache_dir, paths=paths)
    assert host.apt_runs() == 1, "apt ran again although nothing changed"
    assert second.from_cache
    assert _without_volatile(second.to_dict()) == _without_volatile(first.to_dict())

    status.write_text("Package: demo\nPackage: another\n")  # dpkg installed something
    os.utime(status, (1_700_000_000, 1_700_000_000))
    third = scan_posture(host, cache_dir=cache_dir, paths=paths)
    assert host.apt_runs() == 2 and not third.from_cache

    fourth = scan_posture(host, cache_dir=None, paths=paths)  # no cache dir: always asks apt
    assert host.apt_runs() == 3 and not fourth.from_cache


def test_default_key_covers_dpkg_status_and_package_lists() -> None:
    paths, globs = apt.fingerprint_spec()
    assert "/var/lib/dpkg/status" in paths and "/var/lib/apt/lists" in paths
    assert "/etc/apt/preferences.d" in paths and "/etc/apt/sources.list.d/*" in globs
    assert "/var/cache/apt/pkgcache.bin" not in paths  # derived from the others; apt rewrites it itself
    assert "/var/lib/apt/lists/*_Packages*" in globs


def test_cache_file_round_trip_and_corruption(tmp_path: Path) -> None:
    r = SourceResult("apt", pending=[PendingUpdate(name="openssl", manager="apt", installed="3.0.11-1",
                                                   candidate="3.0.13-1", source="bookworm-security", security=True)])
    key = cache.make_key({"a": 1}, {"/x": (1.0, 2)})
    assert key != cache.make_key({"a": 1}, {"/x": (1.5, 2)})  # an mtime change is a new key
    cache.save(tmp_path, "my host/1", key, [r])
    loaded = cache.load(tmp_path, "my host/1", key)
    assert loaded is not None and loaded[0].pending == r.pending
    assert cache.load(tmp_path, "my host/1", "other-key") is None
    assert cache.load(tmp_path, "my host/1", key, now=10**12) is None  # expired
    cache.cache_file(tmp_path, "my host/1").write_text("{not json")
    assert cache.load(tmp_path, "my host/1", key) is None  # corrupt: collect afresh, no exception
    assert cache.cache_file(tmp_path, "my host/1").name == "updates-my_host_1.json"
