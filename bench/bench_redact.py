"""Redaction throughput on syslog-like text (MB/s, the target is at least 5) beside `grep -E` with the same kinds of
patterns over the same file; then redaction speed on hostile inputs (long runs that regex backtracking turns
quadratic) against `grep -Eo` with an address pattern over the same text, in the same run. For each shape: the time
at n and at 4n characters, the growth factor (about 4 is linear; about 16 would be quadratic) and the ratio to grep.
Times are CPU times (this process, and grep as a child): on a shared machine wall time is mostly waiting for a core.
Prints a table; exits 0.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tickets.redact import Redactor

SHAPES = {
    "dotted numbers": "1.",
    "word-dash run": "ab1-",
    "BEGIN without END": "-----BEGIN RSA PRIVATE KEY-----\n",
    "one long auth line": "for user ",
    "syslog lines": "Nov 24 09:12:02 wks sshd[812]: Accepted publickey for alice from 192.168.44.17 port 51234\n",
}
N = 64 * 1024


def redact_time(text: str) -> float:
    """CPU seconds of the preview's scan (with where and context per match) and the redaction itself."""
    def run() -> None:
        r = Redactor()
        r.scan({"x.log": text})
        r.redact_text(text)
    return best_of(1, run)[1]


def grep_time(text: str) -> float:
    """CPU seconds of grep -Eo with an address pattern over `text`."""
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as fh:
        fh.write(text)
    argv = ["grep", "-Eo", r"[0-9]{1,3}(\.[0-9]{1,3}){3}", fh.name]
    took = best_of(1, lambda: subprocess.run(argv, capture_output=True, check=False) and None)[1]
    Path(fh.name).unlink()
    return took


# ERE versions of the patterns (grep -E has no lookbehind or named groups: the same kinds of values, simplified).
GREP_PATTERNS = [
    r"([0-9]{1,3}\.){3}[0-9]{1,3}",
    r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}",
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    r"([Pp]ass(word)?|[Tt]oken|[Ss]ecret|api_?key)[\"']?[[:space:]]*[:=][[:space:]]*[^[:space:],;]+",
    r"(accepted|failed) [a-z-]+ for [A-Za-z_][A-Za-z0-9_.-]*|(for|of|by) user [A-Za-z_][A-Za-z0-9_.-]*",
    r"(host(name)?|user(name)?|login)[[:space:]]*[:=][[:space:]]*[A-Za-z0-9._-]+",
    r"/home/[A-Za-z0-9_.-]+",
    r"(gh[opsu]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+)",
    r"[A-Za-z0-9/+]{40}",
]
SYSLOG_PROCS = ["sshd[812]", "systemd[1]", "kernel", "NetworkManager[610]", "CRON[99]", "gnome-shell[2000]",
                "dhclient[801]", "sudo", "dbus-daemon[700]"]
SYSLOG_MSGS = [
    "Accepted publickey for alice from 192.168.44.{n} port 51234 ssh2: ED25519 SHA256:Jx2mCqYv2aXbHnN0p9Zl6rT5k",
    "Started Session {n} of user alice.",
    "<info>  [1701510000.{n}] device (wlp2s0): state change: activated -> deactivating (reason 'user-requested')",
    "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
    "usb 1-{n}: new high-speed USB device number 3 using xhci_hcd",
    "Window manager warning: Overwriting existing binding of keysym {n} with keysym 31",
    "DHCPACK of 10.20.30.{n} from 10.20.30.1 (xid=0x5a1f)",
    "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
    "[system] Successfully activated service 'org.freedesktop.nm_dispatcher'",
    "eth0: link up, MAC 00:1a:2b:3c:4d:{n:02x}, gateway 10.20.30.1",
]


def syslog_text(size: int) -> str:
    lines = []
    total = n = 0
    while total < size:
        msg = SYSLOG_MSGS[n % len(SYSLOG_MSGS)].format(n=n % 250)
        line = f"Dec  2 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d} wks-alice-07 " \
               f"{SYSLOG_PROCS[n % len(SYSLOG_PROCS)]}: {msg}\n"
        lines.append(line)
        total += len(line)
        n += 1
    return "".join(lines)


def best_of(runs: int, fn: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the fastest of `runs` runs of `fn` (CPU: this process and its children:
    on a busy machine the wall time is mostly waiting for a core; the CPU time is the work)."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter() - w0
        cpu = time.process_time() - c0 + (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        best = min(best, (wall, cpu), key=lambda t: t[1])
    return best


def throughput(runs: int = 3) -> float:
    """Redaction (the preview's scan and the redaction, as `ticket new` does) of 2 MB of syslog-like text beside
    `grep -Eo` with the same kinds of patterns over the same file, in the same run. Returns redaction's MB/s."""
    text = syslog_text(2 * 1024 * 1024)
    mb = len(text.encode()) / 1e6

    def redact() -> None:
        r = Redactor()
        r.scan({"syslog": text})
        r.redact_text(text)

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "syslog"
        path.write_text(text)
        argv = ["grep", "-Eo", *(a for p in GREP_PATTERNS for a in ("-e", p)), str(path)]
        r_wall, r_cpu = best_of(runs, redact)
        g_wall, g_cpu = best_of(runs, lambda: subprocess.run(argv, capture_output=True, check=False) and None)
    speed = mb / r_cpu
    print(f"syslog-like text, {mb:.1f} MB, best of {runs}:")
    print(f"  redaction (preview scan + redact): {mb / r_cpu:6.2f} MB/s CPU time ({r_cpu:.2f}s), "
          f"{mb / r_wall:6.2f} MB/s wall ({r_wall:.2f}s)")
    print(f"  grep -Eo, {len(GREP_PATTERNS)} patterns:          {mb / g_cpu:6.2f} MB/s CPU time ({g_cpu:.2f}s), "
          f"{mb / g_wall:6.2f} MB/s wall ({g_wall:.2f}s)")
    print(f"  redaction / grep time: {r_cpu / g_cpu:.2f}x (CPU), {r_wall / g_wall:.2f}x (wall); "
          f"target 5 MB/s: {'met' if speed >= 5 else 'NOT met'} ({speed:.2f} MB/s CPU time)")
    print()
    return speed


def main() -> int:
    throughput()
    print(f"{'shape':<20} {'n chars':>8} {'redact n':>9} {'redact 4n':>10} {'growth':>7} {'grep 4n':>8} "
          f"{'ratio':>7}")
    for name, unit in SHAPES.items():
        small = unit * max(1, N // len(unit))
        big = small * 4
        t1, t4, g4 = redact_time(small), redact_time(big), grep_time(big)
        print(f"{name:<20} {len(small):>8} {t1:>8.3f}s {t4:>9.3f}s {t4 / max(t1, 1e-6):>6.1f}x {g4:>7.3f}s "
              f"{t4 / max(g4, 1e-6):>6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
