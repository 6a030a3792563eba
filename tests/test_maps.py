"""Map data: district figures from the roll-up, H3 cells and repeat places grouped in SQL, the pydeck payload."""

from __future__ import annotations

import json
from collections import Counter

import geopandas as gpd
import h3
import pandas as pd
import pytest
import sqlalchemy as sa
from shapely.geometry import box

from tests.factories import located, request_frame
from voc.contacts.mapdata import PLACE_COLUMNS, district_figures, hex_cells, repeat_locations
from voc.contacts.trends import Filters
from voc.present.maps import NO_DATA, SEQUENTIAL, deck, legend, scale
from voc.store.districts import replace_districts
from voc.store.engine import open_store, write_transaction
from voc.store.requests import save_requests
from voc.store.uploads import start_upload

YEAR = Filters(first_month="2025-11", last_month="2026-10")


@pytest.fixture(scope="module")
def demo_engine(demo_store_url: str) -> sa.Engine:
    return open_store(demo_store_url)


def _in_months(requests: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    return requests[requests["opened_month"].between(first, last)]


@pytest.mark.parametrize("measure", ["contacts", "per_1000", "change"])
def test_district_figures_equal_sums_of_the_demo_contacts(demo_engine: sa.Engine, demo_county, measure: str) -> None:
    category = demo_county.requests["category"].value_counts().index[0]
    filters = Filters(first_month="2025-11", last_month="2026-10", categories=(category,))
    figures = district_figures(demo_engine, filters, measure=measure).set_index("code")
    chosen = demo_county.requests[demo_county.requests["category"] == category]
    now = _in_months(chosen, "2025-11", "2026-10").groupby("district_code").size()
    before = _in_months(chosen, "2024-11", "2025-10").groupby("district_code").size()
    population = demo_county.districts.set_index("code")["population"]
    assert figures["contacts"].to_dict() == now.to_dict()
    assert figures["contacts_year_earlier"].to_dict() == before.to_dict()
    assert figures["per_1000"].to_dict() == pytest.approx((now / population * 1000).to_dict())
    assert figures["change_pct"].to_dict() == pytest.approx(((now - before) / before * 100).to_dict())
    column = {"contacts": "contacts", "per_1000": "per_1000", "change": "change_pct"}[measure]
    assert figures["value"].tolist() == figures[column].tolist()
    assert figures.crs == "EPSG:4326" and figures.geometry.is_valid.all()


def test_district_figures_keep_the_chosen_districts_and_open_ends_take_the_stores_months(
    demo_engine: sa.Engine, demo_county
) -> None:
    figures = district_figures(demo_engine, Filters(districts=("2", "4")))
    assert figures["code"].tolist() == ["2", "4"]
    requests = demo_county.requests
    assert figures["contacts"].tolist() == [(requests["district_code"] == code).sum() for code in ("2", "4")]
    # A year before the store's first month there is nothing, so the earlier span holds the first year only.
    first = requests["opened_month"].min()
    last_earlier = f"{int(requests['opened_month'].max()[:4]) - 1}{requests['opened_month'].max()[4:]}"
    earlier = _in_months(requests, first, last_earlier)
    assert figures["contacts_year_earlier"].tolist() == [(earlier["district_code"] == c).sum() for c in ("2", "4")]


def test_district_figures_of_an_empty_store_are_zero(engine: sa.Engine, demo_county) -> None:
    with write_transaction(engine) as connection:
        replace_districts(connection, demo_county.districts.assign(population=None))
    figures = district_figures(engine, YEAR, measure="per_1000")
    assert figures["contacts"].tolist() == [0] * 5
    assert figures["per_1000"].isna().all() and figures["change_pct"].isna().all()


@pytest.mark.parametrize("resolution", [8, 6])
def test_hex_cells_total_the_filtered_contacts_cell_by_cell(
    demo_engine: sa.Engine, demo_county, resolution: int
) -> None:
    category, district = "Potholes", "3"
    filters = Filters(first_month="2025-11", last_month="2026-10", categories=(category,), districts=(district,))
    cells = hex_cells(demo_engine, filters, resolution=resolution)
    chosen = _in_months(demo_county.requests, "2025-11", "2026-10")
    chosen = chosen[(chosen["category"] == category) & (chosen["district_code"] == district)]
    assert cells["contacts"].sum() == len(chosen)
    expected = Counter(
        h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 10), resolution)
        for lat, lon in zip(chosen["latitude"], chosen["longitude"], strict=True)
    )
    assert dict(zip(cells["cell"], cells["contacts"], strict=True)) == expected
    assert cells["contacts"].is_monotonic_decreasing


def _store(engine: sa.Engine, rows: list[dict[str, object]]) -> None:
    frame = located(request_frame(rows))
    with write_transaction(engine) as connection:
        save_requests(
            connection, frame, upload_id=start_upload(connection, kind="requests", file_name="f", sha256="", user="t")
        )


def test_hex_cells_coarsen_stored_cells_in_sql_on_both_stores(engine: sa.Engine) -> None:
    points = [(28.31, -82.33), (28.3101, -82.3301), (39.29, -76.61), (34.05, -118.24), (-33.87, 151.21)]
    _store(
        engine,
        [
            {"source_id": str(i), "opened_at": "2026-03-02 14:00", "latitude": a, "longitude": b}
            for i, (a, b) in enumerate(points)
        ],
    )
    for resolution in (0, 5, 8):
        cells = hex_cells(engine, Filters(), resolution=resolution)
        expected = Counter(h3.cell_to_parent(h3.latlng_to_cell(a, b, 10), resolution) for a, b in points)
        assert dict(zip(cells["cell"], cells["contacts"], strict=True)) == expected
    with pytest.raises(ValueError, match="resolution"):
        hex_cells(engine, Filters(), resolution=9)
    with pytest.raises(ValueError, match="channel"):
        hex_cells(engine, Filters(channels=("web",)))


def test_repeat_locations_by_address_and_by_cell(engine: sa.Engine) -> None:
    here, there = (28.31, -82.33), (28.40, -82.50)
    rows = [
        {"source_id": "1", "opened_at": "2026-03-02 14:00", "address": "12 Elm St", "category": "Potholes"},
        {"source_id": "2", "opened_at": "2026-03-09 14:00", "address": " 12 ELM ST ", "category": "Trash",
         "department": "Solid Waste"},
        {"source_id": "3", "opened_at": "2026-04-20 09:00", "address": "12 elm st", "category": "Potholes"},
        {"source_id": "4", "opened_at": "2026-03-03 10:00", "address": "9 Oak Ave", "category": "Potholes"},
        {"source_id": "5", "opened_at": "2026-03-04 10:00", "address": "9 Oak Ave", "category": "Potholes"},
    ]  # fmt: skip
    for row, (lat, lon) in zip(rows, [here, here, here, there, there], strict=True):
        row.update(latitude=lat, longitude=lon)
    _store(engine, rows)
    places = repeat_locations(engine, Filters(), min_contacts=3)
    assert list(places.columns) == PLACE_COLUMNS
    assert places.drop(columns=["first_opened", "last_opened"]).to_dict("records") == [
        {"place": "12 ELM ST", "contacts": 3, "departments": 2, "categories": "Potholes; Trash"}
    ]
    assert places["first_opened"].iloc[0] == pd.Timestamp("2026-03-02 14:00", tz="UTC")
    assert places["last_opened"].iloc[0] == pd.Timestamp("2026-04-20 09:00", tz="UTC")
    assert repeat_locations(engine, Filters(last_month="2026-03"), min_contacts=3).empty
    by_cell = repeat_locations(engine, Filters(), min_contacts=2, by="cell")
    assert by_cell["place"].tolist() == [h3.latlng_to_cell(*here, 10), h3.latlng_to_cell(*there, 10)]
    assert by_cell["contacts"].tolist() == [3, 2]


def _layers(payload: dict) -> list[dict]:
    return payload["layers"]


def test_the_demo_map_payload_is_small_and_holds_no_raw_points(demo_engine: sa.Engine, demo_county) -> None:
    figures = district_figures(demo_engine, YEAR, measure="change")
    cells = hex_cells(demo_engine, YEAR)
    text = deck(figures, cells, measure="change").to_json()
    assert len(text.encode()) < 1_000_000
    payload = json.loads(text)
    kinds = Counter(layer["@@type"] for layer in _layers(payload))
    # The districts, their hexagons and their names (each at a point inside its district: no resident's point).
    assert set(kinds) == {"GeoJsonLayer", "H3HexagonLayer", "TextLayer"} and kinds["GeoJsonLayer"] == 1
    hexagons = [row for layer in _layers(payload) if layer["@@type"] == "H3HexagonLayer" for row in layer["data"]]
    assert len(hexagons) == len(cells) < len(_in_months(demo_county.requests, "2025-11", "2026-10")) / 10
    assert {key for row in hexagons for key in row} == {"cell", "tooltip"}
    districts = _layers(payload)[0]["data"]["features"]
    assert [f["properties"]["code"] for f in districts] == ["1", "2", "3", "4", "5"]
    assert {key for f in districts for key in f["properties"]} == {"code", "name", "fill", "tooltip"}
    for address in demo_county.requests["address"].head(200):
        assert address not in text


def test_the_map_has_no_tiles_unless_a_basemap_style_is_set(demo_engine: sa.Engine) -> None:
    figures = district_figures(demo_engine, YEAR)
    plain = json.loads(deck(figures).to_json())
    # pydeck's "no basemap" marker: Streamlit fetches Carto's tiles when mapStyle is missing or null.
    assert plain.get("mapProvider") is None and plain["mapStyle"] == "__MAP_STYLE__"
    style = "https://tiles.example.org/styles/positron/style.json"
    with_tiles = json.loads(deck(figures, basemap_style=style).to_json())
    assert with_tiles["mapStyle"] == style


def test_tooltips_are_plain_text_with_names_kept_as_data(demo_engine: sa.Engine) -> None:
    figures = district_figures(demo_engine, YEAR)
    figures.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    built = deck(figures)
    assert built._tooltip == {"text": "{tooltip}"}
    feature = json.loads(built.to_json())["layers"][0]["data"]["features"][0]
    assert feature["properties"]["tooltip"].startswith("<img src=x onerror=alert(1)>\n")
    assert f"{figures.loc[0, 'contacts']:,} contacts" in feature["properties"]["tooltip"]


@pytest.mark.parametrize(
    ("values", "measure", "labels"),
    [
        ([3, 12, 37], "contacts", ["0 to 10", "10 to 20", "20 to 30", "30 to 40"]),
        ([0.2, 1.9], "per_1000", ["0 to 0.5", "0.5 to 1", "1 to 1.5", "1.5 to 2"]),
        ([102.3, 112.6], "per_1000", ["100 to 105", "105 to 110", "110 to 115"]),
        # The demo county's five districts: no band beyond the largest district.
        ([25_122, 25_840, 20_456, 22_679, 23_411], "contacts", ["20,000 to 22,000", "22,000 to 24,000",
                                                                "24,000 to 26,000"]),
        ([-12.0, 30.0], "change", ["\u221250% to \u221230%", "\u221230% to \u221210%", "\u221210% to +10%",
                                   "+10% to +30%", "+30% to +50%"]),
        ([5.0, None], "per_1000", ["5 to 6", "No data"]),
        ([-0.3, 0.21], "change", ["\u22120.5% to \u22120.3%", "\u22120.3% to \u22120.1%", "\u22120.1% to +0.1%",
                                  "+0.1% to +0.3%", "+0.3% to +0.5%"]),
        ([1.0, 3.4], "per_1000", ["1 to 1.5", "1.5 to 2", "2 to 2.5", "2.5 to 3", "3 to 3.5"]),
    ],
)  # fmt: skip
def test_legends_have_equal_round_classes_or_symmetric_ones_around_zero(
    values: list, measure: str, labels: list
) -> None:
    table = legend(pd.Series(values, dtype=float), measure=measure)
    assert table["label"].tolist() == labels
    assert table["colour"].str.fullmatch("#[0-9a-f]{6}").all()
    assert (table["colour"].iloc[-1] == NO_DATA) == (None in values)


def test_change_is_coloured_on_a_diverging_scale_and_counts_on_a_sequential_one() -> None:
    change = scale(pd.Series([-8.0, 3.0]), measure="change")
    counts = scale(pd.Series([8.0, 3.0]), measure="contacts")
    assert change.edges[0] == -change.edges[-1] and change.percent
    assert counts.edges == (3, 4, 5, 6, 7, 8) and not counts.percent
    assert change.colours != counts.colours


def test_a_districts_only_map_fills_districts_and_a_hexagon_map_outlines_them() -> None:
    figures = gpd.GeoDataFrame(
        {"code": ["1"], "name": ["North"], "population": [100], "contacts": [5], "per_1000": [50.0],
         "contacts_year_earlier": [4], "change_pct": [25.0], "value": [5]},
        geometry=[box(0, 0, 1, 1)], crs="EPSG:4326",
    )  # fmt: skip
    alone = json.loads(deck(figures).to_json())["layers"]
    under = json.loads(deck(figures, pd.DataFrame({"cell": ["8a2a1072b59ffff"], "contacts": [5]})).to_json())["layers"]
    assert [layer["filled"] for layer in alone if layer["@@type"] == "GeoJsonLayer"] == [True]
    assert under[0]["filled"] is False and under[1]["data"] == [
        {"cell": "8a2a1072b59ffff", "tooltip": "5 contacts in this hexagon"}
    ]


def test_an_empty_store_maps_to_no_districts_and_no_legend(engine: sa.Engine) -> None:
    figures = district_figures(engine, YEAR)
    assert figures.empty and list(figures.columns)[-1] == "geometry"
    payload = json.loads(deck(figures, hex_cells(engine, YEAR)).to_json())
    assert payload["layers"][0]["data"]["features"] == [] and len(payload["layers"]) == 1
    assert legend(figures["value"], measure="contacts").empty


def test_sequential_bands_span_the_data_and_keep_the_scheme_s_ends() -> None:
    chosen = scale(pd.Series([20_456.0, 25_840.0]), measure="contacts")
    assert chosen.edges[0] <= 20_456 and chosen.edges[-2] < 25_840 <= chosen.edges[-1]  # the top band holds the max
    assert chosen.colours[0] == SEQUENTIAL[0] and chosen.colours[-1] == SEQUENTIAL[-1]


def test_districts_are_named_on_the_map_and_the_selected_one_outlined() -> None:
    figures = gpd.GeoDataFrame(
        {"code": ["1", "2"], "name": ["North", "Süd"], "population": [100, 100], "contacts": [5, 7],
         "per_1000": [50.0, 70.0], "contacts_year_earlier": [4, 7], "change_pct": [25.0, 0.0], "value": [5, 7]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326",
    )  # fmt: skip
    plain = json.loads(deck(figures).to_json())["layers"]
    assert [layer["id"] for layer in plain] == ["districts", "district-names"]
    names = plain[-1]
    assert names["@@type"] == "TextLayer" and names["characterSet"] == "auto"  # "Süd" needs more than ASCII
    assert [(row["name"], row["position"]) for row in names["data"]] == [("North", [0.5, 0.5]), ("Süd", [1.5, 0.5])]
    picked = json.loads(deck(figures, selected="2").to_json())["layers"]
    assert [layer["id"] for layer in picked] == ["districts", "selected", "district-names"]
    assert [f["properties"]["code"] for f in picked[1]["data"]["features"]] == ["2"] and not picked[1]["filled"]
    assert [layer["id"] for layer in json.loads(deck(figures, selected="9").to_json())["layers"]] == [
        "districts",
        "district-names",
    ]
