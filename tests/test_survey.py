"""Importance-satisfaction ratings and the categories they reach, checked against hand-computed values."""

import pandas as pd
import pytest

from voc.demo_load import load_demo
from voc.survey import category_priorities, importance_satisfaction


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
