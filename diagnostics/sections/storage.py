"""The `storage` section: one row per real mount, with its size and inode use."""

from typing import NotRequired, Required, TypedDict


class MountSize(TypedDict, total=False):
    """The size of a mount, once measured (one that could not be measured has a skip instead)."""

    total: int
    used: int
    free: int
    percent: float
    inodes_total: int | None  # None: the filesystem has no fixed inode table
    inodes_used: int | None
    inodes_free: int | None
    inodes_percent: float | None


class Mount(MountSize, total=False):
    mountpoint: Required[str]
    device: Required[str]
    fstype: Required[str]
    read_only: Required[bool]
    read_only_expected: Required[bool]  # read-only by design (squashfs, a sealed macOS system volume, fstab "ro")
    network: Required[bool]
    in_fstab: Required[bool]
    fstab_read_only: Required[bool]
    same_device_as: NotRequired[str]  # a bind mount of a device already listed under this mountpoint
    unresponsive: NotRequired[bool]  # the size query did not answer in time


class StorageData(TypedDict, total=False):
    mounts: Required[list[Mount]]
    pseudo_mounts_ignored: Required[int]  # /proc, /sys, tmpfs helpers, bind-mounted files... not listed
