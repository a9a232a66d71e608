"""Redaction speed on hostile inputs (long runs that regex backtracking turns quadratic) against `grep -Eo` with an
address pattern over the same text, in the same run. For each shape: the time at n and at 4n characters, the
growth factor (about 4 is linear; about 16 would be quadratic) and the ratio to grep. Prints a table; exits 0.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
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
    """The preview's scan (with where and context per match) and the redaction itself."""
    start = time.perf_counter()
    r = Redactor()
    r.scan({"x.log": text})
    r.redact_text(text)
    return time.perf_counter() - start


def grep_time(text: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as fh:
        fh.write(text)
    start = time.perf_counter()
    subprocess.run(["grep", "-Eo", r"[0-9]{1,3}(\.[0-9]{1,3}){3}", fh.name], capture_output=True, check=False)
    took = time.perf_counter() - start
    Path(fh.name).unlink()
    return took


def main() -> int:
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
