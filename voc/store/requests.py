"""Write normalised service requests: idempotent upsert, undo history and the monthly roll-up."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from voc.core.errors import NotFound, VocError
from voc.core.periods import month_runs
from voc.store.bulk import bulk_insert, bulk_update
from voc.store.cell_closing import CELL_CLOSING_ROLLUP
from voc.store.cells import ROLLUP_CELL_RESOLUTION, cell_parent
from voc.store.closing_days import CLOSING_DAYS_ROLLUP
from voc.store.closure_counts import forget_counts
from voc.store.models import (
    MonthlyCellCount,
    MonthlyCellTotal,
    MonthlyCount,
    RequestChange,
    ServiceRequest,
    Upload,
    UTCDateTime,
    WeeklyCount,
    utc_now,
)
from voc.store.place_counts import PLACE_ROLLUP
from voc.store.rollups import Rollup, Within
from voc.store.theme_builds import recheck_from
from voc.store.theme_counts import THEME_ROLLUP
from voc.store.type_counts import TYPE_ROLLUP

REQUESTS = ServiceRequest.__table__
CHANGES = RequestChange.__table__
ROLLUP = MonthlyCount.__table__
WEEKLY = WeeklyCount.__table__
CELLS = MonthlyCellCount.__table__
CELL_TOTALS = MonthlyCellTotal.__table__
UPLOADS = Upload.__table__

# The columns an import writes; id, upload_id and row_hash are the store's own.
REQUEST_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in REQUESTS.columns if c.name not in {"id", "upload_id", "row_hash"}
)
_TIMESTAMP_COLUMNS = frozenset(c.name for c in REQUESTS.columns if isinstance(c.type, UTCDateTime))
_ROLLUP_DIMENSIONS = ("category", "department", "district_code", "channel", "contact_type")
_CELL_DIMENSIONS = tuple(d for d in _ROLLUP_DIMENSIONS if d != "channel")
# Category, department and contact type follow the request-type mapping, which the analyst may edit
# after an import; a row changes only when a value read from the file changes.
_HASHED_COLUMNS = [c for c in REQUEST_COLUMNS if c not in {"category", "department", "contact_type"}]
_LOOKUP_CHUNK = 5_000
_STORED_EXTRAS = ["id", "row_hash_stored"]
# Columns of the requests' secondary indexes that a new version of a row seldom changes. An UPDATE
# rewrites the entries of every index holding a column it sets, so rows whose values here are as
# stored are updated without them: five index rewrites fewer per row, each a walk of a B-tree of
# millions of entries in a large store. Source and source id are how the row was matched: never set.
_SELDOM_CHANGED = ("opened_at", "opened_month", "opened_week", "category")
_MATCH_KEY = ("source", "source_id")


@dataclass(frozen=True)
class WriteCounts:
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class UndoResult:
    upload_id: int
    deleted: int
    restored: int
    records: str = "contacts"  # what was removed and restored: "ratings" for a post-closure survey


def row_hashes(rows: pd.DataFrame) -> pd.Series:
    """Fingerprint each row's values, so a re-upload can tell changed rows from unchanged ones."""
    return fingerprints(rows.loc[:, _HASHED_COLUMNS])


def fingerprints(values: pd.DataFrame | pd.Series) -> pd.Series:
    """Return 16 hex digits per row that change whenever the row's values do."""
    hashed = pd.util.hash_pandas_object(values, index=False).to_numpy()
    # 16 lower-case hex digits each, as "%016x" writes them, ten times faster than formatting each.
    digits = hashed.astype(">u8").tobytes().hex().encode("ascii")
    return pd.Series(np.frombuffer(digits, dtype="S16").astype("U16"), index=values.index)


def _chunks(values: Sequence[Any], size: int = _LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing(connection: sa.Connection, source: str, ids: Sequence[str]) -> pd.DataFrame:
    """Return the stored id, source_id and row_hash of those of `ids` the source already has."""
    columns = ["id", "source_id", "row_hash"]
    # The first import of a source finds nothing: one probe of the index saves looking up every id.
    if connection.execute(sa.select(REQUESTS.c.id).where(REQUESTS.c.source == source).limit(1)).first() is None:
        return pd.DataFrame(columns=columns)
    query = sa.select(*(REQUESTS.c[c] for c in columns)).where(
        REQUESTS.c.source == source, _is_one_of_ids(connection, REQUESTS.c.source_id)
    )
    # Plain tuples: pandas probes a SQLAlchemy Row for attributes, ten times slower.
    found = [tuple(row) for chunk in _chunks(ids) for row in connection.execute(query, {"ids": list(chunk)})]
    return pd.DataFrame(found, columns=columns)


def _is_one_of_ids(connection: sa.Connection, column: sa.Column) -> sa.ColumnElement[bool]:
    """Return the condition that `column` is one of the "ids" parameter's values."""
    if connection.dialect.name == "postgresql":
        # One array parameter rather than thousands: a sixth of the client's work.
        return column == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.String)))
    return column.in_(sa.bindparam("ids", expanding=True))


def _snapshot(connection: sa.Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Read whole rows as JSON-ready dicts, for the undo history."""
    query = sa.select(REQUESTS).where(REQUESTS.c.id.in_(sa.bindparam("ids", expanding=True)))
    rows = []
    for chunk in _chunks(ids):
        for row in connection.execute(query, {"ids": list(chunk)}).mappings():
            rows.append(
                {key: value.isoformat() if isinstance(value, datetime) else value for key, value in row.items()}
            )
    return rows


def _from_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: datetime.fromisoformat(value) if key in _TIMESTAMP_COLUMNS and value else value
        for key, value in row.items()
    }


def save_requests(connection: sa.Connection, rows: pd.DataFrame, *, upload_id: int) -> WriteCounts:
    """Upsert rows by (source, source_id) inside the caller's transaction and update the roll-ups.

    `rows` holds REQUEST_COLUMNS with unique (source, source_id); this is the upload's only write.
    Rows whose values have not changed are left alone; changed rows keep their previous version for
    undo. The roll-ups lose the counts of the previous versions and gain those of the rows written.
    """
    # Copy-on-write: the columns added below leave the caller's frame as it was, without a copy.
    rows = rows.loc[:, list(REQUEST_COLUMNS)]
    rows["row_hash"] = row_hashes(rows)
    rows["upload_id"] = upload_id
    months: set[str] = set()
    inserted = updated = unchanged = 0
    for source, group in _by_source(rows):
        new, changed = _new_and_changed(group, _existing(connection, source, group["source_id"].tolist()))
        unchanged += len(group) - len(new) - len(changed)
        if len(new):
            bulk_insert(connection, REQUESTS, new)
            months.update(new["opened_month"].unique())
        if len(changed):
            months.update(_update_changed(connection, changed, upload_id))
        inserted += len(new)
        updated += len(changed)
    _add_upload_to_rollups(connection, upload_id, months)
    _drop_empty_rollups(connection, months)
    forget_counts(connection, months)
    return WriteCounts(inserted=inserted, updated=updated, unchanged=unchanged)


def _seldom_changed_kept(values: pd.DataFrame, previous: list[dict[str, Any]]) -> np.ndarray:
    """Tell, row by row, whether its _SELDOM_CHANGED values are those of its stored version (`previous`)."""
    stored = pd.DataFrame(previous, columns=["id", *_SELDOM_CHANGED]).set_index("id").loc[values["id"]]
    kept = np.ones(len(values), dtype=bool)
    for name in _SELDOM_CHANGED:
        new, old = values[name].reset_index(drop=True), stored[name].reset_index(drop=True)
        if name in _TIMESTAMP_COLUMNS:
            new, old = pd.to_datetime(new, utc=True), pd.to_datetime(old, utc=True)
        same = (new == old) | (new.isna() & old.isna())
        kept &= same.to_numpy(dtype=bool)
    return kept


def _by_source(rows: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """Split rows by source, in order of appearance; the usual single source is not copied."""
    sources = rows["source"].unique()
    if len(sources) == 1:
        yield str(sources[0]), rows
    else:
        for source, group in rows.groupby("source", sort=False):
            yield str(source), group


def _new_and_changed(group: pd.DataFrame, existing: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the rows not stored yet, and the stored rows whose values changed (with id and stored hash)."""
    if existing.empty:
        # A source's first import: merging would only copy every row.
        return group, group.iloc[:0]
    merged = group.merge(existing, on="source_id", how="left", suffixes=("", "_stored"))
    new = merged[merged["id"].isna()].drop(columns=_STORED_EXTRAS)
    changed = merged[merged["id"].notna() & (merged["row_hash"] != merged["row_hash_stored"])]
    return new, changed


def _update_changed(connection: sa.Connection, changed: pd.DataFrame, upload_id: int) -> set[str]:
    """Keep each changed row's previous version and take it out of the roll-ups, then overwrite it.

    Returns the months touched.
    """
    ids = changed["id"].astype(int).tolist()
    previous = _snapshot(connection, ids)
    connection.execute(
        sa.insert(CHANGES),
        [
            {
                "upload_id": upload_id,
                "request_id": row["id"],
                "change": "update",
                "previous_upload_id": row["upload_id"],
                "previous": row,
            }
            for row in previous
        ],
    )
    for chunk in _chunks(ids):
        _add_to_rollups(connection, REQUESTS.c.id.in_(chunk), sign=-1)
    values = changed.drop(columns=["row_hash_stored", *_MATCH_KEY]).astype({"id": "int64"})
    kept = _seldom_changed_kept(values, previous)
    bulk_update(connection, REQUESTS, values[kept].drop(columns=list(_SELDOM_CHANGED)))
    bulk_update(connection, REQUESTS, values[~kept])
    return set(changed["opened_month"]) | {row["opened_month"] for row in previous}


def _period_counts(opened: sa.Column, period: str, *, closing: bool) -> Callable[[sa.ColumnElement[bool]], sa.Select]:
    """Return the GROUP BY of the monthly (closing measures too) or weekly roll-up, by its period `opened`."""

    def counts(rows: sa.ColumnElement[bool]) -> sa.Select:
        keys = [opened.label(period), *(sa.func.coalesce(REQUESTS.c[d], "").label(d) for d in _ROLLUP_DIMENSIONS)]
        measures = [sa.func.count().label("contacts")]
        if closing:
            measures += [
                sa.func.count(REQUESTS.c.closed_at).label("closed"),
                sa.func.coalesce(sa.func.sum(REQUESTS.c.days_to_close), 0.0).label("days_to_close_sum"),
            ]
        return sa.select(*keys, *measures).where(rows).group_by(*keys)

    return counts


def _cell_counts(rows: sa.ColumnElement[bool]) -> sa.Select:
    keys = [
        REQUESTS.c.opened_month.label("month"),
        cell_parent(REQUESTS.c.h3_cell, ROLLUP_CELL_RESOLUTION).label("cell"),
        *(sa.func.coalesce(REQUESTS.c[d], "").label(d) for d in _CELL_DIMENSIONS),
    ]
    located = REQUESTS.c.h3_cell.is_not(None)
    return sa.select(*keys, sa.func.count().label("contacts")).where(rows, located).group_by(*keys)


def _cell_totals(cell_counts: sa.Select) -> sa.Select:
    """Sum cell counts (shaped as _cell_counts selects them) over their dimensions."""
    cells = cell_counts.subquery()
    keys = [cells.c.month, cells.c.cell]
    return sa.select(*keys, sa.func.sum(cells.c.contacts).label("contacts")).group_by(*keys)


MONTHLY_ROLLUP = Rollup(
    ROLLUP,
    "month",
    REQUESTS.c.opened_month,
    measures=("contacts", "closed", "days_to_close_sum"),
    counts=_period_counts(REQUESTS.c.opened_month, "month", closing=True),
)
WEEKLY_ROLLUP = Rollup(
    WEEKLY,
    "week",
    REQUESTS.c.opened_week,
    measures=("contacts",),
    counts=_period_counts(REQUESTS.c.opened_week, "week", closing=False),
)
CELL_ROLLUP = Rollup(CELLS, "month", REQUESTS.c.opened_month, measures=("contacts",), counts=_cell_counts)
CELL_TOTALS_ROLLUP = Rollup(
    CELL_TOTALS,
    "month",
    REQUESTS.c.opened_month,
    measures=("contacts",),
    counts=lambda rows: _cell_totals(_cell_counts(rows)),
)
# Every roll-up keyed by month, cell totals after the cells they sum.
MONTH_ROLLUPS = (
    MONTHLY_ROLLUP, CELL_ROLLUP, CELL_TOTALS_ROLLUP, CLOSING_DAYS_ROLLUP, PLACE_ROLLUP, TYPE_ROLLUP,
    CELL_CLOSING_ROLLUP, THEME_ROLLUP,
)  # fmt: skip


def refresh_rollup(connection: sa.Connection, months: Iterable[str]) -> None:
    """Recount every roll-up (monthly, weekly, cell, place, raw type, days to close, themes) of the given months.

    A week that straddles a month boundary is recounted whole. The closure roll-ups whose reads reached
    these months are forgotten, to be counted again on their next use (voc.store.closure_counts).
    """
    months = sorted(set(months))
    forget_counts(connection, months)
    for chunk in _chunks(months, 500):
        within = _one_of(chunk)
        for rollup in MONTH_ROLLUPS:
            if rollup is CELL_TOTALS_ROLLUP:
                # Summing the cells just recounted is cheaper than grouping the requests again.
                rollup.clear(connection, within)
                rollup.fill(connection, _cell_totals(sa.select(CELLS).where(within(CELLS.c.month))))
            else:
                rollup.recount(connection, within)
    for within in _weeks_of(months):
        WEEKLY_ROLLUP.recount(connection, within)


def _add_to_rollups(connection: sa.Connection, rows: sa.ColumnElement[bool], *, sign: int) -> None:
    """Add the requests `rows` selects to every roll-up as they are now, or take them out (sign -1)."""
    for rollup in (*MONTH_ROLLUPS, WEEKLY_ROLLUP):
        rollup.add(connection, rollup.counts(rows), sign=sign)


def _add_upload_to_rollups(connection: sa.Connection, upload_id: int, months: set[str]) -> None:
    """Add the rows an upload wrote (opened in `months`) to every roll-up.

    A roll-up that holds no row from the first to the last of those periods (a first import, an upload of
    a new month) gets its counts by a plain INSERT: on PostgreSQL the upsert's speculative insertion of
    half a million new roll-up rows took twice as long. Writers are serialised, so nothing adds rows
    between the look and the insert.
    """
    if not months:
        return
    rows = REQUESTS.c.upload_id == upload_id
    first, last = min(months), max(months)
    weeks = _weeks_touching(first)[0], _weeks_touching(last)[1]
    for rollup in (*MONTH_ROLLUPS, WEEKLY_ROLLUP):
        start, end = weeks if rollup is WEEKLY_ROLLUP else (first, last)
        period = rollup.table.c[rollup.period]
        holds = connection.execute(sa.select(period).where(period.between(start, end)).limit(1)).first()
        if holds is None:
            rollup.fill(connection, rollup.counts(rows))
        else:
            rollup.add(connection, rollup.counts(rows))


def _drop_empty_rollups(connection: sa.Connection, months: Iterable[str]) -> None:
    """Delete the roll-ups' rows of the given months that count no request any more."""
    months = sorted(set(months))
    for chunk in _chunks(months, 500):
        for rollup in MONTH_ROLLUPS:
            rollup.drop_empty(connection, _one_of(chunk))
    for within in _weeks_of(months):
        WEEKLY_ROLLUP.drop_empty(connection, within)


def _one_of(months: Sequence[str]) -> Within:
    return lambda period: period.in_(months)


def _between(first: str, last: str) -> Within:
    return lambda period: period.between(first, last)


def _weeks_of(months: list[str]) -> list[Within]:
    """Conditions selecting every week touching the sorted months, one per run of consecutive months."""
    return [_between(_weeks_touching(first)[0], _weeks_touching(last)[1]) for first, last in month_runs(months)]


def _weeks_touching(month: str) -> tuple[str, str]:
    """Return the Monday of the week holding the month's first day, and the month's last day."""
    first = date.fromisoformat(f"{month}-01")
    last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    return (first - timedelta(days=first.weekday())).isoformat(), last.isoformat()


def _later_dependents(connection: sa.Connection, upload_id: int) -> list[int]:
    query = (
        sa.select(CHANGES.c.upload_id)
        .distinct()
        .join(UPLOADS, UPLOADS.c.id == CHANGES.c.upload_id)
        .where(CHANGES.c.previous_upload_id == upload_id, UPLOADS.c.status == "committed")
    )
    return sorted(connection.execute(query).scalars())


def undo_upload(connection: sa.Connection, upload_id: int, *, user: str) -> UndoResult:
    """Put the service requests back exactly as they were before an upload, in the caller's transaction."""
    upload = connection.execute(sa.select(UPLOADS).where(UPLOADS.c.id == upload_id)).first()
    if upload is None:
        raise NotFound(f"There is no upload {upload_id}. `voc uploads` lists them.")
    if upload.status == "undone":
        raise VocError(f"Upload {upload_id} ({upload.file_name}) was already undone.")
    dependents = _later_dependents(connection, upload_id)
    if dependents:
        later = ", ".join(str(d) for d in dependents)
        raise VocError(
            f"Upload {upload_id} cannot be undone yet: later upload(s) {later} changed the same "
            "records. Undo those first, newest first."
        )
    changes = connection.execute(
        sa.select(CHANGES.c.request_id, CHANGES.c.previous).where(CHANGES.c.upload_id == upload_id)
    ).all()
    restored_ids = [c.request_id for c in changes]
    months = set(
        connection.execute(
            sa.select(REQUESTS.c.opened_month).distinct().where(REQUESTS.c.upload_id == upload_id)
        ).scalars()
    )
    deleted = connection.execute(
        sa.delete(REQUESTS).where(
            REQUESTS.c.upload_id == upload_id,
            REQUESTS.c.id.not_in(sa.bindparam("restored", expanding=True)),
        ),
        {"restored": restored_ids or [-1]},
    ).rowcount
    if changes:
        previous = [_from_snapshot(c.previous) for c in changes]
        months.update(row["opened_month"] for row in previous)
        _restore(connection, previous)
        # The rows put back carry their older uploads' ids: the next theme build checks their vectors again.
        recheck_from(connection, min((row["upload_id"] or 0) for row in previous))
    connection.execute(
        sa.update(UPLOADS).where(UPLOADS.c.id == upload_id).values(status="undone", undone_at=utc_now(), undone_by=user)
    )
    refresh_rollup(connection, months)
    return UndoResult(upload_id=upload_id, deleted=deleted, restored=len(changes))


def _restore(connection: sa.Connection, previous: list[dict[str, Any]]) -> None:
    columns = [c for c in previous[0] if c != "id"]
    statement = (
        sa.update(REQUESTS)
        .where(REQUESTS.c.id == sa.bindparam("target_id"))
        .values({c: sa.bindparam(c) for c in columns})
    )
    connection.execute(statement, [{"target_id": row["id"], **{c: row[c] for c in columns}} for row in previous])
