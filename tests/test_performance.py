"""Service performance from the days-to-close histogram: its promises on the demo county, and its upkeep."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import request_frame, saved_upload
from tests.stores import closing_days, fresh_postgres_schema, recounted_closing_days
from voc.contacts.performance import save_targets, service_performance, with_closure
from voc.contacts.trends import Filters
from voc.core.access import Role
from voc.core.config import ClosureRules
from voc.ingest.request_types import save_type_map
from voc.store.closing_days import BUCKETS
from voc.store.engine import open_store
from voc.store.query import read_frame
from voc.store.uploads import undo


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_engine(request: pytest.FixtureRequest, demo_county) -> Iterator[sa.Engine]:
    """The demo county once on SQLite (the shared store) and once loaded into a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        # A copy: the targets test writes, and the shared demo store is for tests that only read.
        copy = request.getfixturevalue("tmp_path_factory").mktemp("performance") / "voc.db"
        shutil.copy(request.getfixturevalue("demo_store_url").removeprefix("sqlite:///"), copy)
        engine = open_store(f"sqlite:///{copy}")
        yield engine
        engine.dispose()
        return
    from voc.demo.load import load_demo

    schema = fresh_postgres_schema(request.getfixturevalue("postgres_server"))
    engine = open_store(next(schema))
    load_demo(engine, user="test", county=demo_county)
    yield engine
    engine.dispose()
    next(schema, None)


def _exact(closes: pd.Series) -> tuple[float, float]:
    """The median (mean of the middle pair) and the nearest-rank 90th percentile, from every value."""
    ordered = np.sort(closes.to_numpy())
    return float(np.median(ordered)), float(ordered[(9 * len(ordered) + 9) // 10 - 1])


FILTERS = [
    Filters(),
    Filters(first_month="2025-11", last_month="2026-10"),
    Filters(first_month="2026-10", last_month="2026-10", districts=("3",)),
]


@pytest.mark.parametrize("filters", FILTERS, ids=["all months", "last 12 months", "one month, one district"])
def test_demo_percentiles_are_within_two_percent_or_half_a_day_for_every_category(
    demo_engine: sa.Engine, demo_county, filters: Filters
) -> None:
    requests = demo_county.requests
    kept = requests["opened_month"].between(filters.first_month or "0000", filters.last_month or "9999")
    if filters.districts:
        with demo_engine.connect() as connection:
            districts = connection.execute(sa.text("SELECT source_id, district_code FROM service_requests")).all()
        kept &= requests["source_id"].map(dict(districts)).isin(filters.districts)
    chosen = requests[kept]
    shown = service_performance(demo_engine, filters).set_index("category")
    assert set(shown.index) == set(chosen["category"])
    checked = 0
    for category, contacts in chosen.groupby("category"):
        closes = contacts["days_to_close"].dropna()
        row = shown.loc[category]
        open_ones = contacts["days_to_close"].isna().sum()
        assert (row["contacts"], row["closed"], row["still_open"]) == (len(contacts), len(closes), open_ones)
        if closes.empty:
            assert np.isnan(row["median_days"])
            continue
        median, p90 = _exact(closes)
        assert abs(row["median_days"] - median) <= max(0.5, 0.02 * median), category
        assert abs(row["p90_days"] - p90) <= max(0.5, 0.02 * p90), category
        checked += 1
    assert checked >= (40 if filters == Filters() else 5)


def test_the_service_report_reads_the_histogram_once_and_is_its_two_parts(
    demo_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import voc.contacts.closure_months as closure_months

    rules, timezone = ClosureRules(), "America/New_York"
    filters = Filters("2025-11", "2026-10", districts=("3",))
    reads = []
    read = closure_months.closing_histogram
    monkeypatch.setattr(closure_months, "closing_histogram", lambda c, f: reads.append(f) or read(c, f))
    figures, table = closure_months.service_report(demo_engine, filters, rules=rules, timezone=timezone)
    assert reads == [filters]
    monkeypatch.undo()
    alone = closure_months.closure_figures(demo_engine, filters, rules=rules, timezone=timezone)
    assert repr(figures.summary) == repr(alone.summary)
    assert figures.summary.contacts > 0
    pd.testing.assert_frame_equal(figures.by_category, alone.by_category)
    pd.testing.assert_frame_equal(table, with_closure(service_performance(demo_engine, filters), alone.by_category))


def test_demo_whole_day_targets_are_counted_exactly(demo_engine: sa.Engine, demo_county) -> None:
    requests = demo_county.requests.dropna(subset=["days_to_close"])
    targets = (requests.groupby("category")["days_to_close"].median().round() + 1).rename("target_days")
    save_targets(demo_engine, targets.reset_index(), user="test", role=Role.ANALYST)
    shown = service_performance(demo_engine, Filters()).set_index("category")
    exact = (requests["days_to_close"] <= requests["category"].map(targets)).groupby(requests["category"]).mean()
    assert shown["within_target_share"].to_dict() == pytest.approx(exact.to_dict(), abs=1e-12)


def test_buckets_are_no_wider_than_a_quarter_day_or_two_percent(engine: sa.Engine) -> None:
    buckets = read_frame(engine, sa.select(BUCKETS).order_by(BUCKETS.c.bucket))
    assert buckets[["lower", "upper"]].iloc[0].tolist() == [0.0, 0.0]
    assert (buckets["lower"].iloc[1:].to_numpy() == buckets["upper"].iloc[:-1].to_numpy()).all()
    width = buckets["upper"] - buckets["lower"]
    assert (width.iloc[1:] > 0).all()
    assert (width <= np.maximum(0.25, 0.02 * buckets["lower"])).all()
    assert set(np.arange(1.0, 101.0)) <= set(buckets["upper"])
    # The longest a contact can stay open: pandas timestamps span 1677 to 2262.
    assert buckets["upper"].max() >= (pd.Timestamp.max.year - pd.Timestamp.min.year + 1) * 366


def test_quick_closes_leave_out_questions_and_closes_given_as_a_day(engine: sa.Engine) -> None:
    opened_closed = [
        ("2026-03-02 14:00", "2026-03-02 14:03"),
        ("2026-03-02 14:00", "2026-03-02 14:00"),
        ("2026-03-02 14:00", "2026-03-02 14:05"),  # five minutes exactly: not within
        ("2026-03-02 14:00", "2026-03-02 14:01"),  # a question
        ("2026-03-02 00:00", "2026-03-02 00:00"),  # closed the same day, given as a day
        ("2026-03-03 09:00", "2026-03-05 09:00"),
        ("2026-03-03 09:00", None),
    ]
    rows = request_frame(
        [
            {"source_id": str(i), "opened_at": opened, "closed_at": closed}
            for i, (opened, closed) in enumerate(opened_closed)
        ]
    )
    rows.loc[3, "contact_type"] = "question"
    rows["closed_date_only"] = rows.index == 4
    saved_upload(engine, rows)
    row = service_performance(engine, Filters()).set_index("category").loc["Potholes"]
    assert (row["contacts"], row["closed"], row["closed_too_fast"], row["still_open"]) == (7, 6, 2, 1)
    median, p90 = _exact(rows["days_to_close"].dropna())
    assert abs(row["median_days"] - median) <= 0.25
    assert abs(row["p90_days"] - p90) <= 0.25
    with pytest.raises(ValueError, match="channel"):
        service_performance(engine, Filters(channels=("web",)))


def test_histogram_follows_imports_corrections_type_edits_and_undo(engine: sa.Engine) -> None:
    march = [
        {"source_id": str(i), "opened_at": f"2026-03-{2 + i:02d} 14:00", "closed_at": f"2026-03-{3 + 2 * i:02d} 09:00"}
        for i in range(10)
    ]
    first, _ = saved_upload(engine, request_frame(march + [{"source_id": "x", "opened_at": "2026-05-02 10:00"}]))
    before = closing_days(engine)
    assert sum(closed for closed, _ in before.values()) == 10
    assert before == recounted_closing_days(engine)

    # A correction moves one contact to April, closes another later and reopens a third.
    corrected = [
        {**march[0], "opened_at": "2026-04-01 14:00", "closed_at": "2026-04-01 14:02"},
        {**march[1], "closed_at": "2026-03-30 09:00"},
        {**march[2], "closed_at": None},
    ]
    correction, _ = saved_upload(engine, request_frame(corrected))
    assert closing_days(engine) == recounted_closing_days(engine)
    assert {key[0] for key in closing_days(engine)} == {"2026-03", "2026-04"}

    road_repair = {"raw_type": "POTHOLE", "category": "Road repair", "department": "Roads", "contact_type": "complaint"}
    save_type_map(engine, pd.DataFrame([road_repair]), user="ana", role=Role.ANALYST)
    recategorised = closing_days(engine)
    assert recategorised == recounted_closing_days(engine)
    assert {key[1] for key in recategorised} == {"Road repair"}

    undo(engine, correction, user="ana", role=Role.ANALYST)
    assert closing_days(engine) == recounted_closing_days(engine)
    undo(engine, first, user="ana", role=Role.ANALYST)
    assert closing_days(engine) == {}
