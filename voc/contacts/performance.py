"""Service performance per category: days to close, targets met, and what "closed" hides."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from voc.contacts.trends import Filters, request_conditions
from voc.core.access import Role, require
from voc.core.errors import VocError
from voc.store.engine import record_audit, write_transaction
from voc.store.models import CategoryTarget, ServiceRequest
from voc.store.query import read_frame

REQUESTS = ServiceRequest.__table__
TARGETS = CategoryTarget.__table__
# Closed within five minutes of opening: a request type that can really be fixed that fast is a question.
TOO_FAST_DAYS = 5 / 1440


def _quantiles(connection: sa.Connection, filters: Filters) -> pd.DataFrame:
    """Median and 90th percentile (nearest rank) of days to close per category, computed by the database."""
    days = REQUESTS.c.days_to_close
    ranked = (
        sa.select(
            REQUESTS.c.category,
            days,
            sa.func.row_number().over(partition_by=REQUESTS.c.category, order_by=days).label("position"),
            sa.func.count().over(partition_by=REQUESTS.c.category).label("total"),
        )
        .where(days.is_not(None), REQUESTS.c.category.is_not(None), *request_conditions(filters))
        .subquery()
    )
    # Integer division (//): the middle pair for the median, and ceil(0.9 n) for the nearest-rank 90th percentile.
    low, high = (ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2
    p90 = (ranked.c.total * 9 + 9) // 10
    query = sa.select(
        ranked.c.category,
        sa.func.max(ranked.c.total).label("closed"),
        sa.func.avg(sa.case((ranked.c.position.in_([low, high]), ranked.c.days_to_close))).label("median_days"),
        sa.func.max(sa.case((ranked.c.position == p90, ranked.c.days_to_close))).label("p90_days"),
    ).group_by(ranked.c.category)
    return read_frame(connection, query)


def _closed_too_fast() -> sa.ColumnElement[bool]:
    """A non-question contact closed within five minutes; a close given as a day without a time is no such sign."""
    return sa.and_(
        REQUESTS.c.days_to_close < TOO_FAST_DAYS,
        REQUESTS.c.contact_type != "question",
        sa.func.coalesce(REQUESTS.c.closed_date_only, sa.false()) == sa.false(),
    )


def _counts(connection: sa.Connection, filters: Filters) -> pd.DataFrame:
    days = REQUESTS.c.days_to_close
    target = TARGETS.c.target_days
    query = (
        sa.select(
            REQUESTS.c.category,
            sa.func.count().label("contacts"),
            sa.func.max(target).label("target_days"),
            sa.func.sum(sa.case((days <= target, 1), else_=0)).label("within_target"),
            sa.func.sum(sa.case((_closed_too_fast(), 1), else_=0)).label("closed_too_fast"),
            sa.func.sum(sa.case((REQUESTS.c.closed_at.is_(None), 1), else_=0)).label("still_open"),
        )
        .select_from(REQUESTS.outerjoin(TARGETS, TARGETS.c.category == REQUESTS.c.category))
        .where(REQUESTS.c.category.is_not(None), *request_conditions(filters))
        .group_by(REQUESTS.c.category)
    )
    return read_frame(connection, query)


def service_performance(engine: sa.Engine, filters: Filters) -> pd.DataFrame:
    """Return per category: contacts, closed, median and 90th-percentile days, target and share met, oddities.

    `closed_too_fast` counts non-question contacts closed within five minutes; `still_open` those never closed.
    """
    with engine.connect() as connection:
        quantiles = _quantiles(connection, filters)
        counts = _counts(connection, filters)
    table = counts.merge(quantiles, on="category", how="left")
    table["closed"] = table["closed"].fillna(0).astype(int)
    table["within_target_share"] = (table["within_target"] / table["closed"].where(table["closed"] > 0)).where(
        table["target_days"].notna()
    )
    columns = ["category", "contacts", "closed", "median_days", "p90_days", "target_days", "within_target_share",
               "closed_too_fast", "still_open"]  # fmt: skip
    return table[columns].sort_values("contacts", ascending=False, kind="stable").reset_index(drop=True)


def with_closure(performance: pd.DataFrame, closure: pd.DataFrame) -> pd.DataFrame:
    """Add each category's closure figures (voc.contacts.closure.closure_by_category) to its service performance."""
    return performance.merge(closure, on="category", how="left")


def load_targets(engine: sa.Engine) -> pd.DataFrame:
    """Return the category targets (category, target_days)."""
    return read_frame(engine, sa.select(TARGETS).order_by(TARGETS.c.category))


def save_targets(engine: sa.Engine, targets: pd.DataFrame, *, user: str, role: Role) -> None:
    """Replace the category targets; a blank target removes it.

    Raises NotAllowed unless the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="set service targets")
    kept = targets.dropna(subset=["category", "target_days"])
    kept = kept[kept["category"].astype(str).str.strip() != ""]
    if (pd.to_numeric(kept["target_days"], errors="coerce") <= 0).any():
        raise VocError("A target must be a positive number of days.")
    rows = [
        {"category": str(c).strip(), "target_days": float(d)}
        for c, d in zip(kept["category"], kept["target_days"], strict=True)
    ]
    with write_transaction(engine) as connection:
        connection.execute(sa.delete(TARGETS))
        if rows:
            connection.execute(sa.insert(TARGETS), rows)
        record_audit(connection, user=user, action="edit targets", detail=f"{len(rows)} targets")
