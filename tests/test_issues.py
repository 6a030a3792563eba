"""Tests of grouping flags into issues: one per rise, since when, probable reclassification, stable ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.simulated import Rise, demo_counts, simulate_county
from voc.contacts.alerts import detect_emerging
from voc.contacts.issues import ISSUE_COLUMNS, RECLASSIFICATION, RISE, SHIFT, group_issues
from voc.core.periods import month_shift
from voc.demo.county import build_demo_county

MONTH = "2026-10"
# Moderately overdispersed counties (a 10% month-to-month spread at most), where a clear change is clear.
CLEAR = (100.0, 200.0)


def issues_of(counts: pd.DataFrame, month: str = MONTH) -> pd.DataFrame:
    departments = dict(zip(counts["category"], counts["department"], strict=False)) if "department" in counts else {}
    rows = detect_emerging(counts, month=month)
    return group_issues(rows, counts, month=month, departments=departments).set_index("category")


def test_the_demo_gives_one_issue_per_planted_rise_naming_its_district() -> None:
    county = build_demo_county()
    counts = demo_counts(county.requests)
    rows = detect_emerging(counts, month=MONTH, labels={"3": "Harbor"})
    issues = group_issues(rows, counts, month=MONTH, labels={"3": "Harbor"}).set_index("category")
    planted = county.planted_rises.set_index("category")
    assert set(issues.index) == set(planted.index)
    assert rows["flagged"].sum() > len(issues)  # the grouping has something to group
    for category, rise in planted.iterrows():
        issue = issues.loc[category]
        assert issue["district_codes"][0] == rise["district_code"]
        assert issue["kind"] == RISE and issue["since"] >= rise["first_month"]
        assert issue["issue_id"].endswith(issue["since"])
        assert issue["sentence"].startswith(category)
        assert issue["sentence"].count(".") == 1 + issue["sentence"].count("St.")
    flooding = issues.loc["Flooding / standing water", "sentence"]
    assert flooding.startswith("Flooding / standing water in Harbor: ") and "; county-wide " in flooding


def test_a_level_shift_says_since_when() -> None:
    shift = month_shift(MONTH, -6)
    county = simulate_county(
        np.random.default_rng(21),
        last_month=MONTH,
        category_shape=CLEAR,
        bases={"Cat 05": 300},
        rises=[Rise("Cat 05", "", 2.0, shift)],
    )
    issue = issues_of(county.counts).loc["Cat 05"]
    assert issue["kind"] == SHIFT
    assert issue["since"] == shift
    assert "higher since Apr 2026" in issue["sentence"]


def test_an_issue_keeps_its_id_from_one_month_to_the_next() -> None:
    start = month_shift(MONTH, -1)
    county = simulate_county(
        np.random.default_rng(22),
        category_shape=CLEAR,
        last_month=month_shift(MONTH, 1),
        bases={"Cat 07": 400},
        rises=[Rise("Cat 07", "", 1.8, start)],
    )
    now, next_month = issues_of(county.counts), issues_of(county.counts, month_shift(MONTH, 1))
    assert now.loc["Cat 07", "issue_id"] == next_month.loc["Cat 07", "issue_id"] == f"cat-07-{start}"


def test_a_type_moved_to_another_category_is_a_probable_reclassification() -> None:
    county = simulate_county(
        np.random.default_rng(23), last_month=MONTH, category_shape=CLEAR, bases={"Cat 03": 300, "Cat 04": 200}
    )
    counts = county.counts.copy()
    moved_months = counts["month"] >= month_shift(MONTH, -2)
    source = moved_months & (counts["category"] == "Cat 03")
    moved = np.random.default_rng(24).binomial(counts.loc[source, "contacts"], 0.4)
    counts.loc[source, "contacts"] -= moved
    counts.loc[moved_months & (counts["category"] == "Cat 04"), "contacts"] += moved
    issues = issues_of(counts)
    issue = issues.loc["Cat 04"]
    assert issue["kind"] == RECLASSIFICATION
    assert issue["reclassified_from"] == "Cat 03"
    assert issue["sentence"].startswith("Probable reclassification in Dept 01: Cat 04 ")
    assert "Cat 03 fell to" in issue["sentence"]
    assert "Cat 03" not in issues.index


def test_no_flags_no_issues() -> None:
    rows = pd.DataFrame({"category": ["A"], "flagged": [False]})
    assert list(group_issues(rows, pd.DataFrame(), month=MONTH).columns) == ISSUE_COLUMNS


@pytest.mark.parametrize("seed", [31])
def test_a_rise_in_one_district_names_it_with_the_county_figure_as_context(seed: int) -> None:
    county = simulate_county(
        np.random.default_rng(seed),
        last_month=MONTH,
        category_shape=CLEAR,
        bases={"Cat 10": 800},
        rises=[Rise("Cat 10", "4", 2.5, MONTH)],
    )
    issue = issues_of(county.counts).loc["Cat 10"]
    assert issue["district_codes"] == ["4"]
    assert "county-wide" in issue["sentence"] and "District 4" in issue["sentence"]
