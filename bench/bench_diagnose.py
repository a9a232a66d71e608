"""`deskside diagnose --json` as a whole process against `inxi -Fxz`, medians of several runs in the same session.

cold: a fresh, empty Deskside cache dir for every run; warm: the cache of a previous run, nothing changed since.
Targets (issue 2): cold within 1.5x of inxi, warm no slower than inxi. Prints a table and the ratios; exits 0.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
DESKSIDE = str(Path(sys.executable).with_name("deskside"))


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, res.stdout


def main() -> int:
    base = dict(os.environ)
    base.pop("DISPLAY", None)
    inxi = shutil.which("inxi")
    results: dict[str, list[float]] = {"inxi -Fxz": [], "deskside cold": [], "deskside warm": []}
    per_collector: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm_env = {**base, "DESKSIDE_CACHE_DIR": f"{tmp}/warm", "DESKSIDE_CONFIG_DIR": f"{tmp}/cfg"}
        timed([DESKSIDE, "diagnose", "--json"], warm_env)  # prime the warm cache
        for i in range(RUNS):  # interleaved, so machine noise hits every contender alike
            if inxi:
                results["inxi -Fxz"].append(timed([inxi, "-Fxz"], base)[0])
            cold_env = {**base, "DESKSIDE_CACHE_DIR": f"{tmp}/cold{i}", "DESKSIDE_CONFIG_DIR": f"{tmp}/cfg"}
            results["deskside cold"].append(timed([DESKSIDE, "diagnose", "--json"], cold_env)[0])
            t, out = timed([DESKSIDE, "diagnose", "--json"], warm_env)
            results["deskside warm"].append(t)
            try:
                for name, sec in json.loads(out)["sections"].items():
                    per_collector.setdefault(name, []).append(sec["duration_s"])
            except (ValueError, KeyError):
                pass
    print(f"diagnose benchmark, {RUNS} runs each, medians (seconds)")
    med = {k: statistics.median(v) for k, v in results.items() if v}
    for k, v in med.items():
        print(f"  {k:<16} {v:7.3f}")
    if "inxi -Fxz" in med:
        ref = med["inxi -Fxz"]
        print(f"  ratio cold/inxi  {med['deskside cold'] / ref:7.2f}x   (target <= 1.5x)")
        print(f"  ratio warm/inxi  {med['deskside warm'] / ref:7.2f}x   (target <= 1.0x)")
    else:
        print("  inxi not installed (apt-get install inxi): no ratio")
    print("warm run, time inside each collector (median, s):")
    for name, v in sorted(per_collector.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {name:<14} {statistics.median(v):7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
