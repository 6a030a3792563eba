"""Check each contact's opened and closed times, losing only the bad cell where the row can stand without it.

An opened date that cannot be read, is empty, or falls outside the plausible range rejects the row:
a contact without a when cannot be counted. A closed date with the same faults, or one before the
opening, is dropped with a warning and the contact is kept as still open; so is an acknowledged
date, and the contact is kept as not acknowledged. A closed date written without a time is kept as
that day, not as an invented minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from voc.ingest.dates import parse_datetimes
from voc.ingest.report import Report, quoted

DEFAULT_FIRST_YEAR = 1990


@dataclass(frozen=True)
class DateRange:
    """The plausible dates of a contact: from 1 January of `first_year` to `today` (the upload day), local."""

    today: dt.date
    first_year: int = DEFAULT_FIRST_YEAR


@dataclass(frozen=True)
class Timestamps:
    opened: pd.Series  # UTC
    closed: pd.Series  # UTC; a date-only close is the local midnight of its day
    closed_date_only: pd.Series  # bool: the closing moment is a day without a time
    days_to_close: pd.Series  # float days; whole days for a date-only close


def check_timestamps(
    opened_raw: pd.Series,
    closed_raw: pd.Series | None,
    *,
    times: tuple[pd.Series | None, pd.Series | None],
    columns: tuple[str, str],
    timezone: str,
    plausible: DateRange,
    report: Report,
) -> Timestamps:
    """Parse and check the opened and closed columns (and their separate times); report problems per row."""
    opened_column, closed_column = columns
    opened, bad_opened = parse_datetimes(opened_raw, timezone=timezone, times=times[0])
    report.add(bad_opened, opened_column, lambda rows: _unreadable(opened_raw[rows]))
    report.add(opened.isna() & ~bad_opened, opened_column, "The opened date is empty.")
    for mask, message in _implausible(opened, "Opened", timezone, plausible):
        report.add(mask, opened_column, lambda rows, m=message: m(rows) + " Correct it and upload the row again.")
    if closed_raw is None:
        never = pd.Series(pd.NaT, index=opened.index, dtype="datetime64[ns, UTC]")
        return Timestamps(opened, never, pd.Series(False, index=opened.index), pd.Series(np.nan, index=opened.index))

    closed, date_only = check_later_times(
        closed_raw, opened, time=times[1], what="Closed", column=closed_column, timezone=timezone,
        plausible=plausible, report=report,
    )  # fmt: skip
    local = closed.dt.tz_convert(timezone).dt.normalize(), opened.dt.tz_convert(timezone).dt.normalize()
    exact_days = (closed - opened).dt.total_seconds() / 86_400
    whole_days = (local[0] - local[1]).dt.days.astype("float64")
    return Timestamps(opened, closed, date_only, exact_days.where(~date_only, whole_days))


def check_later_times(
    raw: pd.Series,
    opened: pd.Series,
    *,
    time: pd.Series | None = None,
    what: str,
    column: str,
    timezone: str,
    plausible: DateRange,
    report: Report,
) -> tuple[pd.Series, pd.Series]:
    """Parse a time that follows the opening (closed, acknowledged); return it (UTC) and whether it is a bare day.

    An unreadable or implausible value, or one before the opening, is dropped with a warning
    (`what`, such as "Closed", names it) and the contact kept without it. A bare day is its local
    midnight and counts as before the opening only when its day is.
    """
    later, unreadable = parse_datetimes(raw, timezone=timezone, times=time)
    kept = f"The contact is kept as not {what.lower()}."
    report.add(unreadable, column, lambda rows: _unreadable(raw[rows]) + " " + kept, reject=False)
    local = later.dt.tz_convert(timezone)
    day = local.dt.normalize()
    date_only = (local == day).fillna(False)
    if time is not None:
        date_only &= time.isna() | (time.astype("str").str.strip() == "")
    opened_day = opened.dt.tz_convert(timezone).dt.normalize()
    before_opening = (day < opened_day).where(date_only, later < opened).fillna(False)
    report.add(before_opening, column, lambda rows: _before_opening(opened, later, rows, what, timezone), reject=False)
    dropped = before_opening.copy()
    for mask, message in _implausible(later, what, timezone, plausible):
        report.add(mask & ~before_opening, column, lambda rows, m=message: m(rows) + " " + kept, reject=False)
        dropped |= mask
    later = later.mask(dropped)
    return later, date_only & later.notna()


def _implausible(
    values: pd.Series, what: str, timezone: str, plausible: DateRange
) -> list[tuple[pd.Series, Callable[[np.ndarray], pd.Series]]]:
    """Return (mask, message) for dates before the first plausible year and after the upload day."""
    local_day = values.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    early = (local_day < pd.Timestamp(plausible.first_year, 1, 1)).fillna(False)
    late = (local_day > pd.Timestamp(plausible.today)).fillna(False)

    def too_early(rows: np.ndarray) -> pd.Series:
        return f"{what} " + _local(values[rows], timezone) + f" is before {plausible.first_year}: a mistyped year?"

    def too_late(rows: np.ndarray) -> pd.Series:
        return (
            f"{what} "
            + _local(values[rows], timezone)
            + f" is after the upload day ({plausible.today:%Y-%m-%d}): a mistyped year?"
        )

    return [(early, too_early), (late, too_late)]


def _local(values: pd.Series, timezone: str) -> pd.Series:
    return values.dt.tz_convert(timezone).dt.strftime("%Y-%m-%d %H:%M")


def _unreadable(values: pd.Series) -> pd.Series:
    return "Unreadable date " + quoted(values) + ": write it like 2026-03-31 14:05."


def _before_opening(opened: pd.Series, later: pd.Series, rows: np.ndarray, what: str, timezone: str) -> pd.Series:
    return (
        f"{what} ("
        + _local(later[rows], timezone)
        + ") before it was opened ("
        + _local(opened[rows], timezone)
        + f"): the {what.lower()} date is dropped and the contact kept as not {what.lower()}."
    )
