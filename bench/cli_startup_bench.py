"""Time the CLI's start-up as a user waits for it, against `python -c "import click"` in the same run.

Each command runs as a whole new process (interpreter start, imports, output), --runs times (default 10),
as `python -m voc.cli ...` from this checkout, and with --before DIR from another checkout too (e.g. an
earlier version unpacked with `git archive COMMIT | tar -x -C DIR`), on the same interpreter and packages.
Prints each median beside the baseline's and its ratio to it; the goal (issue 17) is `voc --help` within 3x.
`voc uploads` lists a new SQLite store in a temporary folder. Python writes and uses its bytecode caches, as
on a user's machine (an untimed first run of each command writes them), even where PYTHONDONTWRITEBYTECODE
is set: without them every run compiles every module it imports. Not a pass/fail test.
Run `uv run python bench/cli_startup_bench.py --help`.
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

HERE = Path(__file__).resolve().parents[1]
BASELINE = 'python -c "import click"'
VOC_COMMANDS = (["--help"], ["alerts", "--help"], ["uploads"])


def median_seconds(command: list[str], *, runs: int, env: dict[str, str], cwd: Path) -> float:
    """Run a command once untimed, then `runs` times; return the median wall-clock seconds. Fail loudly if it fails."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def load() -> str:
    return " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="Runs of each command (default 10).")
    parser.add_argument("--before", type=Path, help="Another checkout of voc to time beside this one.")
    options = parser.parse_args()
    checkouts = {"this checkout": HERE, **({f"before ({options.before})": options.before} if options.before else {})}
    print(f"load average (1, 5, 15 min) at the start: {load()}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "VOC_DATABASE_URL": f"sqlite:///{Path(folder) / 'voc.db'}"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        upgrade = [sys.executable, "-m", "voc.cli", "db", "upgrade"]
        subprocess.run(upgrade, env=env, cwd=HERE, check=True, stdout=subprocess.DEVNULL)
        click_only = [sys.executable, "-c", "import click"]
        figures = {BASELINE: median_seconds(click_only, runs=options.runs, env=env, cwd=HERE)}
        for label, checkout in checkouts.items():
            for arguments in VOC_COMMANDS:
                # `python -m` puts the working folder first on the path: each checkout runs its own voc.
                command = [sys.executable, "-m", "voc.cli", *arguments]
                name = f"voc {' '.join(arguments)}, {label}"
                figures[name] = median_seconds(command, runs=options.runs, env=env, cwd=checkout.resolve())
    print(f"load average (1, 5, 15 min) at the end: {load()}")
    width = max(map(len, figures)) + 2
    print(f"{'command':<{width}}{'median s':>10}{'x baseline':>12}   ({options.runs} runs each)")
    for name, seconds in figures.items():
        print(f"{name:<{width}}{seconds:>10.3f}{seconds / figures[BASELINE]:>12.1f}")
    print("goal: voc --help within 3x of the baseline")


if __name__ == "__main__":
    main()
