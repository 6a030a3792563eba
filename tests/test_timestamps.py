"""Opened and closed times: impossible or mistyped dates lose only their cell (or the row, for the opening)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.files import REAL
from voc.contacts.performance import service_performance
from voc.contacts.trends import Filters
from voc.core.access import Role
from voc.core.config import Settings
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.report import Report
from voc.ingest.request_types import save_type_map
from voc.ingest.timestamps import DateRange, check_timestamps
from voc.store.models import ServiceRequest

TODAY = dt.date(2026, 4, 15)
TIMEZONE = "America/Chicago"


def check(opened: list[str], closed: list[str] | None, **options):
    report = Report(np.arange(2, len(opened) + 2))
    times = check_timestamps(
        pd.Series(opened),
        None if closed is None else pd.Series(closed),
        times=(None, None),
        columns=("Opened", "Closed"),
        timezone=TIMEZONE,
        plausible=DateRange(today=TODAY, **options),
        report=report,
    )
    return times, report.frame(), report.rejected


def test_a_closed_date_before_the_opening_is_dropped_with_a_warning():
    times, problems, rejected = check(["2026-03-02 10:00", "2026-03-02 10:00"], ["2026-03-01 09:00", "2026-03-03"])
    assert times.closed.isna().tolist() == [True, False]
    assert not rejected.any()
    assert problems.to_dict("records") == [
        {
            "row": 2,
            "column": "Closed",
            "message": "Closed (2026-03-01 09:00) before it was opened (2026-03-02 10:00): the closed date is "
            "dropped and the contact kept as not closed.",
            "severity": "warning",
        }
    ]


def test_a_date_only_close_is_a_day_not_an_invented_minute():
    times, problems, _ = check(
        ["2026-03-02 10:00", "2026-03-02 10:00", "2026-03-02 10:00"], ["2026-03-02", "2026-03-05", "2026-03-02 10:03"]
    )
    assert problems.empty  # closed on the opening day, without a time, is not before the opening
    assert times.closed_date_only.tolist() == [True, True, False]
    assert times.days_to_close.tolist() == [0.0, 3.0, pytest.approx(3 / 1440)]
    local = times.closed.dt.tz_convert(TIMEZONE).dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert local == ["2026-03-02 00:00", "2026-03-05 00:00", "2026-03-02 10:03"]


def test_mistyped_years_are_row_problems_not_data():
    times, problems, rejected = check(
        ["2099-11-02 10:00", "1800-01-05 08:00", "2026-03-02 10:00", "2026-03-02 10:00"],
        ["", "", "2099-03-04 10:00", "1989-12-31"],
    )
    assert rejected.tolist() == [True, True, False, False]
    assert times.closed.isna().all()
    messages = problems.set_index("row")["message"]
    assert messages[2] == "Opened 2099-11-02 10:00 is after the upload day (2026-04-15): a mistyped year? " \
        "Correct it and upload the row again."  # fmt: skip
    assert messages[3].startswith("Opened 1800-01-05 08:00 is before 1990: a mistyped year?")
    assert messages[4].endswith(" The contact is kept as not closed.")
    assert problems.set_index("row").loc[5, "severity"] == "warning"


def test_the_first_year_is_a_setting():
    _, _, rejected = check(["1995-06-01 10:00", "2001-06-01 10:00"], None, first_year=2000)
    assert rejected.tolist() == [True, False]


def test_kansas_city_same_day_closures_are_not_closed_in_under_five_minutes(engine: sa.Engine) -> None:
    # Kansas City's export gives the closed date without a time: 39 of its 2,355 closures are on the
    # opening day, which were stored as closed at the opening minute.
    data = (REAL / "kc311_potholes_2020JanFeb.csv").read_bytes()
    settings = Settings(
        database_url="", timezone=TIMEZONE, max_upload_bytes=5_000_000, redact_personal=True, user="ana"
    )
    report = import_requests(engine, data, "kc.csv", settings, ImportOptions(), role=Role.ANALYST)
    requests = ServiceRequest.__table__
    with engine.connect() as connection:
        closed = connection.execute(
            sa.select(requests.c.closed_date_only, requests.c.days_to_close).where(requests.c.closed_at.is_not(None))
        ).all()
    assert len(closed) == 2355 - report.problems["message"].str.contains("before it was opened").sum()
    assert all(row.closed_date_only for row in closed)
    assert sum(row.days_to_close == 0 for row in closed) == 39
    with engine.connect() as connection:
        raw_types = connection.execute(sa.select(requests.c.request_type).distinct()).scalars().all()
    mapped = [
        {"raw_type": raw, "category": "Potholes", "department": "Public Works", "contact_type": "request"}
        for raw in raw_types
    ]
    save_type_map(engine, pd.DataFrame(mapped), user="ana", role=Role.ANALYST)
    performance = service_performance(engine, Filters()).set_index("category")
    assert performance.loc["Potholes", "closed_too_fast"] == 0
