"""One issue per emerging rise: the flags of a category grouped, since when, and probable reclassifications.

The detection (voc.contacts.alerts) flags rows: a series and a period. One real rise shows up as
several: the month and the quarter, the district and the county-wide total it lifts. Here the flags
of a category become one issue, told in one sentence: its strongest period, the districts that
drive it, the county-wide figure as context, how long it has lasted ("higher since March 2026",
once it began before the period tested) and, when another category of the same department fell
by about as much, that contacts probably moved between them in the source system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from voc.contacts.alert_text import PERIOD_MONTHS, district_name, period_label, period_months
from voc.contacts.forecast import fit_seasonal, monthly_matrix, predict_total, predictive
from voc.core.periods import month_label, month_shift

ISSUE_COLUMNS = [
    "issue_id",
    "category",
    "department",
    "kind",
    "period",
    "district_codes",
    "observed",
    "expected",
    "county_observed",
    "county_expected",
    "since",
    "reclassified_from",
    "flags",
    "sentence",
]
RISE, SHIFT, RECLASSIFICATION = "rise", "higher since", "probable reclassification"
# A month counts toward a rise's run when it is above the 95th percentile of the year-old baseline.
_RUN_LEVEL = 0.05
# How far back a rise's start is looked for; the baseline ends the month before.
_LOOKBACK = 12
# A fall elsewhere in the department is probable evidence of reclassification at this one-sided p-value ...
_FALL_LEVEL = 0.01
# ... when it matches the rise within this factor.
_MATCH = 2.0


def group_issues(
    rows: pd.DataFrame,
    counts: pd.DataFrame,
    *,
    month: str,
    labels: Mapping[str, str] | None = None,
    departments: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return one row per category with a flag, strongest first (columns ISSUE_COLUMNS).

    rows is detect_emerging's output for `month`, counts its input (month, category, district_code,
    contacts). departments maps categories to departments: without it no reclassification is found.
    issue_id is derived from the category and the month the rise began, so the same issue keeps its
    id from one month to the next while its start stays put.
    """
    flagged = rows[rows["flagged"].astype(bool)] if len(rows) else rows
    if flagged.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    labels, departments = labels or {}, departments or {}
    starts = _rise_starts(counts, flagged, month=month)
    issues = [
        _issue(group, rows, starts, month=month, labels=labels, departments=departments)
        for _, group in flagged.groupby("category", sort=False)
    ]
    return pd.DataFrame(issues, columns=ISSUE_COLUMNS)


def _issue(
    flags: pd.DataFrame,
    rows: pd.DataFrame,
    starts: Mapping[tuple[str, str], str],
    *,
    month: str,
    labels: Mapping[str, str],
    departments: Mapping[str, str],
) -> dict[str, Any]:
    # A rise a district drives is told in that district, with the county-wide figure as context.
    local_flags = flags[flags["district_code"] != ""]
    head = (local_flags if len(local_flags) else flags).sort_values("score", ascending=False).iloc[0]
    category, period = head["category"], head["period"]
    same = rows[(rows["category"] == category) & (rows["period"] == period)]
    county = same[same["district_code"] == ""].iloc[0]
    # Each driving district once, in the issue's period where it is flagged in it.
    drivers = local_flags.assign(_same=local_flags["period"] == period)
    drivers = drivers.sort_values(["_same", "score"], ascending=False).drop_duplicates("district_code")
    first = period_months(month, PERIOD_MONTHS[period])[0]
    since = starts.get((category, head["district_code"]), first)
    department = departments.get(category, "")
    source = _matching_fall(county, rows, departments) if department else None
    clauses = [head["sentence"].removesuffix(".")]
    clauses += _driver_clause(drivers.iloc[1:], month=month, period=period, labels=labels)
    if head["district_code"] != "":
        clauses.append(f"county-wide {county['observed']:,} against {county['expected']:,.0f} expected")
    if since < first:
        clauses.append(f"higher since {month_label(since)}")
    # A level shift once the rise is older than the quarter tested: no longer a new issue.
    kind = SHIFT if since < month_shift(month, 1 - PERIOD_MONTHS["quarter"]) else RISE
    sentence = "; ".join(clauses)
    if source is not None:
        kind = RECLASSIFICATION
        sentence = (
            f"Probable reclassification in {department}: {sentence}; {source['category']} fell to "
            f"{source['observed']:,} against {source['expected']:,.0f} expected in the same months: contacts may "
            f"have moved from {source['category']} to {category} in the source system (check the request-type mapping)"
        )
    return {
        "issue_id": f"{_slug(category)}-{since}",
        "category": category,
        "department": department,
        "kind": kind,
        "period": period,
        "district_codes": drivers["district_code"].tolist(),
        "observed": int(head["observed"]),
        "expected": float(head["expected"]),
        "county_observed": int(county["observed"]),
        "county_expected": float(county["expected"]),
        "since": since,
        "reclassified_from": None if source is None else source["category"],
        "flags": len(flags),
        "sentence": sentence + ".",
    }


def _driver_clause(drivers: pd.DataFrame, *, month: str, period: str, labels: Mapping[str, str]) -> list[str]:
    """Return 'also North (177 against 81), above its usual share' for further districts flagged, or nothing."""
    if drivers.empty:
        return []
    parts = []
    for row in drivers.itertuples():
        when = "" if row.period == period else f" in {period_label(month, PERIOD_MONTHS[row.period])}"
        parts.append(f"{district_name(row.district_code, labels)} ({row.observed:,}{when} against {row.expected:,.0f})")
    shares = "its usual share" if len(parts) == 1 else "their usual shares"
    return [f"also {' and '.join(parts)}, above {shares}"]


def _matching_fall(county: pd.Series, rows: pd.DataFrame, departments: Mapping[str, str]) -> pd.Series | None:
    """Return the county-wide row of a category of the same department that fell by about the rise, or None."""
    department = departments[county["category"]]
    rise = county["observed"] - county["expected"]
    others = rows[
        (rows["period"] == county["period"])
        & (rows["district_code"] == "")
        & (rows["category"] != county["category"])
        & rows["category"].map(lambda c: departments.get(c) == department)
        & (rows["p_fall"] <= _FALL_LEVEL)
    ]
    if rise <= 0 or others.empty:
        return None
    ratio = (others["expected"] - others["observed"]) / rise
    matching = others[(ratio >= 1 / _MATCH) & (ratio <= _MATCH)]
    if matching.empty:
        return None
    return matching.loc[np.abs(np.log(ratio[matching.index])).idxmin()]


def _rise_starts(counts: pd.DataFrame, flagged: pd.DataFrame, *, month: str) -> dict[tuple[str, str], str]:
    """Return the month each flagged series' rise began: the start of its run of months above last year's baseline.

    The baseline is fitted to the years ending _LOOKBACK months before `month`, so a level shift of
    the past year is not part of it; a month is part of the run when it is above the baseline's 95th
    percentile, and the run must reach into the period tested. Series without enough history are left out.
    """
    keys = set(flagged[["category", "district_code"]].itertuples(index=False, name=None))
    counts = counts.assign(district_code=counts["district_code"].fillna("").astype(str))
    first = counts["month"].min()
    county = monthly_matrix(counts, keys=["category"], first=first, last=month)
    county.index = pd.MultiIndex.from_arrays([county.index, [""] * len(county)])
    local = monthly_matrix(counts, keys=["category", "district_code"], first=first, last=month)
    wide = pd.concat([county, local])
    wide = wide[[key in keys for key in wide.index]]
    fit_last = month_shift(month, -_LOOKBACK)
    history = wide.loc[:, wide.columns <= fit_last].iloc[:, -60:]
    enough = history.notna().sum(axis=1).to_numpy() >= 24
    if not enough.any():
        return {}
    history = history[enough]
    fit = fit_seasonal(history.to_numpy(), list(history.columns), origin=month)
    recent = [month_shift(month, step) for step in range(1 - _LOOKBACK, 1)]
    above = np.column_stack(
        [
            predictive(*predict_total(fit, [m], origin=month)).sf(wide.loc[history.index, m].fillna(0) - 1)
            <= _RUN_LEVEL
            for m in recent
        ]
    )
    starts = {}
    for key, months_above in zip(history.index, above, strict=True):
        latest = [i for i in range(len(recent) - 3, len(recent)) if months_above[i]]
        if not latest:
            continue
        start = latest[-1]
        while start > 0 and months_above[start - 1]:
            start -= 1
        starts[key] = recent[start]
    return starts


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
