"""Time the Map page's data at 50,000 and 5,000,000 contacts; print payload sizes and ratios.

For each size: generate contacts at random points inside the demo county's districts (numpy),
place them (voc.ingest.locate: district and H3 cell), insert them with voc.store.bulk.bulk_insert into
a new SQLite store and build the roll-ups. Then time, warm (median of 3), what the Map page asks
for: district_figures (from the monthly roll-up), hex_cells (GROUP BY on the stored cells, over
the last 12 months and over all months) and the pydeck Deck's JSON, whose size is what reaches
the browser; then the Map page itself in AppTest, with Streamlit's caches empty (the first visit
after an upload): the districts view, then the hotspots switched on. Targets: the JSON under 1 MB
at both sizes; the page at 5M within 1.5x of 50k. Not a pass/fail test.
Run `uv run python bench/map_bench.py --help`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from voc.contacts.mapdata import district_figures, hex_cells
from voc.contacts.trends import Filters
from voc.demo.county import build_demo_county
from voc.ingest.locate import locate
from voc.present.maps import deck
from voc.store.bulk import bulk_insert
from voc.store.cells import cell_resolution
from voc.store.districts import replace_districts
from voc.store.engine import open_store, write_transaction
from voc.store.models import ServiceRequest
from voc.store.requests import refresh_rollup

OUT = Path(__file__).resolve().parent / "out"
# Bump when the generated contacts or the roll-ups change, so a stale kept store is not timed.
STORE_VERSION = 1
APP = str(Path(__file__).resolve().parents[1] / "app.py")
SIZES = (50_000, 5_000_000)
MONTHS = pd.period_range("2022-11", "2026-10", freq="M")
LAST_YEAR = Filters(first_month="2025-11", last_month="2026-10")
CATEGORIES = ("Potholes", "Drainage", "Trash", "Streetlights", "Code enforcement", "Parks", "Animals", "Noise")
CHANNELS = ("phone", "web", "app", "e-mail", "walk-in")
TARGET_BYTES = 1_000_000
TARGET_RATIO = 1.5
T = TypeVar("T")


def points_inside(districts: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw n uniform points inside the districts by rejection from their bounding box, vectorised."""
    outline = districts.geometry.union_all()
    shapely.prepare(outline)
    min_lon, min_lat, max_lon, max_lat = outline.bounds
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < n:
        x = rng.uniform(min_lon, max_lon, 2 * n)
        y = rng.uniform(min_lat, max_lat, 2 * n)
        inside = shapely.contains_xy(outline, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    return lat[:n].round(6), lon[:n].round(6)


def contacts(districts: gpd.GeoDataFrame, n: int, seed: int = 5) -> pd.DataFrame:
    """Generate n contacts over four years: the columns the roll-ups and the map read."""
    rng = np.random.default_rng(seed)
    lat, lon = points_inside(districts, n, rng)
    month = rng.integers(len(MONTHS), size=n)
    day = rng.integers(28, size=n)
    starts = MONTHS.to_timestamp().tz_localize("America/New_York").tz_convert("UTC").tz_localize(None).to_numpy()
    opened = pd.to_datetime(starts[month] + (day * 86_400 + 50_400) * np.timedelta64(1, "s"), utc=True)
    category = np.array(CATEGORIES)[rng.integers(len(CATEGORIES), size=n)]
    return pd.DataFrame(
        {
            "source": "bench",
            "source_id": np.char.add("B-", np.arange(n).astype(str)),
            "opened_at": opened,
            "opened_month": np.array(MONTHS.strftime("%Y-%m"))[month],
            "opened_week": opened.tz_convert("America/New_York").strftime("%Y-%m-%d"),
            "request_type": category,
            "category": category,
            "department": np.char.add(category, " department"),
            "contact_type": "request",
            "channel": np.array(CHANNELS)[rng.integers(len(CHANNELS), size=n)],
            "district_code": pd.Series(pd.NA, index=range(n), dtype="str"),
            "latitude": lat,
            "longitude": lon,
            "row_hash": "",
        }
    )


def build_store(districts: gpd.GeoDataFrame, n: int) -> tuple[sa.Engine, dict[str, float]]:
    """Write n generated contacts into a new SQLite store under bench/out/; return it and each step's seconds.

    A store built by an earlier run of the same STORE_VERSION is reused (the schema is upgraded), since
    5,000,000 contacts take many minutes to generate and write.
    """
    path = OUT / f"map_{n}_v{STORE_VERSION}.db"
    if path.exists():
        return open_store(f"sqlite:///{path}"), {"reused": 0.0}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    rows = contacts(districts, n)
    seconds["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    located = locate(rows, districts).rows
    seconds["locate"] = time.perf_counter() - started
    partial = path.with_suffix(".partial")
    engine = open_store(f"sqlite:///{partial}")
    started = time.perf_counter()
    with write_transaction(engine) as connection:
        replace_districts(connection, districts)
        bulk_insert(connection, ServiceRequest.__table__, located)
        seconds["insert"] = time.perf_counter() - started
        refresh_rollup(connection, located["opened_month"].unique())
    seconds["insert+roll-up"] = time.perf_counter() - started
    engine.dispose()
    partial.replace(path)  # the engine is disposed: SQLite has checkpointed its WAL into the file
    return open_store(f"sqlite:///{path}"), seconds


def warm(function: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    """Run once to warm caches, then return the result and the median seconds of `repeat` runs."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def map_data(engine: sa.Engine, filters: Filters, resolution: int) -> str:
    """Build what the Map page sends: districts coloured by change with the hexagons over them."""
    figures = district_figures(engine, filters, measure="change")
    return deck(figures, hex_cells(engine, filters, resolution=resolution), measure="change").to_json()


def page_seconds(url: str) -> tuple[float, float]:
    """Time the Map page's first run and its rerun with the hotspots on, from empty caches (median of 3)."""
    import streamlit as st
    from streamlit import config

    os.environ["VOC_DATABASE_URL"] = url
    # The open demo mode (no sign-in) serves on loopback only, as `voc serve` does by default.
    config.set_option("server.address", "127.0.0.1")
    os.environ["VOC_USERS_FILE"] = str(OUT / "no-users.toml")
    districts, hotspots = [], []
    for _ in range(3):
        st.cache_data.clear()
        app = AppTest.from_file(APP, default_timeout=300)
        app.run()
        app.switch_page("pages/map.py")
        started = time.perf_counter()
        app.run()
        districts.append(time.perf_counter() - started)
        started = time.perf_counter()
        app.toggle(key="map_hotspots").set_value(True).run()
        hotspots.append(time.perf_counter() - started)
        if app.exception:
            raise RuntimeError(app.exception[0].value)
    return statistics.median(districts), statistics.median(hotspots)


def measure(engine: sa.Engine, resolution: int) -> dict[str, float]:
    """Time each part of the map data and the page; return seconds (and the JSON size in bytes)."""
    figures = {}
    _, figures["district_figures"] = warm(lambda: district_figures(engine, LAST_YEAR, measure="change"))
    cells, figures["hex_cells 12 months"] = warm(lambda: hex_cells(engine, LAST_YEAR, resolution=resolution))
    _, figures["hex_cells all months"] = warm(lambda: hex_cells(engine, Filters(), resolution=resolution))
    text, figures["map data 12 months"] = warm(lambda: map_data(engine, LAST_YEAR, resolution))
    figures["page, districts"], figures["page, + hotspots"] = page_seconds(engine.url.render_as_string())
    figures["page, both"] = figures["page, districts"] + figures["page, + hotspots"]
    figures["cells"] = len(cells)
    figures["json bytes"] = len(text.encode())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of contacts")
    arguments = parser.parse_args()
    districts = build_demo_county().districts
    resolution = cell_resolution(districts)
    print(f"Demo county districts; hexagons at H3 resolution {resolution}.")
    OUT.mkdir(exist_ok=True)
    results: dict[int, dict[str, float]] = {}
    for n in arguments.sizes:
        engine, seconds = build_store(districts, n)
        steps = ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
        print(f"\n{n:,} contacts: {steps}")
        results[n] = measure(engine, resolution)
        for name, value in results[n].items():
            print(
                f"  {name:<22} {value:>12,.0f}" if name in {"cells", "json bytes"} else f"  {name:<22} {value:>10.3f} s"
            )
        engine.dispose()
    small, large = min(results), max(results)
    if small != large:
        print(f"\n{large:,} vs {small:,} contacts (target: JSON < {TARGET_BYTES:,} bytes; time within {TARGET_RATIO}x)")
        for name in ("district_figures", "hex_cells 12 months", "map data 12 months", "page, both", "json bytes"):
            print(f"  {name:<22} x{results[large][name] / results[small][name]:.2f}")


if __name__ == "__main__":
    main()
