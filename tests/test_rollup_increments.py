"""Property: an import's roll-up increments leave every roll-up equal to a recount of the stored requests.

Imports add the counts of the rows they write and subtract those of the versions they overwrite;
undo and request-type edits recount. Random uploads (fixed seeds) mix new rows, unchanged ones and
changes of every value a roll-up groups or counts by: month and week, closing time, district,
channel, point, and request type (and with it category, department and contact type).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import located, request_frame, saved_upload
from voc.core.access import Role
from voc.store.cell_closing import CELL_CLOSING
from voc.store.closing_days import CLOSING
from voc.store.models import MonthlyCellCount, MonthlyCellTotal, MonthlyCount, ServiceRequest, WeeklyCount
from voc.store.place_counts import PLACES
from voc.store.requests import refresh_rollup
from voc.store.type_counts import TYPE_COUNTS
from voc.store.uploads import undo

ROLLUPS = (
    MonthlyCount.__table__,
    WeeklyCount.__table__,
    MonthlyCellCount.__table__,
    MonthlyCellTotal.__table__,
    CLOSING,
    PLACES,
    TYPE_COUNTS,
    CELL_CLOSING,
)
# Raw type -> (category, department, contact type); the last type is not mapped yet.
TYPES = {
    "POTHOLE": ("Potholes", "Roads", "request"),
    "NOISE": ("Noise", "Police", "complaint"),
    "BIN?": ("Waste", "Sanitation", "question"),
    "Stray cat": (None, None, None),
}
POINTS = [(38.9001, -77.0501), (38.9012, -77.0488), (38.8990, -77.0520), (38.95, -77.10)]
SOURCES = ("crm", "app")


def _opened(rng: np.random.Generator) -> pd.Timestamp:
    # March to June: weeks straddle month edges (Monday 30 March, 27 April, 29 June).
    return pd.Timestamp("2026-03-01", tz="America/New_York") + pd.Timedelta(minutes=int(rng.integers(0, 122 * 1440)))


def _closed(rng: np.random.Generator, opened: pd.Timestamp) -> tuple[pd.Timestamp | None, bool | None]:
    """Open, closed within minutes (a quick close), closed days later, or closed on a day given without time."""
    kind = rng.integers(4)
    if kind == 0:
        return None, None
    if kind == 1:
        return opened + pd.Timedelta(minutes=int(rng.integers(0, 9))), False
    if kind == 2:
        return opened + pd.Timedelta(minutes=int(rng.integers(10, 60 * 1440))), False
    return (opened + pd.Timedelta(days=int(rng.integers(0, 30)))).normalize(), True


def _values(rng: np.random.Generator) -> dict[str, Any]:
    opened = _opened(rng)
    closed, date_only = _closed(rng, opened)
    point = POINTS[rng.integers(len(POINTS))] if rng.random() < 0.7 else (None, None)
    return {
        "opened_at": opened,
        "closed_at": closed,
        "closed_date_only": date_only,
        "request_type": list(TYPES)[rng.integers(len(TYPES))],
        "district_code": [None, "1", "2"][rng.integers(3)],
        "channel": [None, "phone", "web"][rng.integers(3)],
        "latitude": point[0],
        "longitude": point[1],
    }


def _changed(rng: np.random.Generator, values: dict[str, Any]) -> dict[str, Any]:
    """The values with one to three of them drawn afresh (the closing time follows a new opening time)."""
    fresh = _values(rng)
    groups = [
        ("opened_at", "closed_at", "closed_date_only"),
        ("closed_at", "closed_date_only"),
        ("request_type",),
        ("district_code",),
        ("channel",),
        ("latitude", "longitude"),
    ]
    changed = dict(values)
    for group in rng.choice(len(groups), size=rng.integers(1, 4), replace=False):
        changed.update({name: fresh[name] for name in groups[group]})
    if changed["closed_at"] is not None and changed["closed_at"] < changed["opened_at"]:
        changed["closed_at"], changed["closed_date_only"] = None, None
    return changed


def _frame(rows: dict[tuple[str, str], dict[str, Any]]) -> pd.DataFrame:
    """Normalised rows as an import writes them: request type mapped, months and weeks local, cells located."""
    frames = []
    for source in SOURCES:
        records = [{"source_id": key, **values} for (origin, key), values in rows.items() if origin == source]
        if not records:
            continue
        opened = [{"source_id": r["source_id"], "opened_at": r["opened_at"]} for r in records]
        frame = request_frame(opened, source=source)
        given = pd.DataFrame(records, index=frame.index)
        frame["closed_at"] = pd.to_datetime(given["closed_at"], utc=True)
        frame["days_to_close"] = (frame["closed_at"] - frame["opened_at"]).dt.total_seconds() / 86400
        mapped = given["request_type"].map(TYPES)
        for position, column in enumerate(("category", "department", "contact_type")):
            frame[column] = mapped.str[position].astype(object)
        for column in ("closed_date_only", "request_type", "district_code", "channel", "latitude", "longitude"):
            frame[column] = given[column].astype(object).where(given[column].notna(), None)
        frame["latitude"] = frame["latitude"].astype(float)
        frame["longitude"] = frame["longitude"].astype(float)
        frames.append(frame)
    return located(pd.concat(frames, ignore_index=True))


def _upload(rng: np.random.Generator, stored: dict[tuple[str, str], dict[str, Any]], number: int) -> pd.DataFrame:
    """New rows, some stored rows sent again unchanged and some changed; `stored` follows what was sent."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for index in range(int(rng.integers(20, 60))):
        rows[(SOURCES[rng.integers(2)], f"{number}-{index}")] = _values(rng)
    keys = list(stored)
    for position in rng.permutation(len(keys))[: len(keys) // 2]:
        key = keys[position]
        rows[key] = _changed(rng, stored[key]) if rng.random() < 0.6 else stored[key]
    stored.update(rows)
    return _frame(rows)


def _rounded(value: Any) -> Any:
    # Sums of days to close, added and taken out in another order than a recount adds them.
    return round(value, 6) if isinstance(value, float) else value


def _rollups(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: sorted(tuple(map(_rounded, row)) for row in connection.execute(sa.select(table)))
        for table in ROLLUPS
    }


def _stored_and_recounted(engine: sa.Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    """The roll-ups as stored, and as a recount of every stored request into empty tables makes them."""
    requests = ServiceRequest.__table__
    with engine.connect() as connection:
        stored = _rollups(connection)
        for table in ROLLUPS:
            connection.execute(sa.delete(table))
        refresh_rollup(connection, connection.execute(sa.select(requests.c.opened_month).distinct()).scalars().all())
        recounted = _rollups(connection)
        connection.rollback()
    return stored, recounted


WHERE_AND_WHEN = ["opened_at", "opened_month", "opened_week", "category", "closed_at", "district_code"]


def assert_stored_as_sent(engine: sa.Engine, sent: pd.DataFrame) -> None:
    """Every row sent is stored with the values sent, moved to another month or category or not."""
    requests = ServiceRequest.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(requests.c.source, requests.c.source_id, *map(requests.c.get, WHERE_AND_WHEN))
        )
        stored = pd.DataFrame(rows.all(), columns=["source", "source_id", *WHERE_AND_WHEN])
    both = sent.merge(stored, on=["source", "source_id"], how="left", suffixes=("", "_stored"), validate="1:1")
    for name in WHERE_AND_WHEN:
        expected, actual = both[name], both[f"{name}_stored"]
        if name.endswith("_at"):
            expected, actual = pd.to_datetime(expected, utc=True), pd.to_datetime(actual, utc=True)
        assert ((expected == actual) | (expected.isna() & actual.isna())).all(), name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_imports_keep_every_roll_up_equal_to_a_recount(engine: sa.Engine, seed: int) -> None:
    rng = np.random.default_rng(seed)
    stored: dict[tuple[str, str], dict[str, Any]] = {}
    written = {"inserted": 0, "updated": 0, "unchanged": 0}
    uploads = []
    for number in range(5):
        sent = _upload(rng, stored, number)
        upload_id, counts = saved_upload(engine, sent)
        assert_stored_as_sent(engine, sent)
        uploads.append(upload_id)
        for name in written:
            written[name] += getattr(counts, name)
        actual, recounted = _stored_and_recounted(engine)
        assert actual == recounted, f"upload {number}"
    assert min(written.values()) > 20, written  # every kind of row was exercised
    assert all(rows for rows in recounted.values())
    undo(engine, uploads[-1], user="ana", role=Role.ANALYST)
    # Counts the undone upload took out of the roll-ups and the undo restored, increments again after it.
    saved_upload(engine, _upload(rng, stored, 5))
    actual, recounted = _stored_and_recounted(engine)
    assert actual == recounted
