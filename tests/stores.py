"""Stores for tests: fresh PostgreSQL schemas, and what every store must hold after any change."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import SQLModel

from voc.store.closing_days import BUCKETS, CLOSING, CLOSING_DIMENSIONS, QUICK_CLOSE_DAYS
from voc.store.closure_counts import CATEGORY_TIME_KEYS, CATEGORY_TIMES, TIMES
from voc.store.models import DescriptionEmbedding, MonthlyCount, ServiceRequest, Upload
from voc.store.place_counts import PLACES
from voc.store.query import read_frame
from voc.store.theme_counts import LABELS, THEME_COUNTS
from voc.store.type_counts import TYPE_COUNTS

EMBEDDINGS = DescriptionEmbedding.__table__


def fresh_postgres_schema(server_url: str) -> Iterator[str]:
    """Yield a URL whose connections use a new, empty schema of the test database."""
    schema = f"voc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.engine.make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


# The large tables by key, upload and row hash (a changed row gets a new hash or upload); the rest whole.
KEY_COLUMNS = {
    "service_requests": ("id", "source", "source_id", "upload_id", "row_hash"),
    "request_changes": ("id", "upload_id", "request_id"),
}


def request_rows_insert(rows: pd.DataFrame, columns: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """The SQL and rows writing requests (a voc.ingest frame) as an older voc stored them, for store_at_revision."""
    values = rows.assign(row_hash="", opened_at=rows["opened_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    records = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in values[columns].to_dict("records")]
    for record in records:
        record["h3_cell"] = None if record["h3_cell"] is None else int(record["h3_cell"])
    return (
        f"INSERT INTO service_requests ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",
        records,
    )


def store_at_revision(url: str, revision: str, *inserts: tuple[str, list[dict[str, Any]]]) -> sa.Engine:
    """Return an engine on a store migrated only to `revision`, holding rows written by the (SQL, rows) given.

    What an older voc left behind, for testing the migrations that follow.
    """
    from alembic import command
    from alembic.config import Config

    from voc.store.engine import MIGRATIONS_DIR, make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        for statement, rows in inserts:
            connection.execute(sa.text(statement), rows)
    return engine


def store_state(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the store, to compare before and after an upload."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in KEY_COLUMNS:
                query = sa.select(*(table.c[name] for name in KEY_COLUMNS[table.name])).order_by(table.c.id)
                state[table.name] = [tuple(row) for row in connection.execute(query)]
            else:  # JSON columns come back as dicts: compare their text, in a fixed order
                state[table.name] = sorted(tuple(map(str, row)) for row in connection.execute(sa.select(table)))
    return state


def assert_consistent(engine: sa.Engine) -> None:
    """The roll-up recounts the stored requests; every upload's counts add up; SQLite is undamaged."""
    requests, rollup, uploads = ServiceRequest.__table__, MonthlyCount.__table__, Upload.__table__
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
        recount = connection.execute(
            sa.select(requests.c.opened_month, sa.func.count(), sa.func.count(requests.c.closed_at))
            .group_by(requests.c.opened_month)
        ).all()  # fmt: skip
        rolled_up = connection.execute(
            sa.select(rollup.c.month, sa.func.sum(rollup.c.contacts), sa.func.sum(rollup.c.closed))
            .group_by(rollup.c.month)
        ).all()  # fmt: skip
        history = connection.execute(sa.select(uploads)).all()
        orphans = connection.execute(
            sa.select(sa.func.count())
            .select_from(requests.outerjoin(uploads, uploads.c.id == requests.c.upload_id))
            .where(sa.or_(uploads.c.id.is_(None), uploads.c.status != "committed"))
        ).scalar_one()  # fmt: skip
    assert sorted(map(tuple, rolled_up)) == sorted(map(tuple, recount))
    for upload in history:
        assert upload.inserted + upload.updated + upload.unchanged + upload.rejected == upload.rows_read
    assert orphans == 0, "stored requests whose upload is missing or undone"
    assert closing_days(engine) == recounted_closing_days(engine)
    assert place_counts(engine) == recounted_place_counts(engine)
    assert type_counts(engine) == recounted_type_counts(engine)
    assert theme_counts(engine) == recounted_theme_counts(engine)
    assert category_closure_times(engine) == summed_closure_times(engine)
    with engine.connect() as connection:  # every vector has its row in description_themes, placed or not
        vectors = connection.execute(sa.select(sa.func.count()).select_from(EMBEDDINGS)).scalar_one()
        assert connection.execute(sa.select(sa.func.count()).select_from(LABELS)).scalar_one() == vectors


def category_closure_times(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """The closure times as county-wide views read them: (month, category, measure, value, contacts)."""
    with engine.connect() as connection:
        return sorted(map(tuple, connection.execute(sa.select(CATEGORY_TIMES)).all()))


def summed_closure_times(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """The full closure times summed over department, district and contact type, as the category table holds them."""
    keys = [TIMES.c[name] for name in CATEGORY_TIME_KEYS]
    with engine.connect() as connection:
        return sorted(map(tuple, connection.execute(sa.select(*keys, sa.func.sum(TIMES.c.contacts)).group_by(*keys))))


def closing_days(engine: sa.Engine) -> dict[tuple[Any, ...], tuple[int, int]]:
    """The days-to-close histogram as stored: (month, dimensions..., bucket) -> (closed, quick closes)."""
    keys = [CLOSING.c[name] for name in ("month", *CLOSING_DIMENSIONS, "bucket")]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*keys, CLOSING.c.closed, CLOSING.c.quick_closes)).all()
    return {tuple(row[:-2]): (row.closed, row.quick_closes) for row in rows}


def recounted_closing_days(engine: sa.Engine) -> dict[tuple[Any, ...], tuple[int, int]]:
    """The histogram counted afresh in pandas from every stored request, independently of the store's SQL."""
    requests = ServiceRequest.__table__
    closed = read_frame(
        engine,
        sa.select(requests.c.opened_month.label("month"), *(requests.c[name] for name in CLOSING_DIMENSIONS),
                  requests.c.days_to_close, requests.c.closed_date_only)
        .where(requests.c.days_to_close.is_not(None)),
    )  # fmt: skip
    buckets = read_frame(engine, sa.select(BUCKETS).order_by(BUCKETS.c.upper))
    # (lower, upper]: the first bucket whose upper edge reaches the value.
    closed["bucket"] = buckets["bucket"].to_numpy()[np.searchsorted(buckets["upper"], closed["days_to_close"])]
    closed["quick"] = (closed["days_to_close"] < QUICK_CLOSE_DAYS) & ~closed["closed_date_only"].eq(True)
    closed[list(CLOSING_DIMENSIONS)] = closed[list(CLOSING_DIMENSIONS)].fillna("")
    counts = closed.groupby(["month", *CLOSING_DIMENSIONS, "bucket"])["quick"].agg(["size", "sum"])
    return {key: (int(size), int(quick)) for key, (size, quick) in pd.DataFrame(counts).iterrows()}


def place_counts(engine: sa.Engine) -> dict[tuple[Any, ...], tuple[Any, int]]:
    """The place roll-up as stored: (month, category, district, latitude, longitude) -> (cell, contacts)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(PLACES)).all()
    return {(r.month, r.category, r.district_code, r.latitude, r.longitude): (r.cell, r.contacts) for r in rows}


def recounted_place_counts(engine: sa.Engine) -> dict[tuple[Any, ...], tuple[Any, int]]:
    """The place roll-up counted afresh in Python from every stored request, independently of the store's SQL.

    Plain rows, not a frame: H3 cells are 64-bit integers a float column would round.
    """
    requests = ServiceRequest.__table__
    columns = ("opened_month", "category", "district_code", "latitude", "longitude", "h3_cell")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*(requests.c[name] for name in columns))).all()
    counts: dict[tuple[Any, ...], tuple[Any, int]] = {}
    for month, category, district, latitude, longitude, cell in rows:
        if category is None or latitude is None or longitude is None:
            continue
        key = (month, category, district or "", latitude, longitude)
        stored_cell, contacts = counts.get(key, (None, 0))
        cells = [c for c in (stored_cell, cell) if c is not None]
        counts[key] = (max(cells) if cells else None, contacts + 1)
    return counts


def type_counts(engine: sa.Engine) -> dict[tuple[str, str], int]:
    """The raw-type roll-up as stored: (month, raw type) -> contacts."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(TYPE_COUNTS)).all()
    return {(row.month, row.request_type): row.contacts for row in rows}


def recounted_type_counts(engine: sa.Engine) -> dict[tuple[str, str], int]:
    """The raw-type roll-up counted afresh in Python from every stored request."""
    requests = ServiceRequest.__table__
    with engine.connect() as connection:
        rows = connection.execute(sa.select(requests.c.opened_month, requests.c.request_type)).all()
    counts: dict[tuple[str, str], int] = {}
    for month, raw_type in rows:
        counts[(month, raw_type)] = counts.get((month, raw_type), 0) + 1
    return counts


def theme_counts(engine: sa.Engine) -> dict[tuple[str, int, str, str], int]:
    """The theme roll-up as stored: (month, theme, category, district) -> contacts, rows counting none left out."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(THEME_COUNTS).where(THEME_COUNTS.c.contacts != 0)).all()
    return {(row.month, row.theme, row.category, row.district_code): row.contacts for row in rows}


def recounted_theme_counts(engine: sa.Engine) -> dict[tuple[str, int, str, str], int]:
    """The theme roll-up counted afresh in Python from every stored request and the theme its vector is in."""
    requests = ServiceRequest.__table__
    query = (
        sa.select(requests.c.opened_month, LABELS.c.theme, requests.c.category, requests.c.district_code)
        .join(LABELS, LABELS.c.request_id == requests.c.id)
        .where(LABELS.c.theme.is_not(None))
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    counts: dict[tuple[str, int, str, str], int] = {}
    for month, theme, category, district in rows:
        key = (month, theme, category or "", district or "")
        counts[key] = counts.get(key, 0) + 1
    return counts


def stored_requests(engine: sa.Engine) -> dict[tuple[str, str], Any]:
    requests = ServiceRequest.__table__
    query = sa.select(requests.c.source, requests.c.source_id, requests.c.upload_id, requests.c.description)
    with engine.connect() as connection:
        return {(row.source, row.source_id): row for row in connection.execute(query)}
