"""The days-to-close histogram: closed contacts per month, dimension and bucket of days, kept with the roll-ups.

Service performance reads percentiles and targets met from it instead of sorting raw rows, so its cost
follows the number of buckets in use, not the number of contacts.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voc.store.models import ServiceRequest
from voc.store.rollups import Rollup

REQUESTS = ServiceRequest.__table__
# A contact closed within five minutes of opening: unless it was a question, a sign it was closed unfixed.
QUICK_CLOSE_DAYS = 5 / 1440
CLOSING_DIMENSIONS = ("category", "department", "district_code", "contact_type")


class ClosingDayBucket(SQLModel, table=True):
    """A range of days to close, (lower, upper]; bucket 0 holds closes of zero days (upper 0).

    Written once by migration 0016: each bucket is at most a quarter day or 2% of its lower edge wide,
    so a percentile placed within its bucket is that close to the exact one; every whole day up to
    100 days is an edge, so whole-day targets are counted exactly.
    """

    __tablename__ = "closing_day_buckets"

    bucket: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    lower: float
    upper: float = Field(unique=True)


class MonthlyClosingDays(SQLModel, table=True):
    """Closed contacts per month, dimension and bucket of days to close; empty strings stand for unknown.

    Channel is left out (service performance does not filter by it), which keeps the table small.
    """

    __tablename__ = "monthly_closing_days"

    month: str = Field(primary_key=True, max_length=7)
    category: str = Field(primary_key=True, max_length=200)
    department: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    contact_type: str = Field(primary_key=True, max_length=20)
    bucket: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    closed: int = 0
    quick_closes: int = Field(default=0, description="closed within QUICK_CLOSE_DAYS, a closing time given")


BUCKETS = ClosingDayBucket.__table__
CLOSING = MonthlyClosingDays.__table__


def _closing_day_counts(rows: sa.ColumnElement[bool]) -> sa.Select:
    """The histogram of the requests `rows` selects."""
    days = REQUESTS.c.days_to_close
    # The first bucket reaching the value: one probe of the unique index on `upper` per closed contact.
    bucket = sa.select(BUCKETS.c.bucket).where(BUCKETS.c.upper >= days).order_by(BUCKETS.c.upper).limit(1)
    quick = sa.and_(days < QUICK_CLOSE_DAYS, sa.func.coalesce(REQUESTS.c.closed_date_only, sa.false()) == sa.false())
    closes = (
        sa.select(
            REQUESTS.c.opened_month.label("month"),
            *(sa.func.coalesce(REQUESTS.c[d], "").label(d) for d in CLOSING_DIMENSIONS),
            bucket.scalar_subquery().label("bucket"),
            sa.case((quick, 1), else_=0).label("quick"),
        )
        .where(rows, days.is_not(None))
        .subquery()
    )
    keys = [closes.c.month, *(closes.c[d] for d in CLOSING_DIMENSIONS), closes.c.bucket]
    return sa.select(
        *keys, sa.func.count().label("closed"), sa.func.sum(closes.c.quick).label("quick_closes")
    ).group_by(*keys)


CLOSING_DAYS_ROLLUP = Rollup(
    CLOSING, "month", REQUESTS.c.opened_month, measures=("closed", "quick_closes"), counts=_closing_day_counts
)
