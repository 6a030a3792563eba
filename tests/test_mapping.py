"""Tests of column-mapping proposals (voc.ingest.mapping) against real and unseen headers."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.files import REAL
from tests.mapping_corpus import BASES
from voc.core.fields import PERSONAL_FIELD_NAMES
from voc.ingest.header import header_key, header_words
from voc.ingest.layouts import KNOWN_LAYOUTS
from voc.ingest.mapping import (
    GUESS_BELOW,
    LAYOUT_UNCHECKED,
    ColumnMatch,
    ProposedMapping,
    override,
    propose_mapping,
)


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REAL / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


LA_2017_2018 = BASES["myla311_2017_subset.csv"]

LAYOUT_NAMES = {
    "nyc311_2024-04_sample.csv": "New York City 311",
    "myla311_2017_subset.csv": "Los Angeles MyLA311 (2016-2018)",
    "myla311_2018_mini.csv": "Los Angeles MyLA311 (2016-2018)",
    "myla311_2020_requests_seed.csv": "Los Angeles MyLA311 (2019 onwards)",
    "kc311_potholes_2020JanFeb.csv": "Kansas City 311",
    "baltimore311_2019-10_sample.csv": "Baltimore 311",
    "gainesville_mygnv_311_sample5000.csv": "Gainesville myGNV 311",
    "miami_dade_311_sample5000.csv": "Miami-Dade County 311",
}
# file -> (layout recognised, full expected field -> column mapping, from the mapping corpus)
REAL_MAPPINGS: dict[str, tuple[str, dict[str, str]]] = {name: (LAYOUT_NAMES[name], BASES[name]) for name in BASES}
REAL_MAPPINGS["gainesville_mygnv_311_records601-700.csv"] = REAL_MAPPINGS["gainesville_mygnv_311_sample5000.csv"]


def test_every_real_file_has_an_expected_mapping():
    assert sorted(path.name for path in REAL.glob("*.csv")) == sorted(REAL_MAPPINGS)


@pytest.mark.parametrize("name", sorted(REAL_MAPPINGS))
def test_real_file_is_recognised_and_fully_mapped(name: str):
    layout, expected = REAL_MAPPINGS[name]
    mapping = propose_mapping(load(name))
    assert mapping.layout == layout
    assert mapping.columns() == expected
    # The layout vouches for the names; the values decide how sure: read as the field, or not checkable.
    for match in mapping.matches.values():
        assert match.reason.startswith(f"known layout: {layout}")
        checked = not match.reason.endswith("no check of its values")
        assert match.confidence == (1.0 if checked else LAYOUT_UNCHECKED), match
    assert mapping.matches["opened_at"].reason == f"known layout: {layout}; values read as dates"
    assert not PERSONAL_FIELD_NAMES & set(mapping.matches)
    assert mapping.missing_required() == []


# Without the crosswalk, names and values alone find the important fields of each file.
FUZZY_ONLY = {
    "nyc311_2024-04_sample.csv": {
        "source_id": "unique_key",
        "opened_at": "created_date",
        "closed_at": "closed_date",
        "request_type": "complaint_type",
        "channel": "open_data_channel_type",
        "status": "status",
        "latitude": "latitude",
        "longitude": "longitude",
        "location": "location",
    },
    "myla311_2017_subset.csv": LA_2017_2018,
    "myla311_2018_mini.csv": LA_2017_2018,
    "kc311_potholes_2020JanFeb.csv": {
        "source_id": "CASE ID",
        "opened_at": "CREATION DATE",
        "opened_time": "CREATION TIME",
        "closed_at": "CLOSED DATE",
        "request_type": "REQUEST TYPE",
        "channel": "SOURCE",
        "status": "STATUS",
        "district": "COUNCIL DISTRICT",
        "latitude": "LATITUDE",
        "longitude": "LONGITUDE",
        "location": "ADDRESS WITH GEOCODE",
    },
    "baltimore311_2019-10_sample.csv": {
        "source_id": "ServiceRequestNum",
        "opened_at": "CreatedDate",
        "closed_at": "CloseDate",
        "request_type": "SRType",
        "channel": "MethodReceived",
        "status": "SRStatus",
        "district": "CouncilDistrict",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "location": "GeoLocation",
    },
    "gainesville_mygnv_311_sample5000.csv": {
        "source_id": "id",
        "opened_at": "created",
        "closed_at": "closed",
        "request_type": "request_type",
        "status": "status",
        "district": "commission_district",
        "latitude": "latitude",
        "longitude": "longitude",
        "location": "location",
    },
    "miami_dade_311_sample5000.csv": {
        "source_id": "Ticket ID",
        "opened_at": "Ticket Created Date / Time",
        "closed_at": "Ticket Closed Date / Time",
        "request_type": "Issue Type",
        "channel": "Method Received",
        "status": "Ticket Status",
        "district": "Neighborhood / District / Ward / etc.",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "location": "Location Geo. Coded",
    },
}


@pytest.mark.parametrize("name", sorted(FUZZY_ONLY))
def test_real_file_without_layouts(name: str):
    mapping = propose_mapping(load(name), layouts=())
    assert mapping.layout is None
    columns = mapping.columns()
    assert {field: columns.get(field) for field in FUZZY_ONLY[name]} == FUZZY_ONLY[name]
    assert all(match.reason.startswith("name resembles") for match in mapping.matches.values())
    assert not PERSONAL_FIELD_NAMES & set(mapping.matches)


def test_nyc_has_no_district_column():
    for layouts in (KNOWN_LAYOUTS, ()):
        mapping = propose_mapping(load("nyc311_2024-04_sample.csv"), layouts=layouts)
        assert "district" not in mapping.matches  # community_board and borough are not districts
        assert "description" not in mapping.matches  # resolution_description is the city's reply


def test_kansas_city_detail_is_not_the_district():
    kc = load("kc311_potholes_2020JanFeb.csv")
    assert set(kc["DETAIL"]) == {"District 1", "District 2", "District 3", "Bridge"}
    for layouts in (KNOWN_LAYOUTS, ()):
        assert propose_mapping(kc, layouts=layouts).columns()["district"] == "COUNCIL DISTRICT"
    # Without COUNCIL DISTRICT (and too few columns to recognise the layout), the look-alikes
    # DETAIL, WORK GROUP and POLICE DISTRICT are still not taken for the district.
    stripped = kc.drop(columns=["COUNCIL DISTRICT", "CREATION DATE", "CREATION TIME"])
    mapping = propose_mapping(stripped)
    assert mapping.layout is None
    assert "district" not in mapping.matches
    assert "description" not in mapping.matches
    assert not {"DETAIL", "WORK GROUP", "POLICE DISTRICT"} & set(mapping.columns().values())


LOOK_ALIKES = [
    # (file, columns dropped, fields that must stay unmapped)
    (
        "kc311_potholes_2020JanFeb.csv",
        ["CREATION DATE", "CLOSED DATE", "DAYS TO CLOSE"],
        ["opened_at", "closed_at"],  # not CREATION MONTH / YEAR, CLOSED MONTH / YEAR
    ),
    (
        "baltimore311_2019-10_sample.csv",
        ["CreatedDate", "CloseDate", "CouncilDistrict"],
        ["opened_at", "closed_at", "district"],  # not DueDate, StatusDate, PoliceDistrict...
    ),
    (
        "gainesville_mygnv_311_sample5000.csv",
        ["closed"],
        ["closed_at"],  # not days_to_close, minutes_to_close, acknowledged, reopened
    ),
    (
        "myla311_2017_subset.csv",
        ["CD", "ClosedDate"],
        ["district", "closed_at"],  # not PolicePrecinct, CDMember, NC; not UpdatedDate
    ),
    (
        "miami_dade_311_sample5000.csv",
        ["Latitude", "Longitude", "Location Geo. Coded"],
        ["latitude", "longitude", "location"],  # not X / Y Coordinate (State Plane feet)
    ),
    (
        "nyc311_2024-04_sample.csv",
        ["latitude", "longitude", "location", "created_date"],
        ["latitude", "longitude", "location", "opened_at"],  # not x/y_coordinate_state_plane
    ),
]


@pytest.mark.parametrize(("name", "dropped", "unmapped"), LOOK_ALIKES)
def test_look_alike_columns_are_not_mapped(name: str, dropped: list[str], unmapped: list[str]):
    mapping = propose_mapping(load(name).drop(columns=dropped), layouts=())
    assert [field for field in unmapped if field in mapping.matches] == []


def test_unseen_header_maps_by_fuzzy_names():
    frame = pd.DataFrame(
        {
            "Case Number": ["2020-0001", "2020-0002", "2020-0003"],
            "Date Opened": ["01/02/2020 08:15 AM", "01/03/2020 09:00 AM", "01/04/2020 10:30 AM"],
            "Date Closed": ["01/05/2020", "", "01/06/2020"],
            "Problem Type": ["Pothole", "Graffiti", "Pothole"],
            "Commission Dist.": ["1", "2", "3"],
            "Lat": ["28.21", "28.33", "28.40"],
            "Long": ["-82.52", "-82.61", "-82.45"],
            "How Received": ["Phone", "Web", "App"],
            "Current Status": ["Closed", "Open", "Closed"],
            "Caller Name": ["A. Smith", "B. Jones", "C. Brown"],
            "Caller Phone": ["727-555-0143", "", ""],
            "Email": ["a@example.org", "", ""],
        }
    )
    mapping = propose_mapping(frame)
    assert mapping.layout is None
    assert mapping.columns() == {
        "source_id": "Case Number",
        "opened_at": "Date Opened",
        "closed_at": "Date Closed",
        "request_type": "Problem Type",
        "channel": "How Received",
        "status": "Current Status",
        "district": "Commission Dist.",
        "latitude": "Lat",
        "longitude": "Long",
    }
    confidences = {field: match.confidence for field, match in mapping.matches.items()}
    assert confidences == dict.fromkeys(confidences, 1.0)
    assert mapping.matches["opened_at"].reason == ("name resembles 'opened date' (100%); values read as dates")
    assert mapping.matches["district"].reason == (
        "name resembles 'commission district' (100%), read as 'commission district'; a short list of district codes"
    )
    assert mapping.missing_required() == []


def test_vague_names_get_lower_confidence_and_lose_to_precise_ones():
    frame = pd.DataFrame(
        {
            "ID": ["1", "2", "3"],
            "Date": ["2020-01-01", "2020-01-02", "2020-01-03"],
            "Type": ["Pothole", "Graffiti", "Noise"],
            "Source": ["Phone", "Web", "App"],
            "Creatd Dte": ["2020-01-01", "2020-01-02", "2020-01-03"],
        }
    )
    mapping = propose_mapping(frame)
    confidences = {field: match.confidence for field, match in mapping.matches.items()}
    assert mapping.columns() == {
        "source_id": "ID",
        "opened_at": "Creatd Dte",
        "request_type": "Type",
        "channel": "Source",
    }
    assert confidences == {
        "source_id": 0.85,
        "opened_at": 0.902,  # "Dte" is read as "date"
        "request_type": 0.75,
        "channel": 0.85,
    }
    precise = propose_mapping(frame.assign(**{"Request Type": frame["Type"]}))
    assert precise.columns()["request_type"] == "Request Type"
    # A vague "number" is not any number: a house number is no record id.
    houses = pd.DataFrame({"House Number": ["12", "14", "16"], "Ticket No": ["7", "8", "9"]})
    assert propose_mapping(houses).columns() == {"source_id": "Ticket No"}
    assert "source_id" not in propose_mapping(houses[["House Number"]]).matches


def test_value_sniffing_breaks_a_tie_between_look_alike_names():
    frame = pd.DataFrame(
        {
            "Created": ["yesterday", "today", "soon"],
            "Created On": ["2020-01-01", "2020-01-02", "2020-01-03"],
            "Ward": ["Ward 1", "Ward 2", "Ward 1"],
        }
    )
    mapping = propose_mapping(frame)
    assert mapping.columns()["opened_at"] == "Created On"
    assert "Created" not in mapping.columns().values()


def test_location_found_by_values_is_a_guess():
    frame = pd.DataFrame(
        {
            "Case ID": ["1", "2"],
            "Where": ["(34.07, -118.26)", "(34.11, -118.19)"],
        }
    )
    match = propose_mapping(frame).matches["location"]
    assert match == ColumnMatch("location", "Where", 0.5, "values look like map points")
    assert match.confidence < GUESS_BELOW


def test_lat_lon_and_location_are_all_mapped():
    frame = pd.DataFrame(
        {
            "Latitude": ["34.07", ""],
            "Longitude": ["-118.26", ""],
            "Geo Location": ["(34.07, -118.26)", "(34.11, -118.19)"],
        }
    )
    assert propose_mapping(frame).columns() == {
        "latitude": "Latitude",
        "longitude": "Longitude",
        "location": "Geo Location",
    }


def test_open311_layouts():
    georeport = pd.DataFrame(
        columns=[
            "service_request_id",
            "status",
            "status_notes",
            "service_name",
            "service_code",
            "description",
            "agency_responsible",
            "service_notice",
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
        ]
    )
    mapping = propose_mapping(georeport)
    assert mapping.layout == "Open311 GeoReport v2"
    columns = mapping.columns()
    assert columns["source_id"] == "service_request_id"
    assert columns["opened_at"] == "requested_datetime"
    assert "closed_at" not in columns  # updated_datetime is not a closing time
    assert (columns["latitude"], columns["longitude"]) == ("lat", "long")

    bulk = pd.DataFrame(
        columns=[
            "service_request_id",
            "requested_datetime",
            "updated_datetime",
            "closed_date",
            "status_description",
            "status_notes",
            "source",
            "service_name",
            "service_subtype",
            "description",
            "agency_responsible",
            "address",
            "lat",
            "long",
        ]
    )
    mapping = propose_mapping(bulk)
    assert mapping.layout == "Open311 GeoReport bulk CSV"
    assert mapping.columns() == {
        "source_id": "service_request_id",
        "opened_at": "requested_datetime",
        "closed_at": "closed_date",
        "request_type": "service_name",
        "subcategory": "service_subtype",
        "department": "agency_responsible",
        "channel": "source",
        "status": "status_description",
        "address": "address",
        "latitude": "lat",
        "longitude": "long",
        "description": "description",
    }


def test_layout_is_recognised_despite_case_spacing_and_a_missing_column():
    kc = load("kc311_potholes_2020JanFeb.csv").head(20)
    renamed = kc.rename(columns=lambda name: name.title().replace(" ", "_")).drop(columns=["Work_Group"])
    mapping = propose_mapping(renamed)
    assert mapping.layout == "Kansas City 311"
    assert mapping.matches["district"] == ColumnMatch(
        "district", "Council_District", 0.95, "known layout: Kansas City 311; a short list of district codes"
    )


def test_personal_fields_are_never_proposed():
    frame = pd.DataFrame(
        {
            "Case ID": ["1", "2"],
            "contact_name": ["A. Smith", "B. Jones"],
            "Contact Phone": ["727-555-0143", "(727) 555-0199"],
            "Contact Email": ["a@example.org", "b@example.org"],
        }
    )
    mapping = propose_mapping(frame)
    assert mapping.columns() == {"source_id": "Case ID"}
    assert mapping.missing_required() == ["opened_at", "request_type"]
    set_by_hand = override(mapping, {"contact_email": "Contact Email"})
    assert set_by_hand.columns()["contact_email"] == "Contact Email"


def test_override_semantics():
    mapping = propose_mapping(load("kc311_potholes_2020JanFeb.csv"))
    changed = override(
        mapping,
        {"request_type": "TYPE", "location": None, "description": "DETAIL"},
    )
    assert changed.matches["request_type"] == ColumnMatch("request_type", "TYPE", 1.0, "set by analyst")
    assert "subcategory" not in changed.matches  # TYPE moved from subcategory to request_type
    assert "location" not in changed.matches
    assert changed.matches["description"].column == "DETAIL"
    assert changed.layout == "Kansas City 311"
    assert changed.matches["district"] == mapping.matches["district"]
    # The proposal itself is unchanged.
    assert mapping.columns()["request_type"] == "REQUEST TYPE"
    assert mapping.columns()["subcategory"] == "TYPE"
    assert list(changed.matches)[:3] == ["source_id", "opened_at", "opened_time"]
    with pytest.raises(KeyError):
        override(mapping, {"no_such_field": "TYPE"})


def test_missing_required():
    mapping = ProposedMapping({"opened_at": ColumnMatch("opened_at", "Created", 0.9, "name resembles 'created'")})
    # A file without a record id imports with keys derived from its rows' content.
    assert mapping.missing_required() == ["request_type"]
    assert override(mapping, {"opened_at": None}).missing_required() == ["opened_at", "request_type"]


def test_header_key():
    columns = ["CASE ID", "CREATION DATE", "Request Type"]
    key = header_key(columns)
    assert len(key) == 64 and int(key, 16) >= 0
    assert header_key(["request type", "case id", "CREATION  DATE"]) == key
    assert header_key([" Request Type ", "\ufeffCASE ID", "CreationDate"]) == key
    assert header_key(["CASE ID", "CREATION DATE"]) != key
    assert header_key(["CASE ID", "CREATION DATE", "Request Type", "STATUS"]) != key
    assert header_key(["CASE NO", "CREATION DATE", "Request Type"]) != key


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("open_dt", ("open", "date")),
        ("OPEN DT", ("open", "date")),
        ("Date/Time Opened", ("date", "time", "opened")),
        ("Service Request #", ("service", "request", "number")),
        ("SR #", ("sr", "number")),
        ("Request No.", ("request", "number")),
        ("Request Nbr", ("request", "number")),
        ("Case Num", ("case", "number")),
        ("SRType", ("sr", "type")),
        ("CLSD DT", ("closed", "date")),
    ],
)
def test_header_words_are_tokenised_and_spelled_out(name: str, words: tuple[str, ...]):
    assert header_words(name) == words


def test_an_empty_column_never_takes_a_required_field():
    # Boston's layout: "submitted_photo" resembles "submitted" but is always empty; "open_dt" is the date.
    frame = pd.DataFrame(
        {
            "case_enquiry_id": ["101", "102", "103", "104"],
            "submitted_photo": ["", "", "", ""],
            "open_dt": ["2024-01-02 08:00", "2024-01-03 09:00", "2024-01-04 10:00", "2024-01-05 11:00"],
            "type": ["Pothole", "Graffiti", "Pothole", "Streetlight"],
        }
    )
    mapping = propose_mapping(frame)
    assert mapping.columns()["opened_at"] == "open_dt"
    assert "read as 'open date'" in mapping.matches["opened_at"].reason
