"""Reboot-required detection, on temporary directories standing in for /var/run, /boot and /lib/modules."""

from __future__ import annotations

from pathlib import Path

from diagnostics.host import LocalHost
from diagnostics.updates import reboot


def dirs(tmp_path: Path) -> dict[str, Path]:
    d = {n: tmp_path / n for n in ("run", "boot", "modules")}
    for p in d.values():
        p.mkdir()
    return d


def check(d: dict[str, Path], kernel: str | None, uses_reboot_file: bool = True) -> reboot.RebootStatus:
    return reboot.check(LocalHost(), kernel, uses_reboot_file=uses_reboot_file, run_dir=str(d["run"]),
                        boot_dir=str(d["boot"]), modules_dirs=(str(d["modules"]),))


def test_reboot_required_file_with_packages(tmp_path: Path) -> None:
    d = dirs(tmp_path)
    (d["run"] / "reboot-required").write_text("*** System restart required ***\n")
    (d["run"] / "reboot-required.pkgs").write_text("linux-image-6.1.0-21-amd64\nlibc6\nlibc6\n")
    st = check(d, "6.1.0-21-amd64")
    assert st.required is True
    assert st.packages == ["libc6", "linux-image-6.1.0-21-amd64"]
    assert "reboot-required exists (requested by libc6, linux-image-6.1.0-21-amd64)" in st.reasons[0]


def test_newer_kernel_installed_than_running(tmp_path: Path) -> None:
    d = dirs(tmp_path)
    for name in ("vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-18-amd64", "vmlinuz-6.1.0-21-amd64",
                 "initrd.img-6.1.0-21-amd64", "config-6.1.0-21-amd64"):
        (d["boot"] / name).write_text("")
    st = check(d, "6.1.0-18-amd64")
    assert st.required is True and st.newest_kernel == "6.1.0-21-amd64"  # 21 > 18 > 9, not string order
    assert st.reasons == ["the running kernel is 6.1.0-18-amd64 but a newer one is installed: 6.1.0-21-amd64"]


def test_rhel_kernels_and_rescue_image(tmp_path: Path) -> None:
    d = dirs(tmp_path)
    for name in ("vmlinuz-5.14.0-427.40.1.el9_4.x86_64", "vmlinuz-5.14.0-70.13.1.el9_0.x86_64",
                 "vmlinuz-0-rescue-0123456789abcdef"):
        (d["boot"] / name).write_text("")
    st = check(d, "5.14.0-427.40.1.el9_4.x86_64", uses_reboot_file=False)
    assert st.required is False and st.reasons == []
    assert st.newest_kernel == "5.14.0-427.40.1.el9_4.x86_64"


def test_running_kernel_modules_gone(tmp_path: Path) -> None:
    d = dirs(tmp_path)
    (d["boot"] / "vmlinuz-linux").write_text("")  # Arch: no version in the name
    (d["modules"] / "6.11.4-arch1-1").mkdir()
    st = check(d, "6.11.3-arch1-1", uses_reboot_file=False)
    assert st.required is True and st.newest_kernel == "6.11.4-arch1-1"
    assert "no longer installed" in st.reasons[0]
    (d["modules"] / "6.11.3-arch1-1").mkdir()
    assert check(d, "6.11.3-arch1-1", uses_reboot_file=False).required is False


def test_no_evidence_either_way_is_unknown(tmp_path: Path) -> None:
    d = dirs(tmp_path)  # a container: empty /boot, no modules, not a Debian system
    assert check(d, "6.18.44-custom", uses_reboot_file=False).required is None
    assert check(d, "6.18.44-custom", uses_reboot_file=True).required is False  # apt would have left the file
