"""The closure roll-ups' life: counted once on first use, forgotten by the writes that change them, recounted
under new rules; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import sqlalchemy as sa

import voc.contacts.closure_months as closure_months
from tests.factories import SETTINGS, located, request_frame, saved_upload
from tests.stores import category_closure_times, store_at_revision, summed_closure_times
from voc.contacts.closure import OPENING_COLUMNS, time_buckets
from voc.contacts.closure_months import ClosureFigures, closure_figures, reopened_counts
from voc.contacts.trends import Filters
from voc.core.config import ClosureRules
from voc.store.closure import CLOSURE_COLUMNS
from voc.store.closure_counts import MONTHS
from voc.store.engine import schema_is_current, upgrade_schema, write_transaction
from voc.store.ratings import save_ratings
from voc.store.requests import undo_upload
from voc.store.uploads import start_upload

RULES = ClosureRules()
JANUARY = Filters("2026-01", "2026-01")
# A pothole at a corner, a second report of it 20 m away an hour later (one incident), one far off.
CORNER = (39.0500, -76.9000)
JANUARY_ROWS = [
    {"source_id": "A", "opened_at": "2026-01-05T14:00Z", "closed_at": "2026-01-10T15:00Z",
     "latitude": CORNER[0], "longitude": CORNER[1]},
    {"source_id": "C", "opened_at": "2026-01-05T15:00Z", "latitude": CORNER[0] + 0.00018, "longitude": CORNER[1]},
    {"source_id": "B", "opened_at": "2026-01-06T14:00Z", "closed_at": "2026-01-07T14:00Z", "latitude": 39.2,
     "longitude": -76.7, "district_code": "2"},
]  # fmt: skip
# 22 days after A was closed, 30 m from it: A was reported again.
FEBRUARY_ROWS = [
    {"source_id": "D", "opened_at": "2026-02-01T14:00Z", "latitude": CORNER[0] + 0.00027, "longitude": CORNER[1]},
]


def _january(engine: sa.Engine, rules: ClosureRules = RULES) -> ClosureFigures:
    return closure_figures(engine, JANUARY, rules=rules, timezone=SETTINGS.timezone)


def _counted(engine: sa.Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as connection:
        return {row.month: (row.rules, row.reached) for row in connection.execute(sa.select(MONTHS))}


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, tuple[str, ...]]]:
    """Record the month ranges the closure roll-ups read contacts of, with the columns read."""
    reads: list[tuple[str, str, tuple[str, ...]]] = []
    read = closure_months.read_closure_contacts

    def spied(
        engine: sa.Engine, *, first_month: str, last_month: str, columns: tuple[str, ...] = CLOSURE_COLUMNS
    ) -> pd.DataFrame:
        reads.append((first_month, last_month, columns))
        return read(engine, first_month=first_month, last_month=last_month, columns=columns)

    monkeypatch.setattr(closure_months, "read_closure_contacts", spied)
    return reads


def test_a_month_is_counted_once_and_recounted_when_a_later_upload_reports_it_again(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _reads(monkeypatch)
    saved_upload(engine, located(request_frame(JANUARY_ROWS)), "january.csv")
    before = _january(engine).summary
    assert (before.contacts, before.incidents, before.closed, before.reported_again) == (3, 2, 2, 0)
    # Reports again may come up to ceil((90 + 30) / 28) = 5 months on: of those, only what a report needs.
    assert reads == [("2026-01", "2026-01", CLOSURE_COLUMNS), ("2026-02", "2026-06", OPENING_COLUMNS)]
    assert _counted(engine)["2026-01"][1] == "2026-06"
    assert _january(engine).summary == before
    assert len(reads) == 2  # counted once: the second view reads the roll-ups only

    february, _ = saved_upload(engine, located(request_frame(FEBRUARY_ROWS)), "february.csv")
    assert "2026-01" not in _counted(engine)  # its read reached February: forgotten
    after = _january(engine).summary
    assert (after.reported_again, after.reopened, after.closed_or_reopened) == (1, 1, 2)
    assert after.reopen_rate == 0.5
    located_again, by_district = reopened_counts(
        engine, ["Potholes"], "2026-01", "2026-01", rules=RULES, timezone=SETTINGS.timezone
    )
    assert located_again[["category", "latitude", "longitude", "reopened"]].values.tolist() == [
        ["Potholes", *CORNER, 1]
    ]
    assert by_district.to_dict() == {("Potholes", "1"): 1, ("Potholes", "2"): 0}

    with write_transaction(engine) as connection:
        undo_upload(connection, february, user="ana")
    assert _january(engine).summary == before
    assert category_closure_times(engine) == summed_closure_times(engine) != []


def test_new_rules_count_every_month_again(engine: sa.Engine) -> None:
    saved_upload(engine, located(request_frame(JANUARY_ROWS + FEBRUARY_ROWS)), "both.csv")
    assert _january(engine).summary.reported_again == 1
    counted_under = _counted(engine)["2026-01"][0]
    near_only = replace(RULES, repeat_metres=10.0)
    assert _january(engine, near_only).summary.reported_again == 0
    assert _counted(engine)["2026-01"][0] != counted_under
    assert _january(engine).summary.reported_again == 1


def test_a_rating_is_counted_into_its_contacts_month(engine: sa.Engine) -> None:
    upload, _ = saved_upload(engine, located(request_frame(JANUARY_ROWS)), "january.csv")
    assert _january(engine).summary.satisfaction.answers == 0
    with write_transaction(engine) as connection:
        ids = dict(connection.execute(sa.text("SELECT source_id, id FROM service_requests")).all())
        ratings_upload = start_upload(connection, kind="satisfaction", file_name="r.csv", sha256="y", user="ana")
        ratings = pd.DataFrame({
            "request_id": [ids["A"], ids["B"]], "score": [5.0, 2.0], "scale_max": [5, 5], "satisfied": [True, False],
            "answered_on": [None, None], "comment": [None, None],
        })  # fmt: skip
        save_ratings(connection, ratings, ratings_upload)
    assert "2026-01" not in _counted(engine)
    table = _january(engine).by_category.set_index("category")
    assert table.loc["Potholes", "answers"] == 2
    assert upload != ratings_upload


def test_a_view_with_a_channel_is_refused_rather_than_counted_without_it(engine: sa.Engine) -> None:
    saved_upload(engine, located(request_frame(JANUARY_ROWS)), "january.csv")
    with pytest.raises(ValueError, match="channel"):
        closure_figures(engine, replace(JANUARY, channels=("phone",)), rules=RULES, timezone=SETTINGS.timezone)


def test_times_to_acknowledge_are_kept_to_the_precision_they_are_shown_in() -> None:
    hours = pd.Series([0.0, 0.2041, 0.99, 1.04, 2.0, 3.66, 9.96, 10.4, 63.0, 63.6])
    assert time_buckets(hours).tolist() == [0.0, 0.2, 0.983333, 1.0, 2.0, 3.7, 10.0, 10.0, 63.0, 64.0]


def test_the_job_the_app_starts_after_a_write_counts_the_months_it_changed(
    store_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from voc.cli import main

    saved_upload(engine, located(request_frame(JANUARY_ROWS)), "january.csv")
    monkeypatch.setenv("VOC_DATABASE_URL", store_url)
    monkeypatch.setenv("VOC_TIMEZONE", SETTINGS.timezone)
    result = CliRunner().invoke(main, ["themes", "build", "--if-requested"])
    assert result.exit_code == 0, result.output
    assert "Counted the closure figures of 1 month in " in result.output
    assert list(_counted(engine)) == ["2026-01"]


def test_a_later_upload_forgets_only_the_months_whose_reports_again_it_can_hold(engine: sa.Engine) -> None:
    saved_upload(engine, located(request_frame(JANUARY_ROWS + FEBRUARY_ROWS)), "both.csv")
    closure_figures(engine, Filters("2026-01", "2026-02"), rules=RULES, timezone=SETTINGS.timezone)
    assert {month: reached for month, (_, reached) in _counted(engine).items()} == {
        "2026-01": "2026-06",
        "2026-02": "2026-07",
    }  # counted in one read to July, each remembered up to its own fifth month after
    july = [{"source_id": "J", "opened_at": "2026-07-15T14:00Z", "latitude": 39.3, "longitude": -76.6}]
    saved_upload(engine, located(request_frame(july)), "july.csv")
    assert list(_counted(engine)) == ["2026-01"]


def test_upgrading_sums_the_closure_times_counted_so_far_by_category(store_url: str) -> None:
    """Months counted before the county-wide times table existed are read from it without counting them again."""
    times = [
        {"month": "2026-01", "department": "Roads", "district": "1", "value": 2.0, "contacts": 3},
        {"month": "2026-01", "department": "Roads", "district": "2", "value": 2.0, "contacts": 4},
        {"month": "2026-01", "department": "Public Works", "district": "1", "value": 5.0, "contacts": 1},
        {"month": "2026-02", "department": "Roads", "district": "1", "value": 2.0, "contacts": 6},
    ]
    engine = store_at_revision(
        store_url,
        "0030",
        ("INSERT INTO monthly_closure_times (month, category, department, district_code, contact_type, measure, "
         "value, contacts) VALUES (:month, 'Potholes', :department, :district, 'request', 'business_days', :value, "
         ":contacts)", times),
    )  # fmt: skip
    upgrade_schema(engine)
    assert schema_is_current(engine)
    assert (
        category_closure_times(engine)
        == summed_closure_times(engine)
        == [
            ("2026-01", "Potholes", "business_days", 2.0, 7),
            ("2026-01", "Potholes", "business_days", 5.0, 1),
            ("2026-02", "Potholes", "business_days", 2.0, 6),
        ]
    )
    engine.dispose()
