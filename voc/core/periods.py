"""Calendar periods in the county's timezone: the month and week a contact belongs to."""

from __future__ import annotations

import calendar

import pandas as pd


def local_month(instants: pd.Series, timezone: str) -> pd.Series:
    """Return YYYY-MM of each UTC instant, as a clock in the county reads it."""
    return instants.dt.tz_convert(timezone).dt.strftime("%Y-%m")


def local_week(instants: pd.Series, timezone: str) -> pd.Series:
    """Return the local Monday (YYYY-MM-DD) that starts each instant's week."""
    local = instants.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    return (local - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")


def month_shift(month: str, months: int) -> str:
    """Return the YYYY-MM month `months` after (or before, when negative) `month`."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_label(month: str) -> str:
    """Return 'Oct 2026' for '2026-10'."""
    year, number = month.split("-")
    return f"{calendar.month_abbr[int(number)]} {year}"


def month_runs(months: list[str]) -> list[tuple[str, str]]:
    """Group sorted YYYY-MM months into runs of consecutive months: (first, last) of each."""
    runs: list[tuple[str, str]] = []
    for month in months:
        if runs and month_shift(runs[-1][1], 1) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def month_range(first: str, last: str) -> list[str]:
    """Return every YYYY-MM month from first to last, inclusive."""
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = month_shift(month, 1)
    return months
