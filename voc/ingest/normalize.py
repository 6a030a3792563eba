"""Vectorised parsers that turn mapped import columns into clean typed values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from voc.ingest.vocabulary import CHANNEL_WORDS, MISSING_TOKENS, UNKNOWN_CHANNELS


def missing_mask(text: pd.Series | pd.Index) -> np.ndarray:
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


def per_row(parsed: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """Spread per-unique results to rows; code -1 (missing) takes `fill`."""
    return np.append(parsed, np.array([fill], dtype=parsed.dtype))[codes]


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
    missing = missing_mask(text)
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
    missing_u = missing_mask(uniques)
    lat_u, lon_u = _parse_unique_locations(pd.Index(uniques, dtype="str"))
    lat = pd.Series(per_row(lat_u, codes, np.nan), index=values.index, name="latitude")
    lon = pd.Series(per_row(lon_u, codes, np.nan), index=values.index, name="longitude")
    # An address that was never geocoded has no point, which is missing, not unreadable.
    attempted_u = ~missing_u & np.asarray(uniques.str.contains(_COORDINATE_HINT), dtype=bool)
    attempted = per_row(attempted_u, codes, False)
    return lat, lon, pd.Series(attempted & np.isnan(lat.to_numpy()), index=values.index)


def normalize_ids(values: pd.Series) -> pd.Series:
    """Return ids as text: stripped, whole floats without ".0", leading zeros kept; blank is NA."""
    text = values.astype("str").str.strip()
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return text.mask(missing_mask(text)).rename(values.name)


# Five digits, ZIP+4, or a ZIP a spreadsheet stored as a number: leading zeros lost ("2124" for
# 02124) and ".0" added ("2124.0").
_ZIP = r"(?:\d{5}(?:-?\d{4})?|\d{3,5}(?:\.0+)?)"


def is_zip_code(values: pd.Series) -> np.ndarray:
    """Tell which values are US ZIP codes, as typed or as a spreadsheet stored them (2124.0)."""
    text = values.astype("str").str.strip()
    return text.str.fullmatch(_ZIP).to_numpy(dtype=bool, na_value=False)


def normalize_zip_codes(values: pd.Series) -> pd.Series:
    """Return ZIP codes as five-digit text (ZIP+4 as written): "2124.0" -> "02124"; other text kept."""
    ids = normalize_ids(values)
    stored_as_number = ids.str.fullmatch(r"\d{3,4}").to_numpy(dtype=bool, na_value=False)
    return ids.mask(stored_as_number, ids.str.zfill(5))


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
    missing_u = missing_mask(uniques)
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
    result = per_row(np.array(cleaned_u, dtype=object), codes, None)
    district = pd.Series(result, index=values.index, name=values.name, dtype="str")
    return district, pd.Series(per_row(unknown_u, codes, False), index=values.index)


_CHANNEL_LENGTH = 40  # the store's channel column


def _channel(value: object) -> tuple[str | None, bool]:
    """Classify one raw channel value; return the channel (None when it says nothing) and whether it is unknown.

    An unknown value is kept as typed, not guessed.
    """
    key = re.sub(r"[^a-z0-9]+", " ", str(value).casefold()).strip()
    if key in MISSING_TOKENS or key in UNKNOWN_CHANNELS:
        return None, False
    words = key.split()
    phrases = set(words) | {" ".join(pair) for pair in pairwise(words)}
    for channel, markers in CHANNEL_WORDS:
        if phrases & markers:
            return channel, False
    if key.startswith("phon"):  # Miami-Dade's typo "PHONC" and the like
        return "phone", False
    return " ".join(str(value).split())[:_CHANNEL_LENGTH], True


def normalize_channels(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map raw channel or source values to voc.core.fields.CHANNELS; return channels and an unknown mask.

    Blank and "Unknown" are NA. Contacts the county generated itself ("Driver Self Report",
    "Internal", "System"), post, fax and other systems' interfaces are "other". A value the
    vocabulary (voc.ingest.vocabulary.CHANNEL_WORDS) does not know is kept as typed and True in the mask.
    """
    codes, uniques = pd.factorize(values)
    missing_u = missing_mask(uniques)
    read = [(None, False) if gone else _channel(v) for v, gone in zip(uniques, missing_u, strict=True)]
    channels_u = np.array([channel for channel, _ in read], dtype=object)
    unknown_u = np.array([unknown for _, unknown in read], dtype=bool)
    channels = pd.Series(per_row(channels_u, codes, None), index=values.index, name=values.name, dtype="str")
    return channels, pd.Series(per_row(unknown_u, codes, False), index=values.index, name=values.name)


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
