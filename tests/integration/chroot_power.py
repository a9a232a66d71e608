"""A power switch for the Debian chroot test host (tests/integration/debian_chroot.py), so that `deskside patch
--reboot-if-required` meets a host that really goes away and comes back with a new boot.

What is real: the login, sudo (the test account's own sudoers rule), the reboot command Deskside sends
(`systemctl reboot`, run by sudo on the host), the host's sshd being killed with every session (the client's
connection drops, new connections are refused), a new sshd process later (the same host keys and port, as after a
boot), `/run/reboot-required` gone (on a real host /run is a tmpfs), and the boot id file the collector reads
(`/proc/sys/kernel/random/boot_id` inside the chroot) changing.

What is simulated: there is no kernel to reboot. `systemctl` on the host is a test double that writes "reboot" into a
FIFO; this harness (outside the chroot) reads it, kills every process whose root is the chroot, replaces the content
of the file bind-mounted over the chroot's `/proc/sys/kernel/random/boot_id` with a new UUID, and "boots": the first
connection attempt while it boots is answered with a TCP reset (the port is open, sshd not started yet), then sshd is
started again. With `comes_back = False` the host stays down (connections refused) for good.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import threading
import uuid
from pathlib import Path

from tests.integration.debian_chroot import ChrootHost

FIFO = "run/deskside-power"
SYSTEMCTL = """#!/bin/sh
# Deskside test double: `systemctl reboot` asks the test harness outside this chroot to power-cycle the host.
case "$1" in
  reboot) echo reboot > /run/deskside-power; exit 0 ;;
  *) echo "systemctl (test double): only 'reboot' is known here" >&2; exit 1 ;;
esac
"""


class PowerSwitch:
    def __init__(self, host: ChrootHost) -> None:
        self.host = host
        self.boot_file = host.root.parent / "boot_id"
        self.boot_ids = [str(uuid.uuid4())]
        self.comes_back = True
        self.reboots = 0
        self.went_down = threading.Event()
        self.came_back = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def install(self) -> PowerSwitch:
        r = self.host.root
        self.boot_file.write_text(self.boot_ids[-1] + "\n")
        subprocess.run(["mount", "--bind", str(self.boot_file), str(r / "proc/sys/kernel/random/boot_id")],
                       check=True, capture_output=True)
        os.mkfifo(r / FIFO, 0o622)
        (r / "usr/bin/systemctl").write_text(SYSTEMCTL)
        (r / "usr/bin/systemctl").chmod(0o755)
        self._thread = threading.Thread(target=self._listen, name="chroot-power", daemon=True)
        self._thread.start()
        return self

    @property
    def boot_id(self) -> str:
        return self.boot_ids[-1]

    def _listen(self) -> None:
        while not self._closed:
            with open(self.host.root / FIFO) as fh:  # blocks until the host's `systemctl reboot` writes
                word = fh.read().strip()
            if word == "reboot" and not self._closed:
                self._power_cycle()

    def _kill_all(self) -> None:
        root = str(self.host.root.resolve())
        for _ in range(3):  # sshd may fork a session while we go
            for pid in filter(str.isdigit, os.listdir("/proc")):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/root") == root:
                        os.kill(int(pid), signal.SIGKILL)
        if self.host.proc is not None:
            self.host.proc.wait()

    def _power_cycle(self) -> None:
        self.reboots += 1
        self.came_back.clear()
        self._kill_all()
        for name in ("reboot-required", "reboot-required.pkgs"):
            (self.host.root / "run" / name).unlink(missing_ok=True)
        self.boot_ids.append(str(uuid.uuid4()))
        self.boot_file.write_text(self.boot_ids[-1] + "\n")
        self.went_down.set()
        if not self.comes_back:
            return
        with socket.create_server(("127.0.0.1", self.host.port)) as srv:
            srv.settimeout(300)
            with contextlib.suppress(TimeoutError):
                conn, _ = srv.accept()  # someone knocks while the host boots: a reset
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
        self.host.start_sshd()
        self.came_back.set()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):  # wake the listener if it waits on the FIFO
            fd = os.open(self.host.root / FIFO, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)


def reboot_required(host: ChrootHost, package: str = "linux-image-amd64") -> None:
    """What a kernel update leaves on a Debian/Ubuntu host."""
    run = Path(host.root / "run")
    (run / "reboot-required").write_text("*** System restart required ***\n")
    (run / "reboot-required.pkgs").write_text(package + "\n")
