"""Time every page and CLI command on a small and a large store, and a monthly upload into the large one.

Builds (once, and keeps under bench/out/, git-ignored) two SQLite stores of the demo county whose
contacts are drawn at random from the demo's own (so every page has categories, districts, surveys
and candidates to show) and loaded through the demo loader's write path, with roll-ups, then brought
up to date by `voc db upgrade` (which counts every month's closure figures). Then, on each store:
every page of the app in AppTest (and each tab of Trends, which runs only its open tab), first with
Streamlit's data caches empty (the first visit after an upload), then warm (a rerun); every
read-only CLI command in a new process; and a monthly upload of 100,000 rows (a new month, a tenth
of it updates of the two months before) into a copy of the large store and into an empty one (the
fastest of --repeat each), and the closure figures counted again after it (what the first view of
Trends' service performance after an upload waits for). Every view is run once untimed first, so
that no timing pays the imports a view makes on first use; then --repeat times (3) on each store,
the stores taking turns, the fastest kept: one run's noise (a quarter either way on this shared machine) would otherwise
decide a ratio. Prints small, large and their ratio per page and command, wall clock and CPU (the
machine is shared: CPU is the steadier figure). Goals: every page and upload within 1.5x. Not a
pass/fail test. Run `uv run python bench/pages_bench.py --help`.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import streamlit as st
from streamlit import config
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest

from voc.app.frame import PAGES
from voc.contacts.closure_months import count_months
from voc.contacts.trends import Filters
from voc.core.access import Role
from voc.core.config import Settings, load_settings
from voc.core.periods import month_shift
from voc.demo.county import DemoCounty, build_demo_county
from voc.demo.load import load_demo
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.read import read_table
from voc.store.districts import replace_districts
from voc.store.engine import open_store, write_transaction
from voc.store.models import MonthlyCount, RequestType

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
APP = str(ROOT / "app.py")
# Bump when the stores' contents or schema-dependent roll-ups change, so a stale kept store is rebuilt.
STORE_VERSION = 1
UPLOAD_ROWS = 100_000
UPLOAD_MONTH = "2026-11"
COMMANDS = {
    "voc --help": ["--help"],
    "voc uploads --json": ["uploads", "--json"],
    "voc types list --json": ["types", "list", "--json"],
    "voc alerts --json": ["alerts", "--json"],
    "voc survey compare --json": ["survey", "compare", "--json"],
    "voc rank --json": ["rank", "--json"],
    "voc action list --json": ["action", "list", "--json"],
    "voc themes list --json": ["themes", "list", "--json"],
    "voc user list --json": ["user", "list", "--json"],
    "voc db upgrade": ["db", "upgrade"],
}


# Pages whose tabs are bound to the URL under this key: only the open tab runs, so each tab is a view of its own.
TAB_KEYS = {"Trends": "trends_tab"}


@dataclasses.dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed(run: Callable[[], object]) -> Timing:
    """Time a call: wall clock, and this process's CPU (all its threads: AppTest runs scripts in one)."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def sampled_county(county: DemoCounty, n: int) -> DemoCounty:
    """The demo county with n contacts drawn at random (with replacement) from its own, each with a new id."""
    rng = np.random.default_rng(n)
    rows = county.requests.iloc[rng.integers(len(county.requests), size=n)].reset_index(drop=True)
    rows["source_id"] = [f"B-{i:08d}" for i in range(n)]
    return dataclasses.replace(county, requests=rows)


def store(county: DemoCounty, n: int, out: Path) -> str:
    """Return the URL of the kept store of n contacts under `out`, building it first when missing."""
    path = out / f"pages_{n}_v{STORE_VERSION}.db"
    if not path.exists():
        building = path.with_suffix(".building.db")
        building.unlink(missing_ok=True)
        engine = open_store(f"sqlite:///{building}")
        started = time.perf_counter()
        load_demo(engine, user="bench", county=sampled_county(county, n))
        engine.dispose()
        building.rename(path)
        print(f"built the {n:,}-contact store in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    url = f"sqlite:///{path}"
    # As after any upgrade: the schema at its newest, every month's closure figures counted under the rules
    # the pages use (the bench's environment), so pages read roll-ups as they would in a county's steady state.
    upgraded = subprocess.run([sys.executable, "-m", "voc.cli", "db", "upgrade"], env={**os.environ,
                              "VOC_DATABASE_URL": url}, check=True, capture_output=True, text=True)  # fmt: skip
    print(f"{n:,}-contact store: {upgraded.stdout.strip()}", file=sys.stderr, flush=True)
    return url


def monthly_upload(county: DemoCounty, large: int) -> bytes:
    """A CRM export of UPLOAD_ROWS rows: October's contacts moved to November, a tenth updates of stored ones."""
    rng = np.random.default_rng(UPLOAD_ROWS)
    october = county.requests[county.requests["opened_month"] == "2026-10"]
    stored = sampled_county(county, large).requests
    stored = stored[stored["opened_month"] >= "2026-09"]
    updated = stored.sample(min(len(stored), UPLOAD_ROWS // 10), random_state=1)
    fresh = october.iloc[rng.integers(len(october), size=UPLOAD_ROWS - len(updated))]
    shift = pd.Timedelta(days=31)
    local = county.timezone
    frame = pd.DataFrame(
        {
            "Case Number": [f"N-{i:08d}" for i in range(len(fresh))] + updated["source_id"].tolist(),
            "Date Opened": pd.concat([fresh["opened_at"] + shift, updated["opened_at"]]).dt.tz_convert(local),
            "Date Closed": pd.concat([fresh["closed_at"] + shift, updated["closed_at"]]).dt.tz_convert(local),
            "Request Type": pd.concat([fresh["request_type"], updated["request_type"]]).to_numpy(),
            "Status": ["Closed"] * len(fresh) + ["Reopened"] * len(updated),
            "Latitude": pd.concat([fresh["latitude"], updated["latitude"]]).to_numpy(),
            "Longitude": pd.concat([fresh["longitude"], updated["longitude"]]).to_numpy(),
            "Description": pd.concat([fresh["description"], updated["description"]]).to_numpy(),
        }
    )
    for column in ("Date Opened", "Date Closed"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def upload(url: str, data: bytes, source: str) -> Timing:
    """Import the monthly upload into the store at url, as the Upload page does (themes aside)."""
    engine = open_store(url)
    settings = Settings(database_url=url, timezone="America/New_York", max_upload_bytes=200 * 1024**2,
                        redact_personal=True, user="bench")  # fmt: skip
    options = ImportOptions(source=source)
    reports = []
    timing = timed(
        lambda: reports.append(import_requests(engine, data, "monthly.csv", settings, options, role=Role.ANALYST))
    )
    engine.dispose()
    print(f"upload into {url}: {reports[0].message}", file=sys.stderr, flush=True)
    return timing


def closure_recount(url: str) -> Timing:
    """Time what the first view of closure figures after an upload waits for: counting the 24 months Trends shows
    by default again where the upload changed them (in this process: CPU is this process's)."""
    engine = open_store(url)
    settings = load_settings()
    with engine.connect() as connection:
        last = connection.execute(sa.select(sa.func.max(MonthlyCount.month))).scalar_one()
    window = Filters(month_shift(last, -23), last)
    timing = timed(lambda: count_months(engine, window, rules=settings.closure, timezone=settings.timezone))
    engine.dispose()
    return timing


def empty_store(county: DemoCounty, path: Path) -> str:
    """A new store with the county's districts and request types only: what a first upload lands in."""
    path.unlink(missing_ok=True)
    engine = open_store(f"sqlite:///{path}")
    with write_transaction(engine) as connection:
        replace_districts(connection, county.districts)
        connection.execute(sa.insert(RequestType.__table__), county.request_types.to_dict("records"))
    engine.dispose()
    return f"sqlite:///{path}"


def page_times(urls: list[str], repeat: int) -> list[dict[str, Timing]]:
    """Run every page in AppTest on each store with empty data caches, then again warm, the fastest of `repeat` runs
    each; a page whose tabs run only when open (TAB_KEYS) once per tab, each opened by its URL.

    The stores take turns run by run: this machine's speed drifts over minutes (the same page's fastest of three
    moved by half between two runs of the bench), and all of one store's pages timed before the other's put that
    drift into the ratios.
    """
    times: list[dict[str, Timing]] = [{} for _ in urls]
    for page in PAGES:
        app = _page_run(page.path, page.title, {}, urls, times, repeat)
        if page.title in TAB_KEYS:
            for tab in [tab.label for tab in app.tabs][1:]:
                _page_run(page.path, f"{page.title} · {tab}", {TAB_KEYS[page.title]: tab}, urls, times, repeat)
    return times


def _page_run(
    path: str, name: str, query: dict[str, str], urls: list[str], times: list[dict[str, Timing]], repeat: int
) -> AppTest:
    cold: list[list[Timing]] = [[] for _ in urls]
    warm: list[list[Timing]] = [[] for _ in urls]
    for _ in range(repeat):
        for store_index, url in enumerate(urls):
            os.environ["VOC_DATABASE_URL"] = url
            st.cache_data.clear()
            app = AppTest.from_file(APP, default_timeout=600)
            app.query_params.update(query)
            app.switch_page(path)
            cold[store_index].append(timed(app.run))
            warm[store_index].append(timed(app.run))
            if app.exception:
                raise RuntimeError(f"{name} crashed: {app.exception[0].message}")
    for store_index in range(len(urls)):
        times[store_index][f"{name}, cold"] = min(cold[store_index], key=lambda timing: timing.wall)
        times[store_index][f"{name}, warm"] = min(warm[store_index], key=lambda timing: timing.wall)
    return app


def command_times(urls: list[str]) -> list[dict[str, Timing]]:
    """Run every read-only command in a new process on each store in turn; CPU is the child's."""
    times: list[dict[str, Timing]] = [{} for _ in urls]
    for name, arguments in COMMANDS.items():
        for store_index, url in enumerate(urls):
            environment = {**os.environ, "VOC_DATABASE_URL": url, "VOC_USER": "bench"}
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "voc.cli", *arguments], env=environment, check=True,
                           capture_output=True)  # fmt: skip
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            times[store_index][name] = Timing(wall, cpu)
    return times


def compared(small: dict[str, Timing], large: dict[str, Timing]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "small_s": round(small[name].wall, 3),
            "large_s": round(large[name].wall, 3),
            "ratio": round(large[name].wall / small[name].wall, 2),
            "small_cpu_s": round(small[name].cpu, 3),
            "large_cpu_s": round(large[name].cpu, 3),
            "cpu_ratio": round(large[name].cpu / max(small[name].cpu, 1e-3), 2),
        }
        for name in small
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=50_000, help="contacts in the small store")
    parser.add_argument("--large", type=int, default=5_000_000, help="contacts in the large store")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--upload-only", action="store_true", help="time the uploads only")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each page, the fastest kept (default 3)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the stores are built and kept (default bench/out)")
    arguments = parser.parse_args()
    out = arguments.out
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"pages bench: {os.cpu_count()} cores, load average {load}", file=sys.stderr, flush=True)
    out.mkdir(parents=True, exist_ok=True)
    # The open demo mode (no users file, served on loopback): every page is routable, as for an admin.
    os.environ["VOC_USERS_FILE"] = str(out / "pages_bench_users.toml")
    config.set_option("server.address", "127.0.0.1")
    set_log_level("error")  # clearing the caches outside a server warns once per page
    county = build_demo_county()
    urls = {size: store(county, size, out) for size in (arguments.small, arguments.large)}
    if not arguments.upload_only:
        # Every view once, untimed: the modules a view imports on first use (seconds for some) are then paid
        # by neither store's timing, whichever view is timed first.
        page_times([urls[arguments.small]], repeat=1)
    # The demo county and the modules imported so far are the bench's, not a page's: frozen out of the
    # collector, a full collection walking them (0.2 s) no longer lands in whichever page run triggers it.
    gc.collect()
    gc.freeze()
    stores = list(urls.values())
    pages = {} if arguments.upload_only else dict(zip(urls, page_times(stores, arguments.repeat), strict=True))
    commands = {} if arguments.upload_only else dict(zip(urls, command_times(stores), strict=True))
    data = monthly_upload(county, arguments.large)
    source = str(county.requests["source"].iloc[0])
    # The app starts the parse child's forkserver when it starts: without this, the first upload timed
    # (into the large store) also waited for it to import the readers, seconds on this machine.
    read_table(b"\n".join(data.split(b"\n", 100)[:100]), "warm-up.csv")
    trial = out / "pages_upload_trial.db"
    into_large, into_empty = [], []
    # Each upload into a fresh copy of the large store and a new empty one, the fastest kept as for the pages:
    # one upload's time into the empty store moved by 15% from run to run.
    for _ in range(arguments.repeat):
        for leftover in (Path(f"{trial}-wal"), Path(f"{trial}-shm")):  # a copy must not meet an older copy's log
            leftover.unlink(missing_ok=True)
        shutil.copy(urls[arguments.large].removeprefix("sqlite:///"), trial)
        into_large.append(upload(f"sqlite:///{trial}", data, source))
        empty = empty_store(county, out / "pages_upload_empty.db")
        into_empty.append(upload(empty, data, source))
    recount_large, recount_empty = closure_recount(f"sqlite:///{trial}"), closure_recount(empty)
    fastest_into_large = min(into_large, key=lambda timing: timing.wall)
    fastest_into_empty = min(into_empty, key=lambda timing: timing.wall)
    result = {
        "pages": compared(pages[arguments.small], pages[arguments.large]) if pages else {},
        "commands": compared(commands[arguments.small], commands[arguments.large]) if commands else {},
        "upload_into_large_s": round(fastest_into_large.wall, 3),
        "upload_into_empty_s": round(fastest_into_empty.wall, 3),
        "closure_recount_after_upload_large_s": round(recount_large.wall, 3),
        "closure_recount_after_upload_empty_s": round(recount_empty.wall, 3),
    }
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"load average at the end: {load}", file=sys.stderr)
    if arguments.json:
        print(json.dumps(result, indent=2))
        return
    _print_table(result, arguments.small, arguments.large, fastest_into_large, fastest_into_empty)


def _print_table(result: dict[str, Any], small: int, large: int, into_large: Timing, into_empty: Timing) -> None:
    for section in ("pages", "commands"):
        print(f"\n{section:<52} {small:>12,} {large:>12,}  ratio   (CPU: small, large, ratio)")
        for name, figures in result[section].items():
            print(
                f"  {name:<50} {figures['small_s']:>10.2f} s {figures['large_s']:>10.2f} s  x{figures['ratio']:<5.2f}"
                f"  ({figures['small_cpu_s']:.2f} s, {figures['large_cpu_s']:.2f} s, x{figures['cpu_ratio']:.2f})"
            )
    print(f"\nmonthly upload of {UPLOAD_ROWS:,} rows into the {large:,} store vs into an empty store:")
    print(f"  wall {into_large.wall:.2f} s vs {into_empty.wall:.2f} s  x{into_large.wall / into_empty.wall:.2f}")
    print(f"  CPU  {into_large.cpu:.2f} s vs {into_empty.cpu:.2f} s  x{into_large.cpu / into_empty.cpu:.2f}")
    large_recount, empty_recount = result["closure_recount_after_upload_large_s"], result[
        "closure_recount_after_upload_empty_s"]  # fmt: skip
    print(f"closure figures counted again after that upload (the first view's wait): {large_recount:.2f} s vs "
          f"{empty_recount:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
