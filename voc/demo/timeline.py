"""The demo county's calendar: its time zone, its span of months and the hurricane in it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.core.errors import VocError

TIMEZONE = "America/New_York"


def demo_months(start: str, end: str) -> pd.PeriodIndex:
    """Return the months from start to end, refusing a span too short for the demo's story."""
    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    if len(months) < 36:
        raise VocError(f"The demo county needs at least 36 months from {start} to {end}; widen the range.")
    return months


def hurricane_index(months: pd.PeriodIndex) -> int:
    """Return the index of the hurricane month: the latest October two years or more before the end."""
    latest = months[-1] - 24
    return int(np.flatnonzero((months.month == 10) & (months <= latest))[-1])


def extract_time(months: pd.PeriodIndex) -> pd.Timestamp:
    """Return when the demo's CRM extract was taken (UTC): the local midnight after its last month."""
    return pd.Timestamp((months[-1] + 1).start_time).tz_localize(TIMEZONE).tz_convert("UTC")
