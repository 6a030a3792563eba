"""Time the theme build after a monthly upload: into a large store whose descriptions have themes, and an empty one.

An import ends by bringing the themes up to date (`voc import requests` waits for it; the app runs it
in the background). Builds (once, and keeps under --out) a copy of bench/pages_bench.py's large store
with every description embedded and grouped (`voc themes build`, timed as it runs). Then, --repeat
times, the fastest kept: pages_bench's monthly upload (100,000 rows, a tenth of them updates) into a
fresh copy of that store and into a new empty one, each followed by `voc themes build` in a process
of its own, timed whole (start-up included) with its peak memory. After the upload the large store's
build places the new descriptions on its stored centres; the empty store's groups its 100,000. For
reference, the large store's build is also run with every description grouped again (what every
build did before builds placed new descriptions). Goal: the build after an upload into the large
store within 1.5x of the one into an empty store. Not a pass/fail test.
Run `uv run python bench/theme_builds_bench.py --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages_bench import OUT, empty_store, monthly_upload, store, upload  # noqa: E402

from voc.demo.county import build_demo_county  # noqa: E402

BUILD = [sys.executable, "-m", "voc.cli", "themes", "build"]
# The same build with every description grouped again, whatever the share of new ones.
REGROUP = [sys.executable, "-c", "import voc.contacts.theming as t; t.REGROUP_SHARE = 0.0; from voc.cli import main; "
           "main(['themes', 'build'])"]  # fmt: skip
# Runs a command and prints its peak resident memory (KiB) last: the figure is the child's alone.
PEAK = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); " \
       "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"  # fmt: skip


def whole_process(command: list[str], url: str) -> tuple[float, float, str]:
    """Run a command on the store at url in a new process; return its wall seconds, peak MB and last line."""
    started = time.perf_counter()
    ran = subprocess.run([sys.executable, "-c", PEAK, *command], env={**os.environ, "VOC_DATABASE_URL": url},
                         check=True, capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    *said, peak = ran.stdout.strip().splitlines()
    return seconds, int(peak) / 1024, said[-1] if said else ""


def themed_store(url: str, out: Path, size: int) -> str:
    """Return a kept copy of the store at url with every description embedded and grouped, building it when missing."""
    path = out / f"themes_{size}_v1.db"
    if not path.exists():
        building = path.with_suffix(".building.db")
        shutil.copy(url.removeprefix("sqlite:///"), building)
        seconds, peak, said = whole_process(BUILD, f"sqlite:///{building}")
        building.rename(path)
        print(f"first build of the {size:,}-contact store: {seconds:.1f} s, {peak:,.0f} MB ({said})", file=sys.stderr)
    # As after any upgrade: the schema at its newest and a build run on it (the first after an upgrade can
    # check every row once), so the builds timed are those of a county's steady state.
    seconds, peak, said = whole_process(BUILD, f"sqlite:///{path}")
    print(
        f"{size:,}-contact themed store brought up to date: {seconds:.1f} s, {peak:,.0f} MB ({said})", file=sys.stderr
    )
    return f"sqlite:///{path}"


def fresh_copy(url: str, path: Path) -> str:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):  # a copy must not meet an older copy's log
        leftover.unlink(missing_ok=True)
    shutil.copy(url.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", type=int, default=5_000_000, help="contacts in the large store")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each build, the fastest kept (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--out", type=Path, default=OUT, help="where the stores are built and kept (default bench/out)")
    arguments = parser.parse_args()
    out: Path = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"theme builds bench: {os.cpu_count()} cores, load average {load}", file=sys.stderr, flush=True)
    county = build_demo_county()
    themed = themed_store(store(county, arguments.large, out), out, arguments.large)
    data = monthly_upload(county, arguments.large)
    source = str(county.requests["source"].iloc[0])
    runs: dict[str, list[tuple[float, float, str]]] = {"into_large": [], "into_empty": [], "regroup_large": []}
    for _ in range(arguments.repeat):
        trial = fresh_copy(themed, out / "themes_upload_trial.db")
        upload(trial, data, source)
        runs["into_large"].append(whole_process(BUILD, trial))
        runs["regroup_large"].append(whole_process(REGROUP, trial))
        empty = empty_store(county, out / "themes_upload_empty.db")
        upload(empty, data, source)
        runs["into_empty"].append(whole_process(BUILD, empty))
    fastest = {name: min(timings) for name, timings in runs.items()}
    result = {
        name: {"seconds": round(seconds, 2), "peak_mb": round(peak), "said": said}
        for name, (seconds, peak, said) in fastest.items()
    }
    result["ratio_into_large_over_empty"] = round(fastest["into_large"][0] / fastest["into_empty"][0], 2)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"load average at the end: {load}", file=sys.stderr)
    if arguments.json:
        print(json.dumps(result, indent=2))
        return
    print(f"`voc themes build` after a monthly upload of 100,000 rows (whole process, fastest of {arguments.repeat}):")
    labels = {
        "into_large": f"into the {arguments.large:,} store",
        "into_empty": "into an empty store",
        "regroup_large": f"into the {arguments.large:,} store, all grouped again",
    }
    for name, label in labels.items():
        row = result[name]
        print(f"  {label:<44} {row['seconds']:7.2f} s  {row['peak_mb']:6,} MB   {row['said']}")
    ratio = result["ratio_into_large_over_empty"]
    print(f"  ratio large / empty  {ratio:.2f}  target <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
