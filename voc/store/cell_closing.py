"""The closing roll-up of located contacts: contacts per month, H3 cell and quarter day to close.

The equity view counts each small area's contacts and their median days to close from it instead of
reading every located contact of its twelve months (at 5M contacts, 24 s): its size follows the cells
contacts come from and how long they took, not the number of contacts, and sums over it are exactly
the counts of the contacts it stands for.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voc.store.models import ServiceRequest
from voc.store.rollups import Rollup

REQUESTS = ServiceRequest.__table__
STEPS_PER_DAY = 4  # days to close are counted to the quarter day
STILL_OPEN = -1  # the steps of contacts not closed


class MonthlyCellClosing(SQLModel, table=True):
    """Located contacts per month, stored H3 cell (voc.store.cells.CELL_RESOLUTION) and quarter days to close.

    `steps` is days to close x STEPS_PER_DAY rounded, STILL_OPEN for a contact not closed.
    """

    __tablename__ = "monthly_cell_closing"

    month: str = Field(primary_key=True, max_length=7)
    cell: int = Field(primary_key=True, sa_type=sa.BigInteger)
    steps: int = Field(primary_key=True)
    contacts: int = 0


CELL_CLOSING = MonthlyCellClosing.__table__


def _cell_closing_counts(rows: sa.ColumnElement[bool]) -> sa.Select:
    """The located contacts among the requests `rows` selects, per month, cell and quarter days to close."""
    steps = sa.cast(sa.func.round(REQUESTS.c.days_to_close * STEPS_PER_DAY), sa.Integer)
    keys = [
        REQUESTS.c.opened_month.label("month"),
        REQUESTS.c.h3_cell.label("cell"),
        sa.func.coalesce(steps, STILL_OPEN).label("steps"),
    ]
    return (
        sa.select(*keys, sa.func.count().label("contacts")).where(rows, REQUESTS.c.h3_cell.is_not(None)).group_by(*keys)
    )


CELL_CLOSING_ROLLUP = Rollup(
    CELL_CLOSING, "month", REQUESTS.c.opened_month, measures=("contacts",), counts=_cell_closing_counts
)
