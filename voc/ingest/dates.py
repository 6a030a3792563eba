"""Parse dates and times of day as CRMs export them: text in many formats, Excel serials, date objects."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from voc.ingest.normalize import missing_mask, per_row

_EXCEL_ORIGIN = np.datetime64("1899-12-30T00:00:00", "ns")
_EXCEL_SERIAL_RANGE = (20_000.0, 80_000.0)  # 1954-10-04 .. 2119-01-10
_NAT = np.datetime64("NaT", "ns")
_NO_TIME = np.timedelta64("NaT", "ns")
_SECONDS_PER_DAY = 86_400

# Tried in this order on the distinct strings of a column; US month-first before day-first.
_DATE_FORMATS: tuple[str, ...] = (
    "ISO8601",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m-%d-%Y %H:%M:%S",
    "%m-%d-%Y",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %d, %Y",
    "%B %d, %Y",
)
_TIME_FORMATS: tuple[str, ...] = (
    "%I:%M %p",
    "%I:%M:%S %p",
    "%H:%M",
    "%H:%M:%S",
    "%H:%M:%S.%f",
    "%I:%M%p",
    "%I %p",
)
_FORMAT_SAMPLE = 50
_TZ_SUFFIX = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$", re.I)
_NUMERIC = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
# The free-form fallback may only see strings with a recognisable date, so that a bare
# "12" or "3:15 PM" is never read as a day of the current month.
_HAS_DATE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\s-].*\d{2,4}",
    re.I,
)


def _as_ns(parsed: pd.DatetimeIndex) -> np.ndarray:
    """Return naive datetimes in nanoseconds; those outside 1677-2262 (e.g. 12/31/9999) are NaT."""
    inside = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return parsed.where(inside).as_unit("ns").to_numpy()


def _excel_serials(days: np.ndarray) -> np.ndarray:
    """Convert Excel day serials (1899-12-30 origin, fractional days) to naive datetimes."""
    seconds = np.round(days * _SECONDS_PER_DAY).astype("int64")
    return _EXCEL_ORIGIN + seconds.astype("timedelta64[s]")


def _parse_date_texts(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse distinct date strings; return (naive local, aware UTC as naive) arrays."""
    local = np.full(len(texts), _NAT)
    absolute = np.full(len(texts), _NAT)
    stripped = pd.Index(texts, dtype="str").str.strip()

    numeric = np.asarray(stripped.str.match(_NUMERIC.pattern), dtype=bool)
    if numeric.any():
        days = stripped[numeric].astype(float).to_numpy()
        in_range = (days >= _EXCEL_SERIAL_RANGE[0]) & (days <= _EXCEL_SERIAL_RANGE[1])
        local[np.flatnonzero(numeric)[in_range]] = _excel_serials(days[in_range])

    is_zoned = ~numeric & np.asarray(stripped.str.contains(_TZ_SUFFIX), dtype=bool)
    zoned = np.flatnonzero(is_zoned)
    for fmt in ("ISO8601", "mixed"):
        parsed = pd.to_datetime(stripped[zoned], format=fmt, utc=True, errors="coerce")
        ok = parsed.notna()
        absolute[zoned[ok]] = _as_ns(parsed[ok].tz_localize(None))
        zoned = zoned[~ok]

    todo = np.flatnonzero(~numeric & ~is_zoned)
    sampled, unsampled = _split_formats(stripped[todo])
    todo = _parse_formats(stripped, todo, sampled, local)
    # Formats unseen in the sample, and the free-form fallback, only get strings that
    # hold a recognisable date: a column of plain text is rejected in one pass.
    todo = todo[np.asarray(stripped[todo].str.contains(_HAS_DATE), dtype=bool)]
    todo = _parse_formats(stripped, todo, unsampled, local)
    if len(todo):
        parsed = pd.to_datetime(stripped[todo], format="mixed", errors="coerce")
        local[todo] = _as_ns(parsed)
    return local, absolute


def _split_formats(texts: pd.Index) -> tuple[list[str], list[str]]:
    """Split date formats into those that read some of a sample of `texts`, and the rest."""
    sample = texts[:_FORMAT_SAMPLE]
    hits = {
        fmt: int(pd.to_datetime(sample, format=fmt, errors="coerce").notna().sum())
        for fmt in (_DATE_FORMATS if len(sample) else ())
    }
    sampled = sorted((fmt for fmt in hits if hits[fmt]), key=lambda fmt: -hits[fmt])
    return sampled, [fmt for fmt in _DATE_FORMATS if not hits.get(fmt)]


def _parse_formats(texts: pd.Index, todo: np.ndarray, formats: list[str], out: np.ndarray) -> np.ndarray:
    """Parse `texts[todo]` with each format in turn into `out`; return what is left."""
    for fmt in formats:
        if not len(todo):
            break
        parsed = pd.to_datetime(texts[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out[todo[ok]] = _as_ns(parsed[ok])
        todo = todo[~ok]
    return todo


def _parse_unique_datetimes(uniques: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse distinct date values; return (naive local, UTC, unreadable) arrays."""
    if isinstance(uniques, pd.DatetimeIndex):
        # Factorised uniques hold no NaT, so a NaT here is a date out of range.
        if uniques.tz is None:
            local = _as_ns(uniques)
            return local, np.full(len(uniques), _NAT), np.isnat(local)
        utc = _as_ns(uniques.tz_convert("UTC").tz_localize(None))
        return np.full(len(uniques), _NAT), utc, np.isnat(utc)

    local = np.full(len(uniques), _NAT)
    absolute = np.full(len(uniques), _NAT)
    missing = missing_mask(uniques)
    items = uniques.to_numpy(dtype=object)
    is_text = np.array([isinstance(v, str) for v in items], dtype=bool) & ~missing
    if is_text.any():
        local[is_text], absolute[is_text] = _parse_date_texts(items[is_text])
    others = ~is_text & ~missing
    if others.any():
        local[others], absolute[others] = _parse_date_objects(items[others])
    unreadable = ~missing & np.isnat(local) & np.isnat(absolute)
    return local, absolute, unreadable


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def _parse_date_objects(items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse non-text values (as a spreadsheet reader returns them) to (naive local, UTC) arrays.

    A workbook's date column holds thousands of distinct date objects: they are converted
    together, as one pandas call each costs as much as the whole column.
    """
    local = np.full(len(items), _NAT)
    absolute = np.full(len(items), _NAT)
    is_date = np.array([isinstance(v, dt.date) for v in items], dtype=bool)
    aware = is_date & np.array([getattr(v, "tzinfo", None) is not None for v in items], dtype=bool)
    naive = is_date & ~aware
    if naive.any():
        local[naive] = _as_ns(pd.DatetimeIndex(list(items[naive])))
    if aware.any():
        absolute[aware] = _as_ns(pd.DatetimeIndex(pd.to_datetime(list(items[aware]), utc=True)).tz_localize(None))
    numbers = np.flatnonzero(np.array([_is_number(v) for v in items], dtype=bool))
    days = items[numbers].astype("float64")
    in_range = (days >= _EXCEL_SERIAL_RANGE[0]) & (days <= _EXCEL_SERIAL_RANGE[1])
    local[numbers[in_range]] = _excel_serials(days[in_range])
    return local, absolute


def _parse_unique_times(uniques: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Parse distinct times of day; return (timedelta since midnight, unreadable)."""
    times = np.full(len(uniques), _NO_TIME)
    missing = missing_mask(uniques)
    items = uniques.to_numpy(dtype=object)
    is_text = np.array([isinstance(v, str) for v in items], dtype=bool) & ~missing
    if is_text.any():
        times[is_text] = _parse_time_texts(items[is_text])
    others = ~is_text & ~missing
    if others.any():
        times[others] = _parse_time_objects(items[others])
    return times, ~missing & np.isnat(times)


def _parse_time_texts(texts: np.ndarray) -> np.ndarray:
    """Parse distinct time strings ("12:59 PM", "0:05", "0.54") to timedeltas."""
    result = np.full(len(texts), _NO_TIME)
    stripped = pd.Index(texts, dtype="str").str.strip()
    numeric = np.asarray(stripped.str.match(_NUMERIC.pattern), dtype=bool)
    if numeric.any():
        result[numeric] = _day_fractions(stripped[numeric].astype(float).to_numpy())
    todo = np.flatnonzero(~numeric)
    midnight = pd.Timestamp("1900-01-01")
    for fmt in _TIME_FORMATS:
        if not len(todo):
            break
        parsed = pd.to_datetime(stripped[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        result[todo[ok]] = (parsed[ok] - midnight).as_unit("ns").to_numpy()
        todo = todo[~ok]
    return result


def _day_fractions(days: np.ndarray) -> np.ndarray:
    """Convert fractions of a day in [0, 1) to timedeltas; others become NaT."""
    seconds = np.round(np.where((days >= 0) & (days < 1), days, np.nan) * _SECONDS_PER_DAY)
    result = np.full(len(days), _NO_TIME)
    ok = ~np.isnan(seconds)
    result[ok] = seconds[ok].astype("int64").astype("timedelta64[s]")
    return result


def _parse_time_objects(items: np.ndarray) -> np.ndarray:
    """Parse non-text times of day (time, datetime, timedelta or day fraction) to timedeltas."""
    result = np.full(len(items), _NO_TIME)
    # Plain integers per value, then one conversion: a numpy scalar per value is ten times slower.
    nanos = np.array([_clock_nanoseconds(v) for v in items], dtype="int64")
    clocks = nanos >= 0
    result[clocks] = nanos[clocks].astype("timedelta64[ns]")
    others = np.flatnonzero(~clocks)
    numbers = others[np.array([_is_number(v) for v in items[others]], dtype=bool)]
    result[numbers] = _day_fractions(items[numbers].astype("float64"))
    return result


def _clock_nanoseconds(value: object) -> int:
    """Return the nanoseconds since midnight of a time, datetime or timedelta under a day; else -1."""
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        seconds = (value.hour * 60 + value.minute) * 60 + value.second
        return (seconds * 1_000_000 + value.microsecond) * 1_000
    if isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < dt.timedelta(days=1):
        return pd.Timedelta(value).value
    return -1


def parse_times(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse times of day ("12:59 PM", "0:05", time objects, day fractions); return them, unreadable."""
    codes, uniques = pd.factorize(values)
    times_u, bad_u = _parse_unique_times(uniques)
    times = pd.Series(per_row(times_u, codes, _NO_TIME), index=values.index, name=values.name)
    return times, pd.Series(per_row(bad_u, codes, False), index=values.index, name=values.name)


def _localize(local: np.ndarray, timezone: str) -> pd.DatetimeIndex:
    """Read naive wall times in `timezone` as UTC instants, never raising on DST."""
    naive = pd.DatetimeIndex(local)
    # A repeated hour (clocks falling back) can be told apart in a file sorted by time,
    # oldest or newest first (exports of both kinds exist).
    for order in (slice(None), slice(None, None, -1)):
        try:
            zoned = naive[order].tz_localize(timezone, ambiguous="infer", nonexistent="shift_forward")
        except ValueError:
            continue
        return zoned[order].tz_convert("UTC")
    # Nothing to infer from: take the first occurrence of a repeated hour, as a clock
    # that has not yet fallen back shows it.
    first = np.ones(len(naive), dtype=bool)
    zoned = naive.tz_localize(timezone, ambiguous=first, nonexistent="shift_forward")
    return zoned.tz_convert("UTC")


def parse_datetimes(values: pd.Series, *, timezone: str, times: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse dates (and optional separate times) as local wall times; return UTC and unreadable.

    Text, Excel serials, datetime/date objects and datetime64 columns are read; text
    ending in "Z" or an offset is already absolute. `times` ("12:59 PM", "0:05",
    datetime.time, day fractions) replaces the time of day of local `values`. Times that
    do not exist (clocks springing forward) move forward; a repeated hour is inferred
    from the file's time order, else read as its first occurrence. Blank and markers
    like "NA" or "NULL" are missing, not unreadable. Unreadable values are NaT in the
    result and True in the mask.
    """
    codes, uniques = pd.factorize(values)
    local_u, utc_u, bad_u = _parse_unique_datetimes(uniques)
    local = per_row(local_u, codes, _NAT)
    utc = per_row(utc_u, codes, _NAT)
    unreadable = per_row(bad_u, codes, False)

    if times is not None:
        time_series, bad_times = parse_times(times)
        time_of_day = time_series.to_numpy(dtype="timedelta64[ns]")
        bad_time = bad_times.to_numpy(dtype=bool) & ~np.isnat(local)
        has_time = ~np.isnat(time_of_day)
        midnight = local.astype("datetime64[D]").astype("datetime64[ns]")
        local = np.where(has_time, midnight + time_of_day, local)
        local[bad_time] = _NAT
        unreadable = unreadable | bad_time

    result = _localize(local, timezone).as_unit("ns")
    absolute = ~np.isnat(utc)
    if absolute.any():
        result = result.where(~absolute, pd.DatetimeIndex(utc).tz_localize("UTC"))
    parsed = pd.Series(result, index=values.index, name=values.name, dtype="datetime64[ns, UTC]")
    return parsed, pd.Series(unreadable, index=values.index, name=values.name)
