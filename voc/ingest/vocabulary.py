"""The words voc recognises: what each request field's column is called, and what channel values mean.

One vocabulary per field, all here, so that teaching voc a new CRM's words is an edit of one module.
"""

from __future__ import annotations

# Literal markers that CRMs and R/Excel exports write for "no value".
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "null", "none", "nan", "nat", "#n/a"})


# Per field: names it goes by, weighted by how precise they are (a bare "Type" or "Date"
# says less than "Request Type" or "Created Date").
SYNONYMS: dict[str, dict[str, float]] = {
    "source_id": {
        **dict.fromkeys(
            (
                "case id",
                "case number",
                "ticket id",
                "ticket number",
                "request id",
                "request number",
                "service request id",
                "service request number",
                "sr number",
                "sr id",
                "record id",
                "incident id",
                "incident number",
                "unique key",
                "reference number",
                "tracking number",
                "complaint number",
                "complaint id",
            ),
            1.0,
        ),
        "id": 0.85,
        "number": 0.7,
    },
    "opened_at": {
        **dict.fromkeys(
            (
                "created date",
                "creation date",
                "created on",
                "created at",
                "created datetime",
                "opened date",
                "open date",
                "opened on",
                "opened at",
                "received date",
                "requested datetime",
                "requested date",
                "request date",
                "reported date",
                "submitted date",
            ),
            1.0,
        ),
        **dict.fromkeys(("created", "opened", "received", "submitted", "reported"), 0.85),
        "open": 0.8,
        "date": 0.6,
    },
    "opened_time": dict.fromkeys(
        (
            "creation time",
            "created time",
            "opened time",
            "open time",
            "received time",
            "request time",
            "reported time",
        ),
        1.0,
    ),
    "closed_at": {
        **dict.fromkeys(
            (
                "closed date",
                "close date",
                "closed on",
                "closed at",
                "closed datetime",
                "resolved date",
                "resolution date",
                "completed date",
                "completion date",
            ),
            1.0,
        ),
        **dict.fromkeys(("closed", "resolved", "completed"), 0.85),
    },
    "closed_time": dict.fromkeys(("closed time", "close time", "resolved time"), 1.0),
    "acknowledged_at": {
        **dict.fromkeys(
            (
                "acknowledged date",
                "acknowledged at",
                "acknowledged on",
                "date acknowledged",
                "acknowledgement date",
                "acknowledgment date",
                "first response date",
                "responded date",
                "assigned date",
                "date assigned",
            ),
            1.0,
        ),
        **dict.fromkeys(("acknowledged", "assigned"), 0.85),
    },
    "request_type": {
        **dict.fromkeys(
            (
                "request type",
                "service request type",
                "sr type",
                "case type",
                "complaint type",
                "problem type",
                "issue type",
                "service type",
                "service name",
                "request category",
                "problem code description",
                "service requested",
                "sr description",  # Austin's 311 export names the type so
            ),
            1.0,
        ),
        **dict.fromkeys(("category", "problem", "issue", "complaint", "subject"), 0.8),
        "type": 0.75,
    },
    "subcategory": dict.fromkeys(
        (
            "subcategory",
            "sub category",
            "subtype",
            "sub type",
            "request subtype",
            "service subtype",
            "issue subtype",
            "problem subtype",
            "descriptor",
            "request reason",
        ),
        1.0,
    )
    # A bare "Type" under a "Request Type" (Kansas City), a "Reason" under a type (New Orleans).
    | {"type": 0.6, "reason": 0.7},
    "department": {
        **dict.fromkeys(
            (
                "department",
                "agency",
                "agency name",
                "agency responsible",
                "responsible agency",
                "responsible department",
                "assigned department",
                "department name",
                "division",
                "case owner",
                "business unit",
                "owning business unit",
            ),
            1.0,
        ),
        "owner": 0.8,
        "dept": 0.9,
    },
    "contact_type": dict.fromkeys(("contact type", "type of contact", "interaction type", "inquiry type"), 1.0),
    "channel": {
        **dict.fromkeys(
            (
                "channel",
                "channel type",
                "request source",
                "source channel",
                "method received",
                "received via",
                "how received",
                "intake method",
                "intake channel",
                "contact method",
                "submitted via",
                "reported via",
                "request channel",
                "origin",
            ),
            1.0,
        ),
        "source": 0.85,
        "method": 0.7,
    },
    "status": {
        **dict.fromkeys(
            (
                "status",
                "request status",
                "ticket status",
                "case status",
                "sr status",
                "current status",
                "status description",
                "status reason",
            ),
            1.0,
        ),
        "state": 0.7,
    },
    "district": {
        **dict.fromkeys(
            (
                "council district",
                "commission district",
                "commissioner district",
                "county commission district",
                "supervisor district",
                "supervisorial district",
                "council ward",
            ),
            1.0,
        ),
        **dict.fromkeys(("district", "ward"), 0.9),
        **dict.fromkeys(("council", "cd"), 0.75),
    },
    "address": {
        **dict.fromkeys(
            (
                "address",
                "street address",
                "incident address",
                "full address",
                "site address",
                "service address",
                "location address",
                "location detail",
                "incident location",
                "sr location",
            ),
            1.0,
        ),
        "street": 0.7,
        # Many CRMs call the address "Location"; its values tell it from a map point.
        "location": 0.7,
    },
    "zip_code": dict.fromkeys(("zip code", "zip", "zipcode", "postal code", "zip postal code", "incident zip"), 1.0),
    # A bare "Y" / "X" may be degrees or State Plane feet: only values within range decide it.
    "latitude": {"latitude": 1.0, "lat": 1.0, "y latitude": 1.0, "y": 0.7},
    "longitude": {"longitude": 1.0, "long": 1.0, "lon": 1.0, "lng": 1.0, "x longitude": 1.0, "x": 0.7},
    "location": {
        **dict.fromkeys(
            (
                "location",
                "geolocation",
                "geo location",
                "geocode",
                "location geo coded",
                "address with geocode",
                "coordinates",
                "lat long",
                "lat lon",
                "mapped location",
                "point",
            ),
            1.0,
        ),
        "geom": 0.8,
    },
    "description": {
        **dict.fromkeys(
            (
                "description",
                "issue description",
                "problem description",
                "request description",
                "request details",
                "details",
                "comments",
                "narrative",
            ),
            1.0,
        ),
        **dict.fromkeys(("notes", "comment", "summary"), 0.8),
    },
}

_DATE_WORDS = frozenset(
    {
        "due",
        "status",
        "update",
        "updated",
        "last",
        "activity",
        "modified",
        "expected",
        "target",
        "goal",
        "service",
        "action",
        "acknowledged",
        "acknowledge",
        "reopened",
        "month",
        "year",
        "yr",
        "week",
        "weekday",
        "days",
        "day",
        "hours",
        "minutes",
        "age",
        "elapsed",
    }
)
_OPENING_WORDS = frozenset({"created", "creation", "opened", "open", "requested", "received"})
_CLOSING_WORDS = frozenset({"closed", "close", "closing", "resolved", "resolution", "completed"})
_PROJECTED = frozenset({"x", "y", "plane", "northing", "easting", "feet", "ft"})

# Words that disqualify a column for a field whatever its similarity: look-alike columns
# that hold something else (days to close, State Plane feet, police or maintenance districts).
VETO_WORDS: dict[str, frozenset[str]] = {
    "source_id": frozenset(
        {
            "parent",
            "duplicate",
            "related",
            "parcel",
            "bbl",
            "account",
            "customer",
            "url",
            "zip",
            "house",
            "street",
            "phone",
            "unit",
            "page",
            "row",
        }
    ),
    "opened_at": _DATE_WORDS | _CLOSING_WORDS,
    "opened_time": _DATE_WORDS | _CLOSING_WORDS,
    "closed_at": _DATE_WORDS | _OPENING_WORDS,
    "closed_time": _DATE_WORDS | _OPENING_WORDS,
    # Gainesville's minutes_to_acknowledge is a duration; assigned_to a work queue.
    "acknowledged_at": (_DATE_WORDS - {"acknowledged", "acknowledge"}) | _OPENING_WORDS | _CLOSING_WORDS | {"to"},
    "request_type": frozenset({"sub", "subtype", "code", "location", "address", "facility", "vehicle", "property"}),
    "department": frozenset({"code", "id"}),
    "channel": frozenset({"id", "code"}),
    "status": frozenset({"date", "notes", "note", "updated", "code"}),
    "district": frozenset(
        {
            "police",
            "precinct",
            "fire",
            "school",
            "sector",
            "beat",
            "post",
            "tract",
            "census",
            "work",
            "group",
            "detail",
            "maintenance",
            "sanitation",
            "congressional",
            "senate",
            "house",
            "assembly",
            "state",
            "water",
            "sewer",
            "zoning",
            "planning",
            "park",
            "member",
            "name",
        }
    ),
    "address": frozenset({"id", "verified", "approximate", "type", "geocode", "city", "state", "zip", "postal"}),
    "zip_code": frozenset({"plus", "4"}),
    "latitude": _PROJECTED - {"y"} | {"x", "longitude", "long", "lon", "lng"},
    "longitude": _PROJECTED - {"x"} | {"y", "latitude", "lat"},
    "location": _PROJECTED | {"type", "detail", "details", "description", "name", "id", "code"},
    "description": frozenset({"resolution", "status", "action", "outcome", "type", "owner", "location", "code"}),
}

# Short forms CRMs and report writers use in headers, read as the word they stand for.
ABBREVIATIONS = {
    "dist": "district",
    "num": "number",
    "nbr": "number",
    "no": "number",
    "nr": "number",
    "addr": "address",
    "desc": "description",
    "descr": "description",
    "dept": "department",
    "dt": "date",
    "dte": "date",
    "tm": "time",
    "clsd": "closed",
    "crtd": "created",
    "rcvd": "received",
    "recd": "received",
    "req": "request",
    "rqst": "request",
    "svc": "service",
    "srvc": "service",
    "src": "source",
    "stat": "status",
    "sts": "status",
    "comm": "commission",
    "loc": "location",
    "cat": "category",
    "typ": "type",
    "est": "estimated",
    "amt": "amount",
}


# Checked in order; a value takes the channel of the first rule with a matching word or pair of words.
# Every channel value of the real exports in tests/data/real is here, with Open311's and common CRMs'.
# A value none of them matches is kept as typed and listed in the import's report.
CHANNEL_WORDS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (channel, frozenset(phrases.split(", ")))
    for channel, phrases in (
        ("e-mail", "email, e mail, emails"),
        ("social media", "twitter, twir, tweet, facebook, social, instagram, nextdoor"),
        ("walk-in", "walk in, walkin, walk, counter, in person, front desk, lobby"),
        ("phone", "phone, call, calls, telephone, voicemail, voice mail, voice, ivr, hotline, sms, text message"),
        ("app", "app, mobile, iphone, android, ios, smartphone, seeclickfix"),
        # Baltimore's "API" and Open311 carry residents' own requests from online portals and apps (the
        # exports have no separate web value), so they count as web self-service.
        ("web", "web, website, online, internet, portal, self service, selfservice, api, open311, open 311, "
                "webform, web form, chat, chatbot, egov"),
        # Contacts the county generated itself (Los Angeles' "Driver Self Report", Baltimore's "System" and
        # "Internal", Miami-Dade's "INHOUSE", "PROACT"), referrals from elected offices, paper, fax, and
        # other systems' interfaces (Miami-Dade's "XTERFACE", "XTERNEAT"; a "CRM" entry).
        ("other", "other, self report, internal, system, inhouse, in house, proact, proactive, staff, employee, "
                  "field, crew, inspector, inspection, fax, mail, letter, post, council, mayor, mayoff, xterface, "
                  "xterneat, interface, crm, bot, referral, elected"),
    )
)  # fmt: skip
UNKNOWN_CHANNELS = frozenset({"unknown", "unspecified", "not specified"})
