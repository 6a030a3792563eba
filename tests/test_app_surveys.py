"""AppTest of the Surveys page (empty, demo county, an imported survey) and the survey parts of Upload and Data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app_page, plain_texts
from tests.files import REAL
from voc.core.access import Role
from voc.store.engine import open_store
from voc.survey.store import import_survey

SURVEYS = REAL / "surveys"


def _page(monkeypatch: pytest.MonkeyPatch, url: str, page: str = "pages/surveys.py") -> AppTest:
    return open_app_page(monkeypatch, url, page, timeout=120)


def test_empty_store(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _page(monkeypatch, sqlite_url)
    assert "No survey results yet" in app.info[0].value


def test_demo_county_survey(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    app = _page(monkeypatch, demo_copy)
    assert app.selectbox(key="surveys_wave").value == "2026"
    assert plain_texts(app, "heading") == ["How satisfied residents are, 2026 (county-wide)"]
    assert [s.value for s in app.subheader] == [
        "Each district against the rest of the county",
        "What residents value most",
        "Complaints beside opinions",
    ]
    disclosed = [m.value for m in app.markdown if "once corrected for the number of cells" in m.value]
    assert len(disclosed) == 1 and disclosed[0].endswith("about 4 could by chance alone.")
    table = next(f.value for f in app.dataframe if "verdict" in f.value.columns)
    assert len(table) == 18 and table["margin"].between(0.01, 0.05).all()
    beside = next(f.value for f in app.dataframe if "unhappy_and_calling" in f.value.columns)
    assert {"County-wide", "District 1"} <= set(beside["area"])
    app.selectbox(key="surveys_area").set_value("3").run()
    assert not app.exception
    assert plain_texts(app, "heading") == ["How satisfied residents are, 2026 (district 3)"]
    app.selectbox(key="surveys_wave").set_value("2023").run()
    assert not app.exception
    assert any("First wave: nothing to compare" in set(f.value["verdict"]) for f in app.dataframe
               if "verdict" in f.value.columns)  # fmt: skip


def test_an_imported_survey_with_derived_importance(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    engine = open_store(demo_copy)
    path = SURVEYS / "durham_2022_resident_survey_raw_first300.csv"
    import_survey(engine, path.read_bytes(), path.name, user="test", role=Role.ANALYST, survey="Durham")
    engine.dispose()
    app = _page(monkeypatch, demo_copy)
    app.selectbox(key="surveys_survey").set_value("Durham").run()
    assert not app.exception
    assert app.selectbox(key="surveys_wave").value == "2022"
    app.selectbox(key="surveys_battery").set_value("Q14").run()
    assert not app.exception
    assert any("Derived importance" in c.value for c in app.caption)


def test_upload_and_data_pages_hold_the_survey_sections(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    upload = _page(monkeypatch, demo_copy, "pages/upload.py")
    assert upload.button(key="upload_survey_import").disabled
    data = _page(monkeypatch, demo_copy, "pages/data.py")
    assert data.button(key="data_links_save").label == "Save links"
    assert data.button(key="data_benchmarks_save").label == "Save benchmarks"
    data.selectbox(key="data_survey").set_value("Palmetto County Citizen Survey").run()
    assert not data.exception
    assert any("published table" in info.value for info in data.info)
