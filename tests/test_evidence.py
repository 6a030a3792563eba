"""Demand evidence of the demo county's candidates, checked against the generated contacts themselves."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.factories import request_frame
from voc.contacts.mapdata import repeat_locations
from voc.contacts.trends import Filters
from voc.priorities.evidence import DEFAULT_RADIUS_M, demand_evidence, demand_history, load_candidates
from voc.priorities.ranking import ranking_basis
from voc.store.cells import point_cells
from voc.store.engine import open_store, write_transaction
from voc.store.requests import save_requests
from voc.store.uploads import start_upload
from voc.survey import category_priorities

LAST = "2026-10"


def _distance_m(lat: pd.Series, lon: pd.Series, lat0: float, lon0: float) -> np.ndarray:
    """Great-circle distance written out independently of voc.priorities.evidence (same sphere)."""
    radius = 6_371_008.8
    return np.array([
        2 * radius * math.asin(math.sqrt(
            math.sin(math.radians(a - lat0) / 2) ** 2
            + math.cos(math.radians(a)) * math.cos(math.radians(lat0)) * math.sin(math.radians(b - lon0) / 2) ** 2
        ))
        for a, b in zip(lat, lon, strict=True)
    ])  # fmt: skip


@pytest.fixture(scope="module")
def demo(demo_store_url: str):
    engine = open_store(demo_store_url)
    candidates = load_candidates(engine)
    yield engine, candidates, demand_evidence(engine, candidates, last_month=LAST)
    engine.dispose()


def test_contacts_within_the_radius_match_the_generated_contacts(demo, demo_county) -> None:
    _, candidates, evidence = demo
    requests = demo_county.requests
    evidence = evidence.set_index("id")
    for candidate in candidates.head(12).itertuples():
        mine = requests[requests["category"] == candidate.category]
        near = mine[_distance_m(mine["latitude"], mine["longitude"], candidate.latitude, candidate.longitude) <= 1600]
        now = near["opened_month"].between("2025-11", LAST).sum()
        before = near["opened_month"].between("2024-11", "2025-10").sum()
        row = evidence.loc[candidate.id]
        assert (row["contacts"], row["contacts_before"], row["linked_by"]) == (now, before, "within 1,600 m")
        if before:
            assert row["change_pct"] == pytest.approx((now - before) / before * 100)


def test_residents_near_a_point_are_its_districts_density_over_the_circle(demo, demo_county) -> None:
    _, candidates, evidence = demo
    districts = demo_county.districts.set_index("code")
    area_km2 = districts.geometry.to_crs("EPSG:6933").area / 1e6
    circle = math.pi * (DEFAULT_RADIUS_M / 1000) ** 2
    first = candidates.iloc[0]
    row = evidence.iloc[0]
    expected = districts.loc[first["district_code"], "population"] / area_km2[first["district_code"]] * circle
    assert row["residents"] == pytest.approx(expected)
    assert row["per_1000"] == pytest.approx(row["contacts"] / expected * 1000)


def test_without_a_location_a_candidate_takes_its_district_and_the_survey_rating(demo, demo_county) -> None:
    engine, candidates, _ = demo
    unplaced = candidates.head(3).assign(latitude=None, longitude=None)
    unplaced.loc[2, "district_code"] = None
    evidence = demand_evidence(engine, unplaced, last_month=LAST)
    requests = demo_county.requests[demo_county.requests["opened_month"].between("2025-11", LAST)]
    populations = demo_county.districts.set_index("code")["population"]
    for (_, candidate), (_, row) in zip(unplaced.iloc[:2].iterrows(), evidence.iloc[:2].iterrows(), strict=True):
        mine = requests[(requests["category"] == candidate["category"])
                        & (requests["district_code"] == candidate["district_code"])]  # fmt: skip
        assert (row["linked_by"], row["contacts"]) == (f"district {candidate['district_code']}", len(mine))
        assert row["residents"] == populations[candidate["district_code"]]
        filters = Filters(first_month="2025-11", last_month=LAST, categories=(candidate["category"],),
                          districts=(candidate["district_code"],))  # fmt: skip
        assert row["repeat_places"] == len(repeat_locations(engine, filters, by="cell", limit=None))
    county = evidence.iloc[2]
    assert county["linked_by"] == "county-wide"
    assert county["contacts"] == (requests["category"] == unplaced.loc[2, "category"]).sum()
    assert county["residents"] == populations.sum()
    survey = category_priorities(engine).set_index("category")
    assert evidence["is_rating"].tolist() == pytest.approx(survey.loc[unplaced["category"], "is_rating"].tolist())


def test_a_category_no_contact_has_links_nothing(demo) -> None:
    engine, candidates, _ = demo
    evidence = demand_evidence(engine, candidates.head(1).assign(category="Bridge"), last_month=LAST)
    assert evidence[["linked_by", "contacts", "repeat_places"]].values.tolist() == [
        ["no contacts of its category", 0, 0]
    ]


def test_new_contacts_near_a_candidate_raise_its_evidence_and_never_lower_its_demand_score(demo_copy: str) -> None:
    engine = open_store(demo_copy)
    before = ranking_basis(engine, last_month=LAST)
    target = before.inputs.sort_values("per_1000").iloc[len(before.inputs) // 2]
    added = request_frame([
        {"source_id": f"near-{i}", "opened_at": f"2026-09-{i + 1:02d} 10:00", "category": target["category"],
         "district_code": target["district_code"], "latitude": target["latitude"], "longitude": target["longitude"]}
        for i in range(5)
    ])  # fmt: skip
    added["h3_cell"] = point_cells(added["latitude"].to_numpy(float), added["longitude"].to_numpy(float))
    with write_transaction(engine) as connection:
        upload_id = start_upload(connection, kind="requests", file_name="near.csv", sha256="", user="test")
        save_requests(connection, added, upload_id=upload_id)
    after = ranking_basis(engine, last_month=LAST)
    row_before = before.inputs.set_index("id").loc[target["id"]]
    row_after = after.inputs.set_index("id").loc[target["id"]]
    assert row_after["contacts"] == row_before["contacts"] + 5
    assert row_after["repeat_places"] >= row_before["repeat_places"] + 1
    demand = dict(zip(before.inputs["id"], before.scores["demand"], strict=True))
    assert dict(zip(after.inputs["id"], after.scores["demand"], strict=True))[target["id"]] >= demand[target["id"]]


def test_the_countys_demand_history_counts_every_category_in_every_district_per_12_months(demo, demo_county) -> None:
    engine, _, _ = demo
    history = demand_history(engine, last_month=LAST)
    requests, districts = demo_county.requests, demo_county.districts
    months = sorted(requests["opened_month"].unique())
    assert history["window_end"].nunique() == len(months) - 11  # only windows of 12 stored months
    assert history["window_end"].min() == months[11] and history["window_end"].max() == LAST
    assert len(history) == requests["category"].nunique() * len(districts) * (len(months) - 11)
    counted = requests[requests["opened_month"].between("2024-03", "2025-02")]
    expected = counted.groupby(["category", "district_code"]).size()
    window = history[history["window_end"] == "2025-02"].set_index(["category", "district_code"])
    assert window["contacts"].sum() == len(counted)
    assert (window["contacts"].reindex(expected.index) == expected).all()
    population = dict(zip(districts["code"], districts["population"], strict=True))
    assert (window["residents"] == window.index.get_level_values("district_code").map(population)).all()
    short = demand_history(engine, last_month=months[5])  # under a year stored: one shorter window
    assert short["window_end"].unique().tolist() == [months[5]]
    assert short["contacts"].sum() == requests["opened_month"].le(months[5]).sum()
