"""When the demo county acknowledged each contact: within hours on business days, slower in some departments.

A department picks up a contact in its office hours (8:00 to 17:00 on weekdays that are not US
federal holidays): a contact opened at night or over a weekend waits for the next morning, and
the working hours it then takes are drawn around its department's median. Acknowledgement
comes no later than the closure. Some contacts are never acknowledged: the Sheriff's parking desk
does not record it at all, a few closed contacts were closed without the step, and contacts still
open may not have been picked up by the extract. A generator of its own keeps every other column
identical to a build without acknowledgements.
"""

from __future__ import annotations

import holidays as holiday_calendars
import numpy as np
import pandas as pd

from voc.demo.timeline import TIMEZONE, extract_time

OFFICE_OPENS, OFFICE_HOURS = 8, 9
# Median working hours from the start of office hours (or the opening, within them) to acknowledgement.
_MEDIAN_WORKING_HOURS = {
    "Customer Service": 0.3, "Utilities": 0.5, "Traffic Operations": 0.75, "Solid Waste": 1.0,
    "Animal Services": 1.0, "Roads & Drainage": 1.5, "Libraries": 3.0, "Mosquito Control": 3.0,
    "Parks & Recreation": 6.0, "Code Enforcement": 12.0, "Building & Permits": 16.0,
}  # fmt: skip
_SPREAD = 1.0  # of the log-normal working hours
_NEVER_WHEN_CLOSED = 0.04
_NEVER_WHEN_OPEN = 0.25


def _office_days(years: range) -> np.ndarray:
    return np.array(sorted(holiday_calendars.country_holidays("US", years=list(years))), dtype="datetime64[D]")


def with_acknowledgements(requests: pd.DataFrame, months: pd.PeriodIndex, seed: int) -> pd.DataFrame:
    """Return the contacts with acknowledged_at: when each was acknowledged (UTC), NaT if never by the extract."""
    rng = np.random.default_rng([seed, 3])
    acknowledged = requests.copy()
    at = acknowledged.columns.get_loc("closed_at") + 1
    acknowledged.insert(at, "acknowledged_at", _acknowledged_times(requests, rng, extract=extract_time(months)))
    return acknowledged


def _acknowledged_times(requests: pd.DataFrame, rng: np.random.Generator, *, extract: pd.Timestamp) -> pd.Series:
    local = requests["opened_at"].dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    day = local.dt.floor("D").to_numpy().astype("datetime64[D]")
    hour = ((local - local.dt.floor("D")).dt.total_seconds() / 3600).to_numpy()
    years = local.dt.year
    off = _office_days(range(int(years.min()), int(years.max()) + 2))
    working = np.is_busday(day, holidays=off)
    # Before office hours the clock starts at 8:00; after them, or on a day off, the next working morning
    # (rolled back to the last working day, then one on: a Saturday's contact starts on Monday).
    starts_today = working & (hour < OFFICE_OPENS + OFFICE_HOURS)
    start = np.where(starts_today, day, np.busday_offset(day, 1, roll="backward", holidays=off))
    into = np.where(starts_today, np.clip(hour - OFFICE_OPENS, 0, None), 0.0)
    median = requests["department"].map(_MEDIAN_WORKING_HOURS).to_numpy(dtype=float)
    total = into + rng.lognormal(np.log(np.nan_to_num(median, nan=1.0)), _SPREAD)
    whole = np.floor(total / OFFICE_HOURS).astype(int)
    picked_up = (
        np.busday_offset(start, whole, holidays=off).astype("datetime64[ns]")
        + pd.to_timedelta(OFFICE_OPENS + total - whole * OFFICE_HOURS, unit="h").to_numpy()
    )
    acknowledged = pd.Series(picked_up, index=requests.index).dt.tz_localize(TIMEZONE).dt.tz_convert("UTC")
    acknowledged = acknowledged.where(requests["closed_at"].isna() | (acknowledged <= requests["closed_at"]),
                                      requests["closed_at"])  # fmt: skip
    skipped = rng.random(len(requests)) < np.where(requests["closed_at"].isna(), _NEVER_WHEN_OPEN, _NEVER_WHEN_CLOSED)
    never = np.isnan(median) | skipped | (acknowledged > extract).to_numpy()
    # Whole seconds, in the unit of the other times, as a CRM writes them.
    return acknowledged.mask(never).dt.floor("s").astype(requests["opened_at"].dtype)
