"""Vectorised parsers that turn mapped import columns into clean typed values."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

# Literal markers that CRMs and R/Excel exports write for "no value".
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "null", "none", "nan", "nat", "#n/a"})

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


def _missing(text: pd.Series | pd.Index) -> np.ndarray:
    """Return a mask of missing values and missing-value markers in `text`."""
    as_text = _as_text(text)
    return as_text.isna().to_numpy() | is_marker(as_text.str.strip(), MISSING_TOKENS)


def _as_text(values: pd.Series | pd.Index) -> pd.Series:
    """Return values as "str" text on a new RangeIndex, without converting text again."""
    if values.dtype == "str":
        return pd.Series(values.array, copy=False)
    return pd.Series(np.asarray(values, dtype=object)).astype("str")


def is_marker(text: pd.Series, markers: frozenset[str]) -> np.ndarray:
    """Tell which texts (already stripped) are one of `markers`, ignoring case."""
    # Case-folding calls Python once per text and never makes one shorter: only short texts need it.
    longest = max(map(len, markers))
    short = np.flatnonzero((text.str.len() <= longest).to_numpy(dtype=bool, na_value=False))
    found = np.zeros(len(text), dtype=bool)
    found[short] = text.iloc[short].str.casefold().isin(markers).to_numpy(dtype=bool)
    return found


def _as_ns(parsed: pd.DatetimeIndex) -> np.ndarray:
    """Return naive datetimes in nanoseconds; those outside 1677-2262 (e.g. 12/31/9999) are NaT."""
    inside = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return parsed.where(inside).as_unit("ns").to_numpy()


def _take(parsed: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """Spread per-unique results to rows; code -1 (missing) takes `fill`."""
    return np.append(parsed, np.array([fill], dtype=parsed.dtype))[codes]


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
    missing = _missing(uniques)
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
    missing = _missing(uniques)
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
    times = pd.Series(_take(times_u, codes, _NO_TIME), index=values.index, name=values.name)
    return times, pd.Series(_take(bad_u, codes, False), index=values.index, name=values.name)


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
    local = _take(local_u, codes, _NAT)
    utc = _take(utc_u, codes, _NAT)
    unreadable = _take(bad_u, codes, False)

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


_PLAIN_NUMBERS = frozenset({float, int})
# Every text holding a comma or Python's whitespace (\s), written so that pyarrow's engine runs it.
_SEPARATOR_OR_UNICODE = r"[,\t\n\x0b\x0c\r\x1c-\x1f ]|[^\x00-\x7f]"


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers ("1,234.5", " 12 ") to floats; return them and an unreadable mask."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), pd.Series(False, index=values.index, name=values.name)
    if values.dtype == object:
        # A workbook's number cells arrive as Python floats and ints: only the other cells (blanks,
        # text, and any other type, which the text path reads as before) need reading as text.
        objects = values.to_numpy()
        is_number = np.fromiter((type(v) in _PLAIN_NUMBERS for v in objects), dtype=bool, count=len(objects))
        numbers = np.where(is_number, objects, np.nan).astype("float64")
        unreadable = np.zeros(len(values), dtype=bool)
        texts = np.flatnonzero(~is_number)
        if len(texts):
            numbers[texts], unreadable[texts] = _parse_number_texts(values.iloc[texts])
    else:
        numbers, unreadable = _parse_number_texts(values)
    return pd.Series(numbers, index=values.index, name=values.name), pd.Series(
        unreadable, index=values.index, name=values.name
    )


def _parse_number_texts(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse values as number texts; return the numbers and an unreadable mask."""
    text = values.astype("str").str.strip()
    missing = _missing(text)
    cleaned = _replace_where(text, _SEPARATOR_OR_UNICODE, [(r"[,\s]", "")]).str.removeprefix("+")
    numbers = pd.to_numeric(cleaned.mask(missing), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return numbers, ~missing & np.isnan(numbers)


_NUMBER = r"([+-]?\d+(?:\.\d+)?)"
# (pattern, which group is latitude, which is longitude); first match wins.
_LOCATION_PATTERNS: tuple[tuple[str, int, int], ...] = (
    (rf"POINT\s*\(\s*{_NUMBER}\s+{_NUMBER}\s*\)", 1, 0),  # WKT is (lon lat)
    (rf"coordinates['\"]?\s*:\s*\[\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\]", 1, 0),  # GeoJSON too
    (rf"\(\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\)\s*$", 0, 1),  # "(lat, lon)", maybe after an address
    (rf"^\s*{_NUMBER}\s*,\s*{_NUMBER}\s*$", 0, 1),
)
_SOCRATA_LATITUDE = rf"latitude['\"]?\s*:\s*['\"]?{_NUMBER}"
_SOCRATA_LONGITUDE = rf"longitude['\"]?\s*:\s*['\"]?{_NUMBER}"


_COORDINATE_HINT = re.compile(r"\d\.\d|point|coordinates|latitude", re.I)


def _parse_unique_locations(texts: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Extract (lat, lon) from distinct location strings; NaN where none is found."""
    lat = np.full(len(texts), np.nan)
    lon = np.full(len(texts), np.nan)
    for pattern, lat_group, lon_group in _LOCATION_PATTERNS:
        found = texts.str.extract(pattern, flags=re.I).astype("float64").to_numpy()
        fill = np.isnan(lat) & ~np.isnan(found[:, 0])
        lat[fill] = found[fill, lat_group]
        lon[fill] = found[fill, lon_group]
    keyed_lat = texts.str.extract(_SOCRATA_LATITUDE, flags=re.I)[0].astype("float64").to_numpy()
    keyed_lon = texts.str.extract(_SOCRATA_LONGITUDE, flags=re.I)[0].astype("float64").to_numpy()
    fill = np.isnan(lat) & ~np.isnan(keyed_lat) & ~np.isnan(keyed_lon)
    lat[fill] = keyed_lat[fill]
    lon[fill] = keyed_lon[fill]
    out_of_range = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    lat[out_of_range] = np.nan
    lon[out_of_range] = np.nan
    return lat, lon


def parse_location(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Read points from location text; return (latitude, longitude, unreadable).

    Understands "(lat, lon)" (also on the last line after an address), WKT
    "POINT (lon lat)", GeoJSON/Socrata "coordinates": [lon, lat] and Socrata
    {'latitude': ..., 'longitude': ...}. Coordinates outside [-90, 90] / [-180, 180]
    are unreadable; text with no coordinates at all (an address never geocoded) is missing.
    """
    codes, uniques = pd.factorize(values.astype("str"))
    missing_u = _missing(uniques)
    lat_u, lon_u = _parse_unique_locations(pd.Index(uniques, dtype="str"))
    lat = pd.Series(_take(lat_u, codes, np.nan), index=values.index, name="latitude")
    lon = pd.Series(_take(lon_u, codes, np.nan), index=values.index, name="longitude")
    # An address that was never geocoded has no point, which is missing, not unreadable.
    attempted_u = ~missing_u & np.asarray(uniques.str.contains(_COORDINATE_HINT), dtype=bool)
    attempted = _take(attempted_u, codes, False)
    return lat, lon, pd.Series(attempted & np.isnan(lat.to_numpy()), index=values.index)


def normalize_ids(values: pd.Series) -> pd.Series:
    """Return ids as text: stripped, whole floats without ".0", leading zeros kept; blank is NA."""
    text = values.astype("str").str.strip()
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return text.mask(_missing(text)).rename(values.name)


_DISTRICT_PREFIX = re.compile(
    r"^(?:(?:city|county)\s+)?"
    r"(?:(?:council|commission|commissioner|supervisor|supervisorial|legislative)\s+)?"
    r"(?:district|dist\.?|ward|cd|council)(?![a-z])[\s:#.-]*(?:no\.?|number)?[\s:#.-]*",
    re.I,
)


def _clean_district(value: object) -> str | None:
    """Reduce one district value to its code ("Council District 08" -> "8")."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = _DISTRICT_PREFIX.sub("", str(value).strip()).strip()
    if text.casefold() in MISSING_TOKENS:
        return None
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return str(int(float(text)))
    return text


def _district_lookup(known_codes: Sequence[str]) -> dict[str, str]:
    """Map every accepted spelling (code, cleaned code) of known codes to the code."""
    lookup: dict[str, str] = {}
    for code in known_codes:
        cleaned = _clean_district(code)
        for key in (str(code).strip(), cleaned):
            if key:
                lookup.setdefault(key.casefold(), code)
    return lookup


def normalize_districts(values: pd.Series, known_codes: Sequence[str] | None = None) -> tuple[pd.Series, pd.Series]:
    """Reduce district values to codes ("District 8", "CD 08", "8.0" -> "8"); return codes, unknown.

    With `known_codes`, values are matched case-insensitively by code or number and
    replaced by the known spelling; a present value that matches none keeps its cleaned
    text and is True in the unknown mask. Blank or a bare "District" is NA, not unknown.
    """
    codes, uniques = pd.factorize(values)
    missing_u = _missing(uniques)
    cleaned_u = [None if gone else _clean_district(v) for v, gone in zip(uniques, missing_u, strict=True)]
    unknown_u = np.zeros(len(uniques), dtype=bool)
    if known_codes is not None:
        lookup = _district_lookup(known_codes)
        for i, (raw, cleaned) in enumerate(zip(uniques, cleaned_u, strict=True)):
            if cleaned is None:
                continue
            match = lookup.get(cleaned.casefold()) or lookup.get(str(raw).strip().casefold())
            unknown_u[i] = match is None
            cleaned_u[i] = match or cleaned
    result = _take(np.array(cleaned_u, dtype=object), codes, None)
    district = pd.Series(result, index=values.index, name=values.name, dtype="str")
    return district, pd.Series(_take(unknown_u, codes, False), index=values.index)


# Checked in order; a value takes the channel of the first rule with a matching word.
_CHANNEL_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("e-mail", frozenset({"email", "e mail"})),
    ("social media", frozenset({"twitter", "twir", "tweet", "facebook", "social", "instagram"})),
    ("walk-in", frozenset({"walk in", "walkin", "walk", "counter", "in person", "front desk"})),
    ("phone", frozenset({"phone", "call", "telephone", "voicemail", "voice mail", "ivr"})),
    ("app", frozenset({"app", "mobile", "iphone", "android", "ios", "smartphone"})),
    # Baltimore's "API" carries residents' own requests from its online portal and app
    # (its exports have no separate web value), so it counts as web self-service.
    ("web", frozenset({"web", "website", "online", "internet", "portal", "self service", "api"})),
)
_UNKNOWN_CHANNELS = frozenset({"unknown", "unspecified", "not specified"})


def _channel(value: object) -> str | None:
    """Classify one raw channel value; None when it says nothing."""
    key = re.sub(r"[^a-z0-9]+", " ", str(value).casefold()).strip()
    if key in MISSING_TOKENS or key in _UNKNOWN_CHANNELS:
        return None
    words = key.split()
    phrases = set(words) | {" ".join(pair) for pair in pairwise(words)}
    for channel, markers in _CHANNEL_WORDS:
        if phrases & markers:
            return channel
    # Miami-Dade's typo "PHONC" and the like.
    return "phone" if key.startswith("phon") else "other"


def normalize_channels(values: pd.Series) -> pd.Series:
    """Map raw channel or source values to voc.core.fields.CHANNELS; blank and "Unknown" are NA.

    Internally generated contacts ("Driver Self Report", "Internal", "System") and
    post, fax or interfaces from other systems are "other".
    """
    codes, uniques = pd.factorize(values)
    missing_u = _missing(uniques)
    channels_u = np.array(
        [None if gone else _channel(v) for v, gone in zip(uniques, missing_u, strict=True)], dtype=object
    )
    result = _take(channels_u, codes, None)
    return pd.Series(result, index=values.index, name=values.name, dtype="str")


_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
# US numbers need separators (727-555-0143, (727) 555-0143, 727.555.0143, +1 727 555 0143),
# so ten-digit case numbers, dates and ZIP+4 codes are left alone.
_PHONE = r"(?<![\w.+-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)[\s.-]?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"
# Seven-digit local numbers ("955-1818") need a dash or a dot.
_LOCAL_PHONE = r"(?<![\w.+-])\d{3}[.-]\d{4}(?![\w-])"


# Every text those patterns can match holds an "@", or three digits, a separator and four digits
# (a non-ASCII character may be a digit or a space to them), written so that pyarrow's engine runs it.
_MAYBE_PERSONAL = r"@|[^\x00-\x7f]|[0-9]{3}[\t\n\x0b\x0c\r\x1c-\x1f .-][0-9]{4}"


def redact_personal(text: pd.Series) -> pd.Series:
    """Replace phone numbers with "[phone]" and e-mail addresses with "[e-mail]" in free text."""
    replacements = [(_EMAIL, "[e-mail]"), (_PHONE, "[phone]"), (_LOCAL_PHONE, "[phone]")]
    return _replace_where(text.astype("str"), _MAYBE_PERSONAL, replacements)


def _replace_where(text: pd.Series, candidates: str, replacements: list[tuple[str, str]]) -> pd.Series:
    """Apply regex replacements in turn, only to the texts that match `candidates`.

    Patterns with look-arounds or \\s run in Python's regex engine, one call per text, 50 times
    slower than pyarrow's: `candidates` (a pattern pyarrow runs) must match every text that any
    replacement could change, so that the rest, usually nearly all, are left as they are.
    """
    found = np.flatnonzero(text.str.contains(candidates, regex=True).to_numpy(dtype=bool, na_value=False))
    changed = text.iloc[found]
    for pattern, replacement in replacements:
        changed = changed.str.replace(pattern, replacement, regex=True)
    result = text.copy()
    result.iloc[found] = changed.to_numpy()
    return result
