"""Public information opportunities: questions that rise (the seasonal detection, run on questions alone) or stay
high, with the contacts a month they cost, and an information action's effect on them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from tests.simulated import Rise, simulate_county
from voc.contacts.actions import add_action
from voc.contacts.questions import HIGH, RISING, information_opportunities, opportunities
from voc.core.access import Role
from voc.core.periods import month_shift
from voc.store.engine import open_store

MONTH = "2026-10"
# Moderately overdispersed topics (as tests/test_issues.py), where a clear change is clear.
CLEAR = (100.0, 200.0)


def test_a_rising_topic_is_told_in_its_district_and_a_steady_costly_one_county_wide() -> None:
    county = simulate_county(
        np.random.default_rng(31), last_month=MONTH, categories=6, category_shape=CLEAR, category_base=(2.0, 6.0),
        bases={"Cat 00": 400, "Cat 01": 30, "Cat 02": 4},
        rises=[Rise("Cat 01", "3", 3.0, month_shift(MONTH, -2))],
    )  # fmt: skip
    found = information_opportunities(county.counts, month=MONTH, labels={"3": "Harbor"})
    rows = {(row.category, row.district_code): row for row in found.itertuples()}
    assert rows[("Cat 00", "")].status == HIGH
    # The year's mean of what was drawn, not the planted base: the table says what the questions cost.
    drawn = county.counts[county.counts["category"] == "Cat 00"]
    year = drawn[drawn["month"] > month_shift(MONTH, -12)]["contacts"].sum() / 12
    assert rows[("Cat 00", "")].contacts_per_month == year
    assert (
        rows[("Cat 00", "")].sentence == f"Cat 00 in the county: {year:,.0f} questions a month over the last 12 months."
    )
    assert rows[("Cat 01", "3")].status == RISING and rows[("Cat 01", "3")].sentence.startswith("Cat 01 in Harbor: ")
    assert ("Cat 02", "") not in rows  # a few questions a month, steady: not worth a published answer
    assert not [key for key in rows if key[1] and key != ("Cat 01", "3")]  # no district of a steady topic
    assert found["category"].iloc[0] == "Cat 00"  # the costliest topic first


def test_an_information_action_is_measured_on_its_topics_questions(demo_copy: str) -> None:
    engine = open_store(demo_copy)
    before = opportunities(engine, month=MONTH).set_index("category")
    assert before.loc["General questions", "status"] == HIGH and before["action"].isna().all()
    assert before.loc["General questions", "contacts_per_month"] > before.loc["Permit status", "contacts_per_month"]
    add_action(
        engine, action_date=date(2026, 6, 1), category="Permit status", description="Permit status page on the web",
        user="ana", role=Role.ANALYST,
    )  # fmt: skip
    after = opportunities(engine, month=MONTH).set_index("category")
    assert after.loc["Permit status", "action"] == "Permit status page on the web"
    assert after.loc["Permit status", "effect"].startswith("Questions about Permit status")
    assert "Jun 2026–Oct 2026" in after.loc["Permit status", "effect"]
    assert pd.isna(after.loc["General questions", "action"])
