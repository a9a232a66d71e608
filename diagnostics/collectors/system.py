"""System: OS name and version, kernel, hostname, uptime and boot time, virtualisation/container, machine model,
architecture.

On Linux everything is read through `ctx.host` (files under /etc, /proc and /sys, plus `systemd-detect-virt` and
`uname`), so the same code inspects a remote Linux host. On Windows and macOS (local only) it uses `platform` and
psutil.
"""

from __future__ import annotations

import datetime as dt
import platform
import shlex
import time
from typing import cast

from common.text import clean_text

from ..host import Host, decode
from ..model import Section
from ..sections.system import Machine, SystemData, Virtualization
from .base import CollectContext, Collector

# systemd-detect-virt names for containers (the rest of its answers are virtual machines)
CONTAINER_KINDS = frozenset({
    "openvz", "lxc", "lxc-libvirt", "systemd-nspawn", "docker", "podman", "rkt", "wsl", "proot", "pouch",
})
# DMI sys_vendor / product_name fragments that give away a virtual machine
VM_VENDORS = {
    "qemu": "qemu", "kvm": "kvm", "vmware": "vmware", "virtualbox": "oracle", "innotek": "oracle",
    "xen": "xen", "microsoft corporation": "microsoft", "bochs": "bochs", "parallels": "parallels",
    "amazon ec2": "amazon", "google": "google", "openstack": "openstack",
}
# DMI values that vendors leave in when they have nothing to say
DMI_PLACEHOLDERS = frozenset({
    "", "to be filled by o.e.m.", "default string", "system product name", "system manufacturer",
    "not specified", "none", "o.e.m.", "oem", "type1productconfigid",
})


def read_text(host: Host, path: str, max_bytes: int = 65536) -> str | None:
    raw = host.read_file(path, max_bytes)
    return None if raw is None else decode(raw)


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines as in os-release(5): shell quoting, comments and blank lines allowed."""
    text = clean_text(text)
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if not key.replace("_", "").isalnum():
            continue
        try:
            parts = shlex.split(value, comments=False, posix=True)
            value = " ".join(parts) if parts else ""
        except ValueError:  # unbalanced quotes: keep the raw text without its quote marks
            value = value.strip().strip("\"'")
        out[key] = value
    return out


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def _human_duration(seconds: float) -> str:
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes = s // 60
    if days:
        return f"{days} day{'s' if days != 1 else ''}, {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


class SystemCollector(Collector):
    name = "system"
    title = "System"
    platforms = frozenset({"linux", "windows", "darwin"})
    timeout_s = 3.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        d = cast(SystemData, section.data)
        if host.platform == "linux":
            self._os_linux(host, d, section)
        elif host.is_local:
            self._os_other(d)
        else:
            section.skip("os", f"reading the OS of a remote {host.platform} host is not supported")
            return
        ctx.cancel.raise_if_cancelled()
        self._kernel_and_names(ctx, d, section)
        ctx.cancel.raise_if_cancelled()
        self._uptime(ctx, d, section)
        ctx.cancel.raise_if_cancelled()
        if host.platform == "linux":
            self._virtualisation(ctx, d, section)
            ctx.cancel.raise_if_cancelled()
            self._machine_linux(host, d, section)
        else:
            self._machine_other(d, section)

    # --- OS -----------------------------------------------------------------------------------------------
    def _os_linux(self, host: Host, d: SystemData, section: Section) -> None:
        for path in ("/etc/os-release", "/usr/lib/os-release"):
            text = read_text(host, path)
            if text is not None:
                rel = parse_os_release(text)
                if rel:
                    d["os"] = {
                        "name": rel.get("NAME", "Linux"),
                        "pretty_name": rel.get("PRETTY_NAME") or rel.get("NAME", "Linux"),
                        "id": rel.get("ID", "linux"),
                        "id_like": rel.get("ID_LIKE", "").split(),
                        "version": rel.get("VERSION", ""),
                        "version_id": rel.get("VERSION_ID", ""),
                        "codename": rel.get("VERSION_CODENAME") or rel.get("UBUNTU_CODENAME", ""),
                        "source": path,
                    }
                    return
        section.skip("os", "neither /etc/os-release nor /usr/lib/os-release could be read")
        if host.is_local:
            d["os"] = {"name": platform.system(), "pretty_name": platform.system(), "id": "linux",
                       "id_like": [], "version": "", "version_id": "", "codename": "", "source": "platform"}

    def _os_other(self, d: SystemData) -> None:
        system = platform.system()
        if system == "Darwin":
            ver = platform.mac_ver()[0]
            d["os"] = {"name": "macOS", "pretty_name": f"macOS {ver}".strip(), "id": "macos", "id_like": [],
                       "version": ver, "version_id": ver, "codename": "", "source": "platform"}
        else:
            ver = platform.version()
            rel = platform.release()
            edition = getattr(platform, "win32_edition", lambda: "")() or ""
            d["os"] = {"name": f"{system} {rel}".strip(), "pretty_name": f"{system} {rel} {edition}".strip(),
                       "id": system.lower(), "id_like": [], "version": ver, "version_id": rel,
                       "codename": "", "source": "platform"}

    # --- kernel, hostname, architecture -------------------------------------------------------------------
    def _kernel_and_names(self, ctx: CollectContext, d: SystemData, section: Section) -> None:
        host = ctx.host
        if host.is_local:
            import socket

            uname = platform.uname()
            d["kernel"] = {"name": uname.system, "release": uname.release, "version": uname.version}
            d["hostname"] = socket.gethostname()
            d["architecture"] = uname.machine
            return
        release = read_text(host, "/proc/sys/kernel/osrelease")
        version = read_text(host, "/proc/sys/kernel/version")
        hostname = read_text(host, "/proc/sys/kernel/hostname")
        arch = None
        res = host.run(["uname", "-m"], timeout=2.0, cancel=ctx.cancel)
        if res.ok:
            arch = res.stdout.strip() or None
        if release is not None:
            d["kernel"] = {"name": "Linux", "release": release.strip(),
                           "version": (version or "").strip()}
        else:
            section.skip("kernel", "/proc/sys/kernel/osrelease could not be read")
        d["hostname"] = hostname.strip() if hostname else host.name
        if arch:
            d["architecture"] = arch
        else:
            section.skip("architecture", res.why_failed())

    # --- uptime -------------------------------------------------------------------------------------------
    def _uptime(self, ctx: CollectContext, d: SystemData, section: Section) -> None:
        host = ctx.host
        if host.platform == "linux":
            up = read_text(host, "/proc/uptime")
            stat = read_text(host, "/proc/stat")
            uptime_s: float | None = None
            if up:
                try:
                    uptime_s = float(up.split()[0])
                except (ValueError, IndexError):
                    uptime_s = None
            boot: float | None = None
            for line in (stat or "").splitlines():
                if line.startswith("btime "):
                    try:
                        boot = float(line.split()[1])
                    except (ValueError, IndexError):
                        boot = None
                    break
            if uptime_s is None and boot is not None and host.is_local:
                uptime_s = time.time() - boot
            if boot is None and uptime_s is not None and host.is_local:
                boot = time.time() - uptime_s
            if uptime_s is None:
                section.skip("uptime", "/proc/uptime could not be read")
            else:
                d["uptime_s"] = round(uptime_s, 1)
                d["uptime_human"] = _human_duration(uptime_s)
            if boot is None:
                section.skip("boot_time", "/proc/stat has no btime line")
            else:
                d["boot_time"] = _iso(boot)
            return
        try:
            import psutil

            boot = psutil.boot_time()
        except Exception as exc:  # psutil may refuse on odd systems
            section.skip("uptime", f"the boot time could not be read: {exc}")
            return
        uptime_s = max(0.0, time.time() - boot)
        d["uptime_s"] = round(uptime_s, 1)
        d["uptime_human"] = _human_duration(uptime_s)
        d["boot_time"] = _iso(boot)

    # --- virtualisation -----------------------------------------------------------------------------------
    def _virtualisation(self, ctx: CollectContext, d: SystemData, section: Section) -> None:
        host = ctx.host
        virt: Virtualization = {"vm": None, "container": None, "method": "", "evidence": []}
        d["virtualization"] = virt
        if host.which("systemd-detect-virt") is not None or not host.is_local:
            vm = host.run(["systemd-detect-virt", "--vm"], timeout=2.0, cancel=ctx.cancel)
            if not vm.missing and not vm.timed_out:
                ct = host.run(["systemd-detect-virt", "--container"], timeout=2.0, cancel=ctx.cancel)
                vm_name = vm.stdout.strip()
                ct_name = ct.stdout.strip()
                virt["vm"] = vm_name if vm.returncode == 0 and vm_name and vm_name != "none" else None
                virt["container"] = ct_name if ct.returncode == 0 and ct_name and ct_name != "none" else None
                virt["method"] = "systemd-detect-virt"
                virt["evidence"].append(f"systemd-detect-virt: vm={vm_name or 'none'}, "
                                        f"container={ct_name or 'none'}")
                return
        # No systemd-detect-virt: look for the usual traces.
        virt["method"] = "heuristics"
        ev: list[str] = virt["evidence"]
        if host.read_file("/.dockerenv", 1) is not None:
            virt["container"] = "docker"
            ev.append("/.dockerenv exists")
        elif host.read_file("/run/.containerenv", 1) is not None:
            virt["container"] = "podman"
            ev.append("/run/.containerenv exists")
        else:
            env1 = read_text(host, "/run/systemd/container")
            if env1 and env1.strip():
                virt["container"] = env1.strip()
                ev.append(f"/run/systemd/container says {env1.strip()}")
            else:
                cg = read_text(host, "/proc/1/cgroup") or ""
                for key in ("docker", "kubepods", "lxc", "libpod", "containerd"):
                    if key in cg:
                        virt["container"] = {"kubepods": "kubernetes", "libpod": "podman"}.get(key, key)
                        ev.append(f"/proc/1/cgroup mentions {key}")
                        break
        cpuinfo = read_text(host, "/proc/cpuinfo", 262144) or ""
        flagged = any(line.startswith("flags") and " hypervisor" in line for line in cpuinfo.splitlines())
        vendor = " ".join(
            (read_text(host, f"/sys/class/dmi/id/{f}") or "").strip().lower() for f in ("sys_vendor", "product_name")
        )
        for key, name in VM_VENDORS.items():
            if key in vendor:
                virt["vm"] = name
                ev.append(f"DMI vendor/product: {vendor.strip()}")
                break
        if flagged:
            ev.append("the CPU reports the 'hypervisor' flag")
            if virt["vm"] is None:
                virt["vm"] = "unknown hypervisor"

    # --- machine model ------------------------------------------------------------------------------------
    def _machine_linux(self, host: Host, d: SystemData, section: Section) -> None:
        fields = {"vendor": "sys_vendor", "product": "product_name", "version": "product_version",
                  "board_vendor": "board_vendor", "board": "board_name", "bios_version": "bios_version",
                  "chassis_type": "chassis_type"}
        machine: dict[str, str] = {}
        for key, f in fields.items():
            text = read_text(host, f"/sys/class/dmi/id/{f}")
            if text is not None and text.strip().lower() not in DMI_PLACEHOLDERS:
                machine[key] = text.strip()
        if "product" not in machine:
            dt_model = read_text(host, "/sys/firmware/devicetree/base/model")  # ARM boards (Raspberry Pi...)
            if dt_model and dt_model.strip("\x00 \n"):
                machine["product"] = dt_model.strip("\x00 \n")
        if machine:
            d["machine"] = cast(Machine, machine)  # keys from `fields`, all of them Machine keys
            if "product" not in machine:
                section.skip("machine.product", "the firmware does not name the product (DMI product_name)")
        else:
            section.skip("machine", "no DMI or device-tree model is readable (common in containers and some VMs)")

    def _machine_other(self, d: SystemData, section: Section) -> None:
        if platform.system() == "Darwin":
            d["machine"] = {"vendor": "Apple", "product": platform.machine()}
        else:
            section.skip("machine", "the machine model is read only on Linux")
