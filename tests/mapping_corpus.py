"""A corpus of CRM export header layouts, each with the mapping an analyst would choose.

Every layout is built from the values of a real export in tests/data/real: the real layouts as
published, then systematic variants of them (renamed as other cities' CRMs name the same things,
abbreviated, reordered, upper- or snake-cased, under title rows, with typed Excel dates, with decoy
columns that are empty or hold look-alike values, and without a record id). A layout is written to
bytes (CSV, or XLSX for typed dates) and read back through voc.ingest.read, as an upload is.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from tests.files import REAL

# Per real file: field -> its column (the mapping an analyst chooses for it).
BASES: dict[str, dict[str, str]] = {
    "nyc311_2024-04_sample.csv": {
        "source_id": "unique_key",
        "opened_at": "created_date",
        "closed_at": "closed_date",
        "request_type": "complaint_type",
        "subcategory": "descriptor",
        "department": "agency",
        "channel": "open_data_channel_type",
        "status": "status",
        "address": "incident_address",
        "zip_code": "incident_zip",
        "latitude": "latitude",
        "longitude": "longitude",
        "location": "location",
    },
    "myla311_2017_subset.csv": {
        "source_id": "SRNumber",
        "opened_at": "CreatedDate",
        "closed_at": "ClosedDate",
        "request_type": "RequestType",
        "department": "Owner",
        "channel": "RequestSource",
        "status": "Status",
        "district": "CD",
        "address": "Address",
        "zip_code": "ZipCode",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "location": "Location",
    },
    "myla311_2020_requests_seed.csv": {
        "source_id": "srnumber",
        "opened_at": "createddate",
        "closed_at": "closeddate",
        "request_type": "requesttype",
        "department": "owner",
        "channel": "requestsource",
        "status": "status",
        "district": "cd",
        "address": "address",
        "zip_code": "zipcode",
        "latitude": "latitude",
        "longitude": "longitude",
    },
    "kc311_potholes_2020JanFeb.csv": {
        "source_id": "CASE ID",
        "opened_at": "CREATION DATE",
        "opened_time": "CREATION TIME",
        "closed_at": "CLOSED DATE",
        "request_type": "REQUEST TYPE",
        "subcategory": "TYPE",
        "department": "DEPARTMENT",
        "channel": "SOURCE",
        "status": "STATUS",
        "district": "COUNCIL DISTRICT",
        "address": "STREET ADDRESS",
        "zip_code": "ZIP CODE",
        "latitude": "LATITUDE",
        "longitude": "LONGITUDE",
        "location": "ADDRESS WITH GEOCODE",
    },
    "baltimore311_2019-10_sample.csv": {
        "source_id": "ServiceRequestNum",
        "opened_at": "CreatedDate",
        "closed_at": "CloseDate",
        "request_type": "SRType",
        "department": "Agency",
        "channel": "MethodReceived",
        "status": "SRStatus",
        "district": "CouncilDistrict",
        "address": "Address",
        "zip_code": "ZipCode",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "location": "GeoLocation",
    },
    "gainesville_mygnv_311_sample5000.csv": {
        "source_id": "id",
        "opened_at": "created",
        "closed_at": "closed",
        "acknowledged_at": "acknowledged",
        "request_type": "request_type",
        "status": "status",
        "district": "commission_district",
        "address": "location_detail",
        "latitude": "latitude",
        "longitude": "longitude",
        "location": "location",
        "description": "description",
    },
    "miami_dade_311_sample5000.csv": {
        "source_id": "Ticket ID",
        "opened_at": "Ticket Created Date / Time",
        "closed_at": "Ticket Closed Date / Time",
        "request_type": "Issue Type",
        "department": "Case Owner Description",
        "channel": "Method Received",
        "status": "Ticket Status",
        "district": "Neighborhood / District / Ward / etc.",
        "address": "Street Address",
        "zip_code": "Zip / Postal Code",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "location": "Location Geo. Coded",
        "description": "Issue Description",
    },
}
BASES["myla311_2018_mini.csv"] = BASES["myla311_2017_subset.csv"]

# Published header names of other cities' 311 exports (Boston, Chicago, San Francisco, Dallas,
# Houston, Austin, Denver, New Orleans, Cincinnati, Salesforce and Dynamics CRMs' report defaults),
# per field, to rename a real file's columns with.
BOSTON = {
    "source_id": "case_enquiry_id",
    "opened_at": "open_dt",
    "closed_at": "closed_dt",
    "request_type": "type",
    "department": "department",
    "channel": "source",
    "status": "case_status",
    "district": "city_council_district",
    "address": "location",
    "zip_code": "location_zipcode",
    "latitude": "latitude",
    "longitude": "longitude",
}
CHICAGO = {
    "source_id": "SR_NUMBER",
    "opened_at": "CREATED_DATE",
    "closed_at": "CLOSED_DATE",
    "request_type": "SR_TYPE",
    "department": "OWNER_DEPARTMENT",
    "channel": "ORIGIN",
    "status": "STATUS",
    "district": "WARD",
    "address": "STREET_ADDRESS",
    "zip_code": "ZIP_CODE",
    "latitude": "LATITUDE",
    "longitude": "LONGITUDE",
    "location": "LOCATION",
}
SAN_FRANCISCO = {
    "source_id": "CaseID",
    "opened_at": "Opened",
    "closed_at": "Closed",
    "request_type": "Category",
    "subcategory": "Request Type",
    "department": "Responsible Agency",
    "channel": "Source",
    "status": "Status",
    "district": "Supervisor District",
    "address": "Address",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "location": "Point",
}
DALLAS = {
    "source_id": "Service Request Number",
    "opened_at": "Created Date",
    "closed_at": "Closed Date",
    "request_type": "Service Request Type",
    "department": "Department",
    "channel": "Method Received Description",
    "status": "Status",
    "district": "City Council District",
    "address": "Address",
    "latitude": "Lat",
    "longitude": "Long",
}
HOUSTON = {
    "source_id": "CASE NUMBER",
    "opened_at": "SR CREATE DATE",
    "closed_at": "DATE CLOSED",
    "request_type": "SR TYPE",
    "department": "DEPARTMENT",
    "channel": "Channel Type",
    "status": "STATUS",
    "district": "DISTRICT",
    "address": "SR LOCATION",
    "latitude": "LATITUDE",
    "longitude": "LONGITUDE",
}
AUSTIN = {
    "source_id": "Service Request (SR) Number",
    "opened_at": "Created Date",
    "closed_at": "Close Date",
    "request_type": "SR Description",
    "department": "Owning Department",
    "channel": "Method Received",
    "status": "SR Status",
    "district": "Council District",
    "address": "SR Location",
    "zip_code": "Zip Code",
    "latitude": "Latitude Coordinate",
    "longitude": "Longitude Coordinate",
}
NEW_ORLEANS = {
    "source_id": "Service Request #",
    "opened_at": "Date Created",
    "closed_at": "Date Closed",
    "request_type": "Request Type",
    "subcategory": "Request Reason",
    "department": "Responsible Agency",
    "channel": "Intake Channel",
    "status": "Status",
    "district": "Council District",
    "address": "Final Address",
    "latitude": "Latitude",
    "longitude": "Longitude",
}
SALESFORCE = {
    "source_id": "Case #",
    "opened_at": "Date/Time Opened",
    "closed_at": "Date/Time Closed",
    "request_type": "Case Type",
    "department": "Case Owner: Department",
    "channel": "Case Origin",
    "status": "Status",
    "district": "Commission District",
    "address": "Street",
    "zip_code": "Zip/Postal Code",
    "description": "Description",
}
DYNAMICS = {
    "source_id": "Ticket #",
    "opened_at": "Created On",
    "closed_at": "Resolved On",
    "request_type": "Subject",
    "department": "Owning Business Unit",
    "channel": "Origin",
    "status": "Status Reason",
    "district": "District",
    "address": "Address 1: Street 1",
    "zip_code": "Address 1: ZIP/Postal Code",
}
ABBREVIATED = {
    "source_id": "Req No.",
    "opened_at": "OPEN DT",
    "closed_at": "CLSD DT",
    "request_type": "Req Type",
    "department": "Dept",
    "channel": "Src",
    "status": "Stat",
    "district": "Comm Dist",
    "address": "Addr",
    "zip_code": "Zip",
    "latitude": "Lat",
    "longitude": "Lon",
}
NUMBER_SIGNS = {
    "source_id": "SR #",
    "opened_at": "Opened",
    "closed_at": "Closed",
    "request_type": "Type of Request",
    "department": "Assigned Dept.",
    "channel": "Received Via",
    "status": "Current Status",
    "district": "Dist. No.",
    "address": "Location Address",
    "zip_code": "Postal Code",
    "latitude": "Y",
    "longitude": "X",
}
NUMBERS = {
    "source_id": "Request Nbr",
    "opened_at": "Date Received",
    "closed_at": "Date Completed",
    "request_type": "Service Requested",
    "department": "Division",
    "channel": "Contact Method",
    "status": "Request Status",
    "district": "Ward",
    "address": "Incident Location",
    "zip_code": "ZIP5",
    "latitude": "Latitude (WGS84)",
    "longitude": "Longitude (WGS84)",
}


@dataclass(frozen=True)
class Layout:
    """One header layout: its name, the file's bytes, and the field -> column an analyst expects."""

    name: str
    kind: str  # real, renamed, abbreviated, reordered, cased, title rows, typed dates, decoys, no id
    build: Callable[[], tuple[bytes, str]]
    expected: dict[str, str]
    crosswalk: bool = True  # whether voc's known layouts may be used
    notes: list[str] = field(default_factory=list)


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REAL / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _csv(frame: pd.DataFrame, *, title: str | None = None) -> tuple[bytes, str]:
    text = frame.to_csv(index=False)
    if title:
        width = "," * (frame.shape[1] - 1)
        text = f"{title}{width}\nExported 2024-05-01 by the CRM{width}\n{width}\n{text}"
    return text.encode("utf-8"), "export.csv"


def _xlsx(frame: pd.DataFrame, typed: dict[str, str]) -> tuple[bytes, str]:
    """Write an XLSX whose `typed` columns (column -> "datetime"/"date") hold real Excel dates."""
    frame = frame.copy()
    for column, kind in typed.items():
        parsed = pd.to_datetime(frame[column], errors="coerce", format="mixed")
        frame[column] = parsed.dt.normalize() if kind == "date" else parsed
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue(), "export.xlsx"


def _renamed(base: str, names: dict[str, str], *, drop_id: bool = False) -> tuple[pd.DataFrame, dict[str, str]]:
    """Keep a real file's mapped columns for `names`' fields, renamed to `names`; return frame, expected."""
    source = load(base)
    columns = BASES[base]
    fields = [f for f in names if f in columns and not (drop_id and f == "source_id")]
    frame = pd.DataFrame({names[f]: source[columns[f]] for f in fields})
    return frame, {f: names[f] for f in fields}


def _case(name: str, kind: str, base: str, names: dict[str, str], **options: object) -> Layout:
    frame, expected = _renamed(base, names, drop_id=bool(options.get("drop_id")))
    changes: dict[str, Callable[[pd.Series], pd.Series]] = options.get("change", {})  # type: ignore[assignment]
    for name_of_field, change in changes.items():
        frame[expected[name_of_field]] = change(frame[expected[name_of_field]])
    extra: dict[str, Callable[[pd.DataFrame], pd.Series]] = options.get("extra", {})  # type: ignore[assignment]
    for column, make in extra.items():
        frame[column] = make(frame)
    if options.get("shuffle"):
        order = list(frame.columns)
        random.Random(name).shuffle(order)
        frame = frame[order]
    typed: dict[str, str] = options.get("typed", {})  # type: ignore[assignment]
    title = options.get("title")

    def build() -> tuple[bytes, str]:
        return _xlsx(frame, typed) if typed else _csv(frame, title=title)  # type: ignore[arg-type]

    return Layout(name, kind, build, expected, crosswalk=bool(options.get("crosswalk", False)))


def _real(name: str) -> Layout:
    frame = load(name)
    return Layout(f"{name} as published", "real", lambda: _csv(frame), BASES[name], crosswalk=True)


def _real_unseen(name: str) -> Layout:
    """The real layout as if voc had never seen it: names and values only, no crosswalk."""
    frame = load(name)
    return Layout(f"{name} without its crosswalk", "real", lambda: _csv(frame), BASES[name], crosswalk=False)


def _empty(_frame: pd.DataFrame) -> pd.Series:
    return pd.Series("", index=_frame.index)


def _nearly_empty(frame: pd.DataFrame) -> pd.Series:
    values = pd.Series("", index=frame.index)
    values.iloc[:2] = ["https://example.org/photo1.jpg", "https://example.org/photo2.jpg"]
    return values


def _constant(value: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: pd.Series(value, index=frame.index)


def _zip_as_number(values: pd.Series) -> pd.Series:
    """Write ZIPs as a spreadsheet that took them for numbers does: 21202 -> "21202.0"."""
    return values.mask(values.str.fullmatch(r"\d{5}"), values + ".0")


def _odd_zip_values(values: pd.Series) -> pd.Series:
    """Put a different odd value in every 12th row, so few distinct values but most rows are ZIPs."""
    values = values.copy()
    odd = values.index[::12]
    values[odd] = [f"see note {i}" for i in range(len(odd))]
    return values


def _upper(names: dict[str, str]) -> dict[str, str]:
    return {f: n.upper() for f, n in names.items()}


def _snake(names: dict[str, str]) -> dict[str, str]:
    return {f: "_".join(n.lower().replace("#", "number").replace(".", "").split()) for f, n in names.items()}


def corpus() -> list[Layout]:
    """Return every layout of the corpus (at least 40)."""
    real_files = sorted(BASES)
    layouts = [_real(name) for name in real_files] + [_real_unseen(name) for name in real_files]
    renamed = [
        ("Boston", BOSTON, "myla311_2017_subset.csv"),
        ("Chicago", CHICAGO, "kc311_potholes_2020JanFeb.csv"),
        ("San Francisco", SAN_FRANCISCO, "miami_dade_311_sample5000.csv"),
        ("Dallas", DALLAS, "baltimore311_2019-10_sample.csv"),
        ("Houston", HOUSTON, "myla311_2020_requests_seed.csv"),
        ("Austin", AUSTIN, "kc311_potholes_2020JanFeb.csv"),
        ("New Orleans", NEW_ORLEANS, "myla311_2018_mini.csv"),
        ("Salesforce report", SALESFORCE, "miami_dade_311_sample5000.csv"),
        ("Dynamics report", DYNAMICS, "baltimore311_2019-10_sample.csv"),
        ("numbers", NUMBERS, "myla311_2017_subset.csv"),
    ]
    layouts += [_case(f"{city} names", "renamed", base, names) for city, names, base in renamed]
    layouts += [
        _case("abbreviated names", "abbreviated", "myla311_2017_subset.csv", ABBREVIATED),
        _case("abbreviated names, Miami-Dade values", "abbreviated", "miami_dade_311_sample5000.csv", ABBREVIATED),
        _case("number signs and X/Y", "abbreviated", "baltimore311_2019-10_sample.csv", NUMBER_SIGNS),
        _case("Chicago names reordered", "reordered", "myla311_2017_subset.csv", CHICAGO, shuffle=True),
        _case("Dallas names reordered", "reordered", "kc311_potholes_2020JanFeb.csv", DALLAS, shuffle=True),
        _case("Austin names reordered", "reordered", "baltimore311_2019-10_sample.csv", AUSTIN, shuffle=True),
        _case("New Orleans names upper case", "cased", "miami_dade_311_sample5000.csv", _upper(NEW_ORLEANS)),
        _case("Salesforce names snake case", "cased", "myla311_2017_subset.csv", _snake(SALESFORCE)),
        _case("Dallas names snake case", "cased", "miami_dade_311_sample5000.csv", _snake(DALLAS)),
        _case("Boston names upper case", "cased", "baltimore311_2019-10_sample.csv", _upper(BOSTON)),
        _case("Austin names under title rows", "title rows", "myla311_2017_subset.csv", AUSTIN, title="311 report"),
        _case(
            "Salesforce report under title rows",
            "title rows",
            "baltimore311_2019-10_sample.csv",
            SALESFORCE,
            title="Cases by owner",
        ),
        _case(
            "Houston names under title rows", "title rows", "kc311_potholes_2020JanFeb.csv", HOUSTON, title="SR export"
        ),
        _case(
            "Dallas names, typed dates",
            "typed dates",
            "myla311_2017_subset.csv",
            DALLAS,
            typed={"Created Date": "datetime", "Closed Date": "datetime"},
        ),
        _case(
            "Dynamics report, typed dates",
            "typed dates",
            "miami_dade_311_sample5000.csv",
            DYNAMICS,
            typed={"Created On": "datetime", "Resolved On": "date"},
        ),
        _case(
            "Boston names, typed dates",
            "typed dates",
            "baltimore311_2019-10_sample.csv",
            BOSTON,
            typed={"open_dt": "datetime", "closed_dt": "datetime"},
        ),
        _case(
            "Boston with its photo and target columns",
            "decoys",
            "myla311_2017_subset.csv",
            BOSTON,
            extra={"submitted_photo": _empty, "closed_photo": _nearly_empty, "target_dt": _empty},
        ),
        _case(
            "Chicago with empty decoys",
            "decoys",
            "baltimore311_2019-10_sample.csv",
            CHICAGO,
            extra={"CREATED_HOUR": _constant("12"), "SUBMITTED_BY": _empty, "CREATED_DEPARTMENT": _empty},
        ),
        _case(
            "San Francisco with a media URL",
            "decoys",
            "myla311_2018_mini.csv",
            SAN_FRANCISCO,
            extra={"Media URL": _nearly_empty, "Opened By": _empty},
        ),
        _case(
            "Austin names, ZIPs stored as numbers",
            "decoys",
            "baltimore311_2019-10_sample.csv",
            AUSTIN,
            change={"zip_code": _zip_as_number},
        ),
        _case(
            "numbers names, odd ZIP values",
            "decoys",
            "myla311_2017_subset.csv",
            NUMBERS,
            change={"zip_code": _odd_zip_values},
        ),
        _case("Boston without a case id", "no id", "myla311_2017_subset.csv", BOSTON, drop_id=True),
        _case("Dallas without a request number", "no id", "miami_dade_311_sample5000.csv", DALLAS, drop_id=True),
        _case(
            "New Orleans without a request number", "no id", "kc311_potholes_2020JanFeb.csv", NEW_ORLEANS, drop_id=True
        ),
    ]
    return layouts
