"""The fields an imported service-request file can be mapped onto, and their human labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# What the Map page colours districts by: contacts, contacts per 1,000 residents, or the change on a year before.
Measure = Literal["contacts", "per_1000", "change"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = False
    personal: bool = False
    help: str = ""


REQUEST_FIELDS: tuple[Field, ...] = (
    Field(
        "source_id",
        "Record ID",
        help="The CRM's own id of the contact. Without one, each contact's key is derived from its content.",
    ),
    Field("opened_at", "Opened (date or date and time)", required=True),
    Field("opened_time", "Opened time (when in its own column)"),
    Field("closed_at", "Closed (date or date and time)"),
    Field("closed_time", "Closed time (when in its own column)"),
    Field(
        "acknowledged_at",
        "Acknowledged (date or date and time)",
        help="When the county first acknowledged, assigned or answered the contact.",
    ),
    Field("request_type", "Request type", required=True, help="Mapped to a category."),
    Field("subcategory", "Sub-type or descriptor"),
    Field("department", "Department or agency"),
    Field("contact_type", "Contact type (request, complaint, question)"),
    Field("channel", "Channel (phone, web, app...)"),
    Field("status", "Status"),
    Field("district", "District"),
    Field("address", "Address"),
    Field("zip_code", "ZIP code"),
    Field("latitude", "Latitude"),
    Field("longitude", "Longitude"),
    Field("location", "Location as '(lat, lon)' or 'POINT (lon lat)'"),
    Field("description", "Description (free text)"),
    Field("contact_name", "Resident's name", personal=True),
    Field("contact_phone", "Resident's phone", personal=True),
    Field("contact_email", "Resident's e-mail", personal=True),
)

REQUEST_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in REQUEST_FIELDS)
PERSONAL_FIELD_NAMES: frozenset[str] = frozenset(f.name for f in REQUEST_FIELDS if f.personal)

CONTACT_TYPES: tuple[str, ...] = ("request", "complaint", "question")
CHANNELS: tuple[str, ...] = (
    "phone",
    "web",
    "app",
    "e-mail",
    "walk-in",
    "social media",
    "stakeholder session",
    "other",
)

LABELS: dict[str, str] = {
    **{f.name: f.label for f in REQUEST_FIELDS},
    "month": "Month",
    "category": "Category",
    "department": "Department",
    "district_code": "District",
    "district": "District",
    "channel": "Channel",
    "contact_type": "Type",
    "contacts": "Contacts",
    "days_to_close": "Days to close",
    "per_1000": "Contacts per 1,000 residents",
    "change": "Change on a year earlier",
    "change_pct": "Change on a year earlier (%)",
    "contacts_year_earlier": "Contacts a year earlier",
}


def label(name: str) -> str:
    """Return the human label of a field or column name."""
    return LABELS.get(name, name.replace("_", " ").capitalize())
