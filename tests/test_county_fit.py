"""Does a file belong to this county? The pre-import check on real exports of the county's own city and of others."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.apptest import open_app_page, plain_texts
from tests.files import REAL
from voc.core.access import Role
from voc.core.config import load_settings
from voc.ingest.boundaries import import_districts
from voc.ingest.fit import FOREIGN_GAP_MONTHS, FOREIGN_SHARE, CountyKnown, county_fit
from voc.ingest.pipeline import ImportOptions, ImportReport, import_requests

BALTIMORE = REAL / "baltimore311_2019-10_sample.csv"
BALTIMORE_DISTRICTS = REAL / "baltimore_council_districts_2012.geojson"
NYC = REAL / "nyc311_2024-04_sample.csv"
DRY_RUN = ImportOptions(dry_run=True)


def _halves(path) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    """Split a real export into its first and second half of records, each under the header."""
    header, *records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    middle = len(records) // 2

    def written(part: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows([header, *part])
        return out.getvalue().encode()

    return written(records[:middle]), written(records[middle:])


def _dry_run(engine: sa.Engine, data: bytes, name: str) -> ImportReport:
    return import_requests(engine, data, name, load_settings(), DRY_RUN, role=Role.ANALYST)


@pytest.fixture
def baltimore(engine: sa.Engine) -> tuple[sa.Engine, bytes]:
    """A store of Baltimore: its council districts and the first half of a real 311 export; the second half."""
    import_districts(engine, BALTIMORE_DISTRICTS.read_bytes(), BALTIMORE_DISTRICTS.name, user="ana", role=Role.ANALYST)
    first, second = _halves(BALTIMORE)
    import_requests(engine, first, "baltimore-first-half.csv", load_settings(), role=Role.ANALYST)
    return engine, second


def test_the_county_s_own_next_file_fits(baltimore: tuple[sa.Engine, bytes]) -> None:
    engine, second = baltimore
    fit = _dry_run(engine, second, "baltimore-second-half.csv").county_check
    assert fit is not None and not fit.looks_foreign and fit.signs == ()
    assert fit.points_inside is not None and fit.points_inside >= 0.99  # two county addresses lie outside the city
    assert fit.districts_known == 1.0
    assert fit.months_apart == 0
    assert fit.types_known is not None and FOREIGN_SHARE <= fit.types_known < 1  # a few types are new this half
    assert fit.summary().startswith("Compared with what the store holds: ")


def test_another_city_s_file_is_flagged_on_every_count(baltimore: tuple[sa.Engine, bytes]) -> None:
    engine, _ = baltimore
    report = _dry_run(engine, NYC.read_bytes(), NYC.name)
    fit = report.county_check
    assert report.rejected == 0  # every row is readable: only the file as a whole gives it away
    assert fit is not None and fit.looks_foreign
    assert fit.points > 0 and fit.points_inside == 0.0
    assert fit.types_known is not None and fit.types_known < FOREIGN_SHARE
    assert (fit.first_month, fit.last_month) == ("2024-04", "2024-04")
    assert fit.months_apart is not None and fit.months_apart > FOREIGN_GAP_MONTHS
    assert len(fit.signs) >= 3
    assert any("after the store's (Oct 2019)" in sign for sign in fit.signs)


def test_a_baltimore_file_in_the_demo_county_is_flagged(demo_store_url: str) -> None:
    from voc.store.engine import open_store

    engine = open_store(demo_store_url)
    report = _dry_run(engine, BALTIMORE.read_bytes(), BALTIMORE.name)
    engine.dispose()
    fit = report.county_check
    assert fit is not None and fit.looks_foreign and fit.points_inside == 0.0 and fit.types_known == 0.0
    assert any("months before the store's" in sign for sign in fit.signs)
    assert report.warnings >= fit.points  # each point outside the county is kept with a warning


def test_the_first_file_of_an_empty_store_has_nothing_to_compare_with(engine: sa.Engine) -> None:
    fit = _dry_run(engine, BALTIMORE.read_bytes(), BALTIMORE.name).county_check
    assert fit is not None and not fit.looks_foreign
    assert (fit.points_inside, fit.districts_known, fit.types_known, fit.months_apart) == (None, None, None, None)
    assert fit.summary() == ""


@pytest.mark.parametrize(
    ("store", "months", "apart"),
    [(("2019-01", "2019-12"), ("2019-10", "2019-10"), 0), (("2019-01", "2019-03"), ("2020-04", "2020-05"), 13),
     (("2021-01", "2021-12"), ("2019-10", "2019-11"), 14), (("2019-01", "2019-03"), ("2019-04", "2019-04"), 1)],
)  # fmt: skip
def test_months_apart_counts_the_gap_between_the_file_and_the_store(store, months, apart) -> None:  # type: ignore[no-untyped-def]
    rows = pd.DataFrame({"opened_month": list(months), "request_type": "x", "category": "x"})
    county = CountyKnown(first_month=store[0], last_month=store[1])
    fit = county_fit(rows, stated_districts=None, points=0, points_outside=0, county=county)
    assert fit.months_apart == apart
    assert fit.looks_foreign is (apart > FOREIGN_GAP_MONTHS)


def test_dry_run_json_reports_the_check_and_keeps_its_fields(voc, monkeypatch: pytest.MonkeyPatch) -> None:
    from voc.store.engine import open_store

    engine = open_store(load_settings().database_url)
    import_districts(engine, BALTIMORE_DISTRICTS.read_bytes(), BALTIMORE_DISTRICTS.name, user="ana", role=Role.ANALYST)
    first, _ = _halves(BALTIMORE)
    import_requests(engine, first, "baltimore-first-half.csv", load_settings(), role=Role.ANALYST)
    engine.dispose()
    result = voc("import", "requests", NYC, "--dry-run", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert {"rows_read", "rejected", "problems", "dry_run", "outside_districts"} <= report.keys()
    assert report["county_check"]["looks_foreign"] is True
    assert report["county_check"]["points_inside"] == 0.0
    assert report["warnings"] == report["county_check"]["points"]  # each New York point: outside Baltimore


def test_upload_page_asks_to_confirm_a_foreign_file(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    app = open_app_page(monkeypatch, demo_copy, "pages/upload.py")
    app.file_uploader(key="upload_files").set_value((BALTIMORE.name, BALTIMORE.read_bytes(), "text/csv")).run()
    assert not app.exception
    [warning] = [w for w in plain_texts(app, "warning") if "may not be this county's" in w]
    assert "None of the 284 points fall inside the county's districts" in warning
    [confirm] = [box for box in app.checkbox if box.key.endswith("_foreign_confirmed")]
    import_button = next(b for b in app.button if b.label == "Import")
    assert import_button.disabled
    confirm.check().run()
    import_button = next(b for b in app.button if b.label == "Import")
    assert not import_button.disabled
    import_button.click().run()
    assert not app.exception
    assert any(m.label == "Warnings" and m.value == "284" for m in app.metric)
