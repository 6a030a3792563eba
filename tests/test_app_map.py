"""AppTest of the Map page: an empty store, and the demo county with its measures, profile and repeat places."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import only_table, open_app_page, open_shared_url, plain_texts


def _map(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    return open_app_page(monkeypatch, url, "pages/map.py")


def test_empty_store(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _map(monkeypatch, sqlite_url)
    assert "No contacts yet" in app.info[0].value


def test_demo_map_measures_profile_and_places(monkeypatch: pytest.MonkeyPatch, demo_store_url: str, demo_county):
    app = _map(monkeypatch, demo_store_url)
    requests = demo_county.requests
    first, last = app.select_slider(key="map_months").value
    shown = requests[requests["opened_month"].between(first, last)]
    districts = only_table(app, "per_1000")
    expected = shown.groupby("district_code").size()
    assert districts["contacts"].tolist() == expected.reindex(demo_county.districts["code"]).tolist()
    population = demo_county.districts.set_index("code")["population"]
    rates = (expected / population * 1000).reindex(demo_county.districts["code"])
    assert districts["per_1000"].tolist() == pytest.approx(rates.tolist())

    app.segmented_control(key="map_measure").set_value("change").run()
    assert not app.exception
    app.toggle(key="map_hotspots").set_value(True).run()
    assert not app.exception
    assert any("Hexagons" in caption.value for caption in app.caption)

    app.multiselect(key="map_category").set_value(["Flooding / standing water"]).run()
    app.selectbox(key="map_district").set_value("3").run()
    assert not app.exception
    flooding = shown[(shown["category"] == "Flooding / standing water") & (shown["district_code"] == "3")]
    assert "District 3" in plain_texts(app, "heading")[0]
    candidates = only_table(app, "estimated_cost")
    in_three = demo_county.candidates[demo_county.candidates["district_code"] == "3"]
    assert sorted(candidates["name"]) == sorted(in_three["name"])
    survey = only_table(app, "rest_share").set_index("service_area")["satisfied_share"]
    waves = demo_county.survey
    latest = waves[(waves["year"] == waves["year"].max()) & (waves["district_code"] == "3")]
    assert survey.to_dict() == pytest.approx(latest.set_index("service_area")["satisfied_share"].to_dict())
    assert only_table(app, "per_1000")["contacts"].tolist()[2] == len(flooding)

    assert not [frame for frame in app.dataframe if "departments" in frame.value.columns]
    app.toggle(key="map_places").set_value(True)
    app.slider(key="map_places_min").set_value(2).run()
    assert not app.exception
    places = only_table(app, "departments")
    assert (places["contacts"] >= 2).all()
    assert places["categories"].str.contains("Flooding / standing water").all()


def test_a_bookmarked_map_opens_as_it_was_shared(monkeypatch: pytest.MonkeyPatch, demo_store_url: str) -> None:
    query = {"map_measure": "change", "map_district": "3", "map_category": "Potholes"}
    app = open_shared_url(monkeypatch, demo_store_url, "pages/map.py", query)
    assert app.segmented_control(key="map_measure").value == "change"
    assert app.multiselect(key="map_category").value == ["Potholes"]
    assert app.selectbox(key="map_district").value == "3"
    assert plain_texts(app, "heading")[0].startswith("District 3 (")
