"""Is a reboot needed to finish installed updates?

Two signs, both read-only: `/var/run/reboot-required` (written by Debian/Ubuntu packages, with the packages in
`reboot-required.pkgs`), and the running kernel (`uname -r`) against the newest kernel installed in /boot (or,
where /boot has no versioned kernels, whether the running kernel's modules are still installed). All paths are
arguments so tests can point them at a temporary directory.
"""

from __future__ import annotations

import re

from ..host import Host, decode
from .common import list_dir, version_key
from .posture import RebootStatus

RUN_DIR = "/var/run"
FLAG, FLAG_PKGS = "reboot-required", "reboot-required.pkgs"  # in RUN_DIR
BOOT_DIR = "/boot"
MODULES_DIRS = ("/lib/modules", "/usr/lib/modules")
_KERNEL = re.compile(r"^(?:vmlinuz|vmlinux|kernel|Image)-(?P<ver>\d.*)$")


def installed_kernels(names: list[str]) -> list[str]:
    """Kernel versions from the file names in /boot (rescue images left out)."""
    out = []
    for name in names:
        m = _KERNEL.match(name)
        if m and "rescue" not in name and not name.endswith((".hmac", ".sig", ".old")):
            out.append(m["ver"])
    return sorted(set(out), key=version_key)


def check(
    host: Host, running_kernel: str | None, *, uses_reboot_file: bool = True, run_dir: str = RUN_DIR,
    boot_dir: str = BOOT_DIR, modules_dirs: tuple[str, ...] = MODULES_DIRS,
) -> RebootStatus:
    st = RebootStatus(running_kernel=running_kernel)
    known = False
    flag = host.read_file(f"{run_dir}/{FLAG}", max_bytes=4096)
    if flag is not None:
        pkgs = host.read_file(f"{run_dir}/{FLAG_PKGS}", max_bytes=65536)
        st.packages = sorted({p.strip() for p in decode(pkgs or b"").splitlines() if p.strip()})
        why = f"{run_dir}/{FLAG} exists"
        if st.packages:
            why += f" (requested by {', '.join(st.packages[:10])}{'...' if len(st.packages) > 10 else ''})"
        st.reasons.append(why)
    elif uses_reboot_file:
        known = True  # on Debian/Ubuntu packages write this file when they need a reboot
    kernels = installed_kernels(list_dir(host, boot_dir) or [])
    if kernels:
        st.newest_kernel = kernels[-1]
    if running_kernel and kernels:
        if running_kernel in kernels:
            known = True
            if version_key(kernels[-1]) > version_key(running_kernel):
                st.reasons.append(f"the running kernel is {running_kernel} but a newer one is installed: "
                                  f"{kernels[-1]}")
    elif running_kernel:
        # No versioned kernels in /boot (Arch's vmlinuz-linux, or a container): are the running kernel's
        # modules still installed? A kernel upgrade removes them.
        for mdir in modules_dirs:
            mods = [m for m in list_dir(host, mdir) or [] if m and m[0].isdigit()]
            if not mods:
                continue
            known = True
            if running_kernel not in mods:
                newest = sorted(mods, key=version_key)[-1]
                st.newest_kernel = newest
                st.reasons.append(f"the running kernel {running_kernel} is no longer installed "
                                  f"(its modules are gone from {mdir}); installed: {newest}")
            break
    st.required = True if st.reasons else (False if known else None)
    return st
