"""Files made to harm the server (issue 14): each is refused with a clear message, nothing is written,
no local file or URL is read, and the process that received it keeps serving.

Every hostile file is built in tests/hostile_inputs.py and is small on disk; the harm is in what it declares. Uploads go
through the real entry points (import_requests, import_districts) on SQLite and PostgreSQL, and every
table is compared before and after.
"""

from __future__ import annotations

import ctypes
import http.server
import io
import resource
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import box

from tests.files import REAL
from tests.hostile_inputs import (
    BOUNDARIES,
    SECRET,
    SPREADSHEETS,
    Hostile,
    RequestRecorder,
    jagged_district,
    squares,
    stray_cell_xlsx,
    topojson,
    vrt,
)
from tests.stores import fresh_postgres_schema, store_state
from voc.core.access import Role
from voc.core.config import Settings
from voc.core.errors import FileRefused, VocError
from voc.ingest.boundaries import import_districts, read_boundaries
from voc.ingest.child import run_limited
from voc.ingest.limits import MAX_BYTES, MAX_DISTRICTS, MAX_ROWS, MAX_VERTICES
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.read import parse_table, read_table
from voc.store.engine import open_store

SETTINGS = Settings(database_url="", timezone="America/New_York", max_upload_bytes=200 * 1024**2,
                    redact_personal=True, user="ana")  # fmt: skip


# --- the store before and after ------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """A store holding districts and a month of contacts, shared by the module's cases on each backend."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'voc.db'}"])
    else:
        urls = fresh_postgres_schema(request.getfixturevalue("postgres_server"))
    engine = open_store(next(urls))
    baltimore = REAL / "baltimore_council_districts_2012.geojson"
    import_districts(engine, baltimore.read_bytes(), baltimore.name, user="ana", role=Role.ANALYST)
    month = (REAL / "baltimore311_2019-10_sample.csv").read_bytes()
    assert import_requests(engine, month, "baltimore.csv", SETTINGS, ImportOptions(), role=Role.ANALYST).inserted
    yield engine
    engine.dispose()
    next(urls, None)  # drops the PostgreSQL schema


@pytest.mark.parametrize("case", SPREADSHEETS, ids=[case.name for case in SPREADSHEETS])
def test_a_hostile_spreadsheet_is_refused_and_changes_nothing(store: sa.Engine, case: Hostile, tmp_path: Path) -> None:
    data = case.make(tmp_path)
    assert len(data) < 200_000, "a hostile file is small; its harm is in what it declares"
    before = store_state(store)
    with pytest.raises(FileRefused) as refusal:
        import_requests(store, data, case.file_name, SETTINGS, ImportOptions(), role=Role.ANALYST)
    assert case.message in str(refusal.value)
    assert store_state(store) == before


@pytest.mark.parametrize("case", BOUNDARIES, ids=[case.name for case in BOUNDARIES])
def test_a_hostile_boundary_file_is_refused_reads_nothing_and_changes_nothing(
    store: sa.Engine, case: Hostile, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text(f"{SECRET}\nclient_secret=TOPSECRET-b41d\n")
    before = store_state(store)
    with pytest.raises(FileRefused) as refusal:
        import_districts(store, case.make(tmp_path), case.file_name, user="ana", role=Role.ANALYST)
    assert case.message in str(refusal.value)
    assert "TOPSECRET" not in str(refusal.value)
    after = store_state(store)
    assert after == before
    assert "TOPSECRET" not in repr(after)


def test_the_disguised_vrt_really_reads_the_file_when_gdal_chooses(tmp_path: Path) -> None:
    # The reproduction is live: left to choose its driver, GDAL reads the secret through it.
    import pyogrio

    (tmp_path / "secret.txt").write_text(f"{SECRET}\n")
    assert SECRET in set(pyogrio.read_dataframe(io.BytesIO(vrt(str(tmp_path / "secret.txt"))))["name"])


def test_a_boundary_file_naming_a_url_fetches_nothing() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RequestRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/secret.csv"
    try:
        for data, name in [(vrt(f"/vsicurl/{url}"), "districts.geojson"), (f"/vsicurl/{url}".encode(), "d.json")]:
            with pytest.raises(FileRefused, match="not a boundary file voc can read"):
                read_boundaries(data, name, name_field=None, population_field=None)
    finally:
        server.shutdown()
    assert RequestRecorder.paths == []


def test_topojson_and_geopackage_still_read_with_their_driver_forced(tmp_path: Path) -> None:
    topology = read_boundaries(topojson(), "districts.topojson", name_field=None, population_field=None)
    assert sorted(zip(topology["code"], topology["name"], strict=True)) == [("1", "North"), ("2", "South")]
    frame = gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
    frame.to_file(tmp_path / "d.gpkg", driver="GPKG")
    package = read_boundaries((tmp_path / "d.gpkg").read_bytes(), "d.gpkg", name_field=None, population_field=None)
    assert list(package["code"]) == ["A", "B"]


# --- the limited child process -------------------------------------------------------------------


def test_the_parent_keeps_serving_after_the_worst_files() -> None:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for corner in ("XFD1048575", "XFD20000"):
        with pytest.raises(FileRefused, match="needed more than the 4,096 MB of memory"):
            read_table(stray_cell_xlsx(corner), "stray.xlsx")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 100, "the parent's memory did not take the blow"
    real = read_table((REAL / "kc311_potholes_2020JanFeb.xlsx").read_bytes(), "kc.xlsx")
    assert len(real.frame) > 1000


def test_a_parse_past_its_time_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_PARSE_SECONDS", "1")
    started = time.monotonic()
    with pytest.raises(FileRefused, match=r"Reading 'slow.xlsx' took longer than 1 seconds"):
        run_limited("slow.xlsx", time.sleep, 60)
    assert time.monotonic() - started < 10


def test_a_parse_past_its_memory_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_PARSE_MEMORY_MB", "256")
    with pytest.raises(FileRefused, match=r"'big.csv' needed more than the 256 MB of memory"):
        run_limited("big.csv", bytearray, 512 * 1024 * 1024)
    assert len(run_limited("small.csv", bytearray, 64 * 1024 * 1024)) == 64 * 1024 * 1024


def test_a_reader_crashing_in_native_code_fails_alone() -> None:
    with pytest.raises(FileRefused, match="The reader crashed on 'crash.xlsx'"):
        run_limited("crash.xlsx", ctypes.string_at, 0)  # reads address 0: a segmentation fault


def test_the_parse_refusals_and_bugs_come_back_as_they_were_raised() -> None:
    workbook = (REAL / "kc_pothole_metric_tree.xlsx").read_bytes()
    with pytest.raises(VocError, match="no sheet named 'Nope'"):
        run_limited("x.xlsx", parse_table, workbook, "x.xlsx", sheet="Nope", max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    with pytest.raises(ValueError, match="invalid literal") as bug:
        run_limited("x.csv", int, "not a number")
    assert any("Traceback" in note for note in bug.value.__notes__)


def test_a_parse_child_never_runs_the_servers_main_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Under Streamlit `__main__` is the app script that ran last; multiprocessing would have each
    # child run it again (app.py signing-in and all) before the parse.
    ran = tmp_path / "main-script-ran"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(ran)!r}, 'w').close()\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)

    assert run_limited("x.csv", int, "41") == 41
    assert not ran.exists()


def test_there_are_at_least_twenty_hostile_inputs() -> None:
    assert len(SPREADSHEETS) + len(BOUNDARIES) + 6 >= 20  # and the URL, time, memory and crash cases


def test_boundary_files_at_the_caps_still_read() -> None:
    grid = read_boundaries(squares(MAX_DISTRICTS), "grid.geojson", name_field=None, population_field=None)
    assert len(grid) == MAX_DISTRICTS
    round_one = read_boundaries(jagged_district(MAX_VERTICES - 1), "round.geojson", name_field=None,
                                population_field=None)  # fmt: skip
    assert list(round_one["code"]) == ["1"]
