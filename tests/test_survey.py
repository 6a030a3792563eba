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


def test_a_difference_that_passes_alone_but_not_among_many_cells_says_so() -> None:
    items = [f"item {i}" for i in range(10)]
    county = pd.DataFrame({"service_area": items, "satisfied_share": 0.6, "n_effective": 1000.0})
    shares = [0.52] + [0.6] * 9  # item 0: rest 0.62, z = 0.10 / 0.0387 = 2.58, p = 0.0098
    district = pd.DataFrame({"service_area": items, "district_code": "3", "satisfied_share": shares,
                             "n_effective": 200.0})  # fmt: skip
    first = district_against_rest(county, district).iloc[0]
    assert first["p_value"] == pytest.approx(0.0098, abs=1e-4)
    assert first["q_value"] == pytest.approx(first["p_value"] * 10)  # the smallest of 10: p x 10
    assert not first["significant"]
    assert first["verdict"] == "10 points below the rest of the county: could be chance among 10 comparisons"
    alone = district_against_rest(county.head(1), district.head(1)).iloc[0]
    assert alone["significant"] and alone["verdict"] == "10 points below the rest of the county"


def test_a_weighted_district_is_compared_with_the_rest_built_from_its_weights() -> None:
    # Rest: residents of weight 2 (60 of them, 30 satisfied) and of weight 1 (40, 36 satisfied); the district:
    # 50 residents of weight 0.5, 10 satisfied. Effective sizes would weigh the rest's two groups wrongly.
    rest_w = np.r_[np.full(60, 2.0), np.full(40, 1.0)]
    rest_ok = np.r_[np.arange(60) < 30, np.arange(40) < 36]
    own_w, own_ok = np.full(50, 0.5), np.arange(50) < 10
    weights, satisfied = np.r_[rest_w, own_w], np.r_[rest_ok, own_ok]

    def row(w, ok, **extra) -> dict:
        return {"service_area": "Roads", "satisfied_share": w[ok].sum() / w.sum(), "n_effective": effective_n(w),
                "weight_total": w.sum(), **extra}  # fmt: skip

    county = pd.DataFrame([row(weights, satisfied)])
    district = pd.DataFrame([row(own_w, own_ok, district_code="3")])
    tested = district_against_rest(county, district).iloc[0]
    assert tested["rest_share"] == pytest.approx(rest_w[rest_ok].sum() / rest_w.sum())  # 96 / 160 = 0.6
    assert tested["rest_n"] == pytest.approx(effective_n(rest_w))
    by_effective_sizes = district_against_rest(county.drop(columns="weight_total"),
                                               district.drop(columns="weight_total")).iloc[0]  # fmt: skip
    assert abs(by_effective_sizes["rest_share"] - 0.6) > 0.01


def _simulated_map(rng: np.random.Generator, shifts: np.ndarray, *, n: int = 150) -> pd.DataFrame:
    """Draw one survey's district cells: items x districts, each district's share its item's plus a shift."""
    items, districts = shifts.shape
    base = rng.uniform(0.3, 0.8, items)[:, None]
    sizes = np.full((items, districts), n)
    satisfied = rng.binomial(sizes, np.clip(base + shifts, 0, 1))
    area = [f"item {i}" for i in range(items)]
    county = pd.DataFrame({"service_area": area, "satisfied_share": satisfied.sum(1) / sizes.sum(1),
                           "n_effective": sizes.sum(1).astype(float)})  # fmt: skip
    cells = pd.DataFrame({"service_area": np.repeat(area, districts), "district_code": np.tile(
        [str(d) for d in range(districts)], items), "satisfied_share": (satisfied / sizes).ravel(),
        "n_effective": sizes.ravel().astype(float)})  # fmt: skip
    return district_against_rest(county, cells)


def test_the_heat_maps_correction_keeps_false_findings_at_five_percent_on_simulated_surveys() -> None:
    rng = np.random.default_rng(15)
    # No district differs: a 95% test each flags about 5% of the cells; corrected, a map shows a false cell
    # in about 5% of surveys at most.
    null = [_simulated_map(rng, np.zeros((40, 6))) for _ in range(300)]
    uncorrected = np.mean([(t["p_value"] < 0.05).mean() for t in null])
    any_flag = np.mean([t["significant"].any() for t in null])
    assert 0.04 < uncorrected < 0.06
    assert any_flag <= 0.06
    # In 8 of 40 items one district is 15 points off. The rest of the county then differs from every district of
    # those items (by 3 points for the others): only the cells of the 32 other items can be false findings.
    shifts = np.zeros((40, 6))
    shifts[np.arange(8), np.arange(8) % 6] = 0.15 * np.where(np.arange(8) % 2, 1, -1)
    null_cells = np.repeat(~shifts.any(axis=1), 6)
    shifted = shifts.ravel() != 0
    mixed = [_simulated_map(rng, shifts) for _ in range(300)]
    false_share = np.mean([(t["significant"] & null_cells).sum() / max(t["significant"].sum(), 1) for t in mixed])
    found = np.mean([(t["significant"] & shifted).sum() / shifted.sum() for t in mixed])
    assert false_share <= 0.05
    assert found > 0.5


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
