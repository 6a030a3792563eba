"""The store: engines for SQLite or PostgreSQL, write transactions, schema upgrades, the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from voc.store.models import AuditEntry, UTCDateTime, utc_now

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 60_000
# Any fixed number shared by all voc processes: imports and upgrades on PostgreSQL queue on it.
POSTGRES_WRITE_LOCK = 7_402_011
# Rows per executemany: the driver's Python values for a whole large upload (a million rows of
# two dozen columns) take gigabytes, a chunk's tens of megabytes, at the same speed.
BULK_CHUNK_ROWS = 50_000


def make_engine(url: str) -> sa.Engine:
    """Create an engine; SQLite connections get WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event, not the driver, open transactions (SQLAlchemy's recipe),
        # so a writer can take the write lock up front with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("voc_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Open one transaction for a change, queued behind other writers rather than failing.

    Everything done inside commits together or not at all.
    """
    with engine.connect().execution_options(voc_write=True) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(POSTGRES_WRITE_LOCK)))
        yield connection


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
    statement = f"INSERT INTO {table.name} ({quoted}) VALUES ({_placeholders(connection, len(names))})"
    _execute_in_chunks(connection, statement, table, frame, names)


def bulk_update(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, *, key: str = "id") -> None:
    """Update rows identified by `key` with a frame's other columns, in one executemany."""
    if frame.empty:
        return
    names = [name for name in frame.columns if name != key]
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    quote = connection.dialect.identifier_preparer.quote
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


def record_audit(connection: sa.Connection, *, user: str, action: str, detail: str = "") -> None:
    """Log a change to the store; this also moves the data version pages cache by."""
    connection.execute(sa.insert(AuditEntry.__table__).values(at=utc_now(), user=user, action=action, detail=detail))


def data_version(engine: sa.Engine) -> int:
    """Return a number that changes whenever the store's content changes."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(AuditEntry.id))).scalar() or 0


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def schema_is_current(engine: sa.Engine) -> bool:
    """Tell whether the store's schema is at the newest migration."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        head = ScriptDirectory.from_config(_alembic_config(connection)).get_heads()
    return set(current) == set(head)


def upgrade_schema(engine: sa.Engine) -> None:
    """Bring the schema to the newest migration; safe to call from several processes at once."""
    if schema_is_current(engine):
        return
    with write_transaction(engine) as connection:
        command.upgrade(_alembic_config(connection), "head")


def open_store(url: str) -> sa.Engine:
    """Create the engine for a URL and upgrade its schema, as the app and CLI do on start."""
    engine = make_engine(url)
    upgrade_schema(engine)
    return engine
