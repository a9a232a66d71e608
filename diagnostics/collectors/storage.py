"""Storage: every real mount with its device, filesystem, size, use, inodes and read-only flag.

Pseudo filesystems (proc, sysfs, cgroup...) are left out; tmpfs is kept only where a full one hurts (/tmp, /var/tmp,
/dev/shm, /run, /run/user/N). Each mount is measured in its own thread with a short timeout, so a dead network
mount becomes a skip ("did not answer") instead of a hang.

Local machine: /proc/self/mounts (Linux) or psutil (Windows, macOS) plus os.statvfs. Remote Linux host:
/proc/mounts and `df -P` through `ctx.host`.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable
from typing import Any, cast

from common.deadline import Ended, start, watch
from common.text import clean_text

from ..cancel import Cancelled, CancelToken
from ..host import Host, decode
from ..model import Section
from ..sections.storage import Mount, MountSize, StorageData
from .base import CollectContext, Collector

STATVFS_TIMEOUT_S = 1.5  # all mounts are measured in parallel; whatever has not answered by then is skipped
DF_TIMEOUT_S = 3.0  # remote `df`

PSEUDO_FS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "pstore", "debugfs", "tracefs",
    "configfs", "fusectl", "mqueue", "hugetlbfs", "bpf", "binfmt_misc", "autofs", "rpc_pipefs", "nsfs",
    "efivarfs", "selinuxfs", "ramfs", "nfsd", "fuse.gvfsd-fuse", "fuse.portal", "fuse.lxcfs", "fuse.snapfuse",
    "squashfs", "devfs", "overlay.ignore", "none", "rootfs", "sockfs", "pipefs", "zfs.snapshot",
})
TMPFS_KEPT = re.compile(r"^(/tmp|/var/tmp|/dev/shm|/run|/run/user/\d+)$")
NETWORK_FS = frozenset({
    "nfs", "nfs4", "cifs", "smbfs", "smb3", "fuse.sshfs", "sshfs", "9p", "ceph", "glusterfs", "fuse.glusterfs",
    "davfs", "fuse.davfs2", "fuse.rclone", "afs", "lustre", "gpfs", "fuse.s3fs",
})
CONTAINER_FILE_MOUNTS = frozenset({"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/localtime",
                                   "/run/.containerenv", "/.dockerenv"})
READ_ONLY_BY_DESIGN = frozenset({"iso9660", "udf", "erofs", "cramfs", "squashfs"})


def read_text(host: Host, path: str, max_bytes: int = 1 << 20) -> str | None:
    raw = host.read_file(path, max_bytes)
    if raw is None:
        return None
    # Locally, keep the exact bytes of a path that is not UTF-8 (surrogateescape), so os.statvfs() finds the mount;
    # the runner shows such bytes as U+FFFD in the report.
    return raw.decode("utf-8", "surrogateescape") if host.is_local else decode(raw)


def _unescape(field: str) -> str:
    """Mount tables escape space, tab, newline and backslash as octal (\\040...)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(text: str) -> list[dict[str, Any]]:
    """/proc/mounts or /etc/fstab lines as dicts (device, mountpoint, fstype, options)."""
    text = clean_text(text)
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 3:
            continue
        opts = parts[3].split(",") if len(parts) > 3 else []
        out.append({"device": _unescape(parts[0]), "mountpoint": _unescape(parts[1]), "fstype": parts[2],
                    "options": opts})
    return out


def is_real(m: dict[str, Any]) -> bool:
    fstype, mp = m["fstype"], m["mountpoint"]
    if fstype == "tmpfs":
        return bool(TMPFS_KEPT.match(mp))
    if fstype in PSEUDO_FS:
        return False
    if mp.startswith(("/proc/", "/sys/", "/dev/")) and mp != "/dev/shm":
        return False
    return mp.startswith("/") or (len(mp) >= 2 and mp[1] == ":")  # POSIX path or a Windows drive


def select_mounts(mounts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The real mounts, one per mountpoint (the last one mounted is the one visible), and how many were left out."""
    by_mp: dict[str, dict[str, Any]] = {}
    ignored = 0
    for m in mounts:
        if not is_real(m):
            ignored += 1
            continue
        if m["mountpoint"] in by_mp:
            ignored += 1
            del by_mp[m["mountpoint"]]  # re-insert so the order follows the visible mount
        by_mp[m["mountpoint"]] = m
    return list(by_mp.values()), ignored


def usage_from_statvfs(st: os.statvfs_result) -> tuple[MountSize, bool]:
    """The size and inode use of a mount, and whether statvfs says it is read-only."""
    frsize = st.f_frsize or st.f_bsize
    total = st.f_blocks * frsize
    used = (st.f_blocks - st.f_bfree) * frsize
    free = st.f_bavail * frsize
    usable = used + free
    out: MountSize = {
        "total": total, "used": used, "free": free,
        "percent": round(100.0 * used / usable, 1) if usable else 0.0,
    }
    out.update(inodes(st.f_files, st.f_files - st.f_ffree, st.f_favail))
    flag_ro = getattr(os, "ST_RDONLY", 1)
    return out, bool(st.f_flag & flag_ro)


def inodes(total: int, used: int, free: int) -> MountSize:
    if total <= 0:  # btrfs, some FUSE and network filesystems have no fixed inode table
        return {"inodes_total": None, "inodes_used": None, "inodes_free": None, "inodes_percent": None}
    usable = used + free
    return {"inodes_total": total, "inodes_used": used, "inodes_free": free,
            "inodes_percent": round(100.0 * used / usable, 1) if usable else 0.0}


def parse_df(text: str) -> dict[str, tuple[int, int, int]]:
    """POSIX `df -P` output: mountpoint -> (total, used, available) in the command's units."""
    text = clean_text(text)
    out: dict[str, tuple[int, int, int]] = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 6:
            continue
        # the device may contain spaces only in odd cases; the mountpoint (last) may: take fields from the left
        try:
            total, used, avail = int(parts[1]), int(parts[2]), int(parts[3])
        except ValueError:
            continue
        out[" ".join(parts[5:])] = (total, used, avail)
    return out


def _measure_all(measure: Callable[[str], Any], what: str, paths: list[str], timeout: float,
                 cancel: CancelToken | None) -> dict[str, Any]:
    """`measure(path)` for every path, each in its own daemon thread (a hung NFS mount must not keep the process
    alive): path -> its value or its OSError; a path that has not answered within `timeout` seconds is left out."""
    running = {p: start(functools.partial(measure, p), name=f"{what}:{p}") for p in paths}
    results: dict[str, Any] = {}
    for p, ended in watch(running, until=time.monotonic() + timeout, cancel=cancel):
        if ended is Ended.CANCELLED:
            raise Cancelled("cancelled by the user")
        if ended is Ended.DONE:
            try:
                results[p] = running[p].result()
            except OSError as exc:
                results[p] = exc
    return results


def _statvfs_all(paths: list[str], timeout: float, cancel: CancelToken | None = None) -> dict[str, Any]:
    """statvfs every path (see `_measure_all`)."""
    return _measure_all(os.statvfs, "statvfs", paths, timeout, cancel)


def _disk_usage_all(paths: list[str], timeout: float, cancel: CancelToken | None = None) -> dict[str, Any]:
    """psutil.disk_usage (Windows has no statvfs) for every path (see `_measure_all`)."""
    import psutil

    return _measure_all(psutil.disk_usage, "disk_usage", paths, timeout, cancel)


class StorageCollector(Collector):
    name = "storage"
    title = "Storage"
    platforms = frozenset({"linux", "windows", "darwin"})
    timeout_s = 4.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        if host.platform == "linux":
            text = read_text(host, "/proc/self/mounts") if host.is_local else None
            if text is None:
                text = read_text(host, "/proc/mounts")
            if text is None:
                section.skip("mounts", "the mount table (/proc/mounts) could not be read")
                return
            all_mounts = parse_mounts(text)
        elif host.is_local:
            import psutil

            all_mounts = [{"device": p.device, "mountpoint": p.mountpoint, "fstype": p.fstype,
                           "options": p.opts.split(",")} for p in psutil.disk_partitions(all=False)]
        else:
            section.skip("mounts", f"reading the disks of a remote {host.platform} host is not supported")
            return
        if host.platform == "darwin":
            # APFS helper volumes (Preboot, VM, Update...) share the container with the Data volume: noise.
            all_mounts = [m for m in all_mounts if not m["mountpoint"].startswith("/System/Volumes/")
                          or m["mountpoint"] == "/System/Volumes/Data"]
        mounts, ignored = select_mounts(all_mounts)
        # Files bind-mounted into a container (/etc/hosts, /etc/resolv.conf...) are not disks. Only local, non-network
        # mountpoints are looked at: a stat() of a dead network mount would hang.
        files = [m for m in mounts if m["mountpoint"] in CONTAINER_FILE_MOUNTS or (
            host.is_local and host.platform == "linux" and m["fstype"] not in NETWORK_FS
            and not m["fstype"].startswith(("nfs", "fuse", "cifs", "smb"))
            and os.path.exists(m["mountpoint"]) and not os.path.isdir(m["mountpoint"]))]
        mounts = [m for m in mounts if m not in files]
        ignored += len(files)
        fstab: dict[str, list[str]] = {}
        if host.platform == "linux":
            ft = read_text(host, "/etc/fstab")
            for e in parse_mounts(ft or ""):
                fstab[e["mountpoint"]] = e["options"]
        rows: list[Mount] = []
        data = cast(StorageData, section.data)
        data["mounts"] = rows
        data["pseudo_mounts_ignored"] = ignored
        first_of_device: dict[str, str] = {}
        for m in mounts:
            ro = "ro" in m["options"]
            row: Mount = {
                "mountpoint": m["mountpoint"], "device": m["device"], "fstype": m["fstype"],
                "read_only": ro,
                "read_only_expected": m["fstype"] in READ_ONLY_BY_DESIGN
                or (ro and "ro" in fstab.get(m["mountpoint"], []))
                # macOS: the system volume is sealed read-only by design
                or (host.platform == "darwin" and ro and not m["mountpoint"].startswith("/Volumes/")),
                "network": m["fstype"] in NETWORK_FS or m["fstype"].startswith("nfs")
                or m["device"].startswith("//"),
                "in_fstab": m["mountpoint"] in fstab,
                "fstab_read_only": "ro" in fstab.get(m["mountpoint"], []),
            }
            dev = m["device"]
            if dev.startswith("/") and dev in first_of_device:
                row["same_device_as"] = first_of_device[dev]
            elif dev.startswith("/"):
                first_of_device[dev] = m["mountpoint"]
            rows.append(row)
        ctx.cancel.raise_if_cancelled()
        if host.is_local:
            self._measure_local(ctx, rows, section)
        else:
            self._measure_remote(ctx, rows, section)

    def _measure_local(self, ctx: CollectContext, rows: list[Mount], section: Section) -> None:
        paths = [r["mountpoint"] for r in rows]
        if hasattr(os, "statvfs"):
            results = _statvfs_all(paths, STATVFS_TIMEOUT_S, ctx.cancel)
            for r in rows:
                res = results.get(r["mountpoint"])
                if res is None:
                    r["unresponsive"] = True
                    section.skip(f"mount {r['mountpoint']}",
                                 f"did not answer within {STATVFS_TIMEOUT_S:g} s (a dead network mount?)")
                elif isinstance(res, OSError):
                    section.skip(f"mount {r['mountpoint']}", f"could not be measured: {res.strerror or res}")
                else:
                    u, statvfs_read_only = usage_from_statvfs(res)
                    if statvfs_read_only:
                        r["read_only"] = True
                    r.update(u)
        else:
            results = _disk_usage_all(paths, STATVFS_TIMEOUT_S, ctx.cancel)
            for r in rows:
                res = results.get(r["mountpoint"])
                if res is None:
                    r["unresponsive"] = True
                    section.skip(f"mount {r['mountpoint']}", f"did not answer within {STATVFS_TIMEOUT_S:g} s")
                elif isinstance(res, OSError):
                    section.skip(f"mount {r['mountpoint']}", f"could not be measured: {res}")
                else:
                    r.update({"total": res.total, "used": res.used, "free": res.free,
                              "percent": round(res.percent, 1)})
                    r.update(inodes(0, 0, 0))

    def _measure_remote(self, ctx: CollectContext, rows: list[Mount], section: Section) -> None:
        host = ctx.host
        paths = [r["mountpoint"] for r in rows]
        if not paths:
            return
        blocks = host.run(["df", "-P", "-k", "--", *paths], timeout=DF_TIMEOUT_S, cancel=ctx.cancel)
        if blocks.missing or blocks.timed_out or not blocks.stdout.strip():
            for r in rows:
                section.skip(f"mount {r['mountpoint']}", blocks.why_failed())
            return
        usage = parse_df(blocks.stdout)
        inode = host.run(["df", "-P", "-i", "--", *paths], timeout=DF_TIMEOUT_S, cancel=ctx.cancel)
        inode_usage = parse_df(inode.stdout) if inode.stdout else {}
        for r in rows:
            u = usage.get(r["mountpoint"])
            if u is None:
                section.skip(f"mount {r['mountpoint']}", "df did not report it")
                continue
            total, used, avail = (x * 1024 for x in u)
            usable = used + avail
            r.update({"total": total, "used": used, "free": avail,
                      "percent": round(100.0 * used / usable, 1) if usable else 0.0})
            iu = inode_usage.get(r["mountpoint"])
            r.update(inodes(iu[0], iu[1], iu[2]) if iu else inodes(0, 0, 0))
