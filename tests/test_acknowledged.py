"""When contacts were acknowledged: read from real exports, checked like the closed date, kept by pulls and undo."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import SETTINGS
from tests.files import REAL
from tests.stores import store_at_revision
from voc.contacts.closure import acknowledge_time
from voc.contacts.closure_months import closure_figures
from voc.contacts.trends import Filters
from voc.core.access import Role
from voc.core.config import ClosureRules
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.report import Report
from voc.ingest.timestamps import DateRange, check_later_times
from voc.store.models import ServiceRequest

GAINESVILLE = "America/New_York"
REQUESTS = ServiceRequest.__table__


def _raw_hours_to_acknowledge(name: str) -> pd.Series:
    """Hours from created to acknowledged per record id, read from the raw file with pandas alone."""
    raw = pd.read_csv(REAL / name, dtype=str).set_index("id")
    created = pd.to_datetime(raw["created"], format="ISO8601")
    acknowledged = pd.to_datetime(raw["acknowledged"], format="mixed", dayfirst=False)  # with and without seconds
    return ((acknowledged - created).dt.total_seconds() / 3600).dropna()


def _import_gainesville(engine: sa.Engine, name: str):  # type: ignore[no-untyped-def]
    settings = replace(SETTINGS, timezone=GAINESVILLE)
    data = (REAL / name).read_bytes()
    return import_requests(engine, data, name, settings, ImportOptions(), role=Role.ANALYST)


def _stored_hours(engine: sa.Engine) -> pd.Series:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(REQUESTS.c.source_id, REQUESTS.c.opened_at, REQUESTS.c.acknowledged_at))
        stored = pd.DataFrame(rows.all(), columns=["id", "opened_at", "acknowledged_at"]).set_index("id")
    opened, acknowledged = (pd.to_datetime(stored[c], utc=True) for c in ("opened_at", "acknowledged_at"))
    return ((acknowledged - opened).dt.total_seconds() / 3600).dropna()


def test_the_gainesville_export_imports_its_acknowledged_times(engine: sa.Engine) -> None:
    name = "gainesville_mygnv_311_sample5000.csv"
    report = _import_gainesville(engine, name)
    assert report.mapping["acknowledged_at"] == "acknowledged"
    expected = _raw_hours_to_acknowledge(name)
    assert (expected >= 0).all()  # none of these 300 was acknowledged before it was opened
    stored = _stored_hours(engine)
    assert len(stored) == len(expected) == 126
    pd.testing.assert_series_equal(stored.sort_index(), expected.sort_index(), check_names=False, check_index=False)
    summary = closure_figures(engine, Filters("2014-01", "2023-12"), rules=ClosureRules(), timezone=GAINESVILLE).summary
    assert (summary.acknowledged, summary.acknowledge_unit) == (126, "hours")
    # Counted to the precision shown: the minute within an hour, a tenth of an hour up to 10 hours, else the hour.
    for counted, exact in [
        (summary.acknowledge_median, expected.median()),
        (summary.acknowledge_p90, np.quantile(expected, 0.9, method="inverted_cdf")),
    ]:
        assert acknowledge_time(counted, "hours") == acknowledge_time(exact, "hours")
        assert counted == pytest.approx(exact, rel=0.05)


def test_acknowledged_before_opening_is_dropped_with_a_warning_and_the_contact_kept(engine: sa.Engine) -> None:
    name = "gainesville_mygnv_311_records601-700.csv"
    report = _import_gainesville(engine, name)
    assert (report.inserted, report.rejected) == (100, 0)
    raw = _raw_hours_to_acknowledge(name)
    assert sorted(raw[raw < 0].index) == ["2968242", "2973158"]  # referred or closed 54 minutes before created
    warnings = report.problems[report.problems["column"] == "acknowledged"]
    assert warnings["severity"].tolist() == ["warning", "warning"]
    assert warnings["message"].tolist()[0] == (
        "Acknowledged (2022-09-29 17:41) before it was opened (2022-09-29 18:35): the acknowledged date is dropped "
        "and the contact kept as not acknowledged."
    )
    stored = _stored_hours(engine)
    assert len(stored) == (raw >= 0).sum()
    assert not {"2968242", "2973158"} & set(stored.index)
    assert stored.median() == pytest.approx(raw[raw >= 0].median())


def test_unreadable_and_mistyped_acknowledged_times_are_dropped_with_a_warning() -> None:
    report = Report(np.arange(2, 6))
    opened = pd.Series(pd.to_datetime(["2026-03-02 14:00"] * 4, utc=True))
    acknowledged, _ = check_later_times(
        pd.Series(["2026-03-02 10:30", "soon", "2062-03-02 10:00", ""]), opened, what="Acknowledged",
        column="Assigned Date", timezone="America/New_York", plausible=DateRange(today=dt.date(2026, 4, 15)),
        report=report,
    )  # fmt: skip
    assert acknowledged.notna().tolist() == [True, False, False, False]
    problems = report.frame()
    assert problems["row"].tolist() == [3, 4] and (problems["severity"] == "warning").all()
    assert problems["message"].tolist() == [
        "Unreadable date 'soon': write it like 2026-03-31 14:05. The contact is kept as not acknowledged.",
        "Acknowledged 2062-03-02 10:00 is after the upload day (2026-04-15): a mistyped year? The contact is kept "
        "as not acknowledged.",
    ]
    assert not report.rejected.any()


def test_the_migration_adds_an_empty_acknowledged_at_to_stored_contacts(store_url: str) -> None:
    from voc.store.engine import schema_is_current, upgrade_schema

    engine = store_at_revision(
        store_url,
        "0018",
        (
            "INSERT INTO service_requests (source, source_id, opened_at, opened_month, request_type, row_hash) "
            "VALUES ('crm', '1', '2026-03-02 14:00:00', '2026-03', 'POTHOLE', '')",
            [{}],
        ),
    )
    upgrade_schema(engine)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(REQUESTS.c.source_id, REQUESTS.c.acknowledged_at)).all()
    assert schema_is_current(engine)
    engine.dispose()
    assert [tuple(row) for row in stored] == [("1", None)]
