"""A test host that is not this machine: a Debian 12 minbase chroot (debootstrap) served by its own sshd on
127.0.0.1, with a login that has sudo (with a password) and real pending security updates: it is built from the
plain `bookworm` suite, then `bookworm-security` is added to its sources, so every package with a security update
since the release is pending, as on a host that was not patched.

The base is built once per machine (about two minutes; kept under /var/tmp/deskside-chroots with a stamp) and copied
for each test session, which may patch its copy. The mirrors are this machine's own (`apt-get indextargets`).
Needs root and debootstrap. `/proc` and `/dev` are bind-mounted while the sshd runs and unmounted at the end; the
copy is removed only after every mount under it is gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import need
from tests.integration.sshd import free_port, keygen

BASE = Path(os.environ.get("DESKSIDE_CHROOT_CACHE", "/var/tmp/deskside-chroots")) / "bookworm-v1"
USER = "fleetadmin"
PACKAGES = "openssh-server,sudo"


def mirrors() -> dict[str, str]:
    """Suite -> mirror URL, from this machine's apt configuration."""
    out = subprocess.run(["apt-get", "indextargets", "--format", "$(RELEASE) $(SITE)"], capture_output=True,
                         text=True, check=False).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            found.setdefault(parts[0], parts[1].rstrip("/"))
    return found


def _run(*argv: str, timeout: float = 900, **kw: object) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False, **kw)  # type: ignore[call-overload]
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}... failed ({res.returncode}): {(res.stderr or res.stdout)[-800:]}")
    return res  # type: ignore[no-any-return]


def build_base() -> Path:
    stamp = BASE / ".deskside-ready"
    if stamp.exists():
        return BASE
    need(os.geteuid() == 0, "root (debootstrap, chroot)")
    need(shutil.which("debootstrap") is not None, "debootstrap (apt package debootstrap)")
    m = mirrors()
    need("bookworm" in m and "bookworm-security" in m, "apt sources for bookworm and bookworm-security on this machine")
    if BASE.exists():
        _unmount_all(BASE)
        shutil.rmtree(BASE)
    BASE.parent.mkdir(parents=True, exist_ok=True)
    tmp = BASE.with_name(BASE.name + ".building")
    if tmp.exists():
        _unmount_all(tmp)
        shutil.rmtree(tmp)
    _run("debootstrap", "--variant=minbase", f"--include={PACKAGES}", "bookworm", str(tmp), m["bookworm"],
         timeout=1800)
    (tmp / "etc/apt/sources.list").write_text(f"deb {m['bookworm']} bookworm main\n"
                                               f"deb {m['bookworm-security']} bookworm-security main\n")
    _run("chroot", str(tmp), "apt-get", "-q", "update", timeout=900)
    _run("chroot", str(tmp), "ssh-keygen", "-A")
    (tmp / ".deskside-ready").write_text("ok\n")
    tmp.rename(BASE)
    return BASE


def _mounts_under(root: Path) -> list[str]:
    text = Path("/proc/self/mounts").read_text()
    r = str(root.resolve())
    return sorted((line.split()[1] for line in text.splitlines() if line.split()[1].startswith(r + "/")),
                  key=len, reverse=True)


def _unmount_all(root: Path) -> None:
    for mp in _mounts_under(root):
        subprocess.run(["umount", "-l", mp], capture_output=True, check=False)


class ChrootHost:
    """The chroot copy with its sshd; `inventory_line(name)` for an Ansible INI inventory."""

    def __init__(self, root: Path, client_key: Path, password: str) -> None:
        self.root = root
        self.client_key = client_key
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / "var/log/deskside-sshd.log"

    def inventory_line(self, name: str) -> str:
        return (f"{name} ansible_host=127.0.0.1 ansible_port={self.port} ansible_user={USER} "
                f"ansible_ssh_private_key_file={self.client_key}")

    def run(self, *argv: str) -> str:
        return _run("chroot", str(self.root), *argv, env=dict(os.environ, LC_ALL="C")).stdout

    def upgradable_lines(self) -> set[str]:
        """The package lines of `apt list --upgradable` inside the chroot."""
        return {line for line in self.run("apt", "list", "--upgradable").splitlines() if "[upgradable from" in line}

    def upgradable(self) -> tuple[set[str], set[str]]:
        """`apt list --upgradable` inside the chroot: all names, and those from bookworm-security."""
        names, security = set(), set()
        for line in self.run("apt", "list", "--upgradable").splitlines():
            if "[upgradable from" in line:
                name, _, rest = line.partition("/")
                names.add(name)
                if "-security" in rest.split(" ", 1)[0]:
                    security.add(name)
        return names, security

    def start(self) -> ChrootHost:
        r = self.root
        (r / "proc").mkdir(exist_ok=True)
        _run("mount", "-t", "proc", "proc", str(r / "proc"))
        _run("mount", "--bind", "/dev", str(r / "dev"))
        _run("mount", "-o", "remount,bind,ro", str(r / "dev"))
        if subprocess.run(["chroot", str(r), "id", USER], capture_output=True).returncode != 0:
            _run("chroot", str(r), "useradd", "-m", "-s", "/bin/sh", USER)
        _run("chroot", str(r), "chpasswd", input=f"{USER}:{self.password}\n")
        (r / "etc/sudoers.d/deskside-test").write_text(f"{USER} ALL=(ALL:ALL) ALL\n")
        (r / "etc/sudoers.d/deskside-test").chmod(0o440)
        ssh = r / "home" / USER / ".ssh"
        ssh.mkdir(parents=True, exist_ok=True)
        (ssh / "authorized_keys").write_text(self.client_key.with_suffix(".pub").read_text())
        _run("chroot", str(r), "chown", "-R", f"{USER}:{USER}", f"/home/{USER}/.ssh")
        (r / "run/sshd").mkdir(parents=True, exist_ok=True)
        (r / "etc/ssh/sshd_config.deskside").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPidFile /run/sshd-deskside.pid\n"
            "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n")
        return self.start_sshd()

    def start_sshd(self) -> ChrootHost:
        """(Re)start the host's sshd (its keys and port stay) and return once it listens."""
        r = self.root
        seen = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(["chroot", str(r), "/usr/sbin/sshd", "-D", "-f", "/etc/ssh/sshd_config.deskside",
                                      "-E", "/var/log/deskside-sshd.log"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        for _ in range(200):  # until it listens (the log says so)
            if self.log.exists() and "Server listening" in self.log.read_bytes()[seen:].decode(errors="replace"):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"the chroot's sshd exited: {self.proc.stderr.read() if self.proc.stderr else ''!r}")
            time.sleep(0.05)
        raise RuntimeError("the chroot's sshd did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        _unmount_all(self.root)


@contextlib.contextmanager
def chroot_host(workdir: Path, password: str) -> Iterator[ChrootHost]:
    base = build_base()
    root = workdir / "chroot"
    _run("cp", "-a", "--reflink=auto", str(base), str(root), timeout=900)
    key = keygen(workdir / "client" / "id_ed25519")
    host = ChrootHost(root, key, password)
    try:
        yield host.start()
    finally:
        host.stop()
        if not _mounts_under(root):
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def fresh_chroot(workdir: Path) -> Iterator[Path]:
    """A throwaway copy of the clean base with `/proc` and a read-only `/dev` mounted (no sshd, no users added):
    for installing a package and running it. Unmounted and removed at the end."""
    base = build_base()
    root = workdir / "chroot"
    _run("cp", "-a", "--reflink=auto", str(base), str(root), timeout=900)
    try:
        (root / "proc").mkdir(exist_ok=True)
        _run("mount", "-t", "proc", "proc", str(root / "proc"))
        _run("mount", "--bind", "/dev", str(root / "dev"))
        _run("mount", "-o", "remount,bind,ro", str(root / "dev"))
        yield root
    finally:
        _unmount_all(root)
        if not _mounts_under(root):
            shutil.rmtree(root, ignore_errors=True)
