"""Page through an open-data API's records: Socrata SODA 2, ArcGIS FeatureServer layers, Open311 GeoReport v2.

Each API yields pages of records as text frames, the way a CSV export reads, so a pull goes through
the same mapping and validation as an upload. Every page also says the newest change among its
records (the feed's high-water mark) and which column identifies a record, so that a record seen
twice while paging (it changed in between) is kept once, as last seen.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from voc.core.errors import FeedRefused
from voc.ingest.fetch import Response
from voc.ingest.read import RawTable

Getter = Callable[[str, Mapping[str, Any]], Response]

DEFAULT_PAGE_SIZE = 5_000
# Socrata's system fields: `:*` asks for them; they page and mark a pull but are not the county's data.
SOCRATA_SYSTEM_FIELDS = (":id", ":created_at", ":updated_at", ":version")
# GeoReport v2 servers answer at most 90 days per request, and with no start date only the last 90 days.
OPEN311_WINDOW = timedelta(days=90)
OPEN311_SMALLEST_WINDOW = timedelta(seconds=1)
# Halving stops at a second, but a server that answers every window alike could still make millions of requests.
OPEN311_MOST_REQUESTS = 5_000
# The column a layer's point goes in, as WKT: a name the mapping reads as a location.
GEOMETRY_COLUMN = "coordinates"


@dataclass(frozen=True)
class Query:
    """What to pull: the API's URL (its own query parameters are kept), a filter, and from when."""

    url: str
    now: datetime  # aware; the end of an Open311 pull
    where: str | None = None  # SoQL for Socrata, SQL for ArcGIS; GeoReport v2 has no filter
    since: datetime | None = None  # aware; records changed (Open311: opened) at or after it
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class Page:
    frame: pd.DataFrame  # one row per record, every value text ("" when it has none)
    key: str  # the column that identifies a record
    reached: pd.Timestamp | None  # the newest change (Open311: opening) among its records, UTC
    size: int  # bytes received


def socrata_pages(query: Query, get: Getter) -> Iterator[Page]:
    """Page through a SODA 2 resource (`/resource/<id>.json`) by `$offset`, ordered by `:updated_at`, `:id`."""
    conditions = [f"({query.where})"] if query.where else []
    if query.since is not None:
        since = query.since.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
        conditions.append(f":updated_at >= '{since}'")
    params: dict[str, Any] = {"$select": ":*, *", "$order": ":updated_at, :id", "$limit": query.page_size}
    if conditions:
        params["$where"] = " AND ".join(conditions)
    offset = 0
    while True:
        response = get(query.url, {**params, "$offset": offset})
        if not isinstance(response.body, list):
            raise FeedRefused(
                f"{query.url} did not answer with a list of records: give the SODA resource's address, "
                "like https://data.example.gov/resource/abcd-1234.json."
            )
        columns = _header_list(response.headers.get("X-SODA2-Fields"))
        frame = _frame(response.body, columns)
        yield Page(frame=frame, key=":id", reached=_newest(frame.get(":updated_at")), size=response.size)
        if len(response.body) < query.page_size:
            return
        offset += query.page_size


def _header_list(value: str | None) -> list[str]:
    """Read a header holding a JSON list of names (Socrata's X-SODA2-Fields); [] if absent or odd."""
    try:
        names = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(name) for name in names] if isinstance(names, list) else []


def arcgis_pages(query: Query, get: Getter) -> Iterator[Page]:
    """Page through a FeatureServer layer's `/query` by `resultOffset`, ordered by its edit date and object id.

    The layer's description (its editor-tracking field, object-id field, date fields and largest page)
    comes first. `f=geojson` in the URL asks for GeoJSON pages; otherwise `f=json`.
    """
    layer, answer_format = _arcgis_layer(query.url)
    meta = _arcgis_body(get(layer, {"f": "json"}), layer)
    edited = (meta.get("editFieldsInfo") or {}).get("editDateField")
    object_id = meta.get("objectIdField") or "OBJECTID"
    dates = {f.get("name") for f in meta.get("fields") or [] if f.get("type") == "esriFieldTypeDate"}
    if query.since is not None and not edited:
        raise FeedRefused(
            f"The layer {layer} does not track edits, so voc cannot ask it for the records changed since a date. "
            "Leave out --since: each pull then reads the whole layer and stores only what changed."
        )
    conditions = [f"({query.where})" if query.where else "1=1"]
    if query.since is not None:
        conditions.append(f"{edited} >= TIMESTAMP '{query.since.astimezone(UTC):%Y-%m-%d %H:%M:%S}'")
    size = min(query.page_size, int(meta.get("maxRecordCount") or query.page_size))
    params = {
        "where": " AND ".join(conditions), "outFields": "*", "returnGeometry": "true", "outSR": "4326",
        "orderByFields": f"{edited}, {object_id}" if edited else object_id, "resultRecordCount": size,
        "f": answer_format,
    }  # fmt: skip
    offset = 0
    while True:
        body = _arcgis_body(get(f"{layer}/query", {**params, "resultOffset": offset}), layer)
        features = body.get("features") or []
        records = [_arcgis_record(feature, dates) for feature in features]
        columns = [f["name"] for f in meta.get("fields") or [] if f.get("name")]
        frame = _frame(records, columns)
        reached = _newest(frame.get(edited)) if edited else None
        yield Page(frame=frame, key=object_id, reached=reached, size=len(json.dumps(body)))
        more = body.get("exceededTransferLimit") or (body.get("properties") or {}).get("exceededTransferLimit")
        if not more or not features:
            return
        offset += len(features)


def _arcgis_layer(url: str) -> tuple[str, str]:
    """Return the layer's URL (without `/query` or a query string) and the answer format asked for."""
    parts = urllib.parse.urlsplit(url)
    asked = dict(urllib.parse.parse_qsl(parts.query)).get("f", "json").lower()
    if asked not in {"json", "pjson", "geojson"}:
        raise FeedRefused(f"voc reads ArcGIS answers as f=json or f=geojson, not f={asked}.")
    path = parts.path.rstrip("/").removesuffix("/query")
    return urllib.parse.urlunsplit(parts._replace(path=path, query="", fragment="")), (
        "geojson" if asked == "geojson" else "json"
    )


def _arcgis_body(response: Response, layer: str) -> dict[str, Any]:
    """Return an ArcGIS answer, refusing the errors ArcGIS reports inside an HTTP 200 answer."""
    body = response.body
    if not isinstance(body, dict):
        raise FeedRefused(f"{layer} did not answer as an ArcGIS layer: give a FeatureServer layer's address.")
    if "error" in body:
        error = body["error"] or {}
        details = "; ".join(str(d) for d in error.get("details") or [])
        said = f"{error.get('message', 'an error')}{' (' + details + ')' if details else ''}"
        raise FeedRefused(f"{layer} refused the query (ArcGIS error {error.get('code', '?')}: {said}).")
    return body


def _arcgis_record(feature: dict[str, Any], dates: set[str]) -> dict[str, Any]:
    """Flatten a feature into a record: its attributes, dates as ISO UTC text, its point as WKT."""
    record = dict(feature.get("attributes") or feature.get("properties") or {})
    for name in dates & record.keys():
        if isinstance(record[name], int | float):  # milliseconds since 1970, UTC
            record[name] = datetime.fromtimestamp(record[name] / 1000, UTC).isoformat().replace("+00:00", "Z")
    geometry = feature.get("geometry") or {}
    point = geometry.get("coordinates") if "coordinates" in geometry else [geometry.get("x"), geometry.get("y")]
    if isinstance(point, list) and len(point) >= 2 and all(isinstance(v, int | float) for v in point[:2]):
        record[GEOMETRY_COLUMN] = f"POINT ({point[0]} {point[1]})"
    return record


def open311_pages(query: Query, get: Getter) -> Iterator[Page]:
    """Ask a GeoReport v2 `requests.json` for windows of `start_date`/`end_date`, 90 days at most each.

    GeoReport v2 servers cut an answer at a limit of their own and do not say so: a window whose
    answer is as large as the largest yet may have been cut, so it is halved and asked again.
    """
    if query.where:
        raise FeedRefused("GeoReport v2 has no filter: leave out --where for an Open311 feed.")
    start = query.since or query.now - OPEN311_WINDOW
    windows = _windows(start, query.now)
    largest = asked = 0
    while windows:
        asked += 1
        if asked > OPEN311_MOST_REQUESTS:
            raise FeedRefused(
                f"{query.url} needed more than {OPEN311_MOST_REQUESTS:,} requests, as if every answer were cut off: "
                "nothing was written. Pull a shorter period with --since."
            )
        first, last = windows.pop(0)
        params = {"start_date": _w3c(first), "end_date": _w3c(last)}
        response = get(query.url, params)
        if not isinstance(response.body, list):
            raise FeedRefused(f"{query.url} did not answer with a list of service requests: is it requests.json?")
        count = len(response.body)
        if count and count >= largest and last - first > OPEN311_SMALLEST_WINDOW:
            largest = count
            middle = first + (last - first) / 2
            windows[:0] = [(first, middle), (middle, last)]
            continue
        largest = max(largest, count)
        frame = _frame(response.body, [])
        yield Page(frame=frame, key="service_request_id", reached=_newest(frame.get("requested_datetime")),
                   size=response.size)  # fmt: skip


def _windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    windows = []
    while start < end:
        windows.append((start, min(start + OPEN311_WINDOW, end)))
        start += OPEN311_WINDOW
    return windows


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


PAGERS: dict[str, Callable[[Query, Getter], Iterator[Page]]] = {
    "socrata": socrata_pages,
    "arcgis": arcgis_pages,
    "open311": open311_pages,
}


def _text(value: Any) -> str:
    """Return a JSON value as a CSV export would write it; objects (a Socrata location) stay JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def _frame(records: list[Any], columns: list[str]) -> pd.DataFrame:
    """Return records (JSON objects) as a text frame: the named columns first, then any others seen."""
    if not all(isinstance(record, dict) for record in records):
        raise FeedRefused("The feed answered with something other than records (JSON objects).")
    names = dict.fromkeys(columns)
    for record in records:
        names.update(dict.fromkeys(record))
    # Column by column, with text (most values) passed through: a fifth faster than row by row.
    columns_of_text = {
        name: pd.array([v if type(v) is str else _text(v) for v in (r.get(name) for r in records)], dtype="str")
        for name in names
    }
    return pd.DataFrame(columns_of_text, index=pd.RangeIndex(len(records)))


def _newest(values: pd.Series | None) -> pd.Timestamp | None:
    if values is None or values.empty:
        return None
    newest = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601").max()
    return None if pd.isna(newest) else newest


def table_of(pages: list[Page]) -> RawTable:
    """Join pages into one raw table: a record seen twice kept as last seen, Socrata's system fields dropped.

    Records are numbered 1, 2... in the order fetched: a problem's "row" is its record's number.
    """
    frame = pd.concat([page.frame for page in pages], ignore_index=True).fillna("")
    key = pages[0].key
    if key in frame.columns:
        kept = frame[frame[key] == ""]
        frame = pd.concat([kept, frame[frame[key] != ""].drop_duplicates(key, keep="last")]).sort_index()
    frame = frame.drop(columns=[c for c in SOCRATA_SYSTEM_FIELDS if c in frame.columns]).reset_index(drop=True)
    return RawTable(
        frame=frame.astype("str"),
        row_numbers=np.arange(1, len(frame) + 1),
        header_row=0,
        sheet=None,
        sheets=(),
        encoding=None,
        delimiter=None,
    )
