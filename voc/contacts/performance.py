"""Service performance per category: days to close, targets met, and what "closed" hides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.contacts.trends import Filters, rollup_conditions
from voc.core.access import Role, require
from voc.core.errors import VocError
from voc.store.closing_days import BUCKETS, CLOSING
from voc.store.engine import record_audit, write_transaction
from voc.store.models import CategoryTarget, MonthlyCount
from voc.store.query import read_frame

ROLLUP = MonthlyCount.__table__
TARGETS = CategoryTarget.__table__


def closing_histogram(connection: sa.Connection, filters: Filters) -> pd.DataFrame:
    """Return closed contacts per category and bucket of days (lower, upper], ordered, and the quick closes.

    `closed_too_fast` counts quick closes (voc.store.closing_days) of contacts that are not questions.
    """
    if filters.channels:
        raise ValueError("the days-to-close roll-up has no channel: report service performance of every channel")
    quick = sa.case((CLOSING.c.contact_type != "question", CLOSING.c.quick_closes), else_=0)
    query = (
        sa.select(
            CLOSING.c.category,
            BUCKETS.c.lower,
            BUCKETS.c.upper,
            sa.func.sum(CLOSING.c.closed).label("closed"),
            sa.func.sum(quick).label("closed_too_fast"),
        )
        .join_from(CLOSING, BUCKETS, BUCKETS.c.bucket == CLOSING.c.bucket)
        .where(CLOSING.c.category != "", *rollup_conditions(CLOSING, filters))
        .group_by(CLOSING.c.category, BUCKETS.c.bucket, BUCKETS.c.lower, BUCKETS.c.upper)
        .order_by(CLOSING.c.category, BUCKETS.c.bucket)
    )
    return read_frame(connection, query, dtypes={"closed": int, "closed_too_fast": int})


def _contacts(connection: sa.Connection, filters: Filters) -> pd.DataFrame:
    query = (
        sa.select(
            ROLLUP.c.category,
            sa.func.sum(ROLLUP.c.contacts).label("contacts"),
            sa.func.sum(ROLLUP.c.contacts - ROLLUP.c.closed).label("still_open"),
            sa.func.max(TARGETS.c.target_days).label("target_days"),
        )
        .select_from(ROLLUP.outerjoin(TARGETS, TARGETS.c.category == ROLLUP.c.category))
        .where(ROLLUP.c.category != "", *rollup_conditions(ROLLUP, filters))
        .group_by(ROLLUP.c.category)
    )
    return read_frame(connection, query, dtypes={"contacts": int, "still_open": int, "target_days": float})


def histogram_figures(histogram: pd.DataFrame, targets: pd.Series) -> pd.DataFrame:
    """Return per category: closed, median_days, p90_days, within_target and closed_too_fast from a histogram.

    `histogram` holds category, lower, upper, closed and closed_too_fast, buckets in order within a
    category; `targets` maps a category to its target in days. The ranks are those of the exact
    figures (the mean of the middle pair; the nearest-rank 90th percentile), each placed evenly
    within its bucket, so a figure is off by less than its bucket's width. Closes in a bucket
    holding the target count in proportion to the part of it up to the target.
    """
    rows = []
    for category, buckets in histogram.groupby("category", sort=False):
        closed = buckets["closed"].to_numpy()
        lower, upper = buckets["lower"].to_numpy(), buckets["upper"].to_numpy()
        cumulative = closed.cumsum()
        total = int(cumulative[-1])
        ranks = np.array([(total + 1) // 2, (total + 2) // 2, (9 * total + 9) // 10])
        at = np.searchsorted(cumulative, ranks)
        placed = (ranks - (cumulative[at] - closed[at]) - 0.5) / closed[at]
        values = lower[at] + placed * (upper[at] - lower[at])
        width = upper - lower
        target = targets.get(category, np.nan)
        up_to_target = np.clip((target - lower) / np.where(width > 0, width, 1), 0, 1)
        within = float((closed * np.where(width > 0, up_to_target, upper <= target)).sum())
        rows.append(
            (category, total, (values[0] + values[1]) / 2, values[2], within, int(buckets["closed_too_fast"].sum()))
        )
    columns = ["category", "closed", "median_days", "p90_days", "within_target", "closed_too_fast"]
    return pd.DataFrame(rows, columns=columns)


def service_performance(engine: sa.Engine, filters: Filters) -> pd.DataFrame:
    """Return per category: contacts, closed, median and 90th-percentile days, target and share met, oddities.

    `closed_too_fast` counts non-question contacts closed within five minutes; `still_open` those never closed.
    """
    with engine.connect() as connection:
        return performance_table(connection, filters, closing_histogram(connection, filters))


def performance_table(connection: sa.Connection, filters: Filters, histogram: pd.DataFrame) -> pd.DataFrame:
    """Return service_performance's table from the filter's days-to-close histogram (closing_histogram)."""
    counts = _contacts(connection, filters)
    figures = histogram_figures(histogram, counts.set_index("category")["target_days"])
    table = counts.merge(figures, on="category", how="left")
    table[["closed", "closed_too_fast"]] = table[["closed", "closed_too_fast"]].fillna(0).astype(int)
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
