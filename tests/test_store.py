"""The store on SQLite and PostgreSQL: schema, timestamps, upsert, roll-up, undo, data version."""

from __future__ import annotations

from datetime import UTC, datetime

import h3
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import located, request_frame, saved_upload
from voc.core.access import Role
from voc.core.errors import VocError
from voc.store.engine import data_version, schema_is_current, write_transaction
from voc.store.models import Action, MonthlyCellCount, MonthlyCellTotal, MonthlyCount, ServiceRequest, Upload
from voc.store.requests import save_requests
from voc.store.uploads import list_uploads, start_upload, undo

REQUESTS = ServiceRequest.__table__


def _requests(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(sa.select(REQUESTS).order_by(REQUESTS.c.source_id))
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def _rollup(engine: sa.Engine) -> dict[tuple[str, str], tuple[int, int, float]]:
    table = MonthlyCount.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.month, table.c.category, table.c.contacts, table.c.closed, table.c.days_to_close_sum)
        ).all()
    return {(r.month, r.category): (r.contacts, r.closed, round(r.days_to_close_sum, 6)) for r in rows}


FIRST_MONTH = [
    {"source_id": "001", "opened_at": "2026-03-02 14:00", "closed_at": "2026-03-04 14:00"},
    {"source_id": "002", "opened_at": "2026-03-10 09:30", "category": "Drainage"},
    # 03:30 UTC on 1 April is still 31 March in Florida: the contact belongs to March.
    {"source_id": "003", "opened_at": "2026-04-01 03:30", "closed_at": "2026-04-01 15:30"},
    {"source_id": "004", "opened_at": "2026-04-15 12:00"},
]


def test_schema_is_current_after_open(engine: sa.Engine) -> None:
    assert schema_is_current(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"districts", "uploads", "service_requests", "request_changes", "monthly_counts"} <= tables
    assert {"survey_results", "candidates", "actions", "rejected_rows", "alembic_version"} <= tables


def test_sqlite_connections_get_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    from voc.store.engine import open_store

    engine = open_store(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_timestamps_come_back_as_the_same_utc_instant(engine: sa.Engine) -> None:
    saved_upload(engine, request_frame(FIRST_MONTH))
    stored = _requests(engine).set_index("source_id")
    assert stored.loc["003", "opened_at"] == datetime(2026, 4, 1, 3, 30, tzinfo=UTC)
    assert stored.loc["003", "opened_month"] == "2026-03"
    assert stored.loc["001", "days_to_close"] == pytest.approx(2.0)


def test_naive_timestamps_are_refused(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as connection:
        connection.execute(
            sa.insert(Action.__table__).values(
                action_date=datetime(2026, 1, 1).date(), description="x", recorded_at=datetime(2026, 1, 1)
            )
        )


def test_upsert_is_idempotent_and_updates_only_changed_rows(engine: sa.Engine) -> None:
    rows = request_frame(FIRST_MONTH)
    _, first = saved_upload(engine, rows)
    assert (first.inserted, first.updated, first.unchanged) == (4, 0, 0)
    _, again = saved_upload(engine, rows)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    corrected = rows.copy()
    corrected.loc[1, "status"] = "Closed"
    _, third = saved_upload(engine, corrected)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 3)
    assert _requests(engine).set_index("source_id").loc["002", "status"] == "Closed"
    assert len(_requests(engine)) == 4


def test_rollup_counts_contacts_closed_and_days(engine: sa.Engine) -> None:
    saved_upload(engine, request_frame(FIRST_MONTH))
    assert _rollup(engine) == {
        ("2026-03", "Potholes"): (2, 2, 2.5),
        ("2026-03", "Drainage"): (1, 0, 0.0),
        ("2026-04", "Potholes"): (1, 0, 0.0),
    }


def test_same_source_id_in_another_source_is_another_contact(engine: sa.Engine) -> None:
    saved_upload(engine, request_frame(FIRST_MONTH[:2], source="crm"))
    _, counts = saved_upload(engine, request_frame(FIRST_MONTH[:2], source="web-portal"))
    assert counts.inserted == 2
    assert len(_requests(engine)) == 4


def test_undo_restores_the_exact_previous_state(engine: sa.Engine) -> None:
    saved_upload(engine, request_frame(FIRST_MONTH))
    before, rollup_before = _requests(engine), _rollup(engine)
    corrected = request_frame(
        [
            {**FIRST_MONTH[1], "closed_at": "2026-03-20 09:30", "category": "Flooding"},
            {"source_id": "005", "opened_at": "2026-05-01 12:00"},
        ]
    )
    second, counts = saved_upload(engine, corrected, name="may.csv")
    assert (counts.inserted, counts.updated) == (1, 1)
    assert _rollup(engine) != rollup_before

    result = undo(engine, second, user="ana", role=Role.ANALYST)
    assert (result.deleted, result.restored) == (1, 1)
    pd.testing.assert_frame_equal(_requests(engine), before)
    assert _rollup(engine) == rollup_before
    history = list_uploads(engine).set_index("id")
    assert history.loc[second, "status"] == "undone"
    assert history.loc[second, "undone_by"] == "ana"
    with pytest.raises(VocError, match="already undone"):
        undo(engine, second, user="ana", role=Role.ANALYST)


def test_undo_waits_for_later_uploads_that_changed_the_same_rows(engine: sa.Engine) -> None:
    first, _ = saved_upload(engine, request_frame(FIRST_MONTH))
    changed = request_frame([{**FIRST_MONTH[0], "status": "Closed"}])
    second, _ = saved_upload(engine, changed)
    with pytest.raises(VocError, match=f"later upload\\(s\\) {second}"):
        undo(engine, first, user="ana", role=Role.ANALYST)
    undo(engine, second, user="ana", role=Role.ANALYST)
    undo(engine, first, user="ana", role=Role.ANALYST)
    assert _requests(engine).empty
    assert _rollup(engine) == {}


def test_undo_of_an_unknown_upload_says_so(engine: sa.Engine) -> None:
    with pytest.raises(VocError, match="no upload 99"):
        undo(engine, 99, user="ana", role=Role.ANALYST)


def test_data_version_moves_with_every_change(engine: sa.Engine) -> None:
    assert data_version(engine) == 0
    upload_id, _ = saved_upload(engine, request_frame(FIRST_MONTH))
    after_import = data_version(engine)
    undo(engine, upload_id, user="ana", role=Role.ANALYST)
    assert 0 < after_import < data_version(engine)


def test_a_failed_write_leaves_the_store_untouched(engine: sa.Engine) -> None:
    saved_upload(engine, request_frame(FIRST_MONTH))
    before = _requests(engine)
    with pytest.raises(RuntimeError), write_transaction(engine) as connection:
        upload_id = start_upload(connection, kind="requests", file_name="x", sha256="x", user="ana")
        save_requests(connection, request_frame([{"source_id": "009", "opened_at": "2026-06-01"}]), upload_id=upload_id)
        raise RuntimeError("the process died here")
    pd.testing.assert_frame_equal(_requests(engine), before)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Upload.__table__)).scalar() == 1


def test_weekly_rollup_follows_imports_and_undo_across_month_edges(engine: sa.Engine) -> None:
    from voc.store.models import WeeklyCount

    weekly = WeeklyCount.__table__

    def weeks() -> dict[str, int]:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(weekly.c.week, sa.func.sum(weekly.c.contacts)).group_by(weekly.c.week))
            return {week: total for week, total in rows}

    # Monday 30 March 2026 starts a week that ends in April; March, April and June are touched.
    saved_upload(engine, request_frame(FIRST_MONTH + [{"source_id": "005", "opened_at": "2026-06-10 12:00"}]))
    assert weeks() == {
        "2026-03-02": 1,
        "2026-03-09": 1,
        "2026-03-30": 1,
        "2026-04-13": 1,
        "2026-06-08": 1,
    }
    later, _ = saved_upload(engine, request_frame([{"source_id": "006", "opened_at": "2026-04-02 12:00"}]))
    assert weeks()["2026-03-30"] == 2
    undo(engine, later, user="ana", role=Role.ANALYST)
    assert weeks()["2026-03-30"] == 1


def test_cell_rollup_follows_imports_corrections_and_undo(engine: sa.Engine) -> None:
    cells = MonthlyCellCount.__table__

    totals = MonthlyCellTotal.__table__

    def rolled_up() -> dict[tuple[str, str, str], int]:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(cells.c.month, cells.c.cell, cells.c.category, cells.c.contacts))
            by_category = {(month, h3.int_to_str(cell), category): n for month, cell, category, n in rows}
            summed = connection.execute(sa.select(totals.c.month, totals.c.cell, totals.c.contacts)).all()
        expected: dict[tuple[str, str], int] = {}
        for (month, cell, _), n in by_category.items():
            expected[(month, cell)] = expected.get((month, cell), 0) + n
        assert {(month, h3.int_to_str(cell)): n for month, cell, n in summed} == expected
        return by_category

    here, there = (28.31, -82.33), (28.45, -82.61)
    march = h3.latlng_to_cell(*here, 8), h3.latlng_to_cell(*there, 8)
    rows = [
        {"source_id": "1", "opened_at": "2026-03-02 14:00", "latitude": here[0], "longitude": here[1]},
        {"source_id": "2", "opened_at": "2026-03-09 14:00", "latitude": here[0], "longitude": here[1]},
        {"source_id": "3", "opened_at": "2026-03-10 14:00", "latitude": there[0], "longitude": there[1]},
        {"source_id": "4", "opened_at": "2026-03-11 14:00"},
    ]
    saved_upload(engine, located(request_frame(rows)))
    first = rolled_up()
    assert first == {("2026-03", march[0], "Potholes"): 2, ("2026-03", march[1], "Potholes"): 1}
    moved = [{**rows[1], "latitude": there[0], "longitude": there[1], "category": "Drainage"}]
    correction, counts = saved_upload(engine, located(request_frame(moved)))
    assert counts.updated == 1
    assert rolled_up() == {
        ("2026-03", march[0], "Potholes"): 1,
        ("2026-03", march[1], "Potholes"): 1,
        ("2026-03", march[1], "Drainage"): 1,
    }
    undo(engine, correction, user="ana", role=Role.ANALYST)
    assert rolled_up() == first


def test_the_migrations_build_exactly_the_models_schema(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
