"""The demo county's contacts: one row per resident contact, with its seasons, storm, places and planted rises."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from voc.demo.catalogue import CATEGORIES, SEASONS, WHERE
from voc.demo.geography import DISTRICT_CODES, sample_points
from voc.demo.timeline import TIMEZONE, extract_time, hurricane_index

SOURCE = "palmetto-crm"
_CHANNELS = ("phone", "web", "app", "e-mail", "walk-in")

_PLANTED_RISES = (
    ("Flooding / standing water", "3", 2.5),
    ("Illegal dumping", "5", 2.2),
    ("Streetlight out", "1", 2.2),
)
# What residents write about each planted rise: a new phrase, as a real emerging issue brings.
_RISING_PHRASES = {
    "Flooding / standing water": "Water over the road by the new Cypress Creek subdivision",
    "Illegal dumping": "Mattresses and tires dumped behind the Gulf View plaza",
    "Streetlight out": "Whole row of streetlights dark along US-19 since the roadwork",
}
_RISING_PHRASE_SHARE = 0.45

# Relative weight of each local hour for web, app and e-mail contacts.
_ONLINE_HOURS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3, 4.5, 5, 5, 4.8, 4.6, 4.6, 4.5, 4.3, 4.2, 4.2, 4.4, 4.6, 4.2] + [3.4, 2.4, 1.6]
)
_STREET_NAMES = (
    "Cypress Ln", "Palm Ave", "Magnolia Dr", "Live Oak Blvd", "Osprey Way", "Heron Ct", "Pelican Dr",
    "Mangrove Rd", "Sabal Palm Loop", "Citrus Park Dr", "Orange Blossom Trl", "Gulf View Blvd",
    "Bayou Cir", "Egret St", "Sandhill Crane Dr", "Pine Needle Ln", "Cedar Ridge Rd", "Hickory Hill Blvd",
    "Tarpon Ave", "Manatee Way", "Sunset Blvd", "Seminole Trl", "Hibiscus St", "Jasmine Ct",
    "Marsh Wren Ln", "Lakeview Dr", "Harbor Dr", "Sawgrass Ct", "Willow Bend Pkwy", "Cattle Ranch Rd",
)  # fmt: skip
_STREET_PREFIXES = ("", "", "", "N ", "S ", "E ", "W ", "NE ", "NW ", "SE ", "SW ")
_ZIP_CODES = (
    "34652", "34653", "34654", "34655", "34667", "34668", "34669", "34610", "33523", "33525",
    "33540", "33541", "33543", "33544", "33545", "33576", "34637", "34638",
)  # fmt: skip
_AREA_CODES = ("727", "813", "352")
_EMAIL_NAMES = ("jsmith", "maria.g", "tom.baker", "lindaw", "rpatel", "dnguyen", "kjohnson")


def _expected_counts(rng: np.random.Generator, months: pd.PeriodIndex, population: np.ndarray) -> np.ndarray:
    """Return expected contacts by (month, category, district) with trend, seasons, storm and rises."""
    n_months, t = len(months), np.arange(len(months))
    base = np.array([cat.monthly for cat in CATEGORIES])
    season = np.array([SEASONS[cat.season] for cat in CATEGORIES])[:, months.month - 1].T
    after_storm = t - hurricane_index(months)
    decay = np.where(after_storm >= 0, 0.3 ** np.clip(after_storm, 0, None), 0.0)
    storm = 1 + np.outer(decay, [cat.storm for cat in CATEGORIES])
    # Month-to-month noise: real counts vary more than Poisson, which alert thresholds must survive.
    noise = rng.lognormal(0, 0.06, (n_months, len(CATEGORIES)))
    per_month = base * 1.02 ** (t[:, None] / 12) * season * storm * noise
    tilt = population * rng.lognormal(0, 0.2, (len(CATEGORIES), population.size))
    share = tilt / tilt.sum(axis=1, keepdims=True)
    expected = per_month[:, :, None] * share[None, :, :]
    names = [cat.name for cat in CATEGORIES]
    for category, district, factor in _PLANTED_RISES:
        expected[-3:, names.index(category), DISTRICT_CODES.index(district)] *= factor
    return expected


def draw_requests(rng: np.random.Generator, months: pd.PeriodIndex, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Generate every contact of the period, one row each, ordered by opening time."""
    counts = rng.poisson(_expected_counts(rng, months, districts["population"].to_numpy()))
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    month, cat, district = np.unravel_index(cells, counts.shape)
    frame = pd.DataFrame({"opened_month": months.strftime("%Y-%m")[month]})
    frame = frame.assign(**_catalogue_columns(rng, cat))
    channel = _channels(rng, month, len(months))
    frame["channel"] = np.array(_CHANNELS)[channel]
    opened = _opened_at(rng, months, month, channel, cat)
    frame = frame.assign(**_resolution(rng, opened, frame["contact_type"].to_numpy(), cat, month, months))
    frame["district_code"] = np.array(DISTRICT_CODES)[district]
    frame = frame.assign(**_places(rng, district, districts))
    frame = frame.sort_values("opened_at", kind="stable", ignore_index=True)
    year = frame["opened_at"].dt.tz_convert(TIMEZONE).dt.year.to_numpy()
    seq = np.arange(len(frame)) - np.searchsorted(year, year) + 1
    frame["source"] = SOURCE
    frame["source_id"] = "PC-" + pd.Series(year).astype(str) + "-" + pd.Series(seq).astype(str).str.zfill(6)
    return frame[_REQUEST_COLUMNS]


_REQUEST_COLUMNS = [
    "source", "source_id", "opened_at", "closed_at", "opened_month", "days_to_close", "request_type",
    "category", "subcategory", "department", "contact_type", "channel", "status", "district_code",
    "address", "zip_code", "latitude", "longitude", "description",
]  # fmt: skip


def _catalogue_columns(rng: np.random.Generator, cat: np.ndarray) -> dict[str, np.ndarray]:
    """Pick each contact's raw type, contact type and description, category by category."""
    n = cat.size
    raw, sub, kind, text = (np.empty(n, dtype=object) for _ in range(4))
    for c, spec in enumerate(CATEGORIES):
        rows = np.flatnonzero(cat == c)
        pick = (rng.random(rows.size) < 0.4).astype(int) if len(spec.raw_types) > 1 else 0
        raw[rows] = np.array([r for r, _ in spec.raw_types])[pick]
        sub[rows] = np.array([r.capitalize() if len(spec.raw_types) > 1 else None for r, _ in spec.raw_types])[pick]
        kind[rows] = np.array([k for _, k in spec.raw_types])[pick]
        phrases = np.array([t.format(where=w) for t in spec.templates for w in WHERE])
        text[rows] = phrases[rng.integers(phrases.size, size=rows.size)]
    kind = _reclassify(rng, kind)
    return {
        "request_type": raw,
        "category": np.array([c.name for c in CATEGORIES])[cat],
        "subcategory": sub,
        "department": np.array([c.department for c in CATEGORIES])[cat],
        "contact_type": kind,
        "description": _with_contact_details(rng, text),
    }


def _reclassify(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Turn some requests into complaints (repeat reports) and questions (status checks)."""
    u = rng.random(kind.size)
    request = kind == "request"
    kind = np.where(request & (u < 0.08), "complaint", kind)
    return np.where(request & (u >= 0.08) & (u < 0.12), "question", kind)


def _with_contact_details(rng: np.random.Generator, text: np.ndarray) -> np.ndarray:
    """Append a fictional phone number or e-mail to about 3% of descriptions, for redaction tests."""
    text = pd.Series(text, dtype=str)
    chosen = np.flatnonzero(rng.random(text.size) < 0.03)
    phone = pd.Series(rng.choice(_AREA_CODES, chosen.size)) + "-555-01"
    phone += pd.Series(rng.integers(0, 100, chosen.size)).astype(str).str.zfill(2)
    email = pd.Series(rng.choice(_EMAIL_NAMES, chosen.size)) + "@example.org"
    detail = np.where(rng.random(chosen.size) < 0.6, "Call me at " + phone, "Email me at " + email)
    head = text.iloc[chosen]
    text.iloc[chosen] = (head + np.where(head.str.endswith("?"), " ", ". ") + detail).to_numpy()
    return text.to_numpy()


def _channels(rng: np.random.Generator, month: np.ndarray, n_months: int) -> np.ndarray:
    """Draw each contact's channel index; phone falls from ~55% to ~35% as web and app grow."""
    t = np.arange(n_months)[:, None] / (n_months - 1)
    start = np.array([0.56, 0.22, 0.10, 0.07, 0.05])
    slope = np.array([-0.20, 0.08, 0.14, -0.01, -0.01])
    cumulative = np.cumsum(start + slope * t, axis=1)[:, :-1]
    return (rng.random(month.size)[:, None] > cumulative[month]).sum(axis=1)


def _opened_at(
    rng: np.random.Generator, months: pd.PeriodIndex, month: np.ndarray, channel: np.ndarray, cat: np.ndarray
) -> pd.Series:
    """Draw opening times in local time (offices keep weekday business hours) and return them in UTC."""
    n = month.size
    starts = months.to_timestamp().to_numpy().astype("datetime64[D]")
    lengths = months.days_in_month.to_numpy()
    day = (rng.random(n) * lengths[month]).astype(int)
    business = np.isin(channel, [_CHANNELS.index("phone"), _CHANNELS.index("walk-in")])
    weekdays, n_weekdays = _weekday_table(starts, lengths)
    pick = (rng.random(n) * n_weekdays[month]).astype(int)
    day = np.where(business, weekdays[month, pick], day)
    day = _storm_days(rng, day, month, cat, months, lengths)
    hour = np.where(
        business,
        rng.integers(8, 17, n),
        rng.choice(24, n, p=_ONLINE_HOURS / _ONLINE_HOURS.sum()),
    )
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    local = starts[month].astype("datetime64[s]") + (day * 86400 + seconds).astype("timedelta64[s]")
    utc = (
        pd.DatetimeIndex(local)
        .tz_localize(TIMEZONE, ambiguous=np.zeros(n, dtype=bool), nonexistent="shift_forward")
        .tz_convert("UTC")
        .as_unit("us")
    )
    return pd.Series(utc)


def _weekday_table(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each month's weekday day-offsets (padded) and how many there are."""
    offsets = np.arange(31)
    is_weekday = np.is_busday(starts[:, None] + offsets) & (offsets < lengths[:, None])
    table = np.zeros((starts.size, 31), dtype=int)
    n_weekdays = is_weekday.sum(axis=1)
    for m in range(starts.size):
        table[m, : n_weekdays[m]] = offsets[is_weekday[m]]
    return table, n_weekdays


def _storm_days(
    rng: np.random.Generator,
    day: np.ndarray,
    month: np.ndarray,
    cat: np.ndarray,
    months: pd.PeriodIndex,
    lengths: np.ndarray,
) -> np.ndarray:
    """Move the hurricane month's storm contacts to the days after landfall on the 9th."""
    h = hurricane_index(months)
    storm = np.array([c.storm for c in CATEGORIES])[cat]
    moved = (month == h) & (rng.random(day.size) < storm / (1 + storm))
    after = 8 + rng.exponential(5, day.size).astype(int)
    return np.where(moved, np.minimum(after, lengths[h] - 1), day)


def _resolution(
    rng: np.random.Generator,
    opened: pd.Series,
    kind: np.ndarray,
    cat: np.ndarray,
    month: np.ndarray,
    months: pd.PeriodIndex,
) -> dict[str, object]:
    """Draw days to close, then leave open what was not closed by the extract and a small backlog."""
    n = cat.size
    median = np.array([c.days for c in CATEGORIES])[cat]
    days = rng.lognormal(np.log(median), 0.9)
    same_day = (kind == "question") & (rng.random(n) < 0.7)
    days = np.where(same_day, rng.uniform(0.01, 0.25, n), days)
    # Crews are swamped after the storm: its categories take three times as long for two months.
    h = hurricane_index(months)
    slowed = (np.array([c.storm for c in CATEGORIES])[cat] > 0) & ((month == h) | (month == h + 1))
    seconds = np.round(np.where(slowed, days * 3, days) * 86400).astype("int64")
    closed = opened + pd.to_timedelta(seconds, unit="s")
    extract = extract_time(months)
    # A backlog of harder cases lingers; the older a case, the likelier it was closed since.
    age = len(months) - 1 - month
    backlog = (kind != "question") & (rng.random(n) < 0.45 * np.exp(-age / 4))
    is_open = (closed > extract).to_numpy() | backlog
    return {
        "opened_at": opened,
        "closed_at": closed.where(~is_open),
        "days_to_close": np.where(is_open, np.nan, seconds / 86400),
        "status": np.where(is_open, np.where(rng.random(n) < 0.55, "In progress", "Open"), "Closed"),
    }


def _places(rng: np.random.Generator, district: np.ndarray, districts: gpd.GeoDataFrame) -> dict[str, object]:
    """Place each contact inside its district and give it a fake street address and ZIP code."""
    lon, lat = np.empty(district.size), np.empty(district.size)
    for d, polygon in enumerate(districts.geometry):
        rows = np.flatnonzero(district == d)
        towns = np.column_stack(sample_points(polygon, 4, rng))
        lon[rows], lat[rows] = sample_points(polygon, rows.size, rng, towns=towns)
    outline = districts.geometry.union_all()
    zip_centres = np.column_stack(sample_points(outline, len(_ZIP_CODES), rng))
    nearest = np.argmin(np.hypot(lon[:, None] - zip_centres[:, 0], lat[:, None] - zip_centres[:, 1]), axis=1)
    streets = np.array([p + s for p in _STREET_PREFIXES for s in _STREET_NAMES])
    number = pd.Series(rng.integers(100, 20_000, district.size)).astype(str)
    return {
        "address": (number + " " + streets[rng.integers(streets.size, size=district.size)]).to_numpy(),
        "zip_code": np.array(_ZIP_CODES)[nearest],
        "latitude": lat,
        "longitude": lon,
    }


def with_rising_phrases(requests: pd.DataFrame, months: pd.PeriodIndex, seed: int) -> pd.DataFrame:
    """Give part of each planted rise's contacts the new phrase residents use for it.

    A generator of its own keeps every other column identical to a build without phrases.
    """
    rng = np.random.default_rng([seed, 1])
    recent = requests["opened_month"] >= months[-3].strftime("%Y-%m")
    description = requests["description"].copy()
    for category, district, _factor in _PLANTED_RISES:
        rows = np.flatnonzero(recent & (requests["category"] == category) & (requests["district_code"] == district))
        chosen = rows[rng.random(rows.size) < _RISING_PHRASE_SHARE]
        description.iloc[chosen] = _RISING_PHRASES[category]
    return requests.assign(description=description)


def planted_rises(months: pd.PeriodIndex) -> pd.DataFrame:
    """List the emerging issues planted in the last three months."""
    first = months[-3].strftime("%Y-%m")
    rows = [(category, district, first, factor) for category, district, factor in _PLANTED_RISES]
    return pd.DataFrame(rows, columns=["category", "district_code", "first_month", "factor"])
