"""Open-data portals on loopback for the feed tests: real records served in each API's documented format.

- Socrata SODA 2 (`/resource/erm2-nwe9.json`): NYC 311 records, text values, null fields left out,
  `$select=:*, *` adds the system fields, `$where`, `$order`, `$limit`, `$offset`, X-SODA2-Fields.
- ArcGIS FeatureServer (`/arcgis/rest/services/311/FeatureServer/0`): Baltimore 311 records, dates in
  epoch milliseconds, `where`, `orderByFields`, `resultOffset`, `resultRecordCount`, `f=json|geojson`,
  errors inside an HTTP 200 answer, `exceededTransferLimit`.
- Open311 GeoReport v2 (`/open311/v2/requests.json`): Gainesville myGNV records, `start_date` and
  `end_date` at most 90 days apart, at most `open311_limit` requests per answer, newest first.

`Portal` holds the records and the faults to inject; tests change them between pulls.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REAL = Path(__file__).parent / "data" / "real"
LOCAL = ZoneInfo("America/New_York")
BALTIMORE_DATES = ("CreatedDate", "StatusDate", "DueDate", "CloseDate", "LastActivityDate")


def _csv(name: str) -> list[dict[str, str]]:
    with open(REAL / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=LOCAL).astimezone(UTC)


def nyc_records() -> list[dict[str, Any]]:
    """NYC 311 as SODA 2 JSON: text values, empty fields left out, a location object, system fields."""
    records = []
    for number, row in enumerate(_csv("nyc311_2024-04_sample.csv"), start=1):
        record: dict[str, Any] = {key: value for key, value in row.items() if value and key != "location"}
        if row["latitude"]:
            record["location"] = {"latitude": row["latitude"], "longitude": row["longitude"], "human_address": "{}"}
        changed = datetime.fromisoformat(row["resolution_action_updated_date"] or row["created_date"])
        record[":id"] = f"row-{number:04d}"
        record[":updated_at"] = _utc(changed).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        records.append(record)
    return records


def gainesville_records() -> list[dict[str, Any]]:
    """Gainesville myGNV 311 as its portal's SODA 2 JSON (Socrata 78uv-94ar): text values, empty fields left out."""
    records = []
    for number, row in enumerate(_csv("gainesville_mygnv_311_sample5000.csv"), start=1):
        record: dict[str, Any] = {key: value for key, value in row.items() if value}
        changed = datetime.strptime(row["last_updated"][:16], "%m/%d/%Y %H:%M")
        record[":id"] = f"row-{number:04d}"
        record[":updated_at"] = _utc(changed).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        records.append(record)
    return records


def baltimore_features() -> list[dict[str, Any]]:
    """Baltimore 311 as ArcGIS features: attributes with epoch-millisecond dates, nulls for "NA", a point."""
    features = []
    for number, row in enumerate(_csv("baltimore311_2019-10_sample.csv"), start=1):
        attributes: dict[str, Any] = {"OBJECTID": number}
        for key, value in row.items():
            if not key:
                continue
            value = None if value in ("", "NA") else value
            if key in BALTIMORE_DATES and value:
                moment = _utc(datetime.strptime(value, "%m/%d/%Y %I:%M:%S %p"))
                value = int(moment.timestamp() * 1000)
            elif key in ("Latitude", "Longitude") and value:
                value = float(value)
            attributes[key] = value
        point = (attributes["Longitude"], attributes["Latitude"])
        geometry = {"x": point[0], "y": point[1]} if point[0] is not None else None
        features.append({"attributes": attributes, "geometry": geometry})
    return features


def gainesville_requests() -> list[dict[str, Any]]:
    """Gainesville myGNV (a SeeClickFix city) as GeoReport v2 service requests."""
    requests = []
    for row in _csv("gainesville_mygnv_311_sample5000.csv"):
        opened = _utc(datetime.fromisoformat(row["created"]))
        updated = _utc(datetime.strptime(row["last_updated"][:16], "%m/%d/%Y %H:%M")) if row["last_updated"] else None
        requests.append({
            "service_request_id": row["id"], "status": "closed" if row["closed"] else "open",
            "status_notes": None, "service_name": row["request_type"],
            "service_code": re.sub(r"\W+", "-", row["request_type"].lower()), "description": row["description"],
            "agency_responsible": row["assigned_to"] or None, "service_notice": None,
            "requested_datetime": opened.isoformat(), "updated_datetime": updated.isoformat() if updated else None,
            "expected_datetime": None, "address": row["location_detail"], "address_id": None, "zipcode": None,
            "lat": float(row["latitude"]) if row["latitude"] else None,
            "long": float(row["longitude"]) if row["longitude"] else None, "media_url": None,
        })  # fmt: skip
    return requests


@dataclass
class Portal:
    socrata: list[dict[str, Any]] = field(default_factory=nyc_records)
    arcgis: list[dict[str, Any]] = field(default_factory=baltimore_features)
    open311: list[dict[str, Any]] = field(default_factory=gainesville_requests)
    open311_limit: int = 50
    arcgis_max_records: int = 1000
    fail_at: dict[str, int] = field(default_factory=dict)  # query parameter -> value that always fails
    failure_status: int = 500
    flaky: int = 0  # the next this many requests answer 503 first
    requests: list[str] = field(default_factory=list)
    app_tokens: list[str | None] = field(default_factory=list)  # the X-App-Token of each request
    lock: threading.Lock = field(default_factory=threading.Lock)


def _soql_matches(record: dict[str, Any], where: str) -> bool | None:
    """Evaluate the conditions voc writes (`(a = 'x') AND :updated_at >= '...'`); None for an unknown column."""
    for condition in filter(None, where.split(" AND ")):
        found = re.fullmatch(r"\(?\s*([:\w]+)\s*(>=|=)\s*'([^']*)'\s*\)?", condition.strip())
        if found is None:
            return None
        column, operator, value = found.groups()
        if column not in {":updated_at", "complaint_type", "agency", "status"}:
            return None
        have = record.get(column, "")
        if column == ":updated_at":
            have, value = have.removesuffix("Z"), value[:23]
        if (operator == "=" and have != value) or (operator == ">=" and have < value):
            return False
    return True


def _arcgis_matches(attributes: dict[str, Any], where: str) -> bool:
    for condition in where.split(" AND "):
        condition = condition.strip().strip("()")
        stamp = re.fullmatch(r"(\w+) >= TIMESTAMP '([^']*)'", condition)
        equal = re.fullmatch(r"(\w+) = '([^']*)'", condition)
        if stamp:
            moment = datetime.strptime(stamp.group(2), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            if (attributes.get(stamp.group(1)) or 0) < moment.timestamp() * 1000:
                return False
        elif equal and attributes.get(equal.group(1)) != equal.group(2):
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    portal: Portal

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Keep test output quiet."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(parts.query))
        portal = self.portal
        with portal.lock:
            portal.requests.append(self.path)
            portal.app_tokens.append(self.headers.get("X-App-Token"))
            if portal.flaky:
                portal.flaky -= 1
                return self._send(503, {"message": "busy"}, {"Retry-After": "0"})
        if any(params.get(name) == str(value) for name, value in portal.fail_at.items()):
            return self._send(portal.failure_status, {"message": "internal error"})
        if parts.path == "/resource/erm2-nwe9.json":
            return self._socrata(params)
        if parts.path == "/arcgis/rest/services/311/FeatureServer/0":
            return self._send(200, self._arcgis_layer())
        if parts.path == "/arcgis/rest/services/311/FeatureServer/0/query":
            return self._arcgis_query(params)
        if parts.path == "/open311/v2/requests.json":
            return self._open311(params)
        return self._send(404, {"message": "not found"})

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _socrata(self, params: dict[str, str]) -> None:
        records = [r for r in self.portal.socrata]
        matches = [_soql_matches(r, params.get("$where", "")) for r in records]
        if None in matches:
            return self._send(400, {"code": "query.soql.no-such-column", "error": True,
                                    "message": "No such column: " + params.get("$where", "")})  # fmt: skip
        records = [r for r, keep in zip(records, matches, strict=True) if keep]
        records.sort(key=lambda r: (r[":updated_at"], r[":id"]))
        offset, limit = int(params.get("$offset", 0)), int(params.get("$limit", 1000))
        system = ":*" in params.get("$select", "")
        chosen = records[offset : offset + limit]
        page = [{k: v for k, v in r.items() if system or not k.startswith(":")} for r in chosen]
        fields = sorted({key for record in self.portal.socrata for key in record})
        return self._send(200, page, {"X-SODA2-Fields": json.dumps(fields)})

    def _arcgis_layer(self) -> dict[str, Any]:
        names = list(self.portal.arcgis[0]["attributes"])
        types = {name: "esriFieldTypeDate" if name in BALTIMORE_DATES else "esriFieldTypeString" for name in names}
        types.update(OBJECTID="esriFieldTypeOID", Latitude="esriFieldTypeDouble", Longitude="esriFieldTypeDouble")
        return {
            "name": "311 Customer Service Requests", "objectIdField": "OBJECTID",
            "maxRecordCount": self.portal.arcgis_max_records,
            "editFieldsInfo": {"editDateField": "StatusDate"},
            "fields": [{"name": name, "type": types[name]} for name in names],
        }  # fmt: skip

    def _arcgis_query(self, params: dict[str, str]) -> None:
        where = params.get("where", "")
        if "nosuchfield" in where.lower():
            return self._send(200, {"error": {"code": 400, "message": "Cannot perform query. Invalid query parameters.",
                                              "details": ["'where' parameter is invalid"]}})  # fmt: skip
        features = [f for f in self.portal.arcgis if _arcgis_matches(f["attributes"], where)]
        order = [name.strip() for name in params.get("orderByFields", "OBJECTID").split(",")]
        features.sort(key=lambda f: tuple(f["attributes"].get(name) or 0 for name in order))
        offset = int(params.get("resultOffset", 0))
        count = min(int(params.get("resultRecordCount", 1000)), self.portal.arcgis_max_records)
        page, more = features[offset : offset + count], offset + count < len(features)
        if params.get("f") == "geojson":
            collection = [
                {"type": "Feature", "id": f["attributes"]["OBJECTID"], "properties": f["attributes"],
                 "geometry": {"type": "Point", "coordinates": [f["geometry"]["x"], f["geometry"]["y"]]}
                 if f["geometry"] else None}
                for f in page
            ]  # fmt: skip
            body: dict[str, Any] = {"type": "FeatureCollection", "features": collection}
            if more:
                body["properties"] = {"exceededTransferLimit": True}
            return self._send(200, body)
        return self._send(200, {"objectIdFieldName": "OBJECTID", "geometryType": "esriGeometryPoint",
                                "spatialReference": {"wkid": 4326}, "features": page,
                                "exceededTransferLimit": more})  # fmt: skip

    def _open311(self, params: dict[str, str]) -> None:
        start = datetime.fromisoformat(params["start_date"]) if "start_date" in params else None
        end = datetime.fromisoformat(params["end_date"]) if "end_date" in params else None
        if start and end and end - start > timedelta(days=90):
            return self._send(400, [{"code": 400, "description": "start_date and end_date span more than 90 days"}])
        found = [
            r for r in self.portal.open311
            if (start is None or datetime.fromisoformat(r["requested_datetime"]) >= start)
            and (end is None or datetime.fromisoformat(r["requested_datetime"]) <= end)
        ]  # fmt: skip
        found.sort(key=lambda r: r["requested_datetime"], reverse=True)
        return self._send(200, found[: self.portal.open311_limit])


class PortalServer:
    """A ThreadingHTTPServer on a loopback port (by default a free one), serving a Portal until stopped."""

    def __init__(self, portal: Portal, port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"portal": portal})
        self.portal = portal
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
