"""Saved open-data feeds, their high-water marks and the history of their pulls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from voc.store.models import Feed, FeedPull, utc_now

if TYPE_CHECKING:
    import pandas as pd

FEEDS = Feed.__table__
PULLS = FeedPull.__table__


@dataclass(frozen=True)
class SavedFeed:
    id: int
    name: str
    api: str
    url: str
    where_clause: str | None
    high_water: datetime | None  # the newest change stored; the next pull asks from here


@dataclass(frozen=True)
class PullFigures:
    pages: int
    records: int
    seconds: float
    started_from: datetime | None
    reached: datetime | None


_COLUMNS = [FEEDS.c[name] for name in ("id", "name", "api", "url", "where_clause", "high_water")]


def find_feed(connection: sa.Connection, *, name: str | None = None, api: str = "", url: str = "") -> SavedFeed | None:
    """Return the feed called `name`, or (without a name) the one pulling `url` through `api`."""
    condition = FEEDS.c.name == name if name is not None else sa.and_(FEEDS.c.api == api, FEEDS.c.url == url)
    row = connection.execute(sa.select(*_COLUMNS).where(condition).order_by(FEEDS.c.id).limit(1)).first()
    return SavedFeed(*row) if row else None


def save_feed(
    connection: sa.Connection, *, name: str, api: str, url: str, where_clause: str | None, user: str
) -> SavedFeed:
    """Create the feed `name`, or point it at this API, URL and filter; its high-water mark is kept."""
    found = find_feed(connection, name=name)
    values = {"api": api, "url": url, "where_clause": where_clause}
    if found is None:
        connection.execute(sa.insert(FEEDS).values(name=name, created_by=user, created_at=utc_now(), **values))
    else:
        connection.execute(sa.update(FEEDS).where(FEEDS.c.id == found.id).values(**values))
    saved = find_feed(connection, name=name)
    assert saved is not None  # written just above, in this transaction
    return saved


def record_pull(connection: sa.Connection, feed: SavedFeed, figures: PullFigures, *, upload_id: int | None) -> None:
    """Log a pull and raise the feed's high-water mark to what it reached (never lower it)."""
    connection.execute(
        sa.insert(PULLS).values(
            feed_id=feed.id, upload_id=upload_id, pulled_at=utc_now(), started_from=figures.started_from,
            reached=figures.reached, pages=figures.pages, records=figures.records, seconds=figures.seconds,
        )
    )  # fmt: skip
    if figures.reached is not None and (feed.high_water is None or figures.reached > feed.high_water):
        connection.execute(sa.update(FEEDS).where(FEEDS.c.id == feed.id).values(high_water=figures.reached))


def rewind_feed(connection: sa.Connection, upload_id: int) -> None:
    """Lower a feed's high-water mark to where the pull recorded as `upload_id` started, as that pull is undone.

    The next pull then fetches the undone records again. A first pull started from nothing: its feed
    starts from nothing again.
    """
    pull = connection.execute(sa.select(PULLS.c.feed_id, PULLS.c.started_from).where(PULLS.c.upload_id == upload_id))
    for feed_id, started_from in pull.all():
        mark = connection.execute(sa.select(FEEDS.c.high_water).where(FEEDS.c.id == feed_id)).scalar()
        if mark is not None and (started_from is None or started_from < mark):
            connection.execute(sa.update(FEEDS).where(FEEDS.c.id == feed_id).values(high_water=started_from))


def list_feeds(engine: sa.Engine) -> pd.DataFrame:
    """Return the saved feeds by name, with their last pull's time, upload and figures."""
    # Imported here: undo, which rewinds feeds, runs in `voc undo` without pandas (tests/test_cli_startup.py).
    from voc.store.query import read_frame

    last = sa.select(PULLS.c.feed_id, sa.func.max(PULLS.c.id).label("pull_id")).group_by(PULLS.c.feed_id).subquery()
    query = (
        sa.select(
            FEEDS.c.name,
            FEEDS.c.api,
            FEEDS.c.url,
            FEEDS.c.where_clause,
            FEEDS.c.high_water,
            PULLS.c.pulled_at.label("last_pulled_at"),
            PULLS.c.upload_id.label("last_upload_id"),
            PULLS.c.records.label("last_records"),
            PULLS.c.pages.label("last_pages"),
        )  # fmt: skip
        .select_from(FEEDS.outerjoin(last, last.c.feed_id == FEEDS.c.id).outerjoin(PULLS, PULLS.c.id == last.c.pull_id))
        .order_by(FEEDS.c.name)
    )
    return read_frame(engine, query)
