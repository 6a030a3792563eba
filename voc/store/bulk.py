"""Bulk writes of whole frames: on PostgreSQL through COPY, elsewhere one executemany per chunk; missing values as NULL.

Kept apart from voc.store.engine so that opening a store (the CLI's start-up) loads no pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from voc.store.models import UTCDateTime

# Rows per executemany (or COPY batch): the driver's Python values for a whole large upload (a
# million rows of two dozen columns) take gigabytes, a chunk's tens of megabytes, at the same speed.
BULK_CHUNK_ROWS = 50_000
# The temporary table a PostgreSQL bulk write copies into before one set-based statement.
STAGING = "voc_staging"


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn a frame into driver-ready row dicts: missing values (NaN, NaT, NA) become None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _driver_column(values: pd.Series, column: sa.Column, dialect: str) -> list[Any]:
    """Turn one column into values the database driver takes as they are."""
    if isinstance(column.type, UTCDateTime):
        instants = pd.to_datetime(values, utc=True).dt.tz_convert(None).to_numpy().astype("datetime64[us]")
        # The same text SQLAlchemy's SQLite dialect writes, so every write path stores one format.
        text = np.char.replace(np.datetime_as_string(instants, unit="us").astype(str), "T", " ")
        if dialect != "sqlite":
            text = np.char.add(text, "+00:00")
        return np.where(np.isnat(instants), None, text).tolist()
    if values.dtype == "str":
        # pyarrow hands over text, and None for missing values, five times faster than via objects.
        return pa.array(values).to_pylist()
    return values.astype(object).where(values.notna(), None).tolist()


def _null_by_default(column: sa.Column) -> bool:
    """Tell whether a column left out of an INSERT is NULL."""
    return column.nullable is True and column.default is None and column.server_default is None


def _placeholders(connection: sa.Connection, count: int) -> str:
    return ", ".join(["?" if connection.dialect.paramstyle == "qmark" else "%s"] * count)


def bulk_insert(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert a frame's rows with one driver-level executemany, bypassing per-value processing.

    Ten times faster than ORM objects and several times faster than Core parameter processing;
    timestamps are written in the same form as the UTCDateTime type writes them.
    """
    if frame.empty:
        return
    # A column with no value in any row is left to its default, NULL: binding a million NULLs
    # costs as much as real values.
    names = [name for name in frame.columns if not _null_by_default(table.c[name]) or frame[name].notna().any()]
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    if connection.dialect.name == "postgresql":
        # Straight into the table: new rows need no staging table, nor a second copy out of it.
        _copy(connection, table.name, table, frame, names)
        return
    statement = f"INSERT INTO {table.name} ({quoted}) VALUES ({_placeholders(connection, len(names))})"
    _execute_in_chunks(connection, statement, table, frame, names)


def bulk_update(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, *, key: str = "id") -> None:
    """Update rows identified by `key` with a frame's other columns, in one executemany."""
    if frame.empty:
        return
    names = [name for name in frame.columns if name != key]
    quote = connection.dialect.identifier_preparer.quote
    if connection.dialect.name == "postgresql":
        assignments = ", ".join(f"{quote(name)} = {STAGING}.{quote(name)}" for name in names)
        matching = f"{table.name}.{quote(key)} = {STAGING}.{quote(key)}"
        statement = f"UPDATE {table.name} SET {assignments} FROM {STAGING} WHERE {matching}"
        _through_staging(connection, statement, table, frame, [*names, key])
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    assignments = ", ".join(f"{quote(name)} = {marker}" for name in names)
    statement = f"UPDATE {table.name} SET {assignments} WHERE {quote(key)} = {marker}"
    _execute_in_chunks(connection, statement, table, frame, [*names, key])


def _execute_in_chunks(
    connection: sa.Connection, statement: str, table: sa.Table, frame: pd.DataFrame, names: list[str]
) -> None:
    """Run an executemany of `statement` over the frame's `names` columns, BULK_CHUNK_ROWS rows at a time."""
    dialect = connection.dialect.name
    for start in range(0, len(frame), BULK_CHUNK_ROWS):
        part = frame.iloc[start : start + BULK_CHUNK_ROWS]
        columns = [_driver_column(part[name], table.c[name], dialect) for name in names]
        connection.exec_driver_sql(statement, list(zip(*columns, strict=True)))


def _through_staging(
    connection: sa.Connection, statement: str, table: sa.Table, frame: pd.DataFrame, names: list[str]
) -> None:
    """COPY the frame's `names` columns into a temporary table shaped like `table`, then run `statement` on it.

    COPY streams rows without a round trip or a statement per row: the PostgreSQL first import took
    twice SQLite's time through executemany. One set-based statement then writes them all.
    """
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGING} AS SELECT {quoted} FROM {table.name} WITH NO DATA")
    _copy(connection, STAGING, table, frame, names)
    # Statistics of the staging table, or the planner guesses its size and may scan the target whole.
    connection.exec_driver_sql(f"ANALYZE {STAGING}")
    connection.exec_driver_sql(statement)
    connection.exec_driver_sql(f"DROP TABLE {STAGING}")


def _copy(connection: sa.Connection, target: str, table: sa.Table, frame: pd.DataFrame, names: list[str]) -> None:
    """COPY the frame's `names` columns (typed as `table`'s) into the PostgreSQL table `target`."""
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    cursor = connection.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:
        for start in range(0, len(frame), BULK_CHUNK_ROWS):
            part = frame.iloc[start : start + BULK_CHUNK_ROWS]
            for row in zip(*(_driver_column(part[name], table.c[name], "postgresql") for name in names), strict=True):
                copy.write_row(row)
