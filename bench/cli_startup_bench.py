"""Time the CLI's start-up as a user waits for it, against `python -c "import click"` in the same run.

Each command runs as a whole new process (interpreter start, imports, output), --runs times (default 10);
the median is printed beside the baseline's and as a ratio to it. The goal (issue 17) is `voc --help`
within 3x of the baseline. `voc uploads` runs on a new SQLite store in a temporary folder, created by a
first untimed run. Not a pass/fail test. Run `uv run python bench/cli_startup_bench.py --help`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The console script `voc` installed beside this interpreter, as a user runs it.
VOC = str(Path(sys.executable).with_name("voc"))

COMMANDS = {
    'python -c "import click"': [sys.executable, "-c", "import click"],
    "voc --help": [VOC, "--help"],
    "voc alerts --help": [VOC, "alerts", "--help"],
    "voc uploads": [VOC, "uploads"],
}
BASELINE = 'python -c "import click"'


def median_seconds(command: list[str], *, runs: int, env: dict[str, str]) -> float:
    """Run a command `runs` times and return the median wall-clock seconds; fail loudly if it fails."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="Runs of each command (default 10).")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "VOC_DATABASE_URL": f"sqlite:///{Path(folder) / 'voc.db'}"}
        subprocess.run([VOC, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
        figures = {name: median_seconds(command, runs=runs, env=env) for name, command in COMMANDS.items()}
    print(f"load average (1, 5, 15 min): {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(f"{'command':<28}{'median s':>10}{'x baseline':>12}   ({runs} runs each)")
    for name, seconds in figures.items():
        print(f"{name:<28}{seconds:>10.3f}{seconds / figures[BASELINE]:>12.1f}")
    print("goal: voc --help within 3x of the baseline")


if __name__ == "__main__":
    main()
