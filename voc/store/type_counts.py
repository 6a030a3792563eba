"""The raw-type roll-up: contacts per month and raw request type, kept with the roll-ups.

The Data page's request-type table counts each type's stored contacts, and lists the types not
mapped yet, from it instead of grouping every stored contact: its size follows months and types.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voc.store.models import ServiceRequest

REQUESTS = ServiceRequest.__table__


class MonthlyTypeCount(SQLModel, table=True):
    """Stored contacts per month and raw request type, as the export spelled it."""

    __tablename__ = "monthly_type_counts"

    month: str = Field(primary_key=True, max_length=7)
    request_type: str = Field(primary_key=True, max_length=300)
    contacts: int = 0


TYPE_COUNTS = MonthlyTypeCount.__table__


def refresh_type_counts(connection: sa.Connection, months: list[str]) -> None:
    """Recount the raw-type roll-up of the given months from the stored requests."""
    connection.execute(sa.delete(TYPE_COUNTS).where(TYPE_COUNTS.c.month.in_(months)))
    counts = (
        sa.select(REQUESTS.c.opened_month, REQUESTS.c.request_type, sa.func.count())
        .where(REQUESTS.c.opened_month.in_(months))
        .group_by(REQUESTS.c.opened_month, REQUESTS.c.request_type)
    )
    connection.execute(sa.insert(TYPE_COUNTS).from_select(["month", "request_type", "contacts"], counts))
