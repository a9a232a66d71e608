"""Unlabelled secrets: our detector (tickets.redact + redact_secrets) beside Yelp's detect-secrets on the same lines
(tests/data/redaction/detectors.txt: a secret is written {{like this}}; other lines hold none). For each detector:
how many planted secrets it catches, how many clean lines it flags (false hits), and its time. detect-secrets is
optional (`pip install detect-secrets`); without it its row says so. Prints a table; exits 0."""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tickets.redact import Redactor

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "redaction" / "detectors.txt"
MARK = re.compile(r"\{\{(.+?)\}\}")


def corpus() -> list[tuple[str, str | None]]:
    """(line, planted secret or None)."""
    out: list[tuple[str, str | None]] = []
    for raw in CORPUS.read_text().splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        m = MARK.search(raw)
        out.append((MARK.sub(r"\1", raw), m.group(1) if m else None))
    return out


def deskside(lines: list[str]) -> list[list[str]]:
    """The secrets our redaction masks in each line (each line alone: nothing learned from the others)."""
    found = []
    for line in lines:
        r = Redactor()
        found.append([i.value for i in r.scan({"line": line}) if i.kind == "secret"])
    return found


def detect_secrets(lines: list[str]) -> list[list[str]] | None:
    """detect-secrets' default plugins and filters, as `detect-secrets scan` runs them on a log file."""
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "corpus.log"
        path.write_text("\n".join(lines) + "\n")
        found: list[list[str]] = [[] for _ in lines]
        with default_settings():
            sc = SecretsCollection()
            sc.scan_file(str(path))
            for _name, secret in sc:
                if secret.secret_value:
                    found[secret.line_number - 1].append(secret.secret_value)
    return found


def score(found: list[list[str]], planted: list[str | None]) -> tuple[int, int]:
    catches = sum(1 for f, p in zip(found, planted, strict=True) if p is not None and any(p in v or (v in p and
                                                                                        len(v) >= len(p) // 2)
                                                                                        for v in f))
    false_hits = sum(1 for f, p in zip(found, planted, strict=True) if p is None and f)
    return catches, false_hits


def main() -> int:
    data = corpus()
    lines = [line for line, _ in data]
    planted = [p for _, p in data]
    n_pos = sum(p is not None for p in planted)
    n_neg = len(planted) - n_pos
    detectors: dict[str, Callable[[list[str]], list[list[str]] | None]] = {
        "deskside": deskside, "detect-secrets": detect_secrets}
    print(f"{len(lines)} lines: {n_pos} with a planted secret, {n_neg} without")
    print(f"{'detector':<16} {'catches':>9} {'false hits':>11} {'time':>8}")
    for name, fn in detectors.items():
        start = time.perf_counter()
        found = fn(lines)
        took = time.perf_counter() - start
        if found is None:
            print(f"{name:<16} {'(not installed: pip install detect-secrets)':>30}")
            continue
        c, f = score(found, planted)
        print(f"{name:<16} {c:>4}/{n_pos:<4} {f:>6}/{n_neg:<4} {took:>7.2f}s")
        missed = [p for p, fo in zip(planted, found, strict=True) if p is not None and not fo]
        if missed and "-v" in sys.argv:
            print("   missed: " + ", ".join(m[:24] for m in missed if m))
        wrong = [line[:90] for line, p, fo in zip(lines, planted, found, strict=True) if p is None and fo]
        if wrong and "-v" in sys.argv:
            print("   false hits:\n     " + "\n     ".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
