"""Trend figures from the roll-ups: series by month or week, rates per resident, year over year, drill-down."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from voc.contacts.actions import action_effect
from voc.contacts.alert_text import district_name
from voc.contacts.alerts import AlertSettings, detect_emerging
from voc.contacts.forecast import forecast
from voc.contacts.issues import ISSUE_COLUMNS, group_issues
from voc.contacts.textmine import frequent_terms, rising_terms
from voc.core.periods import month_range, month_shift
from voc.store.models import District, MonthlyCount, ServiceRequest, WeeklyCount
from voc.store.query import read_frame

ROLLUP = MonthlyCount.__table__
WEEKLY = WeeklyCount.__table__
REQUESTS = ServiceRequest.__table__
DISTRICTS = District.__table__
DIMENSIONS = ("category", "department", "district_code", "channel", "contact_type")
UNKNOWN = "(unknown)"
DRILL_COLUMNS = (
    "source_id", "opened_at", "closed_at", "category", "request_type", "department", "contact_type", "channel",
    "status", "district_code", "address", "description",
)  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """What a trend view shows: a month range and, per dimension, the values kept (empty keeps all)."""

    first_month: str | None = None
    last_month: str | None = None
    categories: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    contact_types: tuple[str, ...] = ()

    def by_dimension(self) -> dict[str, tuple[str, ...]]:
        return {
            "category": self.categories,
            "department": self.departments,
            "district_code": self.districts,
            "channel": self.channels,
            "contact_type": self.contact_types,
        }


def dimension_conditions(table: sa.Table, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """Return the WHERE conditions of a filter's dimensions on a table that has those columns."""
    return [table.c[dimension].in_(values) for dimension, values in filters.by_dimension().items() if values]


def request_conditions(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """Return the WHERE conditions of a filter on the stored contacts: dimensions and month range.

    A range's months are listed, not bounded: SQLite then seeks (month, category) in its index month by month,
    where with bounds it read every contact of the months to find a category's (at 5M, 1.5 s against 0.04 s).
    """
    conditions = dimension_conditions(REQUESTS, filters)
    if filters.first_month and filters.last_month:
        conditions.append(REQUESTS.c.opened_month.in_(month_range(filters.first_month, filters.last_month)))
    elif filters.first_month:
        conditions.append(REQUESTS.c.opened_month >= filters.first_month)
    elif filters.last_month:
        conditions.append(REQUESTS.c.opened_month <= filters.last_month)
    return conditions


def rollup_conditions(table: sa.Table, filters: Filters, period: str = "month") -> list[sa.ColumnElement[bool]]:
    """Return the WHERE conditions of a filter on a roll-up keyed by `month` (or `week`) and the filtered dimensions."""
    conditions = dimension_conditions(table, filters)
    if period == "month":
        if filters.first_month:
            conditions.append(table.c.month >= filters.first_month)
        if filters.last_month:
            conditions.append(table.c.month <= filters.last_month)
    else:
        if filters.first_month:
            conditions.append(table.c.week >= f"{filters.first_month}-01")
        if filters.last_month:
            conditions.append(table.c.week < f"{month_shift(filters.last_month, 1)}-01")
    return conditions


def series(engine: sa.Engine, filters: Filters, *, by: str | None = None, period: str = "month") -> pd.DataFrame:
    """Return contacts per period (column `period`), split by a dimension (column `group`) or not.

    Periods without contacts are present with 0 for monthly series inside the filter's range.
    """
    table = ROLLUP if period == "month" else WEEKLY
    key = table.c[period].label("period")
    group = (
        sa.func.coalesce(sa.func.nullif(table.c[by], ""), UNKNOWN).label("group")
        if by
        else sa.literal("All contacts").label("group")
    )
    query = (
        sa.select(key, group, sa.func.sum(table.c.contacts).label("contacts"))
        .where(*rollup_conditions(table, filters, period))
        .group_by(key, group)
        .order_by(key)
    )
    frame = read_frame(engine, query, dtypes={"contacts": int})
    if period == "month" and not frame.empty:
        frame = _fill_months(frame, filters)
    return frame


def _fill_months(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    first = filters.first_month or frame["period"].min()
    last = filters.last_month or frame["period"].max()
    full = pd.MultiIndex.from_product([month_range(first, last), frame["group"].unique()], names=["period", "group"])
    filled = frame.set_index(["period", "group"]).reindex(full, fill_value=0).reset_index()
    return filled


def top_groups(frame: pd.DataFrame, *, keep: int = 7, other: str = "Other") -> pd.DataFrame:
    """Keep the `keep` largest groups of a series and sum the rest as `other`, so a chart stays legible."""
    totals = frame.groupby("group")["contacts"].sum().sort_values(ascending=False)
    if len(totals) <= keep + 1:
        return frame
    kept = set(totals.index[:keep])
    lumped = frame.assign(group=frame["group"].where(frame["group"].isin(kept), other))
    return lumped.groupby(["period", "group"], as_index=False, sort=False)["contacts"].sum()


def groups_by_size(frame: pd.DataFrame) -> list[str]:
    """Return the groups of a series (see `series`) by their total contacts, largest first."""
    return frame.groupby("group")["contacts"].sum().sort_values(ascending=False).index.tolist()


def forecast_fits(filters: Filters, *, by: str | None, period: str, per_1000: bool, latest: str | None) -> bool:
    """Tell whether a view can carry the category forecast: county-wide monthly counts by category to `latest`."""
    county_wide = not (filters.districts or filters.channels or filters.contact_types)
    return by == "category" and period == "month" and not per_1000 and county_wide and filters.last_month == latest


def populations(engine: sa.Engine) -> dict[str, int]:
    """Return each district's population (districts without one are left out)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(DISTRICTS.c.code, DISTRICTS.c.population)).all()
    return {code: int(population) for code, population in rows if population}


def per_thousand(
    frame: pd.DataFrame, populations: dict[str, int], *, by: str | None, districts: tuple[str, ...]
) -> pd.DataFrame:
    """Add `per_1000`: contacts per 1,000 residents of the district (when split by district) or of the area shown.

    Rows whose population is unknown get NaN rather than a made-up rate.
    """
    if by == "district_code":
        population = frame["group"].map(populations)
    else:
        area = [code for code in (districts or populations) if code in populations]
        total = sum(populations[code] for code in area)
        population = pd.Series(total or float("nan"), index=frame.index)
    return frame.assign(per_1000=frame["contacts"] / population * 1000)


def year_over_year(monthly: pd.DataFrame) -> pd.DataFrame:
    """Reshape a monthly series (period, contacts) into year, month number and contacts, one line per year."""
    totals = monthly.groupby("period", as_index=False)["contacts"].sum()
    return pd.DataFrame(
        {
            "year": totals["period"].str.slice(0, 4),
            "month_number": totals["period"].str.slice(5, 7).astype(int),
            "contacts": totals["contacts"],
        }
    )


def shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Add each group's share of its period's contacts (the channel mix over time)."""
    totals = frame.groupby("period")["contacts"].transform("sum")
    return frame.assign(share=frame["contacts"] / totals.where(totals > 0))


def records(
    engine: sa.Engine,
    filters: Filters,
    *,
    month: str | None = None,
    by: str | None = None,
    group: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Return up to `limit` contacts behind a chart point, newest first (the drill-down)."""
    if month:
        conditions = [*dimension_conditions(REQUESTS, filters), REQUESTS.c.opened_month == month]
    else:
        conditions = request_conditions(filters)
    if by and group is not None:
        conditions.append(REQUESTS.c[by].is_(None) if group == UNKNOWN else REQUESTS.c[by] == group)
    query = (
        sa.select(*(REQUESTS.c[name] for name in DRILL_COLUMNS))
        .where(*conditions)
        .order_by(REQUESTS.c.opened_at.desc())
        .limit(limit)
    )
    return read_frame(engine, query)


def filter_choices(engine: sa.Engine) -> dict[str, list[str]]:
    """Return the values each filter can take, and the months the store covers (key "month")."""
    # One pass over the roll-up for the combinations of every dimension, rather than one per dimension
    # (at 5,000,000 contacts 0.03 s instead of 0.06 s); the months come from its key.
    combinations = sa.select(*(ROLLUP.c[dimension] for dimension in DIMENSIONS)).distinct()
    with engine.connect() as connection:
        found = connection.execute(combinations).all()
        months = connection.execute(sa.select(ROLLUP.c.month).distinct().order_by(ROLLUP.c.month)).scalars().all()
    choices = {dimension: sorted({row[place] for row in found} - {""}) for place, dimension in enumerate(DIMENSIONS)}
    return {**choices, "month": [month for month in months if month]}


def category_district_counts(engine: sa.Engine, *, last_month: str | None = None) -> pd.DataFrame:
    """Return monthly contacts by category and district (columns month, category, district_code, contacts)."""
    query = (
        sa.select(
            ROLLUP.c.month, ROLLUP.c.category, ROLLUP.c.district_code, sa.func.sum(ROLLUP.c.contacts).label("contacts")
        )
        .where(ROLLUP.c.category != "", *([ROLLUP.c.month <= last_month] if last_month else []))
        .group_by(ROLLUP.c.month, ROLLUP.c.category, ROLLUP.c.district_code)
    )
    return read_frame(engine, query, dtypes={"contacts": int})


def district_names(engine: sa.Engine) -> dict[str, str]:
    """Return each district's display name by code."""
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(DISTRICTS.c.code, DISTRICTS.c.name)).all())


def series_names(groups: list[str], by: str | None, labels: Mapping[str, str]) -> dict[str, str]:
    """Return each series' name for a legend: a district's name by its code ('District 3' without one)."""
    if by != "district_code":
        return {group: group for group in groups}
    return {group: group if group == UNKNOWN else district_name(group, labels) for group in groups}


def category_departments(engine: sa.Engine) -> dict[str, str]:
    """Return each category's department (the one most of its contacts carry)."""
    query = (
        sa.select(ROLLUP.c.category, ROLLUP.c.department, sa.func.sum(ROLLUP.c.contacts).label("contacts"))
        .where(ROLLUP.c.category != "", ROLLUP.c.department != "")
        .group_by(ROLLUP.c.category, ROLLUP.c.department)
    )
    frame = read_frame(engine, query)
    largest = frame.sort_values("contacts", kind="stable").drop_duplicates("category", keep="last")
    return dict(zip(largest["category"], largest["department"], strict=True))


@dataclass(frozen=True)
class EmergingReport:
    """The detection's rows (voc.contacts.alerts; flagged rows carry their issue_id) and the issues they form."""

    rows: pd.DataFrame
    issues: pd.DataFrame


def emerging_report(engine: sa.Engine, *, month: str, settings: AlertSettings | None = None) -> EmergingReport:
    """Run the emerging-issue detection for a month on the stored roll-up and group its flags into issues."""
    counts = category_district_counts(engine, last_month=month)
    if counts.empty:
        return EmergingReport(rows=counts, issues=pd.DataFrame(columns=ISSUE_COLUMNS))
    labels = district_names(engine)
    rows = detect_emerging(counts, month=month, settings=settings or AlertSettings(), labels=labels)
    issues = group_issues(rows, counts, month=month, labels=labels, departments=category_departments(engine))
    ids = rows["category"].map(dict(zip(issues["category"], issues["issue_id"], strict=True)))
    return EmergingReport(rows=rows.assign(issue_id=ids.where(rows["flagged"].astype(bool), None)), issues=issues)


def category_forecast(
    engine: sa.Engine, *, last_month: str, categories: tuple[str, ...], horizon: int = 3
) -> pd.DataFrame:
    """Forecast the given categories' county-wide contacts after last_month (see voc.contacts.forecast)."""
    counts = category_district_counts(engine, last_month=last_month)
    counts = counts[counts["category"].isin(categories)]
    if counts.empty:
        return pd.DataFrame(columns=["category", "month", "forecast", "lower", "upper", "method"])
    return forecast(counts, last_month=last_month, horizon=horizon)


DESCRIPTIONS_READ = 5_000


@dataclass(frozen=True)
class Descriptions:
    """The descriptions read of a category's months: all of them, or every `every`-th contact's."""

    texts: pd.Series
    contacts: int  # the category's contacts in those months, from the roll-up
    every: int  # 1 when every description was read

    @property
    def sentence(self) -> str:
        """Say what the shares are of, for a caption under the terms."""
        read = f"{len(self.texts):,} description{'' if len(self.texts) == 1 else 's'}"
        if self.every == 1:
            return f"Shares of the {read} written by residents in these months ({self.contacts:,} contacts)."
        # The widest 95% interval a share of n texts drawn at random can have: at 50%, 1.96 x 0.5 / sqrt(n).
        margin = 98 / math.sqrt(max(len(self.texts), 1))
        return (
            f"Shares of {read}: an even sample, one contact in every {self.every} of the {self.contacts:,} of these "
            f"months, so a share is within {margin:.1f} points of what reading them all would give (95%)."
        )


def descriptions(
    engine: sa.Engine,
    *,
    category: str,
    first_month: str,
    last_month: str,
    district: str | None = None,
    about: int = DESCRIPTIONS_READ,
) -> Descriptions:
    """Return the free-text descriptions of a category over a span of months, or an even sample of about `about`.

    The sample is every k-th contact by id (k from the roll-up's count), so it spreads over the whole span
    and every import in it; terms read from it are to be shown as shares, not counts.
    """
    filters = Filters(first_month, last_month, categories=(category,), districts=(district,) if district else ())
    conditions = request_conditions(filters)
    with engine.connect() as connection:
        contacts = int(connection.execute(sa.select(sa.func.coalesce(sa.func.sum(ROLLUP.c.contacts), 0))
                                          .where(*rollup_conditions(ROLLUP, filters))).scalar_one())  # fmt: skip
        every = max(1, -(-contacts // about))
        if every > 1:
            conditions.append(REQUESTS.c.id % every == 0)
        query = sa.select(REQUESTS.c.description).where(*conditions, REQUESTS.c.description.is_not(None))
        texts = pd.Series(connection.execute(query).scalars().all(), dtype="str")
    return Descriptions(texts, contacts, every)


@dataclass(frozen=True)
class DescriptionTerms:
    """What residents write about a category: the frequent terms of three months and those rising on a year before."""

    frequent: pd.DataFrame  # term, share (of the descriptions read with at least one word)
    rising: pd.DataFrame  # term, current_share, previous_share, status; empty when nothing rose
    read: Descriptions  # the three months' descriptions the shares are of


def description_terms(engine: sa.Engine, *, category: str, month: str, district: str | None = None) -> DescriptionTerms:
    """Return the most frequent terms of a category's three months to `month`, and those rising on a year before.

    Both are shares of the descriptions read (see `descriptions`: an even sample in large months), so they
    do not depend on how many were read. `district` None reads the whole county.
    """
    first = month_shift(month, -2)
    recent = descriptions(engine, category=category, first_month=first, last_month=month, district=district)
    before = descriptions(
        engine, category=category, first_month=month_shift(first, -12), last_month=month_shift(month, -12),
        district=district,
    )  # fmt: skip
    if not len(recent.texts):
        return DescriptionTerms(pd.DataFrame(columns=["term", "share"]), pd.DataFrame(), recent)
    rising = rising_terms(recent.texts, before.texts)[["term", "current_share", "previous_share", "status"]]
    return DescriptionTerms(frequent_terms(recent.texts)[["term", "share"]], rising, recent)


def action_effects(engine: sa.Engine, actions: pd.DataFrame, *, last_month: str) -> pd.DataFrame:
    """Judge each action with a category against its series' seasonal history, up to last_month."""
    counts = category_district_counts(engine, last_month=last_month)
    rows = []
    for action in actions.itertuples(index=False):
        if not action.category:
            continue
        chosen = counts[counts["category"] == action.category]
        if action.district_code:
            chosen = chosen[chosen["district_code"] == action.district_code]
        monthly = chosen.groupby("month")["contacts"].sum()
        where = f" in District {action.district_code}" if action.district_code else ""
        month = f"{action.action_date:%Y-%m}"
        effect = action_effect(monthly, month, subject=f"{action.category}{where}") if len(monthly) else None
        rows.append(
            {
                "action": action.description,
                "date": action.action_date,
                "effect": effect.sentence if effect else "No complete month since the action yet.",
            }
        )
    return pd.DataFrame(rows, columns=["action", "date", "effect"])
