"""`make bench`: run every bench/bench_*.py in turn (each prints its own table and ratios)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
wanted = sys.argv[1:]
failed = 0
for script in sorted(here.glob("bench_*.py")):
    if wanted and script.stem.removeprefix("bench_") not in wanted:
        continue
    print(f"== {script.name}", flush=True)
    failed |= subprocess.call([sys.executable, str(script)])
sys.exit(1 if failed else 0)
