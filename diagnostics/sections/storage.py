"""The `storage` section: one row per real mount, with its size and inode use."""

from typing import NotRequired, Required, TypedDict


class Mount(TypedDict, total=False):
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
    # the size, once measured (a mount that could not be measured has a skip instead)
    total: NotRequired[int]
    used: NotRequired[int]
    free: NotRequired[int]
    percent: NotRequired[float]
    inodes_total: NotRequired[int | None]  # None: the filesystem has no fixed inode table
    inodes_used: NotRequired[int | None]
    inodes_free: NotRequired[int | None]
    inodes_percent: NotRequired[float | None]


class StorageData(TypedDict, total=False):
    mounts: Required[list[Mount]]
    pseudo_mounts_ignored: Required[int]  # /proc, /sys, tmpfs helpers, bind-mounted files... not listed
