"""AppTest of the Upload and Data pages with a real export: preview, import, report, undo, mapping types."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app_page, plain_texts
from tests.files import REAL
from voc.core.access import Role
from voc.ingest.request_types import save_type_map
from voc.store.engine import open_store
from voc.store.models import ServiceRequest

BALTIMORE = REAL / "baltimore311_2019-10_sample.csv"


def _page(monkeypatch: pytest.MonkeyPatch, url: str, page: str) -> AppTest:
    return open_app_page(monkeypatch, url, page)


def _stored(url: str) -> int:
    engine = open_store(url)
    with engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(ServiceRequest.__table__)).scalar()
    engine.dispose()
    return count


def test_upload_a_real_export_then_undo_it(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _page(monkeypatch, sqlite_url, "pages/upload.py")
    assert app.title[0].value == "Upload"
    app.file_uploader(key="upload_files").set_value((BALTIMORE.name, BALTIMORE.read_bytes(), "text/csv")).run()
    assert not app.exception
    assert plain_texts(app, "caption")[0].startswith("Recognised layout: Baltimore 311. 300 rows under the header")
    mapping = app.data_editor[0].value.set_index("field")["column"]
    assert mapping["source_id"] == "ServiceRequestNum" and mapping["district"] == "CouncilDistrict"
    import_button = next(b for b in app.button if b.label == "Import")
    import_button.click().run()
    assert not app.exception
    assert plain_texts(app, "success")[0].startswith("Imported as upload 1: 300 new")
    figures = {m.label: m.value for m in app.metric}
    assert figures["Rows read"] == "300" and figures["Rejected"] == "0"
    assert "request types have no category yet" in app.warning[0].value
    assert _stored(sqlite_url) == 300

    app.selectbox(key="upload_undo_choice").set_value(1)
    app.checkbox(key="upload_undo_confirm").check().run()
    app.button(key="upload_undo").click().run()
    assert not app.exception
    assert any("Undid upload 1: removed 300 contacts" in s for s in plain_texts(app, "success"))
    assert _stored(sqlite_url) == 0


def test_a_refused_file_says_why_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _page(monkeypatch, sqlite_url, "pages/upload.py")
    app.file_uploader(key="upload_files").set_value(("empty.csv", b"", "text/csv")).run()
    assert not app.exception
    assert "empty.csv cannot be imported" in plain_texts(app, "error")[0]
    assert _stored(sqlite_url) == 0


def test_a_stakeholder_session_counts_as_contacts(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _page(monkeypatch, sqlite_url, "pages/upload.py")
    app.text_input(key="upload_session_category").input("Flooding / standing water")
    app.text_area(key="upload_session_summary").input("Street floods at every storm on Elm St")
    app.number_input(key="upload_session_raised").set_value(7)
    app.button(key="FormSubmitter:upload_session_form-Record the session").click().run()
    assert not app.exception
    assert not plain_texts(app, "error")
    assert "7 contacts" in plain_texts(app, "success")[0]
    assert _stored(sqlite_url) == 7
    assert plain_texts(app, "info")[0].startswith("Themes")


def test_data_page_maps_new_request_types(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    from voc.core.config import load_settings
    from voc.ingest.pipeline import import_requests

    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    import_requests(open_store(sqlite_url), BALTIMORE.read_bytes(), BALTIMORE.name, load_settings(), role=Role.ANALYST)
    app = _page(monkeypatch, sqlite_url, "pages/data.py")
    table = app.data_editor(key="data_request_types").value
    assert (table["category"] == "").all()
    assert table["contacts"].sum() == 300
    raw = pd.read_csv(BALTIMORE, dtype=str)["SRType"].value_counts()
    top = raw.index[0]
    assert table.set_index("raw_type").loc[top, "contacts"] == raw.iloc[0]
    assert app.warning[0].value.startswith(f"{len(raw)} request types have no category yet: until they have one")
    suggestions = next(frame.value for frame in app.dataframe if "reason" in frame.value.columns)
    suggested = suggestions[suggestions["category"] != ""]
    assert len(suggested) and set(suggestions["raw_type"]) == set(raw.index)
    app.button(key="data_accept_suggestions").click().run()
    assert not app.exception
    assert plain_texts(app, "success")[0].startswith("Accepted.")
    after = app.data_editor(key="data_request_types").value.set_index("raw_type")
    assert (after.loc[suggested["raw_type"], "category"] == suggested.set_index("raw_type")["category"]).all()


def test_a_file_without_ids_is_explained_before_import(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    without_ids = pd.read_csv(BALTIMORE, dtype=str, keep_default_na=False).drop(
        columns=["SRRecordID", "ServiceRequestNum"]
    )
    app = _page(monkeypatch, sqlite_url, "pages/upload.py")
    app.file_uploader(key="upload_files").set_value(
        ("no-ids.csv", without_ids.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not app.exception
    assert any("record-ID column: each contact's key will be derived" in w for w in plain_texts(app, "warning"))
    mapping = app.data_editor[0].value.set_index("field")
    assert mapping.loc["opened_at", "column"] == "CreatedDate"
    assert mapping.loc["opened_at", "reason"].endswith("values read as dates")
    assert mapping["confidence"].dropna().is_monotonic_increasing  # the rows to check first
    [unused] = [c for c in plain_texts(app, "caption") if c.startswith("Not imported")]
    assert "Outcome" in unused and "CreatedDate" not in unused


def test_data_page_saves_targets_that_trends_report(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    from voc.contacts.performance import load_targets, save_targets, service_performance
    from voc.contacts.trends import Filters
    from voc.core.config import load_settings
    from voc.ingest.pipeline import import_requests

    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    engine = open_store(sqlite_url)
    import_requests(engine, BALTIMORE.read_bytes(), BALTIMORE.name, load_settings(), role=Role.ANALYST)
    save_type_map(
        engine,
        pd.DataFrame([{"raw_type": "SW-Dirty Alley", "category": "Dirty alley", "department": "Solid Waste",
                       "contact_type": "complaint"}]),
        user="ana", role=Role.ANALYST,
    )  # fmt: skip
    app = _page(monkeypatch, sqlite_url, "pages/data.py")
    assert app.data_editor(key="data_targets").value.empty
    save_targets(engine, pd.DataFrame([{"category": "Dirty alley", "target_days": 3.0}]), user="ana", role=Role.ANALYST)
    assert load_targets(engine).to_dict("records") == [{"category": "Dirty alley", "target_days": 3.0}]
    row = service_performance(engine, Filters()).set_index("category").loc["Dirty alley"]
    raw = pd.read_csv(BALTIMORE, dtype=str)
    alleys = raw[raw["SRType"] == "SW-Dirty Alley"]
    assert row["contacts"] == len(alleys)
    assert row["target_days"] == 3.0


def test_data_page_imports_boundaries_and_saves_populations(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    from voc.store.districts import load_districts

    boundaries = REAL / "baltimore_council_districts_2012.geojson"
    app = _page(monkeypatch, sqlite_url, "pages/data.py")
    assert app.data_editor(key="data_populations").value.empty
    app.file_uploader(key="data_districts_file").set_value(
        (boundaries.name, boundaries.read_bytes(), "application/geo+json")
    ).run()
    app.button(key="data_districts_import").click().run()
    assert not app.exception
    assert plain_texts(app, "success")[0].startswith(f"Imported 14 districts from {boundaries.name}")
    table = app.data_editor(key="data_populations").value
    assert len(table) == 14 and table["population"].isna().all()
    app.session_state["data_populations"] = {
        "edited_rows": {row: {"population": 40_000 + 1_000 * row} for row in range(14)},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.button(key="data_populations_save").click().run()
    assert not app.exception
    stored = load_districts(open_store(sqlite_url)).set_index("code")["population"]
    assert stored.sort_values().tolist() == list(range(40_000, 54_000, 1_000))


def test_trends_label_the_raw_types_not_yet_mapped(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    from voc.core.config import load_settings
    from voc.ingest.pipeline import import_requests

    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    engine = open_store(sqlite_url)
    import_requests(engine, BALTIMORE.read_bytes(), BALTIMORE.name, load_settings(), role=Role.ANALYST)
    app = _page(monkeypatch, sqlite_url, "pages/trends.py")
    [caption] = [c for c in plain_texts(app, "caption") if c.startswith("Not yet mapped: ")]
    assert caption.startswith("Not yet mapped: BGE-StLight(s) Out, ")  # as typed
    assert "counts as a category of its own" in caption


def test_a_post_closure_survey_is_joined_to_a_real_export_and_reports_what_matched(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from voc.core.config import load_settings
    from voc.ingest.pipeline import import_requests

    engine = open_store(sqlite_url)
    import_requests(engine, BALTIMORE.read_bytes(), BALTIMORE.name, load_settings(), role=Role.ANALYST)
    ids = pd.read_csv(BALTIMORE, dtype=str)["ServiceRequestNum"].head(4).tolist()
    survey = "Case Number,Rating,Comments\n" + "\n".join(
        f"{i},{s},ok" for i, s in zip([*ids, "19-99999999"], ["Very satisfied", 2, 4, "Neutral", 5], strict=True)
    )
    app = _page(monkeypatch, sqlite_url, "pages/upload.py")
    app.file_uploader(key="upload_satisfaction_file").set_value(("after closure.csv", survey.encode(), "text/csv"))
    app.run()
    app.button(key="upload_satisfaction_import").click().run()
    assert not app.exception
    assert (
        plain_texts(app, "success")[-1]
        == "4 of 5 answers matched a contact (4 new, 0 changed, 0 unchanged); 1 left out."
    )
    left_out = next(t.value for t in app.dataframe if "record_id" in t.value.columns)
    assert left_out[["row", "record_id"]].to_dict("records") == [{"row": 6, "record_id": "19-99999999"}]
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT score, satisfied FROM closure_ratings ORDER BY score")).all()
    engine.dispose()
    assert [(score, bool(satisfied)) for score, satisfied in stored] == [(2, False), (3, False), (4, True), (5, True)]
