"""The place roll-up: categorised contacts per month, category, district and exact point, kept with the roll-ups.

Demand evidence counts a candidate's contacts within a radius and its repeat places (H3 cells with 3
or more contacts) from it instead of raw rows: its size follows the places contacts come from, not
the number of contacts, and sums over it are exactly the counts of the contacts it stands for.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voc.store.models import ServiceRequest
from voc.store.rollups import Rollup

REQUESTS = ServiceRequest.__table__


class MonthlyPlaceCount(SQLModel, table=True):
    """Located, categorised contacts per month, category, district (empty string: unknown) and point.

    `cell` is the stored H3 cell (voc.store.cells.CELL_RESOLUTION) of the point, a function of it.
    """

    __tablename__ = "monthly_place_counts"

    month: str = Field(primary_key=True, max_length=7)
    category: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    latitude: float = Field(primary_key=True)
    longitude: float = Field(primary_key=True)
    cell: int | None = Field(default=None, sa_type=sa.BigInteger)
    contacts: int = 0


PLACES = MonthlyPlaceCount.__table__


def _place_counts(rows: sa.ColumnElement[bool]) -> sa.Select:
    """The located, categorised contacts among the requests `rows` selects, per month, category, district and point."""
    keys = [
        REQUESTS.c.opened_month.label("month"),
        REQUESTS.c.category,
        sa.func.coalesce(REQUESTS.c.district_code, "").label("district_code"),
        REQUESTS.c.latitude,
        REQUESTS.c.longitude,
    ]
    return (
        sa.select(*keys, sa.func.max(REQUESTS.c.h3_cell).label("cell"), sa.func.count().label("contacts"))
        .where(
            rows,
            REQUESTS.c.category.is_not(None),
            REQUESTS.c.latitude.is_not(None),
            REQUESTS.c.longitude.is_not(None),
        )
        .group_by(*keys)
    )


PLACE_ROLLUP = Rollup(
    PLACES, "month", REQUESTS.c.opened_month, measures=("contacts",), counts=_place_counts, kept=("cell",)
)
