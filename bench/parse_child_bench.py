"""Time what reading an upload in a limited child process (voc.ingest.child) adds to an import.

On the 100,000-row xlsx of import_bench.py: the parse in this process (parse_table, no limits),
the same through read_table (a child forked from the forkserver, the table pickled back with the
garbage collector paused), the first read_table of the process with the forkserver started --warm
seconds before (as the app and `voc import` start it), and the whole import_requests into a new
SQLite store, which reads through the child. The overhead is read_table minus parse_table, shown
beside the whole import; the table's pickle round trip with the collector running (as before) and
paused (as now) is timed in the same run. Not a pass/fail test. Run `uv run python bench/parse_child_bench.py`.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import tempfile
import time
from pathlib import Path

from import_bench import OUT, SETTINGS, best_of, build_xlsx, timed, voc_import

from voc.ingest.child import start_forkserver
from voc.ingest.limits import MAX_BYTES, MAX_ROWS
from voc.ingest.read import parse_table, read_table
from voc.store.engine import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the fastest is kept")
    parser.add_argument("--warm", type=float, default=20, help="seconds between starting the forkserver and a read")
    args = parser.parse_args()
    start_forkserver()
    warm_from = time.perf_counter()
    with open("/proc/loadavg") as loadavg:
        load = " ".join(loadavg.read().split()[:3])
    print(f"parse child bench: {os.cpu_count()} cores, load average {load} (other work skews the figures)")
    path = build_xlsx(args.rows)
    data = path.read_bytes()
    print(f"xlsx: {args.rows:,} rows, {len(data) / 1024**2:.1f} MB; fastest of {args.repeat} runs unless 'once'")

    time.sleep(max(0.0, args.warm - (time.perf_counter() - warm_from)))
    started = time.perf_counter()
    read_table(data, path.name)
    cold = time.perf_counter() - started
    options = {"sheet": None, "max_bytes": MAX_BYTES, "max_rows": MAX_ROWS}
    here = best_of(args.repeat, lambda _: timed(lambda: parse_table(data, path.name, **options)), _seconds)
    table = parse_table(data, path.name, **options)
    pickled = best_of(args.repeat, lambda _: timed(lambda: _pickled_round_trip(table)), _seconds)
    paused = best_of(args.repeat, lambda _: timed(lambda: _pickled_round_trip(table, collect=False)), _seconds)
    child = best_of(args.repeat, lambda _: timed(lambda: read_table(data, path.name)), _seconds)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="work-", dir=OUT) as work:
        runs = [voc_import(open_store(f"sqlite:///{Path(work) / f'voc{n}.db'}"), path) for n in range(args.repeat)]
    whole = min(run.seconds for run in runs)

    print(f"  {'parse in this process (parse_table)':<48} {here.seconds:6.2f} s")
    print(f"  {'parse in a limited child (read_table)':<48} {child.seconds:6.2f} s")
    print(f"  {'first read_table, forkserver started before, once':<48} {cold:6.2f} s   ({args.warm:g} s before)")
    print(f"  {'table pickled there and back, gc running (before)':<48} {pickled.seconds:6.2f} s")
    print(f"  {'table pickled there and back, gc paused (now)':<48} {paused.seconds:6.2f} s")
    print(f"  {'whole import_requests, SQLite, new store':<48} {whole:6.2f} s")
    overhead = child.seconds - here.seconds
    print("ratios")
    print(f"  {'child overhead (read_table - parse_table)':<48} {overhead:6.2f} s")
    print(f"  {'overhead / parse in this process':<48} {overhead / here.seconds:6.1%}")
    print(f"  {'overhead / whole import':<48} {overhead / whole:6.1%}")
    print(f"  {'gc paused / gc running':<48} {paused.seconds / pickled.seconds:6.1%}")
    print(f"  settings: {SETTINGS.parse_memory_bytes // 1024**2:,} MB, {SETTINGS.parse_seconds:g} s per parse")


def _pickled_round_trip(table: object, *, collect: bool = True) -> object:
    """The table through pickle as the child sends it back, with the garbage collector running or paused."""
    if not collect:
        gc.disable()
    try:
        return pickle.loads(pickle.dumps(table, protocol=5))
    finally:
        gc.enable()


def _seconds(timing) -> float:
    return timing.seconds


if __name__ == "__main__":
    main()
