"""Closure figures of a view from the closure roll-ups, counting the months not yet counted under the county's rules.

A month is counted from its contacts and those of the `later_report_months` after it (where its
reports again come from), flagged as voc.contacts.closure flags them, and kept in the roll-ups of
voc.store.closure_counts with the rules it was counted under; a write that could change it forgets it.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from voc.contacts.closure import (
    LATE_CLOSURE_DAYS,
    OPENING_COLUMNS,
    ClosureSummary,
    closure_flags,
    closure_rollups,
    rollup_by_category,
    rollup_summary,
)
from voc.contacts.performance import closing_histogram, histogram_figures, performance_table, with_closure
from voc.contacts.satisfaction import with_ratings
from voc.contacts.trends import Filters, rollup_conditions
from voc.core.config import ClosureRules
from voc.core.periods import month_range, month_runs, month_shift
from voc.store.closure import read_closure_contacts
from voc.store.closure_counts import (
    CATEGORY_TIMES,
    CLOSURE,
    COUNT_MEASURES,
    REOPENED_PLACES,
    TIMES,
    counted_under,
    replace_counts,
)
from voc.store.engine import data_version, data_version_in, write_transaction
from voc.store.models import MonthlyCount
from voc.store.query import read_frame

ROLLUP = MonthlyCount.__table__
# Months counted per read: with the months of later reports, a read of 11 months at most.
COUNT_BATCH_MONTHS = 6


def rules_key(rules: ClosureRules, timezone: str) -> str:
    """Name the rules and time zone closure roll-ups are counted under: a change of either counts them again."""
    return (
        f"again {rules.repeat_metres:g} m {rules.repeat_days:g} d; incident {rules.incident_metres:g} m "
        f"{rules.incident_hours:g} h; holidays {rules.holidays}; {timezone}"
    )


def later_report_months(rules: ClosureRules) -> int:
    """How many months after a contact's month a report of it again may be opened (see LATE_CLOSURE_DAYS)."""
    return math.ceil((LATE_CLOSURE_DAYS + rules.repeat_days) / 28)


def _count_months(engine: sa.Engine, months: list[str], *, rules: ClosureRules, timezone: str) -> None:
    """Count the closure roll-ups of consecutive `months` from the contacts, with the later reports they may have.

    Each month is remembered as reaching its own last month of later reports (the read reaches further for
    the batch's later months): a write to a month after that cannot change it. Recounted from the start if
    the store changed meanwhile, so a month is never kept counted from old data.
    """
    reached = {month: month_shift(month, later_report_months(rules)) for month in months}
    while True:
        version = data_version(engine)
        contacts = read_closure_contacts(engine, first_month=months[0], last_month=months[-1])
        later = read_closure_contacts(
            engine, first_month=month_shift(months[-1], 1), last_month=reached[months[-1]], columns=OPENING_COLUMNS
        )
        rollups = closure_rollups(
            with_ratings(engine, closure_flags(contacts, rules=rules, timezone=timezone, later=later))
        )
        with write_transaction(engine) as connection:
            if data_version_in(connection) == version:
                replace_counts(connection, months, rules=rules_key(rules, timezone), reached=reached, rollups=rollups)
                return


def count_months(engine: sa.Engine, filters: Filters, *, rules: ClosureRules, timezone: str) -> int:
    """Count the closure roll-ups of the filter's months that are not counted yet under these rules; return how many.

    Months are counted COUNT_BATCH_MONTHS at a time, each batch read with the months of later reports.
    """
    key = rules_key(rules, timezone)
    conditions = rollup_conditions(ROLLUP, Filters(filters.first_month, filters.last_month))
    with engine.connect() as connection:
        months = list(
            connection.execute(
                sa.select(ROLLUP.c.month).distinct().where(*conditions).order_by(ROLLUP.c.month)
            ).scalars()
        )
        counted = counted_under(connection, months)
    waiting = [month for month in months if counted.get(month) != key]
    for first, last in month_runs(waiting):
        run = month_range(first, last)
        for start in range(0, len(run), COUNT_BATCH_MONTHS):
            _count_months(engine, run[start : start + COUNT_BATCH_MONTHS], rules=rules, timezone=timezone)
    return len(waiting)


def _read_rollups(engine: sa.Engine, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum the closure roll-ups under the filter: counts per category, and contacts per category, measure and value."""
    sums = [sa.func.sum(CLOSURE.c[m]).label(m) for m in COUNT_MEASURES]
    counts_query = (
        sa.select(CLOSURE.c.category, *sums).where(*rollup_conditions(CLOSURE, filters)).group_by(CLOSURE.c.category)
    )
    # A view that filters no dimension beyond the category's reads the times already summed over the others.
    filtered = {dimension for dimension, values in filters.by_dimension().items() if values}
    times_table = CATEGORY_TIMES if filtered <= set(CATEGORY_TIMES.c.keys()) else TIMES
    keys = (times_table.c.category, times_table.c.measure, times_table.c.value)
    times_query = (
        sa.select(*keys, sa.func.sum(times_table.c.contacts).label("contacts"))
        .where(*rollup_conditions(times_table, filters))
        .group_by(*keys)
    )
    with engine.connect() as connection:
        counts = read_frame(connection, counts_query, dtypes=dict.fromkeys(COUNT_MEASURES, "int64"))
        times = read_frame(connection, times_query, dtypes={"value": float, "contacts": "int64"})
    return counts.sort_values("category", ignore_index=True), times


def _calendar_ranks(histogram: pd.DataFrame) -> tuple[float, float]:
    """The median and 90th percentile of calendar days to close, from the days-to-close histogram."""
    if histogram.empty:
        return math.nan, math.nan
    county = histogram.groupby(["lower", "upper"], as_index=False)[["closed", "closed_too_fast"]].sum()
    figures = histogram_figures(county.assign(category=""), pd.Series(dtype=float)).iloc[0]
    return float(figures["median_days"]), float(figures["p90_days"])


@dataclass(frozen=True)
class ClosureFigures:
    """What "closed" meant under a filter: the sums, and per category (CATEGORY_COLUMNS, by category name).

    by_category: incidents begun; reopened: contacts reopened; reopen_rate: their share of the contacts
    closed or reopened (0-1, NaN when none); business days: median and nearest-rank p90; acknowledged:
    contacts with an acknowledged time; acknowledge_median and _p90: their time to acknowledge in the
    unit of `summary` (one unit for the table), NaN in a category none of whose contacts was
    acknowledged; answers, satisfied_share, _low and _high: see voc.contacts.satisfaction.satisfaction_by.
    """

    summary: ClosureSummary
    by_category: pd.DataFrame


def closure_figures(engine: sa.Engine, filters: Filters, *, rules: ClosureRules, timezone: str) -> ClosureFigures:
    """Return what "closed" meant for the filter's contacts, counting the months not yet counted under these rules.

    Incidents are counted in the month and place of their first report; reports again after closure
    are looked for across district lines, up to `later_report_months` months on. Raises ValueError
    for a channel filter: the closure roll-ups, like service performance, keep no channel.
    """
    if filters.channels:
        raise ValueError("the closure roll-ups have no channel: report closure figures of every channel")
    return _figures_and_performance(engine, filters, rules=rules, timezone=timezone, performance=False)[0]


def service_report(
    engine: sa.Engine, filters: Filters, *, rules: ClosureRules, timezone: str
) -> tuple[ClosureFigures, pd.DataFrame]:
    """Return closure_figures and each category's service performance with its closure figures (Trends' panel).

    Both read the filter's days-to-close histogram (the county's calendar days and each category's): read once.
    """
    if filters.channels:
        raise ValueError("the closure roll-ups have no channel: report service performance of every channel")
    figures, table = _figures_and_performance(engine, filters, rules=rules, timezone=timezone, performance=True)
    return figures, with_closure(table, figures.by_category)


def _figures_and_performance(
    engine: sa.Engine, filters: Filters, *, rules: ClosureRules, timezone: str, performance: bool
) -> tuple[ClosureFigures, pd.DataFrame]:
    """Return the filter's closure figures and, when asked, its service performance (else an empty frame).

    The closure roll-ups are read in a thread of their own while this one reads the days-to-close
    histogram: the store answers both at once, its drivers letting go of the interpreter while they
    wait (Trends' service performance at 5,000,000 contacts: 0.29 s -> 0.19 s).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="closure-rollups") as pool:
        closure = pool.submit(_counted_rollups, engine, filters, rules=rules, timezone=timezone)
        with engine.connect() as connection:
            histogram = closing_histogram(connection, filters)
            table = performance_table(connection, filters, histogram) if performance else pd.DataFrame()
        counts, times = closure.result()
    summary = rollup_summary(counts, times, _calendar_ranks(histogram))
    return ClosureFigures(summary, rollup_by_category(counts, times)), table


def _counted_rollups(
    engine: sa.Engine, filters: Filters, *, rules: ClosureRules, timezone: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    count_months(engine, filters, rules=rules, timezone=timezone)
    return _read_rollups(engine, filters)


def reopened_counts(
    engine: sa.Engine, categories: list[str], first_month: str, last_month: str, *, rules: ClosureRules, timezone: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Return the categories' contacts reopened after closure in the months: those located, by category and point
    (category, district_code, latitude, longitude, reopened), and all of them by category and district code
    ("" for unknown), a Series indexed by both."""
    filters = Filters(first_month, last_month, categories=tuple(categories))
    count_months(engine, filters, rules=rules, timezone=timezone)
    keys = (
        REOPENED_PLACES.c.category, REOPENED_PLACES.c.district_code, REOPENED_PLACES.c.latitude,
        REOPENED_PLACES.c.longitude,
    )  # fmt: skip
    places = (
        sa.select(*keys, sa.func.sum(REOPENED_PLACES.c.reopened).label("reopened"))
        .where(*rollup_conditions(REOPENED_PLACES, filters))
        .group_by(*keys)
    )
    district_keys = (CLOSURE.c.category, CLOSURE.c.district_code)
    districts = (
        sa.select(*district_keys, sa.func.sum(CLOSURE.c.reopened).label("reopened"))
        .where(*rollup_conditions(CLOSURE, filters))
        .group_by(*district_keys)
    )
    with engine.connect() as connection:
        located = read_frame(connection, places, dtypes={"latitude": float, "longitude": float, "reopened": "int64"})
        by_district = read_frame(connection, districts, dtypes={"reopened": "int64"})
    return located, by_district.set_index(["category", "district_code"])["reopened"]
