"""Closed is not fixed: business days, reports after closure, incidents, and their sums."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from voc.contacts.closure import (
    OPENING_COLUMNS,
    acknowledge_time,
    business_days,
    closure_by_category,
    closure_flags,
    closure_metrics,
    closure_summary,
    holiday_dates,
    incident_ids,
    reported_again,
)
from voc.contacts.satisfaction import SATISFACTION_COLUMNS
from voc.core.config import ClosureRules
from voc.core.errors import VocError

TIMEZONE = "America/New_York"
# About 1 m of latitude, in degrees, near 28.3 N (Palmetto County).
METRE = 1 / 110_900


def _local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TIMEZONE).tz_convert("UTC")


def _contacts(rows: list[tuple]) -> pd.DataFrame:
    """Contacts from (category, opened, closed or None, metres north of a fixed point, channel, type, status)."""
    frame = pd.DataFrame(rows, columns=["category", "opened", "closed", "north", "channel", "contact_type", "status"])
    return pd.DataFrame({
        "id": range(1, len(frame) + 1),
        "opened_month": [text[:7] for text in frame["opened"]],
        "opened_at": pd.Series([_local(text) for text in frame["opened"]], dtype="datetime64[ns, UTC]"),
        "closed_at": pd.Series([_local(t) if t else pd.NaT for t in frame["closed"]], dtype="datetime64[ns, UTC]"),
        "acknowledged_at": pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]"),
        "category": frame["category"], "channel": frame["channel"], "contact_type": frame["contact_type"],
        "status": frame["status"], "district_code": "1", "department": "Roads",
        "latitude": 28.3 + frame["north"] * METRE, "longitude": -82.5,
    }).assign(days_to_close=lambda f: (f["closed_at"] - f["opened_at"]).dt.total_seconds() / 86400)  # fmt: skip


@pytest.mark.parametrize(
    ("opened", "closed", "calendar", "expected"),
    [
        ("2025-06-06 10:00", "2025-06-06 16:00", "US", 0),  # the same day
        ("2025-06-06 10:00", "2025-06-06 21:00", "US", 0),  # 21:00 in Florida is Saturday in UTC: still Friday
        ("2025-06-06 16:00", "2025-06-09 09:00", "US", 1),  # Friday to Monday
        ("2025-06-07 11:00", "2025-06-09 09:00", "US", 0),  # opened on a Saturday
        ("2025-07-03 09:00", "2025-07-07 09:00", "US", 1),  # Thursday, then Independence Day
        ("2025-11-26 09:00", "2025-12-01 09:00", "US", 2),  # Wednesday, Thanksgiving, Friday
        ("2025-11-26 09:00", "2025-12-01 09:00", "US-MD", 1),  # Maryland keeps the Friday after Thanksgiving
        ("2025-12-22 09:00", "2026-01-05 09:00", "US", 8),  # across the year: Christmas and New Year's Day off
    ],
)
def test_business_days_count_the_countys_working_days(opened: str, closed: str, calendar: str, expected: int) -> None:
    days = business_days(
        pd.Series([_local(opened)]), pd.Series([_local(closed)]), timezone=TIMEZONE,
        holidays=holiday_dates(calendar, [2025, 2026]),
    )  # fmt: skip
    assert days.tolist() == [expected]


def test_business_days_of_an_open_contact_are_unknown() -> None:
    days = business_days(
        pd.Series([_local("2025-06-06 10:00")]), pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"),
        timezone=TIMEZONE, holidays=holiday_dates("US", [2025]),
    )  # fmt: skip
    assert math.isnan(days.iloc[0])


def test_an_unknown_holiday_calendar_says_how_to_name_one() -> None:
    with pytest.raises(VocError, match="US-MD"):
        holiday_dates("US-XX", [2025])


def test_a_report_of_the_same_category_nearby_after_closure_reopens_a_contact() -> None:
    contacts = _contacts([
        ("Potholes", "2025-03-01 09:00", "2025-03-04 09:00", 0, "phone", "request", "Closed"),
        ("Potholes", "2025-03-20 09:00", "2025-03-21 09:00", 80, "app", "request", "Closed"),  # 16 days, 80 m: again
        ("Sidewalk", "2025-03-01 09:00", "2025-03-02 09:00", 1000, "web", "request", "Closed"),
        ("Potholes", "2025-03-05 09:00", None, 1120, "web", "request", "Open"),  # 120 m from the sidewalk: another
        ("Sidewalk", "2025-04-05 09:00", None, 1000, "web", "request", "Open"),  # 34 days after closure: too late
        ("Streetlight", "2025-03-01 09:00", "2025-03-09 09:00", 2000, "phone", "request", "Closed"),
        ("Streetlight", "2025-03-05 09:00", None, 2000, "phone", "complaint", "Open"),  # while it was open: not again
        ("Streetlight", "2025-03-09 10:00", None, 2300, "phone", "request", "Open"),  # 300 m away
    ])  # fmt: skip
    again = reported_again(contacts, metres=100, days=30)
    assert again.tolist() == [True, False, False, False, False, False, False, False]
    wider = reported_again(contacts, metres=400, days=40)
    assert wider.tolist() == [True, False, True, False, False, True, False, False]


def test_questions_are_not_reports_of_a_problem() -> None:
    contacts = _contacts([
        ("Potholes", "2025-03-01 09:00", "2025-03-04 09:00", 0, "phone", "request", "Closed"),
        ("Potholes", "2025-03-05 09:00", "2025-03-05 09:10", 10, "phone", "question", "Closed"),
    ])  # fmt: skip
    assert not reported_again(contacts, metres=100, days=30).any()


def test_reports_close_in_place_and_time_are_one_incident_in_a_chain() -> None:
    contacts = _contacts([
        ("Potholes", "2025-03-01 09:00", None, 0, "phone", "request", "Open"),
        ("Potholes", "2025-03-01 10:30", None, 40, "app", "request", "Open"),
        ("Potholes", "2025-03-01 12:00", None, 80, "web", "request", "Open"),  # 80 m from the first, 40 from the second
        ("Potholes", "2025-03-01 12:30", None, 140, "web", "request", "Open"),  # 60 m from the nearest
        ("Potholes", "2025-03-01 16:00", None, 80, "web", "request", "Open"),  # 4 hours after the nearest
        ("Sidewalk", "2025-03-01 09:05", None, 0, "phone", "request", "Open"),  # another category
    ])  # fmt: skip
    incident = incident_ids(contacts, metres=50, hours=3).tolist()
    assert incident[0] == incident[1] == incident[2]
    assert len(set(incident)) == 4
    assert incident_ids(contacts.iloc[:0], metres=50, hours=3).empty


def test_a_contact_without_coordinates_is_an_incident_of_its_own_and_never_a_repeat() -> None:
    contacts = _contacts([
        ("Potholes", "2025-03-01 09:00", "2025-03-02 09:00", 0, "phone", "request", "Closed"),
        ("Potholes", "2025-03-03 09:00", None, 0, "phone", "request", "Open"),
    ]).assign(latitude=[np.nan, np.nan])  # fmt: skip
    assert reported_again(contacts, metres=100, days=30).tolist() == [False, False]
    assert incident_ids(contacts, metres=50, hours=3).nunique() == 2


def test_closure_sums_count_contacts_incidents_and_the_reopen_rate() -> None:
    contacts = _contacts([
        ("Potholes", "2025-03-03 09:00", "2025-03-04 09:00", 0, "phone", "request", "Closed"),
        ("Potholes", "2025-03-03 10:00", "2025-03-04 09:00", 20, "app", "request", "Closed"),  # the same pothole
        ("Potholes", "2025-03-10 09:00", "2025-03-17 09:00", 30, "web", "request", "Closed"),  # it came back
        ("Potholes", "2025-03-11 09:00", "2025-03-12 09:00", 5000, "web", "request", "Re-opened"),
        ("Potholes", "2025-03-12 09:00", None, 9000, "web", "request", "Open"),
    ])  # fmt: skip
    flags = closure_flags(contacts, rules=ClosureRules(), timezone=TIMEZONE)
    assert flags["reported_again"].tolist() == [True, True, False, False, False]
    assert flags["reopened_status"].tolist() == [False, False, False, True, False]
    summary = closure_summary(flags)
    assert (summary.contacts, summary.incidents, summary.closed, summary.reopened) == (5, 4, 4, 3)
    assert summary.reopen_rate == pytest.approx(3 / 4)
    assert (summary.business_median_days, summary.business_p90_days) == (1.0, 5.0)
    assert (summary.median_days, summary.p90_days) == (1.0, 7.0)
    table = closure_by_category(flags)
    assert table.drop(columns=["acknowledge_median", "acknowledge_p90", *SATISFACTION_COLUMNS]).to_dict("records") == [
        {"category": "Potholes", "incidents": 4, "reopened": 3, "reopen_rate": 0.75, "business_median_days": 1.0,
         "business_p90_days": 5.0, "acknowledged": 0},
    ]  # fmt: skip
    assert table[["acknowledge_median", "acknowledge_p90"]].isna().all(axis=None)  # none acknowledged: no 0


def test_nothing_closed_is_nothing_reported_again() -> None:
    contacts = _contacts([
        ("Potholes", "2025-03-01 09:00", None, 0, "phone", "request", "Open"),
        ("Potholes", "2025-03-02 09:00", None, 0, "web", "request", "Open"),
    ])  # fmt: skip
    assert reported_again(contacts, metres=100, days=30).tolist() == [False, False]
    summary = closure_summary(closure_flags(contacts, rules=ClosureRules(), timezone=TIMEZONE))
    assert (summary.closed, summary.incidents) == (0, 2)
    assert math.isnan(summary.reopen_rate) and math.isnan(summary.business_median_days)


def _acknowledged(contacts: pd.DataFrame, times: list[str | None]) -> pd.DataFrame:
    return contacts.assign(
        acknowledged_at=pd.Series([_local(t) if t else pd.NaT for t in times], dtype="datetime64[ns, UTC]")
    )


def test_time_to_acknowledge_is_in_hours_when_most_took_under_a_day() -> None:
    contacts = _acknowledged(_contacts([
        ("Potholes", "2025-03-07 09:00", "2025-03-12 09:00", 0, "phone", "request", "Closed"),  # a Friday
        ("Potholes", "2025-03-07 10:00", None, 900, "web", "request", "Open"),
        ("Potholes", "2025-03-07 16:00", None, 1800, "web", "request", "Open"),
        ("Noise", "2025-03-07 11:00", None, 2700, "web", "complaint", "Open"),
        ("Noise", "2025-03-07 12:00", None, 3600, "web", "complaint", "Open"),
    ]), ["2025-03-07 09:30", "2025-03-07 12:00", "2025-03-10 08:00", None, None])  # fmt: skip
    flags = closure_flags(contacts, rules=ClosureRules(), timezone=TIMEZONE)
    # Friday 16:00 to Monday 8:00 is 63 hours, not 64: the clocks went forward on the Sunday.
    assert flags["hours_to_acknowledge"].iloc[:3].tolist() == [0.5, 2.0, 63.0]
    assert flags["business_days_to_acknowledge"].iloc[:3].tolist() == [0.0, 0.0, 1.0]
    summary = closure_summary(flags)
    assert (summary.acknowledged, summary.acknowledge_unit) == (3, "hours")
    assert (summary.acknowledge_median, summary.acknowledge_p90) == (2.0, 63.0)
    table = closure_by_category(flags).set_index("category")
    assert table.loc["Potholes", ["acknowledged", "acknowledge_median", "acknowledge_p90"]].tolist() == [3, 2.0, 63.0]
    assert table.loc["Noise", "acknowledged"] == 0
    assert table.loc["Noise", ["acknowledge_median", "acknowledge_p90"]].isna().all()  # a dash, never 0
    card = closure_metrics(summary, ClosureRules())[0]
    assert (card.label, card.value, card.delta) == ("Median to acknowledge", "2.0 hours", "90% within 63 hours")
    assert "3 of 5 contacts" in card.help


def test_time_to_acknowledge_is_in_business_days_when_most_took_longer() -> None:
    contacts = _acknowledged(_contacts([
        ("Noise", "2025-03-05 09:00", None, 0, "web", "complaint", "Open"),  # a Wednesday
        ("Noise", "2025-03-05 10:00", None, 900, "web", "complaint", "Open"),
        ("Noise", "2025-03-05 11:00", None, 1800, "web", "complaint", "Open"),
    ]), ["2025-03-05 11:00", "2025-03-07 10:00", "2025-03-10 11:00"])  # fmt: skip
    summary = closure_summary(closure_flags(contacts, rules=ClosureRules(), timezone=TIMEZONE))
    assert (summary.acknowledge_unit, summary.acknowledge_median, summary.acknowledge_p90) == ("business days", 2, 3)
    card = closure_metrics(summary, ClosureRules())[0]
    assert (card.value, card.delta) == ("2 business days", "90% within 3 business days")


def test_without_acknowledged_times_the_card_says_so_rather_than_0() -> None:
    contacts = _contacts([("Noise", "2025-03-05 09:00", None, 0, "web", "complaint", "Open")])
    summary = closure_summary(closure_flags(contacts, rules=ClosureRules(), timezone=TIMEZONE))
    assert summary.acknowledged == 0 and math.isnan(summary.acknowledge_median)
    card = closure_metrics(summary, ClosureRules())[0]
    assert (card.value, card.delta) == ("–", "no acknowledged times")


@pytest.mark.parametrize(
    ("hours", "unit", "shown"),
    [(0.2, "hours", "12 min"), (3.25, "hours", "3.2 hours"), (57.66, "hours", "58 hours"),
     (1.0, "business days", "1 business day"), (2.5, "business days", "2.5 business days")],
)  # fmt: skip
def test_acknowledge_times_read_as_a_person_says_them(hours: float, unit: str, shown: str) -> None:
    assert acknowledge_time(hours, unit) == shown


def test_later_months_read_as_reports_only_flag_as_the_whole_read_does(demo_county) -> None:
    """A month's reports again come from the months after it; reading those as OPENING_COLUMNS only (as the
    closure roll-ups are counted) flags the month's contacts exactly as flagging every month read together."""
    requests = demo_county.requests
    read = requests[requests["opened_month"].between("2026-01", "2026-08")].reset_index(drop=True)
    counted = read["opened_month"] <= "2026-03"
    whole = closure_flags(read, rules=ClosureRules(), timezone=demo_county.timezone)[counted]
    later = read.loc[~counted, list(OPENING_COLUMNS)].reset_index(drop=True)
    split = closure_flags(read[counted], rules=ClosureRules(), timezone=demo_county.timezone, later=later)
    pd.testing.assert_frame_equal(split, whole)
    alone = closure_flags(read[counted], rules=ClosureRules(), timezone=demo_county.timezone)
    assert alone["reported_again"].sum() < whole["reported_again"].sum()  # the later months do find reports
