"""Importance-satisfaction ratings and the categories they reach, checked against hand-computed values."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from voc.demo.load import load_demo
from voc.demo.survey import SURVEY
from voc.store.engine import open_store
from voc.survey import category_priorities, importance_satisfaction
from voc.survey.compare import compare_waves, opinions_by_area
from voc.survey.complaints import beside_opinions, complaints_beside, linked_contacts
from voc.survey.stats import (
    changes_between,
    district_against_rest,
    effective_n,
    two_proportion_test,
    verdict,
    wilson_interval,
)
from voc.survey.store import current_results, load_links


def test_importance_satisfaction_rates_and_tiers_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "service_area": ["Roads", "Libraries", "Drainage", "Parks"],
            "importance_share": [0.48, 0.09, 0.30, None],
            "satisfied_share": [0.52, 0.86, 0.58, 0.78],
        }
    )
    rated = importance_satisfaction(frame)
    assert rated["service_area"].tolist() == ["Roads", "Drainage", "Libraries", "Parks"]
    assert rated["is_rating"].iloc[:3].tolist() == pytest.approx([0.48 * 0.48, 0.30 * 0.42, 0.09 * 0.14])
    assert rated["tier"].iloc[:3].tolist() == ["Very high priority", "High priority", "Medium priority"]
    assert pd.isna(rated["tier"].iloc[3])


def test_category_priorities_follow_the_links_of_the_latest_wave(engine, demo_county) -> None:
    load_demo(engine, user="test", county=demo_county)
    priorities = category_priorities(engine).set_index("category")
    survey = demo_county.survey
    roads = survey[(survey["year"] == survey["year"].max()) & survey["district_code"].isna()]
    roads = roads[roads["service_area"] == "Maintenance of county roads"].iloc[0]
    expected = roads["importance_share"] * (1 - roads["satisfied_share"])
    assert priorities.loc["Potholes", "service_area"] == "Maintenance of county roads"
    assert priorities.loc["Potholes", "is_rating"] == pytest.approx(expected)
    assert priorities.loc["Potholes", "wave"] == str(survey["year"].max())
    linked = set(demo_county.service_area_links["category"])
    assert set(priorities.index) == linked


# Margins, tests and comparisons, against values worked out by hand --------------------------------


def test_wilson_interval_of_half_of_a_hundred() -> None:
    # z = 1.959964: centre (0.5 + z²/200) / (1 + z²/100) = 0.5; half-width z·sqrt(0.0025 + z²/40000) / 1.0384146.
    low, high = wilson_interval(0.5, 100)
    assert (low, high) == pytest.approx((0.403832, 0.596168), abs=1e-6)
    # None of 20: the upper bound is (z²/20) / (1 + z²/20) = 0.192073 / 1.192073, not the Wald interval's 0.
    assert wilson_interval(0.0, 20) == pytest.approx((0.0, 0.161125), abs=1e-6)
    assert all(np.isnan(wilson_interval(0.5, 0)))


def test_effective_n_is_kish() -> None:
    assert effective_n([1, 1, 2, 2]) == pytest.approx(36 / 10)
    assert effective_n([3, 3, 3]) == pytest.approx(3)


def test_two_proportion_test_by_hand() -> None:
    # pooled 0.49, se = sqrt(0.49·0.51·(2/400)) = 0.0353483: z = -0.06 / se = -1.69740, p = 0.08962
    z, p = two_proportion_test(0.52, 400, 0.46, 400)
    assert (z, p) == pytest.approx((-1.69740, 0.08962), abs=1e-4)
    # pooled 0.48, se = sqrt(0.48·0.52·(2/600)) = 0.0288444: z = -2.77350, p = 0.005546
    z, p = two_proportion_test(0.52, 600, 0.44, 600)
    assert (z, p) == pytest.approx((-2.77350, 0.005546), abs=1e-4)
    assert verdict(-0.06, 0.0896) == "Down 6 points: within sampling noise"
    assert verdict(-0.08, 0.0055) == "Down 8 points: a real change"


def test_changes_are_real_only_when_the_test_says_so() -> None:
    current = pd.DataFrame({"service_area": ["Roads", "Parks", "New"], "satisfied_share": [0.44, 0.46, 0.7],
                            "n_effective": [600.0, 400.0, 300.0]})  # fmt: skip
    previous = pd.DataFrame({"service_area": ["Roads", "Parks"], "satisfied_share": [0.52, 0.52],
                             "n_effective": [600.0, 400.0]})  # fmt: skip
    changed = changes_between(current, previous).set_index("service_area")
    assert changed["significant"].tolist() == [True, False, False]
    assert changed.loc["Roads", "verdict"] == "Down 8 points: a real change"
    assert changed.loc["Parks", "verdict"] == "Down 6 points: within sampling noise"
    assert changed.loc["New", "verdict"] == "Not tested"


def test_a_district_is_compared_with_the_rest_of_the_county() -> None:
    county = pd.DataFrame({"service_area": ["Roads"], "satisfied_share": [0.6], "n_effective": [1000.0]})
    district = pd.DataFrame({"service_area": ["Roads"], "district_code": ["3"], "satisfied_share": [0.5],
                             "n_effective": [200.0]})  # fmt: skip
    row = district_against_rest(county, district).iloc[0]
    # rest: (600 - 100) / 800 = 0.625 of 800; pooled 0.6, se = sqrt(0.24·(1/800 + 1/200)) = 0.0387298
    assert row["rest_share"] == pytest.approx(0.625)
    assert row["rest_n"] == 800
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(0.125 / 0.0387298), abs=1e-6)
    assert row["verdict"] == "12 points below the rest of the county"


def test_compare_waves_on_the_demo_survey(demo_county) -> None:
    survey = demo_county.survey.assign(question=None, n_effective=demo_county.survey["n"].astype(float))
    table = compare_waves(survey, survey=SURVEY, wave="2026").set_index("service_area")
    roads = survey[(survey["wave"] == "2026") & survey["district_code"].isna()
                   & (survey["service_area"] == "Maintenance of county roads")].iloc[0]  # fmt: skip
    low, high = wilson_interval(roads["satisfied_share"], roads["n"])
    assert table.loc["Maintenance of county roads", "margin"] == pytest.approx((high - low) / 2)
    assert table.loc["Maintenance of county roads", "previous_wave"] == "2025"
    assert (table["p_value"] < 0.05).sum() == table["significant"].sum()


def test_complaints_beside_opinions_per_1000_residents(demo_store_url: str, demo_county) -> None:
    engine = open_store(demo_store_url)
    results, links = current_results(engine), load_links(engine)
    contacts = linked_contacts(engine, links, last_month="2026-10")
    engine.dispose()
    opinions = opinions_by_area(results, survey=SURVEY, wave="2026")
    populations = dict(zip(demo_county.districts["code"], demo_county.districts["population"], strict=True))
    beside = beside_opinions(opinions, contacts, links, populations)
    requests = demo_county.requests
    lights = requests[requests["category"] == "Streetlight out"]
    recent = lights["opened_month"].between("2025-11", "2026-10")
    before = lights["opened_month"].between("2024-11", "2025-10")
    row = beside[(beside["service_area"] == "Street lighting") & beside["district_code"].isna()].iloc[0]
    assert row["contacts"] == recent.sum()
    assert row["per_1000"] == pytest.approx(recent.sum() / sum(populations.values()) * 1000)
    assert row["trend"] == pytest.approx(recent.sum() / before.sum() - 1)
    in_three = beside[(beside["service_area"] == "Street lighting") & (beside["district_code"] == "3")].iloc[0]
    assert in_three["per_1000"] == pytest.approx(
        (recent & (lights["district_code"] == "3")).sum() / populations["3"] * 1000
    )
    county = beside[beside["district_code"].isna()]
    flagged = county[county["unhappy_and_calling"]]
    assert (flagged["satisfied_share"] < county["satisfied_share"].median()).all()
    assert (flagged["per_1000"] > county["per_1000"].median()).all()


def test_complaints_beside_a_district_read_from_the_store_as_the_surveys_page_shows_them(
    demo_store_url: str, demo_county
) -> None:
    engine = open_store(demo_store_url)
    beside = complaints_beside(engine, survey=SURVEY, wave="2026", district="3", battery=None, last_month="2026-10")
    results, links = current_results(engine), load_links(engine)
    contacts = linked_contacts(engine, links, last_month="2026-10")
    engine.dispose()
    populations = dict(zip(demo_county.districts["code"], demo_county.districts["population"], strict=True))
    opinions = opinions_by_area(results, survey=SURVEY, wave="2026", district="3")
    pd.testing.assert_frame_equal(beside, beside_opinions(opinions, contacts, links, populations))
    assert set(beside["district_code"]) == {"3"} and "Street lighting" in set(beside["service_area"])
