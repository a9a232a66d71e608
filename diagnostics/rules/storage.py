"""Storage health: full disks, exhausted inodes, read-only filesystems, network mounts that do not answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ..model import Finding, Report, Severity
from ..sections import read
from ..sections.storage import Mount
from .helpers import human_bytes, shell_word

DISK_WARNING_PERCENT = 90.0
DISK_CRITICAL_PERCENT = 97.0
ROOT_MIN_FREE_BYTES = 1024**3  # less than 1 GiB free on / is critical whatever the percentage
INODES_WARNING_PERCENT = 90.0
INODES_CRITICAL_PERCENT = 97.0

SECTION: Final = "storage"


def _mounts(report: Report) -> list[Mount]:
    d = read(report, SECTION)
    if not d:
        return []
    return [m for m in d.get("mounts", []) if m["mountpoint"]]


def _measured(m: Mount) -> bool:
    return m.get("total", 0) > 0 and "percent" in m


def _label(m: Mount) -> str:
    mp = m["mountpoint"]
    if m.get("network"):
        return f"Network drive {mp}"
    return f"Disk {mp}"


def _cleanup_fix(m: Mount) -> str:
    mp = str(m["mountpoint"])
    if m.get("network"):
        return (f"{mp} is a network share: delete or move files you no longer need from it, or ask whoever "
                "runs the file server for more space.")
    if m.get("fstype") == "tmpfs":
        return (f"{mp} is kept in memory and emptied at restart. Close programs you do not need and restart the "
                f"computer, or delete large files in {mp} (for example with your file manager).")
    if mp == "/boot" or mp.startswith("/boot/"):
        return ("Old kernels fill /boot. Remove the ones no longer used: on Debian or Ubuntu run "
                "'sudo apt autoremove --purge', on Fedora 'sudo dnf remove --oldinstallonly'. Then restart.")
    if mp.startswith(("/media/", "/run/media/", "/mnt/")):
        return f"Delete or move files you no longer need from the drive mounted at {mp}."
    tips = ("Empty the Trash, delete or move big files from Downloads and Videos, and uninstall programs you no "
            "longer use. To see what takes the space open 'Disk Usage Analyzer' or run "
            f"'sudo du -xh --max-depth=2 {shell_word(mp)} | sort -h | tail -20'.")
    if mp in ("/", "/var"):
        tips += (" Package caches and old logs can go too: 'sudo apt clean' (or 'sudo dnf clean all') and "
                 "'sudo journalctl --vacuum-size=200M'.")
    return tips


def disk_full(report: Report) -> Iterable[Finding]:
    for m in _mounts(report):
        if not _measured(m) or m.get("same_device_as") or m.get("read_only_expected"):
            continue
        pct = float(m["percent"])
        free = float(m.get("free") or 0)
        root_low = m["mountpoint"] == "/" and free < ROOT_MIN_FREE_BYTES
        if pct >= DISK_CRITICAL_PERCENT or root_low:
            sev = Severity.CRITICAL
        elif pct >= DISK_WARNING_PERCENT:
            sev = Severity.WARNING
        else:
            continue
        title = f"{_label(m)} is {int(pct)}% full"  # rounded down: "100% full" only when nothing is left
        if root_low and pct < DISK_CRITICAL_PERCENT:
            title = f"{_label(m)} has only {human_bytes(free)} free"
        yield Finding(
            id="storage.disk_full",
            severity=sev,
            title=title,
            evidence=[
                f"{m['mountpoint']} ({m.get('device', '?')}, {m.get('fstype', '?')}): "
                f"{human_bytes(float(m.get('used') or 0))} used of {human_bytes(float(m['total']))}, "
                f"{human_bytes(free)} free ({pct:.1f}% used)",
                f"warning at {DISK_WARNING_PERCENT:g}%, critical at {DISK_CRITICAL_PERCENT:g}%"
                + (" or under 1 GiB free on /" if m["mountpoint"] == "/" else ""),
            ],
            fix=_cleanup_fix(m)
            + " When a disk is completely full, programs cannot save files and the system may not start.",
            section=SECTION,
            incident_type="technical failure",
            self_service=True,
        )


def inodes_exhausted(report: Report) -> Iterable[Finding]:
    for m in _mounts(report):
        pct = m.get("inodes_percent")
        if pct is None or m.get("same_device_as") or m.get("read_only_expected"):
            continue
        if pct >= INODES_CRITICAL_PERCENT:
            sev = Severity.CRITICAL
        elif pct >= INODES_WARNING_PERCENT:
            sev = Severity.WARNING
        else:
            continue
        mp = m["mountpoint"]
        yield Finding(
            id="storage.inodes_full",
            severity=sev,
            title=f"{_label(m)} has almost no room left for new files ({pct:.0f}% of file slots used)",
            evidence=[
                f"{mp}: {m.get('inodes_used')} of {m.get('inodes_total')} inodes used ({pct:.1f}%)",
                f"space used: {m.get('percent', '?')}%",
                f"warning at {INODES_WARNING_PERCENT:g}%, critical at {INODES_CRITICAL_PERCENT:g}%",
            ],
            fix=("Millions of tiny files (caches, mail queues, old session or thumbnail files) use up the "
                 "filesystem's file slots even when space is left. Find the folders with the most files with "
                 f"'sudo du --inodes -x {shell_word(mp)} | sort -n | tail -20' and delete the cache or temporary "
                 "files there "
                 "(for example ~/.cache). If you are unsure what may be deleted, ask your IT support."),
            section=SECTION,
            incident_type="technical failure",
            self_service=False,
        )


def _in_container(report: Report) -> bool:
    sysd = read(report, "system")
    if sysd is None:
        return False
    virt = sysd.get("virtualization")
    return bool(virt and virt["container"])


def read_only(report: Report) -> Iterable[Finding]:
    for m in _mounts(report):
        if not m.get("read_only") or m.get("read_only_expected"):
            continue
        mp = m["mountpoint"]
        ev = [f"{mp} ({m.get('device', '?')}, {m.get('fstype', '?')}) is mounted read-only"]
        if mp == "/":
            container = _in_container(report)
            if container:
                ev.append("this system runs in a container, whose root may be read-only on purpose")
            yield Finding(
                id="storage.root_read_only",
                severity=Severity.WARNING if container else Severity.CRITICAL,
                title="The system disk is read-only: nothing can be saved or installed",
                evidence=ev,
                fix=("Linux switches the system disk to read-only when it finds errors on it, to protect your data. "
                     "Save your work to a USB stick or network drive if you can, then restart. If the problem comes "
                     "back, the disk may be failing: contact IT support, who will check it ('sudo dmesg', "
                     "'sudo fsck' from a rescue system) and replace it if needed."),
                section=SECTION,
                incident_type="technical failure",
                self_service=False,
            )
        elif m.get("in_fstab") and not m.get("fstab_read_only"):
            ev.append("/etc/fstab mounts it read-write, so it was switched to read-only later (usually after errors)")
            yield Finding(
                id="storage.read_only_mount",
                severity=Severity.WARNING,
                title=f"{_label(m)} has become read-only",
                evidence=ev,
                fix=(f"Files on {mp} can be read but not changed. Copy anything important off it, then restart. "
                     "If it stays read-only the disk probably has errors: IT support can check it with "
                     "'sudo dmesg' and repair it with 'sudo fsck'."),
                section=SECTION,
                incident_type="technical failure",
                self_service=False,
            )


def unresponsive(report: Report) -> Iterable[Finding]:
    for m in _mounts(report):
        if not m.get("unresponsive"):
            continue
        mp = m["mountpoint"]
        yield Finding(
            id="storage.mount_unresponsive",
            severity=Severity.WARNING,
            title=f"{_label(m)} is not responding",
            evidence=[f"{mp} ({m.get('device', '?')}, {m.get('fstype', '?')}) did not answer a size query in time"],
            fix=("Programs that open this drive will hang. Check that the network (and VPN, if you use one) is "
                 "connected and the file server is on. If it still does not answer, unmount it "
                 f"('sudo umount -l {shell_word(mp)}')"
                 " or restart the computer."),
            section=SECTION,
            incident_type="technical failure",
            self_service=True,
        )


RULES = [disk_full, inodes_exhausted, read_only, unresponsive]
