"""Closed is not fixed: reopened contacts, time to acknowledge and to close, and reports grouped into incidents.

A contact is reopened when its status says the CRM reopened it, or when the problem was reported
again: a contact of the same category opened within `repeat_metres` of it and within `repeat_days`
after it was closed, whatever the channel. Questions are neither reported again nor reports again:
answering one fixes nothing on the ground. Contacts of one category within `incident_metres` and
`incident_hours` of one another, linked in a chain, are one incident: several residents reporting
one pothole. Distances need coordinates: a contact without them is never a repeat and is an
incident of its own. Time to acknowledge (assigned, first answered) is counted only over the
contacts whose export says when: in clock hours when most were acknowledged within a day, else in
business days; never as 0 for contacts nobody acknowledged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import holidays as holiday_calendars
import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from voc.contacts.mapdata import month_span
from voc.contacts.overview import Metric
from voc.contacts.satisfaction import (
    SATISFACTION_COLUMNS,
    Satisfaction,
    reopened_against_rest,
    satisfaction_by,
    satisfaction_metric,
    satisfaction_of,
    with_ratings,
)
from voc.contacts.trends import Filters
from voc.core.config import ClosureRules
from voc.core.errors import VocError
from voc.core.periods import month_shift
from voc.store.closure import CLOSURE_COLUMNS, read_closure_contacts

# A status such as "Reopened", "Re-opened" or "REOPEN": the CRM itself reopened the contact.
REOPENED_STATUS = r"(?i)\bre-?open"
METRES_PER_DEGREE = math.pi * 6_371_008.8 / 180
# Reports after closure are looked for this many months past the range besides `repeat_days`: contacts
# closed later than that are rare, and reading further would grow every view's read.
LATE_CLOSURE_MONTHS = 3
FLAG_COLUMNS = [
    "reopened_status", "reported_again", "reopened", "incident", "business_days", "hours_to_acknowledge",
    "business_days_to_acknowledge",
]  # fmt: skip
CATEGORY_COLUMNS = [
    "category", "incidents", "reopened", "reopen_rate", "business_median_days", "business_p90_days", "acknowledged",
    "acknowledge_median", "acknowledge_p90", *SATISFACTION_COLUMNS,
]  # fmt: skip
HOURS, BUSINESS_DAYS = "hours", "business days"
# Time to acknowledge is told in hours while at least half of the acknowledged contacts took under a day.
HOURS_UNTIL = 24.0


@dataclass(frozen=True)
class ClosureSummary:
    """Closure figures of a set of contacts; rates are 0-1 and NaN when nothing was closed."""

    contacts: int
    incidents: int
    closed: int
    closed_or_reopened: int
    reopened: int
    reopened_status: int
    reported_again: int
    reopen_rate: float
    median_days: float
    p90_days: float
    business_median_days: float
    business_p90_days: float
    acknowledged: int
    acknowledge_unit: str  # HOURS or BUSINESS_DAYS: see `acknowledge_unit`
    acknowledge_median: float  # in acknowledge_unit; NaN when none was acknowledged
    acknowledge_p90: float
    satisfaction: Satisfaction  # rated after closure: see voc.contacts.satisfaction
    satisfaction_reopened: Satisfaction
    satisfaction_not_reopened: Satisfaction


def holiday_dates(spec: str, years: Iterable[int]) -> np.ndarray:
    """Return the county's holidays (observed days included) in the years, from a spec such as "US" or "US-MD".

    Raises VocError when the holidays package knows no such country or subdivision.
    """
    country, _, subdivision = spec.strip().upper().partition("-")
    try:
        days = holiday_calendars.country_holidays(country, subdiv=subdivision or None, years=list(years))
    except NotImplementedError as error:
        raise VocError(
            f"VOC_HOLIDAYS={spec!r} names no holiday calendar voc knows ({error}). Use a country code such as US, "
            "or a country and state such as US-MD."
        ) from error
    return np.array(sorted(days), dtype="datetime64[D]")


def business_days(opened: pd.Series, closed: pd.Series, *, timezone: str, holidays: np.ndarray) -> pd.Series:
    """Return the whole business days each contact took to close (or to be acknowledged), NaN until it was.

    Counted on the county's calendar: the weekdays that are not holidays from the day it was
    opened up to, not including, the day it was closed. Closed the day it was opened: 0; opened
    on a Friday and closed on the Monday: 1; opened on a Saturday and closed on the Monday: 0.
    """
    days = pd.Series(np.nan, index=opened.index)
    done = closed.notna().to_numpy()
    if done.any():
        start, end = (
            times[done].dt.tz_convert(timezone).dt.tz_localize(None).to_numpy().astype("datetime64[D]")
            for times in (opened, closed)
        )
        days[done] = np.busday_count(start, end, holidays=holidays)
    return days


def _planar(latitude: np.ndarray, longitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project degrees to metres around the points' median latitude: under 1% off across a county.

    The median, not the mean: a few bogus geocodes far away (Kansas City's in New Mexico) must not move it.
    """
    scale = math.cos(math.radians(float(np.nanmedian(latitude)))) if latitude.size else 1.0
    return longitude * METRES_PER_DEGREE * scale, latitude * METRES_PER_DEGREE


def _located(
    contacts: pd.DataFrame, *, without_questions: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the rows with coordinates, their category codes spread apart, and their x and y in metres."""
    kept = contacts["latitude"].notna() & contacts["longitude"].notna()
    if without_questions:
        kept &= contacts["contact_type"].ne("question")
    rows = np.flatnonzero(kept.to_numpy())
    codes = pd.factorize(contacts["category"])[0][rows].astype(float) * 4
    x, y = _planar(contacts["latitude"].to_numpy(float)[rows], contacts["longitude"].to_numpy(float)[rows])
    return rows, codes, x, y


def _seconds(times: pd.Series) -> np.ndarray:
    return (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


def reported_again(contacts: pd.DataFrame, *, metres: float, days: float) -> pd.Series:
    """Tell which closed contacts had a contact of their category opened within `metres` and `days` after closing.

    A k-d tree over (category, x, y, time) finds the candidate pairs in a box; the exact distance
    and the window (after the closure, at most `days`) are then checked on those pairs only.
    """
    flagged = pd.Series(False, index=contacts.index)
    rows, codes, x, y = _located(contacts, without_questions=True)
    if rows.size == 0 or metres <= 0 or days <= 0:
        return flagged
    half = days * 86400 / 2
    closed_at, opened_at = _seconds(contacts["closed_at"])[rows], _seconds(contacts["opened_at"])[rows]
    closed = np.flatnonzero(~np.isnan(closed_at))
    # Each closure's window (closed, closed + days] centred on one point, so that a box of radius 1 covers it.
    windows = cKDTree(np.column_stack([codes, x / metres, y / metres, (closed_at + half) / half])[closed])
    openings = cKDTree(np.column_stack([codes, x / metres, y / metres, opened_at / half]))
    pairs = windows.sparse_distance_matrix(openings, 1.0, p=np.inf, output_type="ndarray")
    first, later = closed[pairs["i"]], pairs["j"]
    after = opened_at[later] - closed_at[first]
    near = np.hypot(x[later] - x[first], y[later] - y[first]) <= metres
    hit = near & (after > 0) & (after <= days * 86400)
    flagged.iloc[rows[np.unique(first[hit])]] = True
    return flagged


def incident_ids(contacts: pd.DataFrame, *, metres: float, hours: float) -> pd.Series:
    """Number the incidents: contacts of one category within `metres` and `hours` of another share a number.

    Linked in a chain (single linkage), so three reports along a block an hour apart are one
    incident. Numbers run from 0 in no meaningful order; the index is the contacts'.
    """
    n = len(contacts)
    if n == 0:
        return pd.Series(np.zeros(0, dtype=int), index=contacts.index)
    rows, codes, x, y = _located(contacts)
    edges = np.empty((0, 2), dtype=np.intp)
    if rows.size > 1 and metres > 0 and hours > 0:
        opened_at = _seconds(contacts["opened_at"])[rows]
        tree = cKDTree(np.column_stack([codes, x / metres, y / metres, opened_at / (hours * 3600)]))
        candidates = tree.query_pairs(1.0, p=np.inf, output_type="ndarray")
        a, b = candidates[:, 0], candidates[:, 1]
        edges = candidates[np.hypot(x[a] - x[b], y[a] - y[b]) <= metres]
    graph = coo_array((np.ones(len(edges)), (rows[edges[:, 0]], rows[edges[:, 1]])), shape=(n, n))
    return pd.Series(connected_components(graph, directed=False)[1], index=contacts.index)


def reopen_flags(contacts: pd.DataFrame, *, rules: ClosureRules) -> pd.DataFrame:
    """Return the contacts with reopened_status (the status says so), reported_again and reopened (either)."""
    flagged = contacts.copy()
    flagged["reopened_status"] = contacts["status"].fillna("").astype(str).str.contains(REOPENED_STATUS)
    flagged["reported_again"] = reported_again(contacts, metres=rules.repeat_metres, days=rules.repeat_days)
    flagged["reopened"] = flagged["reopened_status"] | flagged["reported_again"]
    return flagged


def closure_flags(contacts: pd.DataFrame, *, rules: ClosureRules, timezone: str) -> pd.DataFrame:
    """Return the contacts (see voc.store.closure.CLOSURE_COLUMNS) with FLAG_COLUMNS added.

    reopened_status, reported_again, reopened: see `reopen_flags`; incident: see `incident_ids`;
    business_days and business_days_to_acknowledge: see `business_days`; hours_to_acknowledge:
    clock hours from opening to acknowledgement, NaN when not acknowledged (0 when acknowledged on
    the opening day without a time).
    """
    flagged = reopen_flags(contacts, rules=rules)
    flagged["incident"] = incident_ids(contacts, metres=rules.incident_metres, hours=rules.incident_hours)
    ends = ("closed_at", "acknowledged_at")
    years = pd.concat([contacts[c] for c in ("opened_at", *ends)]).dropna().dt.tz_convert(timezone).dt.year
    calendar = holiday_dates(rules.holidays, range(years.min(), years.max() + 1)) if len(years) else np.array([])
    for end, column in zip(ends, ("business_days", "business_days_to_acknowledge"), strict=True):
        flagged[column] = business_days(
            contacts["opened_at"], contacts[end], timezone=timezone, holidays=calendar.astype("datetime64[D]")
        )
    waited = (contacts["acknowledged_at"] - contacts["opened_at"]).dt.total_seconds() / 3600
    flagged["hours_to_acknowledge"] = waited.clip(lower=0)
    return flagged


def _with_later_reports(
    engine: sa.Engine, filters: Filters, rules: ClosureRules
) -> tuple[pd.DataFrame, tuple[str, str]] | None:
    """Read the filter's contacts and those opened up to the reach of a report after closure; None without contacts.

    Later reports come from contacts opened up to `repeat_days` plus LATE_CLOSURE_MONTHS months
    after the range, across channels and types, in the filter's districts: a report just across a
    district line is not counted, which keeps a district's read to its own contacts.
    """
    with engine.connect() as connection:
        span = month_span(connection, filters)
    if span is None:
        return None
    reach = month_shift(span[1], math.ceil(rules.repeat_days / 28) + LATE_CLOSURE_MONTHS)
    read = read_closure_contacts(
        engine, first_month=span[0], last_month=reach, categories=filters.categories,
        departments=filters.departments, districts=filters.districts,
    )  # fmt: skip
    return read, span


def _kept(flagged: pd.DataFrame, filters: Filters, span: tuple[str, str]) -> pd.DataFrame:
    keep = flagged["opened_month"].between(*span)
    for dimension, values in filters.by_dimension().items():
        if values:
            keep &= flagged[dimension].isin(values)
    return flagged[keep].reset_index(drop=True)


def closure_contacts(engine: sa.Engine, filters: Filters, *, rules: ClosureRules, timezone: str) -> pd.DataFrame:
    """Return the contacts the filter keeps, flagged as in `closure_flags`; empty without contacts.

    Repeats and incidents are looked for as `_with_later_reports` reads them.
    """
    read = _with_later_reports(engine, filters, rules)
    if read is None:
        return pd.DataFrame(columns=[*CLOSURE_COLUMNS, *FLAG_COLUMNS, "satisfied"])
    return with_ratings(engine, _kept(closure_flags(read[0], rules=rules, timezone=timezone), filters, read[1]))


def reopened_contacts(engine: sa.Engine, filters: Filters, *, rules: ClosureRules) -> pd.DataFrame:
    """Return the contacts the filter keeps, flagged as in `reopen_flags`; empty without contacts."""
    read = _with_later_reports(engine, filters, rules)
    if read is None:
        return pd.DataFrame(columns=[*CLOSURE_COLUMNS, "reopened_status", "reported_again", "reopened"])
    return _kept(reopen_flags(read[0], rules=rules), filters, read[1])


def _nearest_rank(values: pd.Series, share: float) -> float:
    """The nearest-rank percentile, as service performance reports it; NaN without values."""
    kept = values.dropna().to_numpy()
    return float(np.quantile(kept, share, method="inverted_cdf")) if kept.size else math.nan


def _median(values: pd.Series) -> float:
    kept = values.dropna()
    return float(kept.median()) if len(kept) else math.nan


def _could_reopen(flags: pd.DataFrame) -> pd.Series:
    """Closed, or reopened by the CRM (and so perhaps open again): the contacts a reopen rate is a share of."""
    return flags["closed_at"].notna() | flags["reopened_status"]


def acknowledge_unit(flags: pd.DataFrame) -> str:
    """Tell the unit time to acknowledge reads best in: HOURS while half or more took under a day, else BUSINESS_DAYS.

    Hours also when nothing was acknowledged: there is then no figure to give a unit to.
    """
    median = _median(flags["hours_to_acknowledge"])
    return BUSINESS_DAYS if median >= HOURS_UNTIL else HOURS


def _acknowledge_times(flags: pd.DataFrame, unit: str) -> pd.Series:
    return flags["hours_to_acknowledge" if unit == HOURS else "business_days_to_acknowledge"]


def _rated(flags: pd.DataFrame) -> pd.DataFrame:
    """Flags with `satisfied` (see voc.contacts.satisfaction.with_ratings), all NaN when ratings were not read."""
    return flags if "satisfied" in flags else flags.assign(satisfied=np.nan)


def closure_summary(flags: pd.DataFrame) -> ClosureSummary:
    """Sum up flagged contacts (see `closure_flags`): incidents, reopen rate, days to close, time to acknowledge,
    and satisfaction after closure where `flags` holds ratings (see `closure_contacts`).

    Time to acknowledge is in the unit `acknowledge_unit` chooses, over the acknowledged contacts only.
    """
    flags = _rated(flags)
    reopened_rating, rest_rating = reopened_against_rest(flags)
    could = int(_could_reopen(flags).sum())
    reopened = int(flags["reopened"].sum())
    unit = acknowledge_unit(flags)
    acknowledge = _acknowledge_times(flags, unit)
    return ClosureSummary(
        contacts=len(flags),
        incidents=int(flags["incident"].nunique()),
        closed=int(flags["closed_at"].notna().sum()),
        closed_or_reopened=could,
        reopened=reopened,
        reopened_status=int(flags["reopened_status"].sum()),
        reported_again=int(flags["reported_again"].sum()),
        reopen_rate=reopened / could if could else math.nan,
        median_days=_median(flags["days_to_close"]),
        p90_days=_nearest_rank(flags["days_to_close"], 0.9),
        business_median_days=_median(flags["business_days"]),
        business_p90_days=_nearest_rank(flags["business_days"], 0.9),
        acknowledged=int(flags["hours_to_acknowledge"].notna().sum()),
        acknowledge_unit=unit,
        acknowledge_median=_median(acknowledge),
        acknowledge_p90=_nearest_rank(acknowledge, 0.9),
        satisfaction=satisfaction_of(flags["satisfied"]),
        satisfaction_reopened=reopened_rating,
        satisfaction_not_reopened=rest_rating,
    )


def closure_by_category(flags: pd.DataFrame) -> pd.DataFrame:
    """Return CATEGORY_COLUMNS per category of flagged contacts, by category name.

    incidents: distinct incidents; reopened: contacts reopened; reopen_rate: their share of the
    contacts closed or reopened (0-1, NaN when none); business days: median and nearest-rank p90;
    acknowledged: contacts with an acknowledged time; acknowledge_median and _p90: their time to
    acknowledge in the unit `acknowledge_unit` chooses for all `flags` (one unit for the table),
    NaN in a category none of whose contacts was acknowledged; answers, satisfied_share, _low and _high:
    see voc.contacts.satisfaction.satisfaction_by.
    """
    flags = _rated(flags)
    acknowledge = _acknowledge_times(flags, acknowledge_unit(flags))
    groups = flags.assign(could=_could_reopen(flags), acknowledge=acknowledge).groupby("category", sort=True)
    table = pd.DataFrame({
        "incidents": groups["incident"].nunique(),
        "reopened": groups["reopened"].sum().astype(int),
        "could": groups["could"].sum(),
        "business_median_days": groups["business_days"].agg(_median),
        "business_p90_days": groups["business_days"].agg(lambda days: _nearest_rank(days, 0.9)),
        "acknowledged": groups["acknowledge"].count(),
        "acknowledge_median": groups["acknowledge"].agg(_median),
        "acknowledge_p90": groups["acknowledge"].agg(lambda times: _nearest_rank(times, 0.9)),
    })  # fmt: skip
    table["reopen_rate"] = table["reopened"] / table["could"].where(table["could"] > 0)
    table = table.join(satisfaction_by(flags, "category"))
    return table.reset_index().reindex(columns=CATEGORY_COLUMNS)


def _days(value: float) -> str:
    """Days as a card shows them: whole days bare, others to a tenth; a dash when nothing was closed."""
    if math.isnan(value):
        return "–"
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def acknowledge_time(value: float, unit: str) -> str:
    """A time to acknowledge as a reader says it: "12 min", "3.5 hours", "2 business days"; a dash for NaN."""
    if math.isnan(value):
        return "–"
    if unit == BUSINESS_DAYS:
        return f"{_days(value)} business day{'' if value == 1 else 's'}"
    if value < 1:
        return f"{value * 60:.0f} min"
    return f"{value:.1f} hours" if value < 10 else f"{value:.0f} hours"


def _acknowledge_metric(summary: ClosureSummary) -> Metric:
    if not summary.acknowledged:
        return Metric(
            "Median to acknowledge", "–", "no acknowledged times",
            "The exports of these contacts do not say when the county acknowledged them (assigned or answered).",
            delta_is_change=False,
        )  # fmt: skip
    unit = summary.acknowledge_unit
    counted = "Clock hours" if unit == HOURS else "Business days (weekends and the county's holidays left out)"
    return Metric(
        "Median to acknowledge",
        acknowledge_time(summary.acknowledge_median, unit),
        f"90% within {acknowledge_time(summary.acknowledge_p90, unit)}",
        f"{counted} from opening to the county's first acknowledgement (assigned or answered), over the "
        f"{summary.acknowledged:,} of {summary.contacts:,} contacts whose export says when; the others are left out.",
        delta_is_change=False,
    )


def closure_metrics(summary: ClosureSummary, rules: ClosureRules) -> list[Metric]:
    """Return the six headline figures of what "closed" meant, worded for the pages: how soon contacts were
    acknowledged and closed, then whether closing fixed them and satisfied the residents.

    Labels and values stay short so that a card on a projected page shows them whole.
    """
    rate = "–" if math.isnan(summary.reopen_rate) else f"{summary.reopen_rate:.1%}"
    return [
        _acknowledge_metric(summary),
        Metric(
            "Median to close",
            _days(summary.business_median_days),
            f"business days ({_days(summary.median_days)} calendar)",
            f"Business days leave out weekends and the county's holidays ({rules.holidays}). Half of the contacts "
            "closed were closed within this many.",
            delta_is_change=False,
        ),
        Metric(
            "90% closed within",
            _days(summary.business_p90_days),
            f"business days ({_days(summary.p90_days)} calendar)",
            "Nine in ten of the contacts closed were closed within this many business days.",
            delta_is_change=False,
        ),
        Metric(
            "Reopened after closure",
            rate,
            f"{summary.reopened:,} of {summary.closed_or_reopened:,} closed",
            f"Reopened in the CRM ({summary.reopened_status:,}) or reported again ({summary.reported_again:,}): "
            f"a contact of the same category within {rules.repeat_metres:,.0f} m and {rules.repeat_days:,.0f} days "
            "after closure, by any channel. Questions are left out.",
            delta_is_change=False,
        ),
        Metric(
            "Incidents",
            f"{summary.incidents:,}",
            f"{summary.contacts:,} contacts",
            f"Reports of one category within {rules.incident_metres:,.0f} m and {rules.incident_hours:g} hours of "
            "one another are one incident: several residents reporting one problem.",
            delta_is_change=False,
        ),
        satisfaction_metric(summary.satisfaction, summary.satisfaction_reopened, summary.satisfaction_not_reopened),
    ]
