"""Tests of the generated demo county: its shape, its seasons, its planted story and its speed."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import shapely

from voc.core.errors import VocError
from voc.demo.county import DemoCounty, build_demo_county

HURRICANE = "2024-10"


@pytest.fixture(scope="module")
def county() -> DemoCounty:
    return build_demo_county()


@pytest.fixture(scope="module")
def monthly(county: DemoCounty) -> pd.Series:
    return county.requests.groupby("opened_month").size()


def test_same_seed_gives_identical_frames(county: DemoCounty) -> None:
    again = build_demo_county()
    pd.testing.assert_frame_equal(again.requests, county.requests)
    pd.testing.assert_frame_equal(again.survey, county.survey)
    pd.testing.assert_frame_equal(again.candidates, county.candidates)
    pd.testing.assert_frame_equal(again.closure_ratings, county.closure_ratings)
    assert again.districts.geometry.equals(county.districts.geometry)


def test_another_seed_gives_other_contacts(county: DemoCounty) -> None:
    other = build_demo_county(seed=7)
    assert len(other.requests) != len(county.requests)
    assert not other.districts.geometry.equals(county.districts.geometry)


def test_too_short_a_range_is_refused() -> None:
    with pytest.raises(VocError, match="36 months"):
        build_demo_county(start="2025-01", end="2026-10")


def test_five_valid_irregular_districts_tile_the_county(county: DemoCounty) -> None:
    districts = county.districts
    assert list(districts["code"]) == ["1", "2", "3", "4", "5"]
    assert list(districts["name"]) == [f"District {code}" for code in "12345"]
    assert districts.crs.to_epsg() == 4326
    assert districts.geometry.is_valid.all()
    assert (districts.geom_type == "Polygon").all()
    projected = districts.to_crs("EPSG:3086")  # Florida GDL Albers, in metres
    union = projected.geometry.union_all()
    assert union.geom_type == "Polygon" and not union.interiors
    assert union.area == pytest.approx(projected.area.sum(), rel=1e-9)
    assert 1_500e6 < union.area < 3_000e6  # Pasco County is about 2,000 km2
    for a, b in itertools.combinations(projected.geometry, 2):
        assert a.intersection(b).area < 1.0
        assert a.touches(b) or a.disjoint(b)
    # Not rectangles: each district fills clearly less than its bounding box.
    assert (projected.area / projected.envelope.area < 0.95).all()
    assert (shapely.get_num_coordinates(projected.geometry.values) > 8).all()
    minx, miny, maxx, maxy = districts.geometry.union_all().bounds
    assert -82.85 < minx < -82.7 and -82.1 < maxx < -82.0
    assert 28.1 < miny < 28.2 and 28.45 < maxy < 28.52


def test_populations_are_unequal_and_sum_to_about_550k(county: DemoCounty) -> None:
    population = county.districts["population"]
    assert 500_000 <= population.sum() <= 600_000
    assert population.between(90_000, 135_000).all()
    assert population.nunique() == 5


def test_requests_have_the_store_columns_and_types(county: DemoCounty) -> None:
    requests = county.requests
    assert list(requests.columns) == [
        "source", "source_id", "opened_at", "closed_at", "acknowledged_at", "opened_month", "days_to_close",
        "request_type", "category", "subcategory", "department", "contact_type", "channel",
        "status", "district_code", "address", "zip_code", "latitude", "longitude", "description",
    ]  # fmt: skip
    assert str(requests["opened_at"].dt.tz) == "UTC"
    assert requests["closed_at"].dtype == requests["acknowledged_at"].dtype == requests["opened_at"].dtype
    assert (requests["source"] == "palmetto-crm").all()
    assert requests["source_id"].is_unique
    assert requests["source_id"].iloc[0] == "PC-2022-000001"
    assert requests["source_id"].str.fullmatch(r"PC-20\d\d-\d{6}").all()
    assert requests["opened_at"].is_monotonic_increasing
    assert requests["zip_code"].str.fullmatch(r"3[34]\d{3}").all()
    assert requests["district_code"].isin(list("12345")).all()
    assert requests["address"].str.fullmatch(r"\d{3,5} ([NSEW]{1,2} )?[A-Z][\w ]+").all()


def test_opened_month_is_the_local_month(county: DemoCounty) -> None:
    local = county.requests["opened_at"].dt.tz_convert(county.timezone)
    assert (local.dt.strftime("%Y-%m") == county.requests["opened_month"]).all()


def test_phone_and_walk_in_contacts_come_in_office_hours(county: DemoCounty) -> None:
    requests = county.requests
    local = requests["opened_at"].dt.tz_convert(county.timezone)
    office = requests["channel"].isin(["phone", "walk-in"])
    assert local[office].dt.hour.between(8, 16).all()
    # Outside the hurricane month, when the call centre opened on the weekend.
    usual = office & (requests["opened_month"] != HURRICANE)
    assert (local[usual].dt.day_of_week < 5).all()
    online = requests["channel"].isin(["web", "app"])
    assert (local[online].dt.hour < 8).mean() > 0.03


def test_four_years_of_monthly_volumes(monthly: pd.Series) -> None:
    assert len(monthly) == 48
    assert monthly.index[0] == "2022-11" and monthly.index[-1] == "2026-10"
    typical = monthly.drop(HURRICANE)
    assert typical.between(4_000, 6_000).all()
    assert monthly[HURRICANE] > 1.3 * typical.max()


def test_volume_grows_about_two_percent_a_year(monthly: pd.Series) -> None:
    first, last = monthly.iloc[:12].sum(), monthly.iloc[-12:].sum()
    assert 1.03 < last / first < 1.15


def test_about_forty_categories_in_twelve_departments(county: DemoCounty) -> None:
    requests = county.requests
    assert 38 <= requests["category"].nunique() <= 45
    assert requests["department"].nunique() == 12
    assert requests.groupby("category")["department"].nunique().max() == 1
    types = county.request_types
    assert types["raw_type"].is_unique
    assert set(types["category"]) == set(requests["category"])
    assert set(requests["request_type"]) == set(types["raw_type"])
    assert set(types["contact_type"]) == {"request", "complaint", "question"}


def test_contact_types_depend_on_category(county: DemoCounty) -> None:
    mix = pd.crosstab(county.requests["category"], county.requests["contact_type"], normalize="index")
    assert mix.loc["General questions", "question"] == 1.0
    assert mix.loc["Noise", "complaint"] == 1.0
    assert mix.loc["Potholes", "request"] > 0.8
    assert set(county.requests["contact_type"]) == {"request", "complaint", "question"}


def test_channels_shift_from_phone_to_online(county: DemoCounty) -> None:
    requests = county.requests
    assert set(requests["channel"]) == {"phone", "web", "app", "e-mail", "walk-in"}
    months = sorted(requests["opened_month"].unique())
    first = requests[requests["opened_month"].isin(months[:12])]["channel"]
    last = requests[requests["opened_month"].isin(months[-12:])]["channel"]
    assert 0.5 < (first == "phone").mean() < 0.6
    assert 0.3 < (last == "phone").mean() < 0.4
    assert last.isin(["web", "app"]).mean() > first.isin(["web", "app"]).mean() + 0.15


@pytest.mark.parametrize(
    ("category", "peak", "trough", "least"),
    [
        ("Flooding / standing water", (6, 7, 8, 9), (12, 1, 2, 3), 1.5),
        ("Mosquito spraying", (6, 7, 8, 9), (12, 1, 2, 3), 1.5),
        ("Pools & splash pads", (6, 7), (12, 1, 2), 1.5),
        ("Missed garbage pickup", (12, 1), (2, 3, 4, 5), 1.15),
    ],
)
def test_seasons(
    county: DemoCounty, category: str, peak: tuple[int, ...], trough: tuple[int, ...], least: float
) -> None:
    # Before the hurricane and the planted rises, so only the seasons shape the counts.
    requests = county.requests[county.requests["opened_month"] < "2024-10"]
    counts = requests[requests["category"] == category].groupby("opened_month").size()
    month_of_year = counts.index.str[5:].astype(int)
    ratio = counts[month_of_year.isin(peak)].mean() / counts[month_of_year.isin(trough)].mean()
    assert ratio > least


def test_hurricane_spikes_storm_categories_then_decays(county: DemoCounty) -> None:
    counts = county.requests.groupby(["category", "opened_month"]).size()
    debris = counts["Storm debris pickup"]
    assert debris[HURRICANE] > 10 * debris["2024-09"]
    assert debris[HURRICANE] > debris["2024-11"] > debris["2024-12"]
    for category in ["Downed trees / limbs", "Traffic signal malfunction"]:
        assert counts[category][HURRICANE] > 3 * counts[category]["2023-10"]
    library = counts["Library services"]
    assert library[HURRICANE] < 1.5 * library["2023-10"]


def test_planted_rises_stand_out_against_last_year(county: DemoCounty) -> None:
    rises = county.planted_rises
    assert list(rises.columns) == ["category", "district_code", "first_month", "factor"]
    assert len(rises) == 3
    assert (rises["first_month"] == "2026-08").all()
    requests = county.requests
    recent = ["2026-08", "2026-09", "2026-10"]
    before = ["2025-08", "2025-09", "2025-10"]
    for rise in rises.itertuples():
        mine = requests[(requests["category"] == rise.category) & (requests["district_code"] == rise.district_code)]
        ratio = mine["opened_month"].isin(recent).sum() / mine["opened_month"].isin(before).sum()
        assert ratio > 1.6, rise.category
        # The same category elsewhere did not rise: it is local, not a county-wide season.
        others = requests[(requests["category"] == rise.category) & (requests["district_code"] != rise.district_code)]
        elsewhere = others["opened_month"].isin(recent).sum() / others["opened_month"].isin(before).sum()
        assert elsewhere < 1.3, rise.category


def test_resolution_times(county: DemoCounty) -> None:
    requests = county.requests
    closed = requests["closed_at"].notna()
    assert (requests.loc[closed, "closed_at"] >= requests.loc[closed, "opened_at"]).all()
    elapsed = (requests["closed_at"] - requests["opened_at"]).dt.total_seconds() / 86_400
    assert np.allclose(elapsed[closed], requests.loc[closed, "days_to_close"])
    assert 0.03 <= (~closed).mean() <= 0.08
    assert requests.loc[~closed, "days_to_close"].isna().all()
    assert set(requests.loc[~closed, "status"]) == {"Open", "In progress"}
    # A closed contact reported again is sometimes reopened in the CRM (voc.demo.repeats).
    assert set(requests.loc[closed, "status"]) == {"Closed", "Reopened"}
    median = requests.groupby("category")["days_to_close"].median()
    assert median["Potholes"] < 7
    assert median["Overgrown lots"] > 14
    questions = requests[closed & (requests["contact_type"] == "question")]
    assert (questions["days_to_close"] < 1).mean() > 0.5


def test_every_point_lies_in_its_own_district(county: DemoCounty) -> None:
    requests = county.requests
    for district in county.districts.itertuples():
        mine = requests[requests["district_code"] == district.code]
        assert shapely.contains_xy(district.geometry, mine["longitude"], mine["latitude"]).all()
    candidates = county.candidates
    for district in county.districts.itertuples():
        mine = candidates[candidates["district_code"] == district.code]
        assert shapely.contains_xy(district.geometry, mine["longitude"], mine["latitude"]).all()


def test_contacts_per_district_follow_population(county: DemoCounty) -> None:
    share = county.requests["district_code"].value_counts(normalize=True).sort_index()
    population = county.districts.set_index("code")["population"]
    assert np.allclose(share, population / population.sum(), atol=0.03)


def test_some_descriptions_carry_fake_contact_details(county: DemoCounty) -> None:
    text = county.requests["description"]
    phones = text.str.extract(r"(\d{3}-\d{3}-\d{4})", expand=False).dropna()
    emails = text.str.extract(r"([\w.]+@[\w.]+)", expand=False).dropna()
    assert 0.005 < (len(phones) + len(emails)) / len(text) < 0.05
    assert phones.str.fullmatch(r"\d{3}-555-01\d\d").all()
    assert emails.str.endswith("@example.org").all()
    assert text.nunique() > 500


def test_survey_waves_and_sample_sizes(county: DemoCounty) -> None:
    survey = county.survey
    assert (survey["survey"] == "Palmetto County Citizen Survey").all()
    assert sorted(survey["wave"].unique()) == ["2023", "2024", "2025", "2026"]
    assert (survey["wave"] == survey["year"].astype(str)).all()
    assert 15 <= survey["service_area"].nunique() <= 20
    countywide = survey[survey["district_code"].isna()]
    by_district = survey[survey["district_code"].notna()]
    assert set(by_district["district_code"]) == set("12345")
    assert countywide["n"].between(300, 1_600).all()
    assert by_district["n"].between(50, 450).all()
    sizes = by_district.groupby(["wave", "service_area"])["n"].sum()
    expected = countywide.set_index(["wave", "service_area"])["n"].sort_index()
    pd.testing.assert_series_equal(sizes.sort_index(), expected)
    for column in ["satisfied_share", "importance_share"]:
        assert survey[column].between(0, 1).all()
    assert survey["mean_score"].between(1, 5).all()


def test_survey_counties_add_up_their_districts(county: DemoCounty) -> None:
    survey = county.survey
    satisfied = survey["satisfied_share"] * survey["n"]
    by_district = satisfied[survey["district_code"].notna()].groupby([survey["wave"], survey["service_area"]]).sum()
    countywide = satisfied[survey["district_code"].isna()].groupby([survey["wave"], survey["service_area"]]).sum()
    assert np.allclose(by_district, countywide)


def test_drainage_satisfaction_drops_after_the_hurricane(county: DemoCounty) -> None:
    countywide = county.survey[county.survey["district_code"].isna()]
    share = countywide.pivot(index="service_area", columns="wave", values="satisfied_share")
    drainage = share.loc["Stormwater drainage"]
    assert drainage["2025"] < drainage["2024"] - 0.08
    # Most areas move within sampling noise from one wave to the next.
    change = share.diff(axis=1).abs().drop(index="Stormwater drainage")
    assert (change.iloc[:, 1:] < 0.08).to_numpy().mean() > 0.8


def test_candidates(county: DemoCounty) -> None:
    candidates = county.candidates
    assert 35 <= len(candidates) <= 45
    assert candidates["source_id"].is_unique and candidates["name"].is_unique
    assert candidates["source_id"].iloc[0] == "CIP-001"
    assert set(candidates["kind"]) == {"maintenance", "capital"}
    assert candidates["category"].isin(set(county.requests["category"])).all()
    assert set(candidates["district_code"]) == set("12345")
    assert candidates["estimated_cost"].between(50_000, 25_000_000).all()
    median_cost = candidates.groupby("kind")["estimated_cost"].median()
    assert median_cost["capital"] > 3 * median_cost["maintenance"]
    assert candidates["condition"].between(0, 100).all()
    for criteria in candidates["criteria"]:
        assert set(criteria) == {"health_safety", "regulatory", "equity"}
        assert 0 <= criteria["health_safety"] <= 5 and criteria["regulatory"] in (0, 1)
        assert 0 <= criteria["equity"] <= 5


def test_a_post_closure_survey_of_about_8_percent_rates_slow_and_reopened_contacts_lower(county: DemoCounty) -> None:
    closed = county.requests[county.requests["closed_at"].notna()]
    rated = county.closure_ratings.merge(closed, on=["source", "source_id"], validate="one_to_one")
    assert len(rated) == len(county.closure_ratings)  # every answer is about a closed contact
    assert len(rated) / len(closed) == pytest.approx(0.08, abs=0.005)
    assert set(rated["score"]) == {1, 2, 3, 4, 5}
    assert (
        pd.to_datetime(rated["answered_on"]).dt.date > rated["closed_at"].dt.tz_convert(county.timezone).dt.date
    ).all()
    satisfied = rated["score"] >= 4
    reopened = rated["status"] == "Reopened"
    assert satisfied[reopened].mean() < satisfied[~reopened].mean() - 0.2
    usual = closed.groupby("category")["days_to_close"].median()
    slow = rated["days_to_close"] > 4 * rated["category"].map(usual) + 1
    assert satisfied[slow & ~reopened].mean() < satisfied[~slow & ~reopened].mean() - 0.1
