"""The contacts of a month range as closure figures need them: when, what, where, and how each ended."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from voc.store.models import ServiceRequest
from voc.store.query import read_frame

REQUESTS = ServiceRequest.__table__
CLOSURE_COLUMNS = (
    "id", "source_id", "opened_month", "opened_at", "closed_at", "acknowledged_at", "days_to_close", "category",
    "department",
    "district_code", "channel", "contact_type", "status", "latitude", "longitude",
)  # fmt: skip
TIME_COLUMNS = ("opened_at", "closed_at", "acknowledged_at")


def read_closure_contacts(
    engine: sa.Engine,
    *,
    first_month: str,
    last_month: str,
    categories: tuple[str, ...] = (),
    departments: tuple[str, ...] = (),
    districts: tuple[str, ...] = (),
    columns: tuple[str, ...] = CLOSURE_COLUMNS,
) -> pd.DataFrame:
    """Return the categorised contacts opened from first_month to last_month (`columns`), oldest first.

    The month range keeps the read on the (opened_month, category) index, so it stays bounded
    whatever the size of the store.
    """
    conditions = [
        REQUESTS.c.opened_month.between(first_month, last_month),
        REQUESTS.c.category.is_not(None),
    ]
    if categories:
        conditions.append(REQUESTS.c.category.in_(categories))
    if departments:
        conditions.append(REQUESTS.c.department.in_(departments))
    if districts:
        conditions.append(REQUESTS.c.district_code.in_(districts))
    # Times as the database gives them, converted in one vectorised step: SQLite's text parsed value by value
    # took most of a read.
    selected = (
        sa.type_coerce(REQUESTS.c[name], sa.String).label(name) if name in TIME_COLUMNS else REQUESTS.c[name]
        for name in columns
    )
    query = sa.select(*selected).where(*conditions).order_by(REQUESTS.c.opened_at, REQUESTS.c.id)
    frame = read_frame(engine, query)
    for column in set(TIME_COLUMNS) & set(columns):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame
