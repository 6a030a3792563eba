"""Turn a mapped raw table into clean service-request rows and a row-by-row problem report.

Everything is vectorised over columns. A row with an error is rejected (kept, with its raw
values, in the report); a warning keeps the row and says what was set aside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from voc.core.fields import PERSONAL_FIELD_NAMES
from voc.core.periods import local_month, local_week
from voc.ingest.normalize import (
    is_marker,
    normalize_channels,
    normalize_districts,
    normalize_ids,
    normalize_zip_codes,
    parse_location,
    parse_numbers,
    redact_personal,
)
from voc.ingest.report import Report, quoted
from voc.ingest.request_types import CATEGORY_LENGTH, guess_contact_types, normalize_contact_types, type_key
from voc.ingest.timestamps import DateRange, check_later_times, check_timestamps
from voc.store.requests import REQUEST_COLUMNS

_TEXT_FIELDS = (
    "subcategory",
    "status",
    "address",
    "description",
    "contact_name",
    "contact_phone",
    "contact_email",
)
_BLANK_MARKERS = frozenset({"", "na", "n/a", "null", "none", "nan"})
_MAX_TEXT = {"request_type": 300, "subcategory": 300, "department": 200, "status": 100, "address": 500}


@dataclass(frozen=True)
class Bounds:
    """The county's extent in degrees, to tell a stray geocode from a real place."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: pd.Series, lon: pd.Series) -> pd.Series:
        return lat.between(self.min_lat, self.max_lat) & lon.between(self.min_lon, self.max_lon)


@dataclass(frozen=True)
class Context:
    """What validation needs to know about the county and the analyst's choices."""

    source: str
    timezone: str
    plausible: DateRange  # opened and closed dates outside it are row problems
    district_codes: Sequence[str] = ()
    bounds: Bounds | None = None
    type_map: pd.DataFrame | None = None  # raw_type, category, department, contact_type
    redact: bool = True


@dataclass(frozen=True)
class Prepared:
    rows: pd.DataFrame  # REQUEST_COLUMNS, one per accepted row, with the spreadsheet row in "row"
    problems: pd.DataFrame  # PROBLEM_COLUMNS, ordered by row
    rejected_rows: np.ndarray  # spreadsheet row numbers of rejected rows
    unmapped_types: pd.DataFrame = field(default_factory=pd.DataFrame)  # raw_type, contacts
    unknown_channels: pd.DataFrame = field(default_factory=pd.DataFrame)  # channel (as typed), contacts


def _text(values: pd.Series | None, length: int, limit: int | None = None) -> pd.Series:
    if values is None:
        return pd.Series(pd.NA, index=range(length), dtype="str")
    text = values.astype("str").str.strip()
    text = text.mask(is_marker(text, _BLANK_MARKERS))
    return text.str.slice(0, limit) if limit else text


def prepare(raw: pd.DataFrame, row_numbers: np.ndarray, mapping: dict[str, str], context: Context) -> Prepared:
    """Validate and normalise the mapped columns of a raw table.

    `mapping` is field -> column of `raw`; personal fields are kept only when mapped.
    """
    raw = raw.reset_index(drop=True)
    report = Report(np.asarray(row_numbers))
    n = len(raw)

    def column(name: str) -> pd.Series | None:
        return raw[mapping[name]] if name in mapping else None

    out = pd.DataFrame(index=raw.index)
    out["source"] = context.source
    times = check_timestamps(
        column("opened_at"),
        column("closed_at"),
        times=(column("opened_time"), column("closed_time")),
        columns=(mapping["opened_at"], mapping.get("closed_at", "")),
        timezone=context.timezone,
        plausible=context.plausible,
        report=report,
    )
    out["opened_at"], out["closed_at"] = times.opened, times.closed
    out["closed_date_only"] = times.closed_date_only
    out["opened_month"] = local_month(out["opened_at"], context.timezone)
    out["opened_week"] = local_week(out["opened_at"], context.timezone)
    out["days_to_close"] = times.days_to_close
    out["acknowledged_at"] = _acknowledged(column("acknowledged_at"), times.opened, mapping, context, report)

    request_type = _text(column("request_type"), n, _MAX_TEXT["request_type"])
    report.add(request_type.isna(), mapping.get("request_type", ""), "The request type is empty.")
    out["request_type"] = request_type
    if "source_id" in mapping:
        out["source_id"] = _source_ids(column("source_id"), report, mapping)
    else:
        out["source_id"] = derived_ids(out["opened_at"], request_type, _text(column("address"), n))
    out["department"] = _text(column("department"), n, _MAX_TEXT["department"])
    out["channel"], unknown_channel = (
        normalize_channels(column("channel")) if "channel" in mapping else (pd.NA, pd.Series(False, index=raw.index))
    )
    own_types = normalize_contact_types(column("contact_type")) if "contact_type" in mapping else None
    categorised, unmapped = _categorise(out, own_types, context.type_map)
    for name in _TEXT_FIELDS:
        if name not in PERSONAL_FIELD_NAMES or name in mapping:
            out[name] = _text(column(name), n, _MAX_TEXT.get(name))
        else:
            out[name] = pd.Series(pd.NA, index=raw.index, dtype="str")
    if context.redact:
        out["description"] = redact_personal(out["description"]).mask(out["description"].isna())
    out["zip_code"] = normalize_zip_codes(column("zip_code")) if "zip_code" in mapping else pd.NA
    out["district_code"] = _districts(column("district"), report, mapping, context.district_codes)
    out["latitude"], out["longitude"] = _coordinates(column, report, mapping, context.bounds)
    out = pd.concat([categorised, out.drop(columns=categorised.columns, errors="ignore")], axis=1)

    # h3_cell and location_flag are set later, by voc.ingest.locate.
    out = out.reindex(columns=list(REQUEST_COLUMNS))
    keep = ~report.rejected
    # Selecting every row would copy them all: the usual file has no rejected row.
    rows = out.loc[:, list(REQUEST_COLUMNS)] if keep.all() else out.loc[keep, list(REQUEST_COLUMNS)]
    rows = rows.reset_index(drop=True)
    rows["row"] = report.row_numbers[keep]
    return Prepared(
        rows=rows,
        problems=report.frame(),
        rejected_rows=report.row_numbers[report.rejected],
        unmapped_types=unmapped,
        unknown_channels=_counted(out.loc[unknown_channel.to_numpy() & keep, "channel"], "channel"),
    )


def _acknowledged(
    values: pd.Series | None, opened: pd.Series, mapping: dict[str, str], context: Context, report: Report
) -> pd.Series:
    """When each contact was acknowledged (UTC), NaT when it was not or the value could not stand."""
    if values is None:
        return pd.Series(pd.NaT, index=opened.index, dtype="datetime64[ns, UTC]")
    acknowledged, _ = check_later_times(
        values, opened, what="Acknowledged", column=mapping["acknowledged_at"], timezone=context.timezone,
        plausible=context.plausible, report=report,
    )  # fmt: skip
    return acknowledged


def _source_ids(values: pd.Series | None, report: Report, mapping: dict[str, str]) -> pd.Series:
    ids = normalize_ids(values)
    name = mapping["source_id"]
    report.add(ids.isna(), name, "The record ID is empty.")
    too_long = ids.str.len() > 100
    report.add(too_long, name, "The record ID is longer than 100 characters.")
    repeated = ids.duplicated(keep="first") & ids.notna()
    if repeated.any():
        first_row = pd.Series(report.row_numbers, index=ids.index).groupby(ids).transform("first")
        report.add(
            repeated,
            name,
            lambda rows: (
                "Record ID "
                + quoted(ids[rows])
                + " appears again: row "
                + first_row[rows].astype("str")
                + " has it first."
            ),
        )
    return ids


DERIVED_ID_PREFIX = "derived-"
DERIVED_IDS_NOTE = (
    "The file has no record-ID column: each contact's key was derived from its opened time, request type "
    "and address (and its place among rows identical in all three), so uploading this file again, or a "
    "later file that overlaps it, does not count a contact twice."
)


def derived_ids(opened: pd.Series, request_type: pd.Series, address: pd.Series) -> pd.Series:
    """Return a stable key per row from its content, for files that carry no record id.

    Rows equal in opened time, type and address (case and spaces ignored) are told apart by their
    order in the file, so the same rows in the next month's overlapping export get the same keys.
    """
    content = pd.DataFrame(
        {
            "opened": opened.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna(""),
            "type": request_type.str.casefold().str.split().str.join(" ").fillna(""),
            "address": address.str.casefold().str.split().str.join(" ").fillna(""),
        }
    )
    content["place"] = content.groupby(["opened", "type", "address"], sort=False).cumcount().astype("str")
    text = content["opened"] + "\x1f" + content["type"] + "\x1f" + content["address"] + "\x1f" + content["place"]
    digests = [hashlib.sha256(value.encode("utf-8")).hexdigest()[:24] for value in text]
    return pd.Series([DERIVED_ID_PREFIX + digest for digest in digests], index=opened.index, dtype="str")


def _categorise(
    out: pd.DataFrame, own_types: pd.Series | None, type_map: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Look raw types up in the mapping table; an unmapped type is its own category and is listed."""
    keys = _per_distinct(out["request_type"], type_key)
    if type_map is not None and len(type_map):
        lookup = type_map.assign(key=type_key(type_map["raw_type"])).drop_duplicates("key").set_index("key")
        category = keys.map(lookup["category"])
        department = keys.map(lookup["department"]).fillna(out["department"])
        contact_type = keys.map(lookup["contact_type"])
    else:
        category = pd.Series(pd.NA, index=out.index, dtype="str")
        department = out["department"]
        contact_type = pd.Series(pd.NA, index=out.index, dtype="str")
    if own_types is not None:
        contact_type = own_types.fillna(contact_type)
    contact_type = contact_type.fillna(_per_distinct(out["request_type"], guess_contact_types))
    missing = category.isna() & out["request_type"].notna()
    unmapped = _counted(out.loc[missing, "request_type"], "raw_type")
    # Until it is mapped, a raw type is its own category, so trends, maps and alerts work from the first upload.
    category = category.fillna(out["request_type"].str.slice(0, CATEGORY_LENGTH))
    categorised = pd.DataFrame(
        {
            "category": category.astype("str"),
            "department": department.astype("str"),
            "contact_type": contact_type,
        }
    )
    return categorised, unmapped


def _counted(values: pd.Series, name: str) -> pd.DataFrame:
    """Return each distinct value and how many rows hold it, most frequent first."""
    return values.value_counts().rename_axis(name).reset_index(name="contacts")


def _per_distinct(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply an element-wise column function to each distinct value once; return its result per row.

    A file's request types are a few dozen values over any number of rows.
    """
    codes, uniques = pd.factorize(values)
    # Missing values (code -1) take the function's result for a missing value, put last.
    distinct = pd.concat([pd.Series(uniques, dtype=values.dtype), pd.Series([None], dtype=values.dtype)])
    results = function(distinct.reset_index(drop=True))
    return pd.Series(results.array.take(np.where(codes < 0, len(uniques), codes)), index=values.index)


def _districts(values: pd.Series | None, report: Report, mapping: dict[str, str], known: Sequence[str]) -> pd.Series:
    if values is None:
        return pd.Series(pd.NA, index=report.index, dtype="str")
    codes, unknown = normalize_districts(values, list(known) or None)
    report.add(
        unknown,
        mapping["district"],
        lambda rows: "Unknown district " + quoted(values[rows]) + ": the contact is kept without a district.",
        reject=False,
    )
    return codes.mask(unknown)


def _coordinates(column, report: Report, mapping: dict[str, str], bounds: Bounds | None) -> tuple[pd.Series, pd.Series]:  # type: ignore[no-untyped-def]
    index = report.index
    lat = pd.Series(np.nan, index=index)
    lon = pd.Series(np.nan, index=index)
    if "latitude" in mapping and "longitude" in mapping:
        lat, bad_lat = parse_numbers(column("latitude"))
        lon, bad_lon = parse_numbers(column("longitude"))
        unreadable = bad_lat | bad_lon
        report.add(
            unreadable,
            mapping["latitude"],
            "Unreadable coordinates: the contact is kept without a location.",
            reject=False,
        )
        lat, lon = lat.mask(unreadable), lon.mask(unreadable)
    if "location" in mapping:
        from_text_lat, from_text_lon, unreadable = parse_location(column("location"))
        fill = lat.isna() | lon.isna()
        lat = lat.where(~fill, from_text_lat)
        lon = lon.where(~fill, from_text_lon)
        report.add(
            fill & unreadable,
            mapping["location"],
            lambda rows: "Unreadable location " + quoted(column("location")[rows]) + ": kept without a location.",
            reject=False,
        )
    impossible = ~(lat.between(-90, 90) & lon.between(-180, 180)) & lat.notna() & lon.notna()
    null_island = (lat == 0) & (lon == 0)
    set_aside = impossible | null_island
    where = mapping.get("latitude", mapping.get("location", ""))
    report.add(
        set_aside,
        where,
        lambda rows: "Impossible coordinates " + _point(lat[rows], lon[rows]) + ": kept without a location.",
        reject=False,
    )
    # Six decimals is about 10 cm: finer digits are float noise that differs between exports.
    lat, lon = lat.mask(set_aside).round(6), lon.mask(set_aside).round(6)
    if bounds is not None:
        outside = lat.notna() & lon.notna() & ~bounds.contains(lat, lon)
        report.add(
            outside,
            where,
            lambda rows: (
                "Coordinates "
                + _point(lat[rows].round(5), lon[rows].round(5))
                + " are outside the county: kept and flagged."
            ),
            reject=False,
        )
    return lat, lon


def _point(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return lat.astype("str") + ", " + lon.astype("str")
