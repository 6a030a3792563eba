"""The words of the emerging-issue detection: periods, places, records, one sentence per tested series."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from voc.core.periods import month_label, month_shift

PERIOD_MONTHS = {"month": 1, "quarter": 3}
MODEL = "seasonal model"
SHARE = "seasonal model: share of the county-wide total"


def period_months(month: str, length: int) -> list[str]:
    """Return the `length` months ending with month, oldest first."""
    return [month_shift(month, step) for step in range(1 - length, 1)]


def place(code: str, labels: Mapping[str, str]) -> str:
    """Return 'county-wide' for "" and 'in North' (or 'in District 3' without a label) for a district."""
    return "county-wide" if code == "" else f"in {district_name(code, labels)}"


def district_name(code: str, labels: Mapping[str, str]) -> str:
    return labels.get(code, f"District {code}")


def period_label(month: str, length: int) -> str:
    """Return 'Oct 2026', 'Aug–Oct 2026' or 'Nov 2025–Jan 2026'."""
    start = month_shift(month, 1 - length)
    if start == month:
        return month_label(month)
    if start[:4] == month[:4]:
        return f"{calendar.month_abbr[int(start[5:])]}–{month_label(month)}"
    return f"{month_label(start)}–{month_label(month)}"


def row_sentences(rows: pd.DataFrame, wide: pd.DataFrame, *, month: str, labels: Mapping[str, str]) -> list[str]:
    """Explain each row of the detection: 'Potholes in District 3: 148 in Oct 2026 against 61 expected (...)'."""
    positions = {key: index for index, key in enumerate(wide.index)}
    values = wide.to_numpy()
    columns = {name: index for index, name in enumerate(wide.columns)}
    return [
        _sentence(row, values[positions[(row.category, row.district_code)]], columns, month=month, labels=labels)
        for row in rows.itertuples()
    ]


def _sentence(row: Any, series: np.ndarray, columns: dict[str, int], *, month: str, labels: Mapping[str, str]) -> str:
    length = PERIOD_MONTHS[row.period]
    head = f"{row.category} {place(row.district_code, labels)}: {row.observed:,} in {period_label(month, length)}"
    if row.method == SHARE:
        return (
            f"{head} against {row.expected:,.0f} expected from its usual share of the county-wide "
            f"{row.county_observed:,.0f} (upper bound {row.upper:,.0f})."
        )
    if row.method == MODEL:
        past = same_period_totals(series, columns, month, length)
        record = superlative(row.observed, past, _season(month, length))
        return f"{head} against {row.expected:,.0f} expected (upper bound {row.upper:,.0f}){record}."
    return f"{head}{_plain_comparison(row, month, length)} ({row.method})."


def _plain_comparison(row: Any, month: str, length: int) -> str:
    parts = []
    if np.isfinite(row.last_year):
        parts.append(f"{row.last_year:,.0f} in {period_label(month_shift(month, -12), length)}")
    if row.recent_months:
        per = "a month" if length == 1 else "per 3 months"
        span = f"{row.recent_months} months" if row.recent_months > 1 else "month"
        parts.append(f"a mean of {row.recent:,.0f} {per} over the {span} before")
    return " against " + " and ".join(parts) if parts else ", with no earlier months to compare"


def _season(month: str, length: int) -> str:
    """Return the calendar period a record refers to: 'October' or 'Aug–Oct'."""
    if length == 1:
        return calendar.month_name[int(month[5:])]
    start = month_shift(month, 1 - length)
    return f"{calendar.month_abbr[int(start[5:])]}–{calendar.month_abbr[int(month[5:])]}"


def same_period_totals(
    series: np.ndarray, columns: Mapping[str, int], month: str, length: int
) -> list[tuple[int, float]]:
    """Return (year, total) of the same period in each earlier year the series fully covers, newest first."""
    totals = []
    back = 12
    while True:
        positions = [columns.get(m) for m in period_months(month_shift(month, -back), length)]
        if None in positions or np.isnan(series[positions]).any():
            return totals
        totals.append((int(month_shift(month, -back)[:4]), float(series[positions].sum())))
        back += 12


def superlative(current: int, past: list[tuple[int, float]], season: str) -> str:
    """Return '; the highest October in 4 years', '; the highest October since 2024' or nothing."""
    if len(past) >= 2 and all(current > total for _, total in past):
        return f"; the highest {season} in {len(past) + 1} years"
    for index, (year, total) in enumerate(past):
        if total >= current:
            return f"; the highest {season} since {year}" if index >= 1 else ""
    return ""
