"""The .deb of the one-folder build: the app in /opt/deskside, `deskside` on PATH (/usr/bin/deskside, a symlink),
the .desktop entry, the icon and the AppStream metainfo under /usr/share.

`Depends:` is the list below, and the build checks it against the bundle: every shared library a file of the
bundle loads from outside the bundle (`ldd`) must belong to a listed package (`dpkg -S`), else the build fails
naming the library. PyInstaller copies most libraries into the bundle (fontconfig, freetype, xkbcommon, D-Bus,
the xcb helpers, GTK 3 for Qt's GTK theme plugin...); what it leaves to the system is glibc, libxcb, the
GL/EGL dispatch libraries, Wayland and libdrm, plus the data the bundled libraries read (fonts and their
configuration, keyboard layouts).

Usage: build_deb.py DIST/deskside OUTDIR [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP_ID = "io.github.deskside.Deskside"
# package -> why the bundle needs it (libc6's minimum version is computed from the bundle's symbol versions)
DEPENDS = {
    "libxcb1": "the X11 connection of Qt's xcb platform plugin (not bundled)",
    "libgl1": "OpenGL dispatch (libGL), loaded by QtGui",
    "libglx0": "GLX dispatch (libGLX), loaded by QtGui",
    "libglvnd0": "the GL vendor-neutral dispatch (libGLdispatch)",
    "libegl1": "EGL dispatch (libEGL), loaded by QtGui",
    "libwayland-client0": "Qt's Wayland platform plugin",
    "libwayland-cursor0": "Qt's Wayland platform plugin",
    "libwayland-egl1": "Qt's Wayland EGL integration",
    "libdrm2": "Qt's EGLFS/KMS integration",
    "fontconfig-config": "the font configuration the bundled libfontconfig reads (and, through it, fonts)",
    "xkb-data": "keyboard layouts for the bundled libxkbcommon",
}
RECOMMENDS = ["gnome-keyring | kwalletmanager | keepassxc", "dbus-user-session"]
LIBC = {"libc6"}  # libc, libm, libdl, libpthread, libresolv, the loader


def elf_files(root: Path) -> list[Path]:
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(path)
    return out


def glibc_minimum(files: list[Path]) -> str:
    best = (2, 17)
    for f in files:
        for m in re.finditer(rb"GLIBC_(\d+)\.(\d+)", f.read_bytes()):
            best = max(best, (int(m.group(1)), int(m.group(2))))
    return f"{best[0]}.{best[1]}"


def external_libraries(bundle: Path, files: list[Path]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """({library path outside the bundle: files that load it}, {missing library: files that want it})."""
    internal = bundle / "_internal"
    dirs = sorted({str(p.parent) for p in internal.rglob("*.so*")} | {str(internal)})
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(dirs))
    outside: dict[str, set[str]] = {}
    missing: dict[str, set[str]] = {}
    top = str(bundle.resolve())
    for f in files:
        res = subprocess.run(["ldd", str(f)], capture_output=True, text=True, env=env, check=False)
        for line in res.stdout.splitlines():
            name, _, rest = line.strip().partition(" => ")
            if "not found" in rest:
                missing.setdefault(name, set()).add(str(f.relative_to(bundle)))
            elif rest.startswith("/"):
                lib = os.path.realpath(rest.split(" (")[0])
                if not lib.startswith(top + "/"):
                    outside.setdefault(lib, set()).add(str(f.relative_to(bundle)))
    return outside, missing


def owner(lib: str) -> str | None:
    """The Debian package that ships `lib` (with merged /usr, dpkg may know it under /lib)."""
    for path in (lib, re.sub(r"^/usr/lib/", "/lib/", lib)):
        res = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
        if res.returncode == 0:
            return res.stdout.split(":", 1)[0].strip()
    return None


def check_depends(bundle: Path, files: list[Path]) -> None:
    outside, missing = external_libraries(bundle, files)
    unlisted = []
    for lib, users in sorted(outside.items()):
        pkg = owner(lib)
        if pkg is None or (pkg not in DEPENDS and pkg not in LIBC):
            unlisted.append(f"  {lib} (package {pkg or 'unknown'}), loaded by {sorted(users)[0]}")
    if unlisted:
        sys.exit("build_deb: the bundle loads libraries that Depends does not cover; add their packages to "
                 "DEPENDS in packaging/linux/build_deb.py:\n" + "\n".join(unlisted))
    for name, users in sorted(missing.items()):  # optional plugins whose library this machine lacks
        print(f"build_deb: note: {name} not found on this machine (wanted by {', '.join(sorted(users)[:3])})",
              file=sys.stderr)


def version(bundle: Path) -> str:
    out = subprocess.run([str(bundle / "deskside"), "--version"], capture_output=True, text=True, check=True,
                         timeout=120).stdout.split()
    return out[-1]


def stage(bundle: Path, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / "opt/deskside", symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/deskside").symlink_to("../../opt/deskside/deskside")
    share = root / "usr/share"
    for src, dest in ((f"{APP_ID}.desktop", "applications"), (f"{APP_ID}.svg", "icons/hicolor/scalable/apps"),
                      (f"{APP_ID}.metainfo.xml", "metainfo")):
        (share / dest).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "packaging" / src, share / dest / src)
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)


def control(root: Path, ver: str, libc: str) -> str:
    size_kb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    depends = ", ".join([f"libc6 (>= {libc})", *DEPENDS])
    return (f"Package: deskside\nVersion: {ver}\nArchitecture: amd64\nSection: admin\nPriority: optional\n"
            f"Maintainer: Deskside contributors <deskside@users.noreply.github.com>\n"
            f"Installed-Size: {size_kb}\nDepends: {depends}\nRecommends: {', '.join(RECOMMENDS)}\n"
            "Description: desktop support toolkit: diagnostics, remote SSH help and support tickets\n"
            " Deskside finds out what is wrong with this computer and how to fix it: it checks the system,\n"
            " disks, network, services, logs and pending updates and explains each finding with a fix.\n"
            " It also troubleshoots remote hosts over SSH and sends redacted support tickets.\n"
            " .\n"
            " This package carries its own Python and Qt (a PyInstaller build) in /opt/deskside.\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", type=Path)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--work", type=Path, default=REPO / "build" / "package")
    args = ap.parse_args()
    bundle: Path = args.bundle.resolve()
    files = elf_files(bundle)
    check_depends(bundle, files)
    ver = version(bundle)
    root = args.work / "deb-root"
    stage(bundle, root)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN/control").write_text(control(root, ver, glibc_minimum(files)))
    deb = args.outdir / f"deskside_{ver}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zzstd", "-z3", "--threads-max=2", "--build", str(root),
                    str(deb)], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(root)
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
