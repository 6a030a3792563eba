"""Closure figures read from the store: Kansas City's real pothole export, and the demo county."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from tests.factories import SETTINGS
from voc.contacts.closure import (
    LATE_CLOSURE_DAYS,
    closure_by_category,
    closure_flags,
    closure_summary,
    holiday_dates,
)
from voc.contacts.closure_months import closure_figures
from voc.contacts.satisfaction import SATISFACTION_COLUMNS
from voc.contacts.trends import Filters
from voc.core.access import Role
from voc.core.config import ClosureRules
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.priorities.evidence import EARTH_RADIUS_M
from voc.store.closure import read_closure_contacts

KC = Path(__file__).parent / "data" / "real" / "kc311_potholes_2020JanFeb.csv"
KC_TIMEZONE = "America/Chicago"


def _distances(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Every pair's great-circle distance in metres, by brute force."""
    phi, lam = np.radians(lat)[:, None], np.radians(lon)[:, None]
    a = np.sin((phi - phi.T) / 2) ** 2 + np.cos(phi) * np.cos(phi.T) * np.sin((lam - lam.T) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@pytest.fixture
def kc_potholes(engine: sa.Engine) -> pd.DataFrame:
    """Import the real export and return its closure flags over its two months."""
    settings = replace(SETTINGS, timezone=KC_TIMEZONE)
    import_requests(engine, KC.read_bytes(), KC.name, settings, ImportOptions(), role=Role.ANALYST)
    contacts = read_closure_contacts(engine, first_month="2020-01", last_month="2020-02")
    return closure_flags(contacts, rules=ClosureRules(), timezone=KC_TIMEZONE)


def test_kansas_city_potholes_business_days_reports_again_and_incidents(kc_potholes: pd.DataFrame) -> None:
    flags = kc_potholes.set_index("source_id")
    raw = pd.read_csv(KC, dtype=str, encoding="utf-8-sig").set_index("CASE ID")
    assert len(flags) == len(raw) == 4493
    # Days to close, counted on the export's own dates: weekdays that are not US holidays.
    closed = raw[raw["CLOSED DATE"].notna()]
    opened_day = pd.to_datetime(closed["CREATION DATE"], format="%m/%d/%y").to_numpy().astype("datetime64[D]")
    closed_day = pd.to_datetime(closed["CLOSED DATE"], format="%m/%d/%y").to_numpy().astype("datetime64[D]")
    expected = np.busday_count(opened_day, closed_day, holidays=holiday_dates("US", [2020]))
    assert flags.loc[closed.index, "business_days"].tolist() == expected.tolist()
    assert flags["business_days"].notna().sum() == len(closed) == 2355
    # Martin Luther King Jr. Day (20 January 2020) is a day off: a pothole reported on Friday 17 January
    # and closed on Tuesday 28 January (11 days, the export says) took 6 business days, not 7.
    assert raw.loc["2020007830", "DAYS TO CLOSE"] == "11"
    assert flags.loc["2020007830", "business_days"] == 6 == np.busday_count("2020-01-17", "2020-01-28") - 1

    located = flags[flags["latitude"].notna()]
    lat, lon = located["latitude"].to_numpy(float), located["longitude"].to_numpy(float)
    codes = pd.factorize(located["category"])[0]
    # The export's raw types name the district ("...-Pothole-District 3"): each is a category of its own.
    near = np.where(codes[:, None] == codes[None, :], _distances(lat, lon), np.inf)
    epoch = pd.Timestamp(0, tz="UTC")
    opened = (pd.to_datetime(located["opened_at"], utc=True) - epoch).dt.total_seconds().to_numpy()
    closing = (pd.to_datetime(located["closed_at"], utc=True) - epoch).dt.total_seconds().fillna(np.inf).to_numpy()
    # Reported again: another of its category within 100 m opened in the 30 days after this one closed,
    # closed within LATE_CLOSURE_DAYS of opening.
    after = opened[None, :] - closing[:, None]
    in_time = (closing - opened <= LATE_CLOSURE_DAYS * 86400)[:, None]
    again = ((near <= 100) & (after > 0) & (after <= 30 * 86400) & in_time).any(axis=1)
    assert located["reported_again"].tolist() == again.tolist()
    assert 0 < again.sum() < len(closed)
    # Incidents: contacts of one category and month within 50 m and 3 hours of one another, linked in chains.
    month = located["opened_month"].to_numpy()
    linked = (near <= 50) & (np.abs(opened[:, None] - opened[None, :]) <= 3 * 3600) & (month[:, None] == month)
    count, labels = connected_components(coo_array(linked.astype(int)), directed=False)
    assert located["incident"].nunique() == count
    assert pd.crosstab(located["incident"], labels).gt(0).sum(axis=1).eq(1).all()
    summary = closure_summary(kc_potholes)
    assert summary.incidents < summary.contacts
    assert summary.reopened_status == 0  # the export's statuses are OPEN and RESOL
    assert summary.business_median_days < summary.median_days


def test_the_demo_countys_closure_figures(demo_county) -> None:
    """The demo's planted duplicates and repeats show, at plausible rates, county-wide and per category."""
    requests = demo_county.requests
    recent = requests[requests["opened_month"] >= "2025-07"].reset_index(drop=True)
    flags = closure_flags(recent, rules=ClosureRules(), timezone=demo_county.timezone)
    year = flags[flags["opened_month"] >= "2025-11"]
    summary = closure_summary(year)
    assert 0.015 < summary.reopen_rate < 0.04
    assert summary.reopened_status == (year["status"] == "Reopened").sum() > 100
    assert summary.contacts / summary.incidents > 1.02
    assert summary.business_median_days < summary.median_days
    assert summary.business_p90_days < summary.p90_days
    potholes = year[year["category"] == "Potholes"]
    assert len(potholes) / potholes["incident"].nunique() > 1.08
    questions = year[year["contact_type"] == "question"]
    assert not questions["reported_again"].any()
    library = year[year["category"] == "Library services"]
    assert library["reopened"].mean() < 0.01  # nothing planted there: coincidences only


@pytest.mark.parametrize(
    "districts", [("2",), ()], ids=["a district: the full closure times", "county-wide: the times by category"]
)
def test_the_store_figures_agree_with_the_demo_frame(
    demo_store_url: str, demo_county, districts: tuple[str, ...]
) -> None:
    """The roll-ups give a district's figures, and the county's, as flagging the demo's own frame does, reports
    again looked for county-wide in the months after (30 days after a closure within 90 days of opening: to
    August)."""
    from voc.store.engine import open_store

    engine = open_store(demo_store_url)
    filters = Filters("2026-01", "2026-03", districts=districts)
    stored = closure_figures(engine, filters, rules=ClosureRules(), timezone=demo_county.timezone)
    requests = demo_county.requests
    read = requests[requests["opened_month"].between("2026-01", "2026-08")].reset_index(drop=True)
    flags = closure_flags(read, rules=ClosureRules(), timezone=demo_county.timezone)
    own = flags[(flags["district_code"].isin(districts) | (not districts)) & (flags["opened_month"] <= "2026-03")]
    expected = closure_summary(own)
    assert stored.summary.reported_again == expected.reported_again > 0
    for field in ("contacts", "incidents", "closed", "closed_or_reopened", "reopened", "reopened_status",
                  "business_median_days", "business_p90_days", "acknowledged", "acknowledge_unit",
                  "acknowledge_median", "acknowledge_p90"):  # fmt: skip
        assert getattr(stored.summary, field) == getattr(expected, field), field
    assert stored.summary.median_days == pytest.approx(expected.median_days, rel=0.02, abs=0.5)
    assert stored.summary.p90_days == pytest.approx(expected.p90_days, rel=0.02, abs=0.5)
    pd.testing.assert_frame_equal(
        stored.by_category.drop(columns=SATISFACTION_COLUMNS),
        closure_by_category(own).drop(columns=SATISFACTION_COLUMNS),
    )


def test_the_demo_county_acknowledges_most_within_hours_some_departments_slower_some_never(demo_county) -> None:
    requests = demo_county.requests
    year = requests[requests["opened_month"] >= "2025-11"].reset_index(drop=True)
    flags = closure_flags(year, rules=ClosureRules(), timezone=demo_county.timezone)
    summary = closure_summary(flags)
    assert summary.acknowledge_unit == "hours"
    assert 0.85 < summary.acknowledged / summary.contacts < 0.97  # some contacts never acknowledged
    assert 1 < summary.acknowledge_median < 8  # most within hours...
    assert summary.acknowledge_p90 > 24  # ...but a weekend or a slow department stretches the tail
    by_department = flags.groupby("department")["hours_to_acknowledge"].median()
    assert by_department["Code Enforcement"] > 4 * by_department["Utilities"]
    table = closure_by_category(flags).set_index("category")
    assert table.loc["Parking violations", "acknowledged"] == 0  # the Sheriff's desk records no acknowledgement
    assert table.loc["Parking violations", ["acknowledge_median", "acknowledge_p90"]].isna().all()
    acknowledged = requests["acknowledged_at"]
    assert (acknowledged >= requests["opened_at"]).where(acknowledged.notna(), True).all()
    closed = requests["closed_at"]
    assert (acknowledged <= closed).where(acknowledged.notna() & closed.notna(), True).all()
    # Picked up in office hours on working days, unless the contact was closed (and so acknowledged) first.
    local = acknowledged.dt.tz_convert(demo_county.timezone)
    in_office = local.dt.hour.between(8, 16) & (local.dt.day_of_week < 5)
    picked_up = acknowledged.notna() & (acknowledged != requests["closed_at"])
    assert in_office[picked_up].all()


def test_the_demo_countys_acknowledgements_follow_the_seed(demo_county) -> None:
    from voc.demo.acknowledged import with_acknowledgements
    from voc.demo.timeline import demo_months

    months = demo_months(demo_county.requests["opened_month"].min(), demo_county.requests["opened_month"].max())
    again = with_acknowledgements(demo_county.requests.drop(columns="acknowledged_at"), months, 2026)
    pd.testing.assert_series_equal(again["acknowledged_at"], demo_county.requests["acknowledged_at"])
    other = with_acknowledgements(demo_county.requests.drop(columns="acknowledged_at"), months, 7)
    assert not other["acknowledged_at"].equals(demo_county.requests["acknowledged_at"])


def test_voc_performance_prints_the_closure_figures_of_trends(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str, demo_county
) -> None:
    from click.testing import CliRunner

    from voc.cli import main

    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)
    runner = CliRunner()
    months = ["--from", "2026-08", "--to", "2026-10"]
    departments = ["--department", "Code Enforcement", "--department", "Sheriff (non-emergency)"]
    result = runner.invoke(main, ["performance", *months, *departments, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    requests = demo_county.requests
    chosen = requests[requests["department"].isin(["Code Enforcement", "Sheriff (non-emergency)"])]
    flags = closure_flags(chosen[chosen["opened_month"] >= "2026-08"].reset_index(drop=True), rules=ClosureRules(),
                          timezone=demo_county.timezone)  # fmt: skip
    summary = closure_summary(flags)
    assert shown["summary"]["acknowledged"] == summary.acknowledged == flags["hours_to_acknowledge"].notna().sum()
    assert shown["summary"]["acknowledge_unit"] == summary.acknowledge_unit == "business days"
    assert shown["summary"]["acknowledge_median"] == summary.acknowledge_median
    assert shown["summary"]["reopened"] == summary.reopened
    categories = {row["category"]: row for row in shown["categories"]}
    assert categories["Parking violations"]["acknowledged"] == 0
    assert categories["Parking violations"]["acknowledge_median"] is None  # none, not 0
    assert (
        categories["Noise"]["acknowledged"] == flags.loc[flags["category"] == "Noise", "acknowledged_at"].notna().sum()
    )

    text = runner.invoke(main, ["performance", *months, "--category", "Parking violations"]).stdout
    assert "  Median to acknowledge: – · no acknowledged times\n" in text
    assert "  Parking violations: " in text and "; no acknowledged times; half closed within " in text

    refused = runner.invoke(main, ["performance", "--to", "2026-13", "--json"])
    assert refused.exit_code == 2
    assert json.loads(refused.stdout) == {
        "error": "'2026-13' is not a month: write YYYY-MM, e.g. 2026-10.",
        "kind": "input",
    }
