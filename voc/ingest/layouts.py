"""Known CRM export layouts: which column of each one holds which request field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """A known export layout.

    `signature` lists the columns that identify the layout (matched case- and
    space-insensitively); `columns` maps request fields to the layout's column names.
    """

    name: str
    signature: tuple[str, ...]
    columns: dict[str, str]


OPEN311_GEOREPORT = Layout(
    name="Open311 GeoReport v2",
    signature=(
        "service_request_id",
        "status",
        "service_name",
        "service_code",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "lat",
        "long",
    ),
    # GeoReport v2 has no closed date: updated_datetime is the closing time only for
    # closed requests, so mapping it to closed_at would close every open request.
    columns={
        "source_id": "service_request_id",
        "opened_at": "requested_datetime",
        "request_type": "service_name",
        "department": "agency_responsible",
        "status": "status",
        "address": "address",
        "zip_code": "zipcode",
        "latitude": "lat",
        "longitude": "long",
        "description": "description",
    },
)

OPEN311_BULK = Layout(
    name="Open311 GeoReport bulk CSV",
    signature=(
        "service_request_id",
        "requested_datetime",
        "updated_datetime",
        "closed_date",
        "status_description",
        "service_name",
        "lat",
        "long",
    ),
    columns={
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
    },
)

NYC_311 = Layout(
    name="New York City 311",
    signature=(
        "unique_key",
        "created_date",
        "closed_date",
        "agency",
        "complaint_type",
        "descriptor",
        "incident_zip",
        "incident_address",
        "open_data_channel_type",
    ),
    # `agency` is the short code (DOT, NYPD), stable over the years; `agency_name` has
    # been spelt several ways. NYC has no council-district column: community boards are
    # not council districts, so district stays unmapped (the map can place points).
    # `resolution_description` is the city's reply, not the resident's description.
    columns={
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
)

_MYLA311_COLUMNS = {
    "source_id": "SRNumber",
    "opened_at": "CreatedDate",
    "closed_at": "ClosedDate",
    "request_type": "RequestType",
    "department": "Owner",
    "channel": "RequestSource",
    "status": "Status",
    # CD is the council district; NC is a neighborhood council, APC a planning area.
    "district": "CD",
    "address": "Address",
    "zip_code": "ZipCode",
    "latitude": "Latitude",
    "longitude": "Longitude",
}

LA_MYLA311_2017 = Layout(
    name="Los Angeles MyLA311 (2016-2018)",
    signature=(
        "SRNumber",
        "CreatedDate",
        "ClosedDate",
        "RequestType",
        "RequestSource",
        "Owner",
        "CD",
        "NC",
        "Location",
        "TBMPage",
    ),
    # Location is "(lat, lon)" in 2017 and "POINT (lon lat)" in 2018; the parser reads both.
    columns={**_MYLA311_COLUMNS, "location": "Location"},
)

LA_MYLA311_2020 = Layout(
    name="Los Angeles MyLA311 (2019 onwards)",
    signature=(
        "srnumber",
        "createddate",
        "closeddate",
        "requesttype",
        "requestsource",
        "owner",
        "createdbyuserorganization",
        "cd",
        "nc",
    ),
    columns={field: column.lower() for field, column in _MYLA311_COLUMNS.items()},
)

KANSAS_CITY_311 = Layout(
    name="Kansas City 311",
    signature=(
        "CASE ID",
        "SOURCE",
        "DEPARTMENT",
        "WORK GROUP",
        "REQUEST TYPE",
        "CATEGORY",
        "TYPE",
        "DETAIL",
        "CREATION DATE",
        "CREATION TIME",
        "COUNCIL DISTRICT",
    ),
    # REQUEST TYPE is KC's own request type ("Streets / Roadways / Alleys-Pothole-
    # District 3"); TYPE is its sub-type. DETAIL and WORK GROUP name *maintenance*
    # districts ("District 3"), not council districts: only COUNCIL DISTRICT is one.
    columns={
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
)

BALTIMORE_311 = Layout(
    name="Baltimore 311",
    signature=(
        "SRRecordID",
        "ServiceRequestNum",
        "SRType",
        "MethodReceived",
        "CreatedDate",
        "SRStatus",
        "CloseDate",
        "Agency",
        "CouncilDistrict",
    ),
    # ServiceRequestNum ("19-00711545") is the number residents and staff quote and
    # search for; SRRecordID is a Salesforce record id whose letters are case-sensitive,
    # so it could collide wherever ids are compared without case.
    columns={
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
)

GAINESVILLE_MYGNV = Layout(
    name="Gainesville myGNV 311",
    signature=(
        "id",
        "status",
        "request_type",
        "description",
        "created",
        "closed",
        "location_detail",
        "commission_district",
    ),
    # location_detail is the street; assigned_to is a work queue, not a department.
    columns={
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
)

MIAMI_DADE_311 = Layout(
    name="Miami-Dade County 311",
    signature=(
        "Ticket ID",
        "Issue Type",
        "Case Owner Description",
        "Neighborhood / District / Ward / etc.",
        "Ticket Created Date / Time",
        "Ticket Closed Date / Time",
        "Ticket Status",
        "Method Received",
    ),
    # The "Neighborhood / District / Ward" column holds county commission districts.
    # X/Y Coordinate are State Plane feet, not degrees.
    columns={
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
)

KNOWN_LAYOUTS: tuple[Layout, ...] = (
    OPEN311_GEOREPORT,
    OPEN311_BULK,
    NYC_311,
    LA_MYLA311_2017,
    LA_MYLA311_2020,
    KANSAS_CITY_311,
    BALTIMORE_311,
    GAINESVILLE_MYGNV,
    MIAMI_DADE_311,
)
