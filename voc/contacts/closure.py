"""Closed is not fixed: reopened contacts, time to acknowledge and to close, and reports grouped into incidents.

A contact is reopened when its status says the CRM reopened it, or when the problem was reported
again: a contact of the same category opened within `repeat_metres` of it and within `repeat_days`
after it was closed, whatever the channel (closures more than LATE_CLOSURE_DAYS after opening are
not looked at). Questions are neither reported again nor reports again: answering one fixes
nothing on the ground. Contacts of one category within `incident_metres` and `incident_hours` of
one another in one month, linked in a chain, are one incident: several residents reporting one
pothole. Distances need coordinates: a contact without them is never a repeat and is an
incident of its own. Time to acknowledge (assigned, first answered) is counted only over the
contacts whose export says when: in clock hours when most were acknowledged within a day, else in
business days; never as 0 for contacts nobody acknowledged.

The figures a page shows come from roll-ups (voc.store.closure_counts) counted month by month on
first use, so a view's cost follows its months and groups, not its contacts: times to acknowledge are
kept to the precision they are shown in (business days exactly), and an incident is
counted in the month and place of its first report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import holidays as holiday_calendars
import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from voc.contacts.overview import Metric
from voc.contacts.satisfaction import (
    SATISFACTION_COLUMNS,
    Satisfaction,
    satisfaction_by,
    satisfaction_metric,
    satisfaction_of,
)
from voc.core.config import ClosureRules
from voc.core.errors import VocError
from voc.store.closure_counts import CLOSURE_DIMENSIONS, COUNT_MEASURES

# A status such as "Reopened", "Re-opened" or "REOPEN": the CRM itself reopened the contact.
REOPENED_STATUS = r"(?i)\bre-?open"
METRES_PER_DEGREE = math.pi * 6_371_008.8 / 180
# What a contact needs to count as a report again of an earlier one: no more is read of the later months.
OPENING_COLUMNS = ("category", "opened_at", "contact_type", "latitude", "longitude")
# A contact closed more than this many days after it was opened is not looked at for reports again:
# such closures are rare, and a month's reports again must be found within a bounded read of later months.
LATE_CLOSURE_DAYS = 90
FLAG_COLUMNS = [
    "reopened_status", "reported_again", "reopened", "incident", "first_report", "business_days",
    "hours_to_acknowledge", "business_days_to_acknowledge",
]  # fmt: skip
TIME_MEASURES = ("business_days", "business_days_to_acknowledge", "hours_to_acknowledge")
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
    contacts: pd.DataFrame, groups: list[str], *, without_questions: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the rows with coordinates, the codes of their groups (of the `groups` columns) spread apart, and
    their x and y in metres."""
    kept = contacts["latitude"].notna() & contacts["longitude"].notna()
    if without_questions:
        kept &= contacts["contact_type"].ne("question")
    rows = np.flatnonzero(kept.to_numpy())
    codes = contacts.groupby(groups, sort=False, dropna=False).ngroup().to_numpy()[rows].astype(float) * 4
    x, y = _planar(contacts["latitude"].to_numpy(float)[rows], contacts["longitude"].to_numpy(float)[rows])
    return rows, codes, x, y


def _seconds(times: pd.Series) -> np.ndarray:
    return (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


def reported_again(
    contacts: pd.DataFrame, *, metres: float, days: float, later: pd.DataFrame | None = None
) -> pd.Series:
    """Tell which closed contacts had a contact of their category opened within `metres` and `days` after closing.

    The contacts opened after `contacts` (OPENING_COLUMNS of the later months) are looked at as reports
    only: their own closures need not be read. Contacts closed more than LATE_CLOSURE_DAYS after they were
    opened are not looked at. A k-d tree over (category, x, y, time) finds the candidate pairs in a box;
    the exact distance and the window (after the closure, at most `days`) are then checked on those pairs only.
    """
    flagged = pd.Series(False, index=contacts.index)
    reports = contacts
    if later is not None and not later.empty:
        reports = pd.concat([contacts[list(OPENING_COLUMNS)], later], ignore_index=True)
    rows, codes, x, y = _located(reports, ["category"], without_questions=True)
    if rows.size == 0 or metres <= 0 or days <= 0:
        return flagged
    half = days * 86400 / 2
    # Only `contacts` close here: a later contact's closure, NaN, is never within LATE_CLOSURE_DAYS.
    closing = np.full(len(reports), np.nan)
    closing[: len(contacts)] = _seconds(contacts["closed_at"])
    closed_at, opened_at = closing[rows], _seconds(reports["opened_at"])[rows]
    closed = np.flatnonzero(closed_at - opened_at <= LATE_CLOSURE_DAYS * 86400)
    # Each closure's window (closed, closed + days] centred on one point, so that a box of radius 1 covers it.
    windows = cKDTree(np.column_stack([codes, x / metres, y / metres, (closed_at + half) / half])[closed])
    openings = cKDTree(np.column_stack([codes, x / metres, y / metres, opened_at / half]))
    pairs = windows.sparse_distance_matrix(openings, 1.0, p=np.inf, output_type="ndarray")
    closure, report = closed[pairs["i"]], pairs["j"]
    after = opened_at[report] - closed_at[closure]
    near = np.hypot(x[report] - x[closure], y[report] - y[closure]) <= metres
    hit = near & (after > 0) & (after <= days * 86400)
    flagged.iloc[rows[np.unique(closure[hit])]] = True
    return flagged


def incident_ids(contacts: pd.DataFrame, *, metres: float, hours: float) -> pd.Series:
    """Number the incidents: contacts of one category and month within `metres` and `hours` of another share a number.

    Linked in a chain (single linkage), so three reports along a block an hour apart are one
    incident. Numbers run from 0 in no meaningful order; the index is the contacts'.
    """
    n = len(contacts)
    if n == 0:
        return pd.Series(np.zeros(0, dtype=int), index=contacts.index)
    rows, codes, x, y = _located(contacts, ["category", "opened_month"])
    edges = np.empty((0, 2), dtype=np.intp)
    if rows.size > 1 and metres > 0 and hours > 0:
        opened_at = _seconds(contacts["opened_at"])[rows]
        tree = cKDTree(np.column_stack([codes, x / metres, y / metres, opened_at / (hours * 3600)]))
        candidates = tree.query_pairs(1.0, p=np.inf, output_type="ndarray")
        a, b = candidates[:, 0], candidates[:, 1]
        edges = candidates[np.hypot(x[a] - x[b], y[a] - y[b]) <= metres]
    graph = coo_array((np.ones(len(edges)), (rows[edges[:, 0]], rows[edges[:, 1]])), shape=(n, n))
    return pd.Series(connected_components(graph, directed=False)[1], index=contacts.index)


def reopen_flags(contacts: pd.DataFrame, *, rules: ClosureRules, later: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the contacts with reopened_status (the status says so), reported_again and reopened (either).

    `later`: the contacts opened after them, as reports again only (see reported_again).
    """
    flagged = contacts.copy()
    flagged["reopened_status"] = contacts["status"].fillna("").astype(str).str.contains(REOPENED_STATUS)
    flagged["reported_again"] = reported_again(
        contacts, metres=rules.repeat_metres, days=rules.repeat_days, later=later
    )
    flagged["reopened"] = flagged["reopened_status"] | flagged["reported_again"]
    return flagged


def closure_flags(
    contacts: pd.DataFrame, *, rules: ClosureRules, timezone: str, later: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the contacts (see voc.store.closure.CLOSURE_COLUMNS) with FLAG_COLUMNS added.

    `later` holds the contacts opened after them (OPENING_COLUMNS), where their reports again may be.

    reopened_status, reported_again, reopened: see `reopen_flags`; incident: see `incident_ids`;
    first_report: the incident's earliest contact; business_days and business_days_to_acknowledge:
    see `business_days`; hours_to_acknowledge: clock hours from opening to acknowledgement, NaN when
    not acknowledged (0 when acknowledged on the opening day without a time).
    """
    flagged = reopen_flags(contacts, rules=rules, later=later)
    flagged["incident"] = incident_ids(contacts, metres=rules.incident_metres, hours=rules.incident_hours)
    earliest_first = flagged["opened_at"].sort_values(kind="stable").index
    flagged["first_report"] = ~flagged.loc[earliest_first, "incident"].duplicated().reindex(flagged.index)
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


def time_buckets(hours: pd.Series) -> pd.Series:
    """Round times in hours to the precision `acknowledge_time` shows them: whole minutes within the first hour,
    tenths of an hour up to 10 hours, whole hours beyond.

    Business days are whole numbers and are kept exact; this keeps the roll-up of clock times to a few
    hundred values per group however many contacts there are.
    """
    minutes = (hours * 60).round() / 60
    return minutes.where(hours < 1, hours.round(1).where(hours < 10, hours.round())).round(6)


def closure_rollups(flags: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Count flagged contacts (`closure_flags` with `satisfied`: see with_ratings) into rows of the closure roll-ups.

    Returns rows of voc.store.closure_counts' MonthlyClosure, MonthlyClosureTime and MonthlyReopenedPlace.
    """
    keyed = flags.assign(**{d: flags[d].fillna("") for d in CLOSURE_DIMENSIONS}).rename(
        columns={"opened_month": "month"}
    )
    keys = ["month", *CLOSURE_DIMENSIONS]
    rated, satisfied, reopened = keyed["satisfied"].notna(), keyed["satisfied"].eq(1.0), keyed["reopened"]
    measures = pd.DataFrame({
        "contacts": 1,
        "incidents": keyed["first_report"],
        "closed": keyed["closed_at"].notna(),
        "closed_or_reopened": keyed["closed_at"].notna() | keyed["reopened_status"],
        "reopened": reopened,
        "reopened_status": keyed["reopened_status"],
        "reported_again": keyed["reported_again"],
        "acknowledged": keyed["hours_to_acknowledge"].notna(),
        "answers": rated,
        "satisfied": satisfied,
        "answers_reopened": rated & reopened,
        "satisfied_reopened": satisfied & reopened,
    }, index=keyed.index)  # fmt: skip
    counts = measures.groupby([keyed[k] for k in keys]).sum().astype("int64").reset_index()
    times = []
    for measure in TIME_MEASURES:
        values = keyed[measure] if measure.startswith("business") else time_buckets(keyed[measure])
        timed = keyed.loc[values.notna(), keys].assign(measure=measure, value=values.dropna())
        times.append(timed.groupby([*keys, "measure", "value"]).size().rename("contacts").reset_index())
    located = reopened & keyed["latitude"].notna() & keyed["longitude"].notna()
    place_keys = ["month", "category", "district_code", "latitude", "longitude"]
    places = keyed.loc[located, place_keys].groupby(place_keys).size().rename("reopened").reset_index()
    return counts, pd.concat(times, ignore_index=True), places


def _ranks(values: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """The median (the mean of the middle pair) and nearest-rank 90th percentile of values repeated `counts` times."""
    total = int(counts.sum())
    if total == 0:
        return math.nan, math.nan
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], counts[order].cumsum()
    middle = values[np.searchsorted(cumulative, [(total + 1) // 2, (total + 2) // 2])]
    return float(middle.mean()), float(values[np.searchsorted(cumulative, (9 * total + 9) // 10)])


def _time_ranks(times: pd.DataFrame, measure: str) -> tuple[float, float]:
    chosen = times[times["measure"] == measure]
    return _ranks(chosen["value"].to_numpy(float), chosen["contacts"].to_numpy("int64"))


def _acknowledge_measure(times: pd.DataFrame) -> tuple[str, str]:
    """The unit time to acknowledge reads best in, and its measure: HOURS while half or more took under a day.

    Hours also when nothing was acknowledged: there is then no figure to give a unit to.
    """
    median = _time_ranks(times, "hours_to_acknowledge")[0]
    if median >= HOURS_UNTIL:
        return BUSINESS_DAYS, "business_days_to_acknowledge"
    return HOURS, "hours_to_acknowledge"


def rollup_summary(counts: pd.DataFrame, times: pd.DataFrame, calendar: tuple[float, float]) -> ClosureSummary:
    total = counts[list(COUNT_MEASURES)].sum()
    unit, acknowledge = _acknowledge_measure(times)
    could = int(total["closed_or_reopened"])
    business = _time_ranks(times, "business_days")
    acknowledge_ranks = _time_ranks(times, acknowledge)
    return ClosureSummary(
        contacts=int(total["contacts"]),
        incidents=int(total["incidents"]),
        closed=int(total["closed"]),
        closed_or_reopened=could,
        reopened=int(total["reopened"]),
        reopened_status=int(total["reopened_status"]),
        reported_again=int(total["reported_again"]),
        reopen_rate=int(total["reopened"]) / could if could else math.nan,
        median_days=calendar[0],
        p90_days=calendar[1],
        business_median_days=business[0],
        business_p90_days=business[1],
        acknowledged=int(total["acknowledged"]),
        acknowledge_unit=unit,
        acknowledge_median=acknowledge_ranks[0],
        acknowledge_p90=acknowledge_ranks[1],
        satisfaction=satisfaction_of(int(total["answers"]), int(total["satisfied"])),
        satisfaction_reopened=satisfaction_of(int(total["answers_reopened"]), int(total["satisfied_reopened"])),
        satisfaction_not_reopened=satisfaction_of(
            int(total["answers"] - total["answers_reopened"]), int(total["satisfied"] - total["satisfied_reopened"])
        ),
    )


def rollup_by_category(counts: pd.DataFrame, times: pd.DataFrame) -> pd.DataFrame:
    """CATEGORY_COLUMNS per category (see `ClosureFigures.by_category`)."""
    unit_measure = _acknowledge_measure(times)[1]
    table = counts.set_index("category")
    ranks = {
        measure: pd.DataFrame(
            {category: _ranks(group["value"].to_numpy(float), group["contacts"].to_numpy("int64"))
             for category, group in times[times["measure"] == measure].groupby("category")},
            index=["median", "p90"],
        ).T.reindex(table.index)
        for measure in ("business_days", unit_measure)
    }  # fmt: skip
    figures = pd.DataFrame({
        "incidents": table["incidents"],
        "reopened": table["reopened"],
        "reopen_rate": table["reopened"] / table["closed_or_reopened"].where(table["closed_or_reopened"] > 0),
        "business_median_days": ranks["business_days"]["median"],
        "business_p90_days": ranks["business_days"]["p90"],
        "acknowledged": table["acknowledged"],
        "acknowledge_median": ranks[unit_measure]["median"],
        "acknowledge_p90": ranks[unit_measure]["p90"],
    }, index=table.index)  # fmt: skip
    figures = figures.join(satisfaction_by(table["answers"], table["satisfied"]))
    return figures.rename_axis("category").reset_index().reindex(columns=CATEGORY_COLUMNS)


def _summed(flags: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flagged contacts counted as the closure roll-ups count them, summed per category as `_read_rollups` sums."""
    rated = flags if "satisfied" in flags else flags.assign(satisfied=np.nan)
    counts, times, _ = closure_rollups(rated)
    counts = counts.groupby("category", as_index=False)[list(COUNT_MEASURES)].sum()
    return counts, times.groupby(["category", "measure", "value"], as_index=False)["contacts"].sum()


def closure_summary(flags: pd.DataFrame) -> ClosureSummary:
    """Sum up flagged contacts (`closure_flags`, with `satisfied` where ratings were read) as the roll-ups do;
    calendar days to close exactly."""
    days = flags["days_to_close"].dropna().to_numpy(float)
    return rollup_summary(*_summed(flags), _ranks(days, np.ones(days.size, dtype="int64")))


def closure_by_category(flags: pd.DataFrame) -> pd.DataFrame:
    """Return CATEGORY_COLUMNS per category of flagged contacts (see `ClosureFigures.by_category`)."""
    return rollup_by_category(*_summed(flags))


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
