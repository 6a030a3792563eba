"""What the Trends page computes beside its series: colour order, when a forecast fits, what residents write."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from voc.contacts.textmine import frequent_terms, rising_terms
from voc.contacts.trends import Filters, description_terms, descriptions, forecast_fits, groups_by_size
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
    frequent, rising = description_terms(engine, category="Potholes", month="2026-10")
    recent = descriptions(engine, category="Potholes", first_month="2026-08", last_month="2026-10")
    before = descriptions(engine, category="Potholes", first_month="2025-08", last_month="2025-10")
    nothing = description_terms(engine, category="Potholes", month="1990-01")
    engine.dispose()
    assert len(recent) > 100
    pd.testing.assert_frame_equal(frequent, frequent_terms(recent)[["term", "documents"]])
    pd.testing.assert_frame_equal(rising, rising_terms(recent, before)[["term", "current", "previous", "status"]])
    assert nothing[0].empty and list(nothing[0].columns) == ["term", "documents"] and nothing[1].empty
