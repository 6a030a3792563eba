"""Overview figures: month arithmetic, the latest complete month, and SQL aggregates on both stores."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import request_frame
from voc.contacts.overview import headline_metrics, latest_complete_month, load_overview, percent_change
from voc.core.periods import local_week, month_label, month_range, month_shift
from voc.store.engine import write_transaction
from voc.store.requests import save_requests
from voc.store.uploads import start_upload


@pytest.mark.parametrize(
    ("month", "shift", "expected"),
    [
        ("2026-10", -1, "2026-09"),
        ("2026-01", -1, "2025-12"),
        ("2026-10", -12, "2025-10"),
        ("2025-12", 1, "2026-01"),
    ],
)
def test_month_shift(month: str, shift: int, expected: str) -> None:
    assert month_shift(month, shift) == expected


@pytest.mark.parametrize(
    ("latest", "today", "expected"),
    [
        (date(2026, 10, 31), date(2026, 11, 22), "2026-10"),  # export through month end
        (date(2026, 10, 30), date(2026, 11, 22), "2026-10"),  # last contact on the 30th: complete
        (date(2026, 10, 17), date(2026, 11, 22), "2026-09"),  # export cut mid-month
        (date(2026, 11, 21), date(2026, 11, 22), "2026-10"),  # the current month is never complete
        (date(2020, 2, 25), date(2026, 11, 22), "2020-01"),  # an old export cut on 25 Feb
        (date(2024, 2, 29), date(2026, 11, 22), "2024-02"),  # leap-year month end
    ],
)
def test_latest_complete_month(latest: date, today: date, expected: str) -> None:
    assert latest_complete_month(latest, today) == expected


def test_month_range_and_local_week() -> None:
    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    instants = pd.Series(pd.to_datetime(["2026-03-02 03:30", "2026-03-08 23:00", "2026-03-09 05:00"], utc=True))
    # 03:30 UTC on Monday 2 March is still Sunday 1 March in Florida: the week of Monday 23 February.
    assert local_week(instants, "America/New_York").tolist() == ["2026-02-23", "2026-03-02", "2026-03-09"]


def test_percent_change_and_labels() -> None:
    assert percent_change(110, 100) == pytest.approx(10.0)
    assert percent_change(5, 0) is None
    assert percent_change(5, None) is None
    assert month_label("2026-10") == "Oct 2026"


def _store(engine: sa.Engine, rows: list[dict]) -> None:
    with write_transaction(engine) as connection:
        upload_id = start_upload(connection, kind="requests", file_name="oct.xlsx", sha256="x", user="ana")
        save_requests(connection, request_frame(rows), upload_id=upload_id)


def test_overview_is_none_on_an_empty_store(engine: sa.Engine) -> None:
    assert load_overview(engine, today=date(2026, 11, 22), timezone="America/New_York") is None


def test_overview_figures_on_both_stores(engine: sa.Engine) -> None:
    rows = (
        [  # October 2026: 4 contacts, 3 closed after 1, 2 and 10 days
            {"source_id": "o1", "opened_at": "2026-10-05 13:00", "closed_at": "2026-10-06 13:00"},
            {
                "source_id": "o2",
                "opened_at": "2026-10-06 13:00",
                "closed_at": "2026-10-08 13:00",
                "channel": "web",
            },
            {
                "source_id": "o3",
                "opened_at": "2026-10-07 13:00",
                "closed_at": "2026-10-17 13:00",
                "channel": "app",
            },
            {"source_id": "o4", "opened_at": "2026-10-31 13:00", "category": "Drainage"},
        ]
        + [{"source_id": f"s{i}", "opened_at": "2026-09-10 13:00"} for i in range(2)]
        + [{"source_id": f"y{i}", "opened_at": "2025-10-10 13:00"} for i in range(5)]
    )
    _store(engine, rows)
    overview = load_overview(engine, today=date(2026, 11, 22), timezone="America/New_York")
    assert overview is not None
    assert overview.month == "2026-10"
    assert (overview.contacts, overview.previous_contacts, overview.last_year_contacts) == (4, 2, 5)
    assert overview.median_days_to_close == pytest.approx(2.0)
    assert overview.still_open == 1
    assert overview.online_share == pytest.approx(0.5)
    top = overview.categories.set_index("category")
    assert top.loc["Potholes", "contacts"] == 3
    assert top.loc["Potholes", "change_vs_last_year"] == pytest.approx(-40.0)
    assert top.loc["Drainage", "last_year"] != top.loc["Drainage", "last_year"]  # NaN: new this year
    assert overview.channels.set_index("channel")["contacts"].to_dict() == {"phone": 2, "web": 1, "app": 1}
    assert overview.last_upload["file_name"] == "oct.xlsx"
    metrics = headline_metrics(overview)
    assert metrics[0].value == "4" and metrics[0].delta == "+100.0% vs Sep 2026"
    assert metrics[1].delta == "Oct 2026 is -20.0% on this"  # the card shows Oct 2025; the badge compares
    assert metrics[2].value == "2.0" and metrics[2].delta == "1 still open"


def test_median_of_an_even_count_averages_the_middle_pair(engine: sa.Engine) -> None:
    _store(
        engine,
        [
            {
                "source_id": str(i),
                "opened_at": "2026-10-05 13:00",
                "closed_at": f"2026-10-{6 + days:02d} 13:00",
            }
            for i, days in enumerate([0, 1, 3, 10])
        ]
        + [{"source_id": "open", "opened_at": "2026-10-31 13:00"}],
    )
    overview = load_overview(engine, today=date(2026, 11, 22), timezone="America/New_York")
    assert overview.median_days_to_close == pytest.approx(3.0)  # (2 + 4) / 2, days are 1, 2, 4, 11
