"""Run every bench/*_bench.py script in turn, each in its own process (`make bench` calls this).

Exits non-zero when a script crashed, after running the rest: a benchmark prints figures, it does
not pass or fail on them. Run one script directly to give it options (`--help`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(BENCH.glob("*_bench.py"))
    crashed = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)]).returncode
        outcome = "done" if code == 0 else f"exit code {code}"
        print(f"=== {script.name}: {outcome} in {time.perf_counter() - started:.0f} s\n", flush=True)
        if code:
            crashed.append(script.name)
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
