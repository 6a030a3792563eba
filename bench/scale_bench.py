"""Time the pages' queries over 5,000,000 contacts on SQLite and on PostgreSQL; print figures and ratios.

For each size (default 50,000 as the baseline, then 5,000,000): generate contacts over four years at
random points of the demo county (bench/map_bench.py's generator, plus closing times, statuses and
descriptions), place them (district, H3 cell), and load them into a new SQLite store and a new
PostgreSQL database through voc's bulk path (voc.store.bulk.bulk_insert in one write transaction, then the
roll-ups), the path the demo loader takes. Then, warm (median of 3), time what each page asks the
store for: the Overview, the filter choices, a Trends series by month and by week, service
performance, a drill-down of 500 records, and the Map's district figures and hexagons. Last, time a
real monthly upload (voc.ingest.pipeline.import_requests of a 100,000-row CSV, 10% of it records
already stored) into each full store.

Not a pass/fail test and not part of `make test`: it takes several minutes and a few GB of memory.
PostgreSQL comes from VOC_BENCH_POSTGRES_URL (default: the test server at 127.0.0.1:5432); the
database it makes is dropped at the end. Run `uv run python bench/scale_bench.py --help`.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from map_bench import LAST_YEAR, OUT, contacts

from voc.contacts.mapdata import district_figures, hex_cells
from voc.contacts.overview import load_overview
from voc.contacts.performance import service_performance
from voc.contacts.trends import Filters, filter_choices, records, series
from voc.core.access import Role
from voc.core.config import Settings
from voc.demo.county import build_demo_county
from voc.ingest.locate import locate
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.bulk import bulk_insert
from voc.store.cells import cell_resolution
from voc.store.districts import replace_districts
from voc.store.engine import open_store, write_transaction
from voc.store.models import ServiceRequest
from voc.store.requests import refresh_rollup

SIZES = (50_000, 5_000_000)
TIMEZONE = "America/New_York"
TODAY = date(2026, 11, 15)  # the generated contacts end in October 2026
TWO_YEARS = Filters(first_month="2024-11", last_month="2026-10")
UPLOAD_ROWS = 100_000
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SETTINGS = Settings(
    database_url="", timezone=TIMEZONE, max_upload_bytes=200 * 1024**2, redact_personal=True, user="bench"
)
STATUSES = np.array(["Closed", "Open", "In progress"])


def requests(districts: gpd.GeoDataFrame, n: int) -> pd.DataFrame:
    """Generate n located contacts with what the Overview and Trends read: closing times and statuses."""
    rows = contacts(districts, n)
    rng = np.random.default_rng(n)
    closed = rng.random(n) < 0.85
    hours = rng.gamma(1.5, 60.0, n)
    rows["closed_at"] = rows["opened_at"] + pd.to_timedelta(np.where(closed, hours, np.nan), unit="h")
    rows["days_to_close"] = np.where(closed, hours / 24, np.nan)
    rows["status"] = STATUSES[np.where(closed, 0, rng.integers(1, 3, n))]
    rows["description"] = np.char.add("Resident reports ", rows["category"].str.lower().to_numpy().astype(str))
    return locate(rows, districts).rows


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Yield the URL of a new, empty database on the server; drop it afterwards.

    A database of its own, not a schema: voc's write lock is a PostgreSQL advisory lock, held per
    database, and a load of millions of rows holds it for minutes; in a shared database it would
    queue every other voc process on that server (tests included) behind the benchmark.
    """
    name = f"voc_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def load(url: str, districts: gpd.GeoDataFrame, rows: pd.DataFrame) -> tuple[sa.Engine, float]:
    """Write the rows into the store at url in one transaction with their roll-ups; return it and the seconds."""
    engine = open_store(url)
    started = time.perf_counter()
    with write_transaction(engine) as connection:
        replace_districts(connection, districts)
        bulk_insert(connection, ServiceRequest.__table__, rows)
        refresh_rollup(connection, rows["opened_month"].unique())
    seconds = time.perf_counter() - started
    if engine.dialect.name == "postgresql":  # what autovacuum would do soon after a large load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    return engine, seconds


def warm(function: Callable[[], object], repeat: int = 3) -> float:
    """Run once to warm caches, then return the median seconds of `repeat` runs."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def page_queries(engine: sa.Engine, resolution: int) -> dict[str, Callable[[], object]]:
    """What each page asks the store for, by name."""
    return {
        "overview": lambda: load_overview(engine, today=TODAY, timezone=TIMEZONE),
        "filter choices": lambda: filter_choices(engine),
        "trends: 24 months by category": lambda: series(engine, TWO_YEARS, by="category"),
        "trends: weeks by district": lambda: series(engine, TWO_YEARS, by="district_code", period="week"),
        "trends: service performance": lambda: service_performance(engine, LAST_YEAR),
        "drill-down: 500 records": lambda: records(
            engine, TWO_YEARS, month="2026-10", by="category", group="Potholes", limit=500
        ),
        "map: district figures": lambda: district_figures(engine, LAST_YEAR, measure="change"),
        "map: hexagons, 12 months": lambda: hex_cells(engine, LAST_YEAR, resolution=resolution),
    }


def monthly_upload(rows: pd.DataFrame, n: int) -> bytes:
    """A CRM export of n rows: the last tenth already stored (changed descriptions), the rest new."""
    again = rows.tail(n // 10)
    fresh = rows.head(n - len(again))
    frame = pd.DataFrame(
        {
            "Case Number": np.concatenate([np.char.add("N-", np.arange(len(fresh)).astype(str)),
                                           again["source_id"].to_numpy().astype(str)]),
            "Date Opened": pd.concat([fresh["opened_at"], again["opened_at"]]).dt.tz_convert(TIMEZONE)
            .dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            "Problem Type": np.concatenate([fresh["category"].to_numpy(), again["category"].to_numpy()]),
            "Latitude": np.concatenate([fresh["latitude"].to_numpy(), again["latitude"].to_numpy()]),
            "Longitude": np.concatenate([fresh["longitude"].to_numpy(), again["longitude"].to_numpy()]),
            "Description": ["Reported again"] * len(fresh) + ["Updated by the CRM"] * len(again),
        }
    )  # fmt: skip
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def run_backend(
    name: str, url: str, districts: gpd.GeoDataFrame, rows: pd.DataFrame, resolution: int, upload: bytes | None
) -> dict[str, float]:
    """Load the rows into one store and time its page queries (and the monthly upload); print as it goes."""
    engine, seconds = load(url, districts, rows)
    print(f"  {name}: loaded {len(rows):,} contacts in {seconds:.1f} s ({len(rows) / seconds:,.0f} rows/s)", flush=True)
    figures = {"load": seconds}
    for query, function in page_queries(engine, resolution).items():
        figures[query] = warm(function)
        print(f"    {query:<32} {figures[query]:>8.3f} s", flush=True)
    if upload is not None:
        started = time.perf_counter()
        report = import_requests(
            engine, upload, "monthly.csv", SETTINGS, ImportOptions(source="bench"), role=Role.ANALYST
        )
        figures["monthly upload"] = time.perf_counter() - started
        print(
            f"    {'monthly upload, ' + format(UPLOAD_ROWS, ',') + ' rows':<32} {figures['monthly upload']:>8.3f} s"
            f" ({report.inserted:,} new, {report.updated:,} updated, {report.rejected:,} rejected)",
            flush=True,
        )
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of contacts")
    parser.add_argument("--postgres", default=os.environ.get("VOC_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    arguments = parser.parse_args()
    districts = build_demo_county().districts
    resolution = cell_resolution(districts)
    OUT.mkdir(exist_ok=True)
    results: dict[tuple[int, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        for n in arguments.sizes:
            started = time.perf_counter()
            rows = requests(districts, n)
            print(f"\n{n:,} contacts, generated and located in {time.perf_counter() - started:.0f} s", flush=True)
            upload = monthly_upload(rows, UPLOAD_ROWS) if n == max(arguments.sizes) else None
            sqlite_url = f"sqlite:///{Path(folder) / f'scale_{n}.db'}"
            results[n, "sqlite"] = run_backend("SQLite", sqlite_url, districts, rows, resolution, upload)
            with postgres_database(arguments.postgres) as url:
                results[n, "postgresql"] = run_backend("PostgreSQL", url, districts, rows, resolution, upload)
            del rows
    large, small = max(arguments.sizes), min(arguments.sizes)
    names = list(results[large, "sqlite"])
    print(f"\n{large:,} contacts: PostgreSQL against SQLite (x < 1: PostgreSQL faster)")
    for query in names:
        lite, pg = results[large, "sqlite"][query], results[large, "postgresql"][query]
        print(f"  {query:<32} SQLite {lite:>8.3f} s   PostgreSQL {pg:>8.3f} s   x{pg / lite:.2f}")
    if small != large:
        print(f"\n{large:,} against {small:,} contacts, the same query on the same store")
        for query in names:
            if query in results[small, "sqlite"]:
                ratios = [results[large, b][query] / results[small, b][query] for b in ("sqlite", "postgresql")]
                print(f"  {query:<32} SQLite x{ratios[0]:.1f}   PostgreSQL x{ratios[1]:.1f}")


if __name__ == "__main__":
    main()
