"""The equity view: small areas imported from a census-style file, rates per 1,000 by area and income fifth."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.apptest import open_app_page, plain_texts
from voc.cli import main
from voc.core.access import Role
from voc.core.errors import FileRefused
from voc.ingest.areas import import_areas
from voc.priorities.equity import (
    TIERS,
    dispersion,
    dispersion_df,
    equity_view,
    income_tiers,
    located_contacts,
    place_cells,
    rate_ratio,
)
from voc.store.areas import load_areas
from voc.store.engine import open_store
from voc.store.uploads import undo

TRACTS = Path(__file__).parent / "data" / "acs_tracts.geojson"
LAST_MONTH = "2026-10"


def _import(engine: sa.Engine, data: bytes, **fields: str):
    return import_areas(engine, data, TRACTS.name, user="analyst", role=Role.ANALYST, **fields)


def test_a_census_file_imports_with_its_fields_guessed_and_the_sentinel_missing(engine: sa.Engine) -> None:
    source = json.loads(TRACTS.read_text())["features"]
    imported = _import(engine, TRACTS.read_bytes())
    assert (imported.code_field, imported.name_field) == ("GEOID", "NAME")
    assert (imported.population_field, imported.income_field) == ("B01003_001E", "B19013_001E")
    assert imported.count == len(source) and imported.without_income == 1
    assert imported.population == sum(f["properties"]["B01003_001E"] for f in source)
    areas = load_areas(engine).set_index("code")
    for feature in source:
        stored = areas.loc[feature["properties"]["GEOID"]]
        income = feature["properties"]["B19013_001E"]
        assert stored["population"] == feature["properties"]["B01003_001E"]
        assert math.isnan(stored["income"]) if income < 0 else stored["income"] == income
    # The sentinel area gets no income fifth; the others split into fifths by income.
    tiers = income_tiers(areas["income"])
    assert tiers.isna().sum() == 1 and set(tiers.dropna()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert tiers.loc[areas["income"].idxmin()] == 1 and tiers.loc[areas["income"].idxmax()] == 5


def test_an_import_is_undone_through_the_upload_history(engine: sa.Engine) -> None:
    first = _import(engine, TRACTS.read_bytes())
    shrunk = json.loads(TRACTS.read_text())
    shrunk["features"] = shrunk["features"][:5]
    second = _import(engine, json.dumps(shrunk).encode())
    assert len(load_areas(engine)) == 5
    undo(engine, second.upload_id, user="analyst", role=Role.ANALYST)
    assert len(load_areas(engine)) == 9
    undo(engine, first.upload_id, user="analyst", role=Role.ANALYST)
    assert load_areas(engine).empty


def test_fields_named_explicitly_and_a_file_without_residents(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    renamed = TRACTS.read_text().replace("B01003_001E", "residents_2023").replace("B19013_001E", "hh_income")
    imported = _import(engine, renamed.encode(), population_field="residents_2023", income_field="hh_income")
    assert (imported.population_field, imported.income_field) == ("residents_2023", "hh_income")
    without = TRACTS.read_text().replace("B01003_001E", "B01003_001X")
    with pytest.raises(FileRefused, match="no residents"):
        _import(engine, without.encode())


def _independent_figures(url: str, first_month: str) -> pd.DataFrame:
    """Contacts per area from each contact's own point (not its H3 cell), with geopandas alone."""
    engine = sa.create_engine(url)
    raw = pd.read_sql(
        sa.text(
            "SELECT latitude, longitude, days_to_close FROM service_requests "
            "WHERE opened_month BETWEEN :first AND :last AND h3_cell IS NOT NULL"
        ),
        engine,
        params={"first": first_month, "last": LAST_MONTH},
    )
    areas = load_areas(engine)
    points = gpd.GeoDataFrame(raw, geometry=gpd.points_from_xy(raw["longitude"], raw["latitude"]), crs="EPSG:4326")
    joined = gpd.sjoin(points, areas[["code", "population", "geometry"]], predicate="within")
    grouped = joined.groupby("code").agg(contacts=("code", "size"), median_days=("days_to_close", "median"))
    figures = areas.set_index("code")[["population"]].join(grouped)
    figures["per_1000"] = figures["contacts"] / figures["population"] * 1000
    figures["days"] = joined.groupby("code")["days_to_close"].agg(list)
    return figures


def test_per_1000_matches_an_independent_geopandas_count(demo_store_url: str) -> None:
    view = equity_view(open_store(demo_store_url), last_month=LAST_MONTH, months=12)
    assert view is not None and len(view.areas) == 50
    expected = _independent_figures(demo_store_url, view.first_month)
    got = view.areas.set_index("code").loc[expected.index]
    # Cells of about 66 m place a few contacts on a border in the neighbouring area.
    assert got["contacts"].sum() == pytest.approx(expected["contacts"].sum(), rel=0.002)
    assert np.allclose(got["per_1000"], expected["per_1000"], rtol=0.03)
    assert np.allclose(got["median_days"], expected["median_days"], atol=0.25)
    tiers = view.tiers.set_index("income_tier")
    lowest = view.areas[view.areas["income_tier"] == 1]
    pooled = np.concatenate(expected.loc[lowest["code"], "days"].tolist())
    assert tiers.loc["1 lowest", "median_days"] == pytest.approx(np.nanmedian(pooled), abs=0.25)
    assert tiers.loc["1 lowest", "per_1000"] == pytest.approx(
        lowest["contacts"].sum() / lowest["population"].sum() * 1000
    )


def test_cells_keep_the_area_a_fresh_spatial_join_gives_as_cells_and_areas_change(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    areas = load_areas(engine)
    cells = located_contacts(engine, "2000-01", LAST_MONTH)["cell"]
    assert cells.nunique() > 1000
    first_half, half_the_areas = cells.iloc[: len(cells) // 2], areas.iloc[::2]
    # Placed in turn: some cells, then all (most seen before), then all in other areas, then the first areas again.
    for some, within in [(first_half, areas), (cells, areas), (cells, half_the_areas), (cells, areas)]:
        got = place_cells(some, within)
        expected = _joined_cell_areas(some, within)
        assert got.isna().tolist() == expected.isna().tolist()
        assert got.dropna().tolist() == expected.dropna().tolist()
    assert place_cells(cells, half_the_areas).isna().sum() > place_cells(cells, areas).isna().sum()


def _joined_cell_areas(cells: pd.Series, areas: gpd.GeoDataFrame) -> pd.Series:
    """The area holding each cell's centre, by a spatial join of every cell (repeats included)."""
    import h3.api.basic_int as h3_int

    centres = np.array([h3_int.cell_to_latlng(int(cell)) for cell in cells])
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(centres[:, 1], centres[:, 0]), crs=4326)
    joined = gpd.sjoin(points, areas[["code", "geometry"]], how="left", predicate="within")
    return joined[~joined.index.duplicated()]["code"].reset_index(drop=True)


def _simulated_areas(rng: np.random.Generator, rates: np.ndarray, *, shape: float | None) -> pd.DataFrame:
    """Ten areas per income fifth with Poisson contacts (gamma-mixed, so overdispersed, when shape is given)."""
    population = rng.integers(800, 3000, size=TIERS * 10)
    tier = np.repeat(np.arange(1, TIERS + 1), 10)
    mean = population * rates[tier - 1]
    if shape is not None:
        mean = mean * rng.gamma(shape, 1 / shape, size=mean.size)
    return pd.DataFrame({"income_tier": tier, "population": population, "contacts": rng.poisson(mean)})


@pytest.mark.parametrize("shape", [None, 8.0])
def test_the_rate_ratio_interval_covers_the_true_ratio_as_promised(shape: float | None) -> None:
    rng = np.random.default_rng(19)
    rates = np.array([0.08, 0.09, 0.10, 0.11, 0.12])
    truth = rates[0] / rates[-1]
    covered = []
    for _ in range(2000):
        areas = _simulated_areas(rng, rates, shape=shape)
        ends = [areas[areas["income_tier"] == t] for t in (1, TIERS)]
        ratio = rate_ratio(ends[0], ends[1], dispersion=dispersion(areas), dispersion_df=dispersion_df(areas))
        covered.append(ratio.low <= truth <= ratio.high)
    assert 0.93 <= np.mean(covered) <= 0.975


def test_overdispersed_areas_widen_the_interval() -> None:
    rng = np.random.default_rng(7)
    areas = _simulated_areas(rng, np.full(TIERS, 0.1), shape=4.0)
    ends = [areas[areas["income_tier"] == t] for t in (1, TIERS)]
    poisson = rate_ratio(ends[0], ends[1])
    widened = rate_ratio(ends[0], ends[1], dispersion=dispersion(areas))
    assert dispersion(areas) > 2
    assert widened.high / widened.low > poisson.high / poisson.low


def test_voc_equity_json(demo_copy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", demo_copy)
    result = CliRunner().invoke(main, ["equity", "--months", "12", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert len(printed["areas"]) == 50 and [t["income_tier"] for t in printed["tiers"]][::4] == [
        "1 lowest",
        "5 highest",
    ]
    assert set(printed["areas"][0]) == {"code", "name", "population", "income", "income_tier", "contacts", "per_1000",
                                        "median_days"}  # fmt: skip
    ratio = printed["rate_ratio"]
    assert ratio["low"] < ratio["ratio"] < ratio["high"] and ratio["level"] == 0.95
    lowest, highest = printed["tiers"][0], printed["tiers"][-1]
    assert ratio["ratio"] == pytest.approx(lowest["per_1000"] / highest["per_1000"])
    assert f"rate ratio of {ratio['ratio']:.2f}" in printed["finding"]
    assert len(printed["candidates"]) == 40 and all(c["area"] for c in printed["candidates"])
    refused = CliRunner().invoke(main, ["equity", "--months", "0", "--json"])
    assert refused.exit_code == 2 and json.loads(refused.output)["kind"] == "input"


def test_voc_import_areas_json(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(main, ["import", "areas", str(TRACTS), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["count"] == 9 and printed["income_field"] == "B19013_001E" and printed["without_income"] == 1
    missing = CliRunner().invoke(main, ["import", "areas", str(TRACTS), "--income-field", "nope", "--json"])
    assert missing.exit_code == 2 and json.loads(missing.output)["kind"] == "file"


def test_priorities_page_shows_the_equity_section(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    app = open_app_page(monkeypatch, demo_copy, "pages/priorities.py", timeout=180)
    finding = [t for t in plain_texts(app, "body") if "lowest-income fifth" in t]
    assert len(finding) == 1 and "under-count" in finding[0]
    (ranking,) = (f.value for f in app.dataframe if "best_rank" in f.value.columns)
    assert ranking["area_per_1000"].notna().all() and set(ranking["income_tier"]) <= {"1 lowest", "2", "3", "4",
                                                                                      "5 highest"}  # fmt: skip
    (areas,) = (f.value for f in app.dataframe if "income" in f.value.columns)
    assert len(areas) == 50 and areas["income"].is_monotonic_increasing
    (fifths,) = (f.value for f in app.dataframe if "lowest_income" in f.value.columns)
    assert fifths["income_tier"].tolist() == ["1 lowest", "2", "3", "4", "5 highest"]
    assert fifths["median_days"].notna().all()


def test_priorities_page_without_areas_says_how_to_import_them(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    engine = open_store(demo_copy)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM small_areas"))
    app = open_app_page(monkeypatch, demo_copy, "pages/priorities.py", timeout=180)
    assert any(i.value.startswith("No small areas yet") for i in app.info)
    (ranking,) = (f.value for f in app.dataframe if "best_rank" in f.value.columns)
    assert "area_per_1000" not in ranking.columns


def test_the_demo_county_is_tiled_by_small_areas_holding_its_residents(demo_county) -> None:
    from voc.demo.areas import draw_small_areas

    areas, districts = demo_county.small_areas, demo_county.districts
    assert 40 <= len(areas) <= 60 and areas["code"].is_unique
    equal_area = "EPSG:6933"
    county = districts.to_crs(equal_area).union_all()
    tiled = areas.to_crs(equal_area)
    assert tiled.union_all().symmetric_difference(county).area < 1e-6 * county.area
    assert tiled.area.sum() == pytest.approx(county.area, rel=1e-6)  # no overlaps
    assert abs(int(areas["population"].sum()) - int(districts["population"].sum())) <= len(areas)
    again = draw_small_areas(districts, demo_county.requests, 2026)
    assert again.drop(columns="geometry").equals(areas.drop(columns="geometry"))


def test_areas_away_from_the_contacts_are_reported_not_compared(demo_copy: str) -> None:
    engine = open_store(demo_copy)
    imported = _import(engine, TRACTS.read_bytes())  # Gainesville: no demo contact lies in it
    assert imported.report(TRACTS.name)[-1] == "1 area has no median income and is left out of the income fifths."
    view = equity_view(engine, last_month=LAST_MONTH, months=12)
    assert view is not None and view.ratio is None and view.areas["contacts"].sum() == 0
    assert view.sentence.startswith("No located contact of the period falls in a small area")
    with engine.connect() as connection:
        located = connection.execute(
            sa.text("SELECT COUNT(*) FROM service_requests WHERE h3_cell IS NOT NULL AND opened_month >= :first"),
            {"first": view.first_month},
        ).scalar_one()
    assert view.outside == located


def test_a_geopackage_in_a_projected_crs_imports_through_the_same_reader(sqlite_url: str, tmp_path: Path) -> None:
    tracts = gpd.read_file(TRACTS).to_crs("EPSG:2237")  # Florida State Plane North, US feet
    tracts.to_file(tmp_path / "tracts.gpkg", driver="GPKG")
    imported = _import(open_store(sqlite_url), (tmp_path / "tracts.gpkg").read_bytes())
    assert imported.count == 9 and imported.source_crs == "EPSG:2237" and imported.without_income == 1
    bounds = load_areas(open_store(sqlite_url)).total_bounds
    assert np.allclose(bounds, gpd.read_file(TRACTS).total_bounds, atol=1e-6)
