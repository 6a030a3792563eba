"""What the Trends page computes beside its series: colour order, when a forecast fits, what residents write."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import sqlalchemy as sa

from voc.contacts.textmine import frequent_terms, rising_terms
from voc.contacts.trends import (
    UNKNOWN,
    Filters,
    description_terms,
    descriptions,
    forecast_fits,
    groups_by_size,
    series_names,
)
from voc.store.engine import open_store


def test_groups_by_size_orders_by_total_contacts_over_every_period() -> None:
    series = pd.DataFrame(
        {
            "period": ["2026-01", "2026-01", "2026-01", "2026-02", "2026-02"],
            "group": ["Potholes", "Noise", "Graffiti", "Noise", "Graffiti"],
            "contacts": [9, 5, 1, 6, 2],
        }
    )
    assert groups_by_size(series) == ["Noise", "Potholes", "Graffiti"]
    assert groups_by_size(series.iloc[:0]) == []


COUNTY = Filters(first_month="2025-11", last_month="2026-10")


@pytest.mark.parametrize(
    ("filters", "by", "period", "per_1000", "fits"),
    [
        (COUNTY, "category", "month", False, True),
        (COUNTY, "department", "month", False, False),
        (COUNTY, "category", "week", False, False),
        (COUNTY, "category", "month", True, False),
        (replace(COUNTY, last_month="2026-09"), "category", "month", False, False),
        (replace(COUNTY, districts=("3",)), "category", "month", False, False),
        (replace(COUNTY, departments=("Roads",)), "category", "month", False, True),
    ],
)
def test_a_forecast_fits_county_wide_monthly_categories_to_the_latest_month(
    filters: Filters, by: str, period: str, per_1000: bool, fits: bool
) -> None:
    assert forecast_fits(filters, by=by, period=period, per_1000=per_1000, latest="2026-10") is fits


def test_description_terms_of_three_months_against_the_same_months_a_year_before(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    found = description_terms(engine, category="Potholes", month="2026-10")
    recent = descriptions(engine, category="Potholes", first_month="2026-08", last_month="2026-10")
    before = descriptions(engine, category="Potholes", first_month="2025-08", last_month="2025-10")
    nothing = description_terms(engine, category="Potholes", month="1990-01")
    engine.dispose()
    assert recent.every == 1 and 100 < len(recent.texts) <= recent.contacts
    assert found.read.texts.equals(recent.texts) and (found.read.contacts, found.read.every) == (recent.contacts, 1)
    pd.testing.assert_frame_equal(found.frequent, frequent_terms(recent.texts)[["term", "share"]])
    pd.testing.assert_frame_equal(
        found.rising, rising_terms(recent.texts, before.texts)[["term", "current_share", "previous_share", "status"]]
    )
    assert nothing.frequent.empty and list(nothing.frequent.columns) == ["term", "share"] and nothing.rising.empty
    assert nothing.read.contacts == 0 and "Shares of the 0 descriptions" in nothing.read.sentence


def test_a_large_span_is_read_as_an_even_sample_whose_shares_match_reading_it_all(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    months = {"category": "Potholes", "first_month": "2025-01", "last_month": "2026-10"}
    everything = descriptions(engine, **months, about=100_000)
    sample = descriptions(engine, **months, about=1_000)
    with engine.connect() as connection:
        month_of = pd.read_sql(
            sa.text("SELECT description, opened_month FROM service_requests WHERE category = 'Potholes' "
            "AND opened_month BETWEEN '2025-01' AND '2026-10' AND description IS NOT NULL AND id % :every = 0"),
            connection, params={"every": sample.every},
        )  # fmt: skip
    engine.dispose()
    assert everything.every == 1 and sample.contacts == everything.contacts > 5_000
    assert sample.every == -(-everything.contacts // 1_000) and len(sample.texts) == len(month_of)
    # Spread over every month in proportion, not the first rows of the index.
    spread = month_of["opened_month"].value_counts(normalize=True)
    assert spread.index.nunique() == 22
    assert spread.max() < 3 / 22
    top = frequent_terms(everything.texts).set_index("term")["share"]
    sampled = frequent_terms(sample.texts).set_index("term")["share"]
    common = top.index.intersection(sampled.index)
    assert len(common) >= 10
    # Fifteen terms, several nested ("deep pothole" in "pothole"): each within its 99% margin at worst (p = 0.5).
    margin = 2.58 * 0.5 / len(sample.texts) ** 0.5
    assert (sampled[common] - top[common]).abs().max() < margin
    assert f"one contact in every {sample.every} of the {sample.contacts:,}" in sample.sentence


def test_district_series_are_named_as_the_districts_and_other_splits_keep_their_values() -> None:
    groups = ["3", "12", UNKNOWN]
    assert series_names(groups, "district_code", {"3": "North"}) == {"3": "North", "12": "District 12",
                                                                    UNKNOWN: UNKNOWN}  # fmt: skip
    assert series_names(["Potholes", UNKNOWN], "category", {"3": "North"}) == {"Potholes": "Potholes", UNKNOWN: UNKNOWN}
