"""The raw-type roll-up: contacts per month and raw request type, kept with the roll-ups.

The Data page's request-type table counts each type's stored contacts, and lists the types not
mapped yet, from it instead of grouping every stored contact: its size follows months and types.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voc.store.models import ServiceRequest
from voc.store.rollups import Rollup

REQUESTS = ServiceRequest.__table__


class MonthlyTypeCount(SQLModel, table=True):
    """Stored contacts per month and raw request type, as the export spelled it."""

    __tablename__ = "monthly_type_counts"

    month: str = Field(primary_key=True, max_length=7)
    request_type: str = Field(primary_key=True, max_length=300)
    contacts: int = 0


TYPE_COUNTS = MonthlyTypeCount.__table__


def _type_counts(rows: sa.ColumnElement[bool]) -> sa.Select:
    """The requests `rows` selects, per month and raw request type."""
    keys = [REQUESTS.c.opened_month.label("month"), REQUESTS.c.request_type]
    return sa.select(*keys, sa.func.count().label("contacts")).where(rows).group_by(*keys)


TYPE_ROLLUP = Rollup(TYPE_COUNTS, "month", REQUESTS.c.opened_month, measures=("contacts",), counts=_type_counts)
