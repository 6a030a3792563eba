"""District boundaries: real files in several formats and CRSs, repairs, guessed fields, refusals, the store."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from shapely.geometry import Point, Polygon, box

from tests.files import REAL
from voc.cli import main
from voc.core.access import Role
from voc.core.errors import FileRefused, VocError
from voc.ingest.boundaries import import_districts, read_boundaries
from voc.store.cells import cell_resolution
from voc.store.districts import load_districts, set_populations
from voc.store.engine import data_version

BALTIMORE = REAL / "baltimore_council_districts_2012.geojson"
LA_COUNCIL = REAL / "la_city_council_districts_2012.geojson"
LA_NEIGHBOURHOODS = REAL / "la_neighborhood_councils_2020_first25.geojson"
SAN_DIEGO = REAL / "sd_council_districts_datasd_first3.geojson"


def _read(path: Path, **fields: str | None) -> gpd.GeoDataFrame:
    return read_boundaries(
        path.read_bytes(),
        path.name,
        name_field=fields.get("name_field"),
        population_field=fields.get("population_field"),
        code_field=fields.get("code_field"),
    )


def _geojson(features: list[tuple[dict, object]]) -> bytes:
    """Write (properties, shapely geometry) pairs as a GeoJSON FeatureCollection."""
    frame = gpd.GeoDataFrame([p for p, _ in features], geometry=[g for _, g in features], crs="EPSG:4326")
    return frame.to_json(drop_id=True).encode()


def _within(bounds: np.ndarray, box_: tuple[float, float, float, float]) -> bool:
    min_lon, min_lat, max_lon, max_lat = box_
    return bool(bounds[0] >= min_lon and bounds[1] >= min_lat and bounds[2] <= max_lon and bounds[3] <= max_lat)


def test_baltimore_council_districts_read_with_guessed_code_and_name() -> None:
    districts = _read(BALTIMORE)
    assert sorted(districts["code"], key=int) == [str(n) for n in range(1, 15)]
    assert dict(zip(districts["code"], districts["name"], strict=True))["8"] == "District 8"
    assert districts.attrs["code_field"] == "id" and districts.attrs["name_field"] == "name"
    assert districts.crs == "EPSG:4326" and districts.is_valid.all()
    assert _within(districts.total_bounds, (-76.72, 39.19, -76.52, 39.38))
    assert districts["population"].isna().all()


def test_la_neighbourhood_councils_in_web_mercator_come_back_in_wgs84() -> None:
    """The file's coordinates are EPSG:3857 metres; it says so, and a copy without its crs member reads the same."""
    declared = _read(LA_NEIGHBOURHOODS)
    data = json.loads(LA_NEIGHBOURHOODS.read_bytes())
    del data["crs"]
    undeclared = read_boundaries(json.dumps(data).encode(), "nc.geojson", name_field=None, population_field=None)
    for districts in (declared, undeclared):
        assert districts.attrs["source_crs"] == "EPSG:3857"
        # Los Angeles; Sunland-Tujunga's polygon really reaches out to -117.66, 34.91 in this file.
        assert _within(districts.total_bounds, (-118.7, 33.9, -117.6, 35.0))
        assert len(districts) == 25
    assert np.allclose(declared.total_bounds, undeclared.total_bounds)
    # nc_id is "0" for both Historic Cultural North and North Westwood: two districts, so it is no code.
    assert (declared.attrs["code_field"], declared.attrs["name_field"]) == ("Name", "Name")
    assert "Sylmar" in set(declared["code"])


def test_features_of_one_district_may_share_a_guessed_code() -> None:
    """The whole council file has Westwood in two features, both named Westwood and numbered 63."""
    data = json.loads(LA_NEIGHBOURHOODS.read_bytes())
    data["features"][1]["properties"].update(Name="Historic Cultural North", nc_id="55")
    data["features"][0]["properties"]["nc_id"] = "55"
    districts = read_boundaries(json.dumps(data).encode(), "nc.geojson", name_field=None, population_field=None)
    assert districts.attrs["code_field"] == "nc_id" and districts.attrs["merged"] == 1 and len(districts) == 24


def test_la_council_districts_take_the_district_number_as_code() -> None:
    districts = _read(LA_COUNCIL)
    assert sorted(districts["code"], key=int) == [str(n) for n in range(1, 16)]
    assert districts.attrs["code_field"] == "external_id"
    assert set(districts["name"]) == {f"District {n}" for n in range(1, 16)}


def test_san_diego_council_districts_import() -> None:
    districts = _read(SAN_DIEGO)
    assert list(districts["code"]) == ["1", "2", "3"]
    assert districts.attrs["code_field"] == "district"
    assert _within(districts.total_bounds, (-117.4, 32.5, -116.9, 33.2))


def _zipped_shapefile(frame: gpd.GeoDataFrame, tmp_path: Path, *, folder: str = "", prj: bool = True) -> bytes:
    frame.to_file(tmp_path / "districts.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in tmp_path.glob("districts.*"):
            if prj or part.suffix != ".prj":
                archive.write(part, folder + part.name)
    return buffer.getvalue()


@pytest.mark.parametrize("folder", ["", "Council_Districts/"])
def test_a_zipped_shapefile_in_maryland_state_plane_reads_back_in_wgs84(tmp_path: Path, folder: str) -> None:
    original = _read(BALTIMORE)
    data = _zipped_shapefile(original.to_crs("EPSG:2804"), tmp_path, folder=folder)
    districts = read_boundaries(data, "council.zip", name_field="name", population_field=None, code_field="code")
    assert districts.attrs["source_crs"] == "EPSG:2804"
    assert sorted(districts["code"]) == sorted(original["code"])
    assert np.allclose(districts.total_bounds, original.total_bounds, atol=1e-6)


def test_a_shapefile_without_its_prj_is_refused_rather_than_guessed(tmp_path: Path) -> None:
    data = _zipped_shapefile(_read(BALTIMORE).to_crs("EPSG:2804"), tmp_path, prj=False)
    with pytest.raises(FileRefused, match=r"\.prj"):
        read_boundaries(data, "council.zip", name_field=None, population_field=None)


def test_a_geopackage_in_web_mercator_reads_back_in_wgs84(tmp_path: Path) -> None:
    original = _read(BALTIMORE)
    original.to_crs("EPSG:3857").to_file(tmp_path / "council.gpkg", driver="GPKG")
    districts = read_boundaries(
        (tmp_path / "council.gpkg").read_bytes(), "council.gpkg", name_field=None, population_field=None
    )
    assert districts.attrs["source_crs"] == "EPSG:3857"
    assert districts.attrs["code_field"] == "code"
    assert np.allclose(districts.total_bounds, original.total_bounds, atol=1e-6)


def test_a_self_intersecting_bow_tie_is_repaired_into_its_two_triangles() -> None:
    bow_tie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    assert not bow_tie.is_valid
    data = _geojson([({"district": 1}, bow_tie), ({"district": 2}, box(2, 0, 3, 1))])
    districts = read_boundaries(data, "d.geojson", name_field=None, population_field=None)
    repaired = districts.set_index("code").geometry["1"]
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    assert repaired.area == pytest.approx(0.5)
    assert districts.attrs["repaired"] == 1


def test_features_sharing_a_code_are_merged_and_points_among_polygons_dropped() -> None:
    data = _geojson(
        [
            ({"ward": "A", "population": 100}, box(0, 0, 1, 1)),
            ({"ward": "A", "population": 100}, box(5, 5, 6, 6)),
            ({"ward": "B", "population": 50}, box(1, 0, 2, 1)),
            ({"ward": "C", "population": 0}, Point(9, 9)),
        ]
    )
    districts = read_boundaries(
        data, "wards.geojson", name_field=None, population_field="POPULATION", code_field="ward"
    )
    assert list(districts["code"]) == ["A", "B"]
    assert list(districts["population"]) == [100, 50]
    assert districts.set_index("code").geometry["A"].area == pytest.approx(2.0)
    assert districts.attrs["merged"] == 1


@pytest.mark.parametrize(
    ("properties", "code_field", "name_field"),
    [
        ({"OBJECTID": [1, 2], "district": [7, 9], "name": ["North", "South"]}, "district", "name"),
        ({"OBJECTID": [1, 2], "nc_id": ["44", "55"], "Name": ["Echo Park", "Koreatown"]}, "nc_id", "Name"),
        ({"fid": [1, 2], "Name": ["Echo Park", "Koreatown"]}, "Name", "Name"),
        ({"OBJECTID": [1, 2], "WARD_NO": ["1", "2"], "Shape_Area": [3.5, 4.5]}, "WARD_NO", None),
    ],
)
def test_the_code_field_is_guessed(properties: dict, code_field: str, name_field: str | None) -> None:
    rows = [dict(zip(properties, values, strict=True)) for values in zip(*properties.values(), strict=True)]
    data = _geojson([(row, box(i, 0, i + 1, 1)) for i, row in enumerate(rows)])
    districts = read_boundaries(data, "d.geojson", name_field=None, population_field=None)
    assert (districts.attrs["code_field"], districts.attrs["name_field"]) == (code_field, name_field)


def test_codes_are_text_and_a_numeric_code_names_district_n() -> None:
    data = _geojson([({"district": 1.0}, box(0, 0, 1, 1)), ({"district": 10.0}, box(1, 0, 2, 1))])
    districts = read_boundaries(data, "d.geojson", name_field=None, population_field=None)
    assert list(districts["code"]) == ["1", "10"]
    assert list(districts["name"]) == ["District 1", "District 10"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x00\x01 not a map at all", "boundaries.geojson", "not a boundary file voc can read"),
        (b"PK\x03\x04 broken", "boundaries.zip", "not a readable zip file"),
        (b"\x00\x01", "districts.shp", "zip them together"),
        (_geojson([({"district": 1}, Point(0, 0))]), "points.geojson", r"no polygons \(only Point\)"),
        (b'{"type": "FeatureCollection", "features": []}', "empty.geojson", "no features"),
    ],
)
def test_what_is_not_a_boundary_file_is_refused(data: bytes, name: str, message: str) -> None:
    with pytest.raises(FileRefused, match=message):
        read_boundaries(data, name, name_field=None, population_field=None)


def test_a_zip_without_a_shapefile_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no shapes here")
    with pytest.raises(FileRefused, match=r"no shapefile \(\.shp\)"):
        read_boundaries(buffer.getvalue(), "b.zip", name_field=None, population_field=None)


def test_an_unknown_field_is_refused_with_the_fields_listed() -> None:
    with pytest.raises(FileRefused, match=r"has no field 'council'\. Its fields are: id, name\."):
        _read(BALTIMORE, code_field="council")
    with pytest.raises(FileRefused, match=r"'name' .* does not hold populations"):
        _read(BALTIMORE, population_field="name")


def test_no_guessable_code_field_is_refused() -> None:
    data = _geojson([({"note": "same"}, box(0, 0, 1, 1)), ({"note": "same"}, box(1, 0, 2, 1))])
    with pytest.raises(FileRefused, match=r"Name the code field .* Its fields are: note\."):
        read_boundaries(data, "d.geojson", name_field=None, population_field=None)


def test_import_replaces_districts_keeps_entered_populations_and_logs(engine: sa.Engine) -> None:
    first = import_districts(engine, BALTIMORE.read_bytes(), BALTIMORE.name, user="ana", role=Role.ANALYST)
    assert (first.count, first.code_field, first.source_crs) == (14, "id", "EPSG:4326")
    version = data_version(engine)
    set_populations(engine, {"1": 42_000, "8": 39_500}, user="ana", role=Role.ANALYST)
    assert data_version(engine) > version
    import_districts(engine, BALTIMORE.read_bytes(), BALTIMORE.name, user="ana", role=Role.ANALYST)
    stored = load_districts(engine)
    assert dict(zip(stored["code"], stored["population"], strict=True))["8"] == 39_500
    assert stored.geometry.is_valid.all() and len(stored) == 14
    display = load_districts(engine, display=True)
    assert display.to_crs("EPSG:6933").area.sum() == pytest.approx(stored.to_crs("EPSG:6933").area.sum(), rel=0.01)
    la = import_districts(engine, LA_COUNCIL.read_bytes(), LA_COUNCIL.name, user="ana", role=Role.ANALYST)
    assert la.count == 15 and len(load_districts(engine)) == 15


def test_set_populations_refuses_unknown_codes_and_negative_counts(engine: sa.Engine) -> None:
    import_districts(engine, SAN_DIEGO.read_bytes(), SAN_DIEGO.name, user="ana", role=Role.ANALYST)
    with pytest.raises(VocError, match=r"no district '9'\. The districts are: 1, 2, 3\."):
        set_populations(engine, {"9": 1}, user="ana", role=Role.ANALYST)
    with pytest.raises(VocError, match="negative"):
        set_populations(engine, {"2": -5}, user="ana", role=Role.ANALYST)
    assert load_districts(engine)["population"].isna().all()


def test_cli_imports_districts(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    done = runner.invoke(main, ["import", "districts", str(LA_NEIGHBOURHOODS), "--name-field", "NAME_2"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(
        "Imported 25 districts from la_neighborhood_councils_2020_first25.geojson "
        "(codes from 'Name', names from 'name_2', no populations; EPSG:3857)."
    )
    refused = runner.invoke(main, ["import", "districts", str(LA_NEIGHBOURHOODS), "--code-field", "council"])
    assert refused.exit_code == 2 and "has no field 'council'" in refused.output


def test_cell_resolution_keeps_the_hexagon_count_bounded() -> None:
    county = gpd.GeoDataFrame(geometry=[box(-82.8, 28.15, -82.0, 28.5)], crs="EPSG:4326")  # about 2,700 km²
    assert cell_resolution(county) == 8
    assert cell_resolution(county, max_cells=1_000) == 7
    large = gpd.GeoDataFrame(geometry=[box(-117.8, 34.0, -114.1, 35.8)], crs="EPSG:4326")  # San Bernardino-sized
    assert cell_resolution(large) == 6
