"""District assignment at import: the spatial join, flags and counts, on inline frames and real exports."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import h3
import pandas as pd
import pytest
import sqlalchemy as sa
from shapely.geometry import box

from tests.factories import SETTINGS
from tests.files import REAL
from tests.stores import store_at_revision
from voc.core.access import Role
from voc.ingest.boundaries import import_districts, read_boundaries
from voc.ingest.locate import MISMATCH, OUTSIDE, locate, with_location_problems
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.report import PROBLEM_COLUMNS
from voc.store.cells import CELL_RESOLUTION
from voc.store.models import ServiceRequest

REQUESTS = ServiceRequest.__table__
# Two side-by-side districts: A west of longitude -82.5, B east of it.
TWO_DISTRICTS = gpd.GeoDataFrame(
    {"code": ["A", "B"]}, geometry=[box(-83, 28, -82.5, 28.5), box(-82.5, 28, -82, 28.5)], crs="EPSG:4326"
)


def _rows(*rows: tuple[float | None, float | None, str | None]) -> pd.DataFrame:
    lat, lon, district = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "row": range(2, len(rows) + 2),
            "latitude": pd.Series(lat, dtype=float),
            "longitude": pd.Series(lon, dtype=float),
            "district_code": pd.Series(district, dtype="str"),
        }
    )


def test_rows_get_the_district_at_their_point_unless_they_state_one() -> None:
    rows = _rows(
        (28.2, -82.8, None),  # in A, none stated: takes A
        (28.2, -82.2, "B"),  # in B, says B
        (28.2, -82.2, "A"),  # in B, says A: kept as A and flagged
        (35.797519, -103.890579, "B"),  # New Mexico: kept as B and flagged
        (None, None, "A"),  # no point: left alone
        (28.2, -82.8, None),  # the same place again
    )
    located = locate(rows, TWO_DISTRICTS, point_column="Lat", district_column="District")
    frame = located.rows
    assert frame["district_code"].tolist() == ["A", "B", "A", "B", "A", "A"]
    assert frame["location_flag"].fillna("").tolist() == ["", "", MISMATCH, OUTSIDE, "", ""]
    assert (located.located, located.outside, located.compared, located.mismatches) == (5, 1, 2, 1)
    expected_cell = h3.str_to_int(h3.latlng_to_cell(28.2, -82.8, CELL_RESOLUTION))
    assert frame["h3_cell"].tolist()[::5] == [expected_cell, expected_cell]
    assert pd.isna(frame["h3_cell"].iloc[4])
    assert located.problems.to_dict("records") == [
        {
            "row": 4,
            "column": "District",
            "message": "District 'A' differs from district 'B' at its coordinates: kept as stated and flagged.",
            "severity": "warning",
        },
        {
            "row": 5,
            "column": "Lat",
            "message": "Coordinates 35.79752, -103.89058 are outside every district: kept and flagged.",
            "severity": "warning",
        },
    ]


def test_without_districts_rows_only_get_their_cells() -> None:
    rows = _rows((28.2, -82.8, None), (None, None, "7"))
    located = locate(rows, TWO_DISTRICTS.iloc[:0])
    assert located.rows["district_code"].tolist()[1] == "7" and pd.isna(located.rows["district_code"].iloc[0])
    assert located.rows["location_flag"].isna().all()
    assert (located.located, located.outside, located.mismatches) == (1, 0, 0) and located.problems.empty
    assert located.rows["h3_cell"].notna().tolist() == [True, False]


def test_location_warnings_are_not_repeated_for_rows_already_warned_about_their_coordinates() -> None:
    rows = _rows((35.797519, -103.890579, None), (28.2, -82.2, "A"))
    located = locate(rows, TWO_DISTRICTS, point_column="Lat", district_column="District")
    earlier = pd.DataFrame(
        [{"row": 2, "column": "Lat", "message": "outside the county", "severity": "warning"}], columns=PROBLEM_COLUMNS
    )
    merged = with_location_problems(earlier, located)
    assert merged[["row", "column", "message"]].values.tolist() == [
        [2, "Lat", "outside the county"],
        [3, "District", "District 'A' differs from district 'B' at its coordinates: kept as stated and flagged."],
    ]


def _stated_and_points(name: str, latitude: str, longitude: str, district: str) -> pd.DataFrame:
    raw = pd.read_csv(REAL / name, dtype=str, keep_default_na=False)
    lat = pd.to_numeric(raw[latitude], errors="coerce")
    lon = pd.to_numeric(raw[longitude], errors="coerce")
    stated = pd.to_numeric(raw[district], errors="coerce").astype("Int64").astype("str")
    return pd.DataFrame({"latitude": lat.mask(lat == 0), "longitude": lon.mask(lon == 0), "district_code": stated})


@pytest.mark.parametrize(
    ("boundaries", "files", "expected"),
    [
        (
            "baltimore_council_districts_2012.geojson",
            [("baltimore311_2019-10_sample.csv", "Latitude", "Longitude", "CouncilDistrict")],
            (282, 0, 2),  # two county addresses just outside the city, with no council district
        ),
        (
            "la_city_council_districts_2012.geojson",
            [
                ("myla311_2017_subset.csv", "Latitude", "Longitude", "CD"),
                ("myla311_2018_mini.csv", "Latitude", "Longitude", "CD"),
                ("myla311_2020_requests_seed.csv", "latitude", "longitude", "cd"),
            ],
            (886, 3, 0),
        ),
    ],
)
def test_real_records_own_districts_agree_with_the_polygons(boundaries: str, files: list, expected: tuple) -> None:
    """Real council districts and real 311 records of the same city: at least 99% agree."""
    districts = read_boundaries((REAL / boundaries).read_bytes(), boundaries, name_field=None, population_field=None)
    rows = pd.concat([_stated_and_points(*spec) for spec in files], ignore_index=True)
    located = locate(rows, districts)
    assert (located.compared, located.mismatches, located.outside) == expected
    assert 1 - located.mismatches / located.compared >= 0.99


# Kansas City, Missouri's city limits lie within this rectangle (no KC boundary file is in the shared
# data): every real pothole point is inside it, except the 42 geocoded to one point in New Mexico.
KANSAS_CITY = box(-94.77, 38.83, -94.38, 39.36)


def test_kansas_city_new_mexico_points_are_counted_outside_and_kept(engine: sa.Engine) -> None:
    boundary = gpd.GeoDataFrame({"district": ["KC"]}, geometry=[KANSAS_CITY], crs="EPSG:4326")
    import_districts(engine, boundary.to_json(drop_id=True).encode(), "kc.geojson", user="ana", role=Role.ANALYST)
    path = REAL / "kc311_potholes_2020JanFeb.csv"
    report = import_requests(
        engine,
        path.read_bytes(),
        path.name,
        replace(SETTINGS, timezone="America/Chicago"),
        ImportOptions(),
        role=Role.ANALYST,
    )
    assert (report.rows_read, report.inserted, report.rejected) == (4493, 4493, 0)
    assert (report.outside_districts, report.district_mismatches) == (42, 0)
    json = report.as_json()
    assert (json["outside_districts"], json["district_mismatches"]) == (42, 0)
    with engine.connect() as connection:
        flagged = connection.execute(
            sa.select(REQUESTS.c.latitude, REQUESTS.c.longitude, REQUESTS.c.district_code).where(
                REQUESTS.c.location_flag == OUTSIDE
            )
        ).all()
        flags = dict(
            connection.execute(
                sa.select(REQUESTS.c.location_flag, sa.func.count()).group_by(REQUESTS.c.location_flag)
            ).all()
        )
    assert len(flagged) == 42 and {(lat, lon) for lat, lon, _ in flagged} == {(35.797519, -103.890579)}
    assert flags == {OUTSIDE: 42, None: 4451}
    # One warning per New Mexico row: validation's "outside the county", not repeated by the location step.
    outside = report.problems[report.problems["message"].str.contains("outside")]
    assert len(outside) == outside["row"].nunique() == 42


def test_la_import_counts_mismatches_and_stores_flags_and_cells(engine: sa.Engine) -> None:
    council = REAL / "la_city_council_districts_2012.geojson"
    import_districts(engine, council.read_bytes(), council.name, user="ana", role=Role.ANALYST)
    path = REAL / "myla311_2017_subset.csv"
    settings = replace(SETTINGS, timezone="America/Los_Angeles")
    report = import_requests(engine, path.read_bytes(), path.name, settings, ImportOptions(), role=Role.ANALYST)
    assert (report.inserted, report.outside_districts, report.district_mismatches) == (300, 0, 1)
    mismatch = report.problems[report.problems["message"].str.contains("differs from district")]
    assert mismatch["column"].tolist() == ["CD"] and mismatch["severity"].tolist() == ["warning"]
    with engine.connect() as connection:
        query = sa.select(REQUESTS.c.latitude, REQUESTS.c.longitude, REQUESTS.c.h3_cell, REQUESTS.c.location_flag)
        # Objects: a float column would round the 64-bit cell ids.
        rows = pd.DataFrame(connection.execute(query).all(), dtype=object)
    located = rows[rows["latitude"].notna()]
    assert len(located) == 290 and located["h3_cell"].notna().all()
    expected = [
        h3.str_to_int(h3.latlng_to_cell(a, b, CELL_RESOLUTION)) for a, b in located[["latitude", "longitude"]].values
    ]
    assert located["h3_cell"].tolist() == expected
    assert (rows["location_flag"] == MISMATCH).sum() == 1


def test_the_migrations_give_stored_contacts_their_cells_and_the_cell_rollup(store_url: str) -> None:
    from voc.store.engine import upgrade_schema

    engine = store_at_revision(
        store_url,
        "0002",
        (
            "INSERT INTO service_requests (source, source_id, opened_at, opened_month, request_type, row_hash, "
            "latitude, longitude) VALUES ('crm', :id, '2026-03-02 14:00:00', '2026-03', 'POTHOLE', '', :lat, :lon)",
            [{"id": "1", "lat": 28.31, "lon": -82.33}, {"id": "2", "lat": None, "lon": None}],
        ),
    )
    upgrade_schema(engine)
    with engine.connect() as connection:
        cells = dict(connection.execute(sa.select(REQUESTS.c.source_id, REQUESTS.c.h3_cell)).all())
        rolled_up = connection.execute(sa.text("SELECT month, cell, category, contacts FROM monthly_cell_counts")).all()
        totals = connection.execute(sa.text("SELECT month, cell, contacts FROM monthly_cell_totals")).all()
    engine.dispose()
    assert cells == {"1": h3.str_to_int(h3.latlng_to_cell(28.31, -82.33, CELL_RESOLUTION)), "2": None}
    assert [tuple(row) for row in rolled_up] == [("2026-03", h3.str_to_int(h3.latlng_to_cell(28.31, -82.33, 8)), "", 1)]
    assert [tuple(row) for row in totals] == [("2026-03", h3.str_to_int(h3.latlng_to_cell(28.31, -82.33, 8)), 1)]
