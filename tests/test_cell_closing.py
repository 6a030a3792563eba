"""The closing roll-up of located contacts, and the equity view read from it."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import located, request_frame, saved_upload
from tests.stores import request_rows_insert, store_at_revision
from voc.priorities.equity import located_contacts
from voc.store.cell_closing import CELL_CLOSING
from voc.store.engine import open_store, schema_is_current, upgrade_schema
from voc.store.models import ServiceRequest

REQUESTS = ServiceRequest.__table__
POINTS = [(38.9001, -77.0501), (38.9012, -77.0488), (38.8990, -77.0520)]
# Hours to close, None while open: the same point closes in different quarter days, and twice in one.
HOURS = [2.0, 2.0, 30.0, None, 49.0, 170.0, None, 7.0]


def _rows() -> pd.DataFrame:
    rows = [
        {"source_id": str(i), "opened_at": f"2026-0{3 + i % 2}-{2 + i:02d} 08:00", "latitude": POINTS[i % 3][0],
         "longitude": POINTS[i % 3][1],
         "closed_at": None if hours is None else pd.Timestamp(f"2026-0{3 + i % 2}-{2 + i:02d} 08:00")
         + pd.Timedelta(hours=hours)}
        for i, hours in enumerate(HOURS)
    ]  # fmt: skip
    rows.append({"source_id": "unplaced", "opened_at": "2026-03-20 10:00", "closed_at": "2026-03-21 10:00"})
    return located(request_frame(rows))


def stored(engine: sa.Engine) -> dict[tuple[str, int, int], int]:
    with engine.connect() as connection:
        return {(r.month, r.cell, r.steps): r.contacts for r in connection.execute(sa.select(CELL_CLOSING))}


def recounted(engine: sa.Engine) -> dict[tuple[str, int, int], int]:
    """The roll-up counted afresh in Python from the stored requests: quarter days to close, -1 while open."""
    columns = (REQUESTS.c.opened_month, REQUESTS.c.h3_cell, REQUESTS.c.days_to_close)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*columns).where(REQUESTS.c.h3_cell.is_not(None))).all()
    counts: dict[tuple[str, int, int], int] = {}
    for month, cell, days in rows:
        key = (month, int(cell), -1 if days is None else round(days * 4))
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_an_import_counts_each_located_contact_by_month_cell_and_quarter_day(engine: sa.Engine) -> None:
    saved_upload(engine, _rows())
    counts = stored(engine)
    assert counts == recounted(engine)
    assert sum(counts.values()) == len(HOURS)  # the contact without a place is not counted
    assert sorted({steps for _, _, steps in counts}) == [-1, 0, 1, 5, 8, 28]  # 2, 7, 30, 49 and 170 hours


def test_the_migration_counts_the_stored_contacts_as_the_import_does(store_url: str, tmp_path) -> None:
    rows = _rows()
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    saved_upload(reference, rows)
    expected = stored(reference)
    reference.dispose()
    columns = ["source", "source_id", "opened_at", "opened_month", "request_type", "days_to_close", "latitude",
               "longitude", "h3_cell", "row_hash"]  # fmt: skip
    engine = store_at_revision(store_url, "0025", request_rows_insert(rows, columns))
    upgrade_schema(engine)
    assert schema_is_current(engine)
    assert stored(engine) == expected == recounted(engine)
    engine.dispose()


def test_the_equity_view_counts_from_the_roll_up_what_the_raw_contacts_hold(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    steps = sa.func.round(REQUESTS.c.days_to_close * 4).label("steps")
    raw = (
        sa.select(REQUESTS.c.h3_cell.label("cell"), steps, sa.func.count().label("contacts"))
        .where(REQUESTS.c.opened_month.between("2025-11", "2026-10"), REQUESTS.c.h3_cell.is_not(None))
        .group_by(REQUESTS.c.h3_cell, steps)
    )
    with engine.connect() as connection:
        expected = pd.DataFrame(connection.execute(raw).all(), columns=["cell", "steps", "contacts"])
    got = located_contacts(engine, "2025-11", "2026-10")
    engine.dispose()
    assert got["contacts"].sum() > 50_000 and got["steps"].isna().any()
    order = ["cell", "steps"]
    pd.testing.assert_frame_equal(
        got.sort_values(order).reset_index(drop=True),
        expected.astype({"cell": "int64", "steps": "float64", "contacts": "int64"}).sort_values(order)
        .reset_index(drop=True),
    )  # fmt: skip


@pytest.mark.parametrize("months", [("2026-03", "2026-03"), ("2026-04", "2026-04"), ("2026-03", "2026-04")])
def test_located_contacts_are_those_of_the_months_asked(engine: sa.Engine, months: tuple[str, str]) -> None:
    saved_upload(engine, _rows())
    got = located_contacts(engine, *months)
    first, last = months
    wanted = {key: n for key, n in recounted(engine).items() if first <= key[0] <= last}
    assert int(got["contacts"].sum()) == sum(wanted.values())
    assert got["steps"].isna().sum() == len({(c, s) for _, c, s in wanted if s == -1})
