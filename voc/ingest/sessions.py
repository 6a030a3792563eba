"""Stakeholder sessions: what residents raised at a public meeting, counted as contacts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import FileRefused, VocError
from voc.core.periods import local_month, local_week
from voc.ingest.read import read_table
from voc.store.engine import record_audit, write_transaction
from voc.store.models import RequestType
from voc.store.requests import REQUEST_COLUMNS, save_requests
from voc.store.uploads import record_counts, sha256_of, start_upload

SOURCE = "stakeholder sessions"
CHANNEL = "stakeholder session"
SESSION_COLUMNS = ("date", "district", "category", "summary", "raised")
_COLUMN_NAMES = {
    "date": ("date", "session date", "meeting date"),
    "district": ("district", "commission district", "council district"),
    "category": ("category", "topic", "service"),
    "summary": ("summary", "what was raised", "description", "notes"),
    "raised": ("raised", "how many", "count", "people", "residents", "number raised"),
}
# Noon local time: a session's contacts fall inside its day whatever the timezone.
SESSION_TIME = time(12, 0)


@dataclass(frozen=True)
class SessionSave:
    upload_id: int
    sessions: int
    contacts: int


def session_contacts(sessions: pd.DataFrame, *, timezone: str, departments: dict[str, str]) -> pd.DataFrame:
    """Expand sessions (date, district, category, summary, raised) into one contact per resident.

    Contact ids derive from the session's content, so importing the same sheet twice adds nothing.
    """
    sessions = sessions.reset_index(drop=True)
    raised = pd.to_numeric(sessions["raised"], errors="coerce").fillna(1).clip(lower=1).astype(int)
    keys = [
        hashlib.sha1(f"{d}|{di}|{c}|{s}".encode()).hexdigest()[:12]
        for d, di, c, s in zip(
            sessions["date"], sessions["district"], sessions["category"], sessions["summary"], strict=True
        )
    ]
    repeat = np.repeat(np.arange(len(sessions)), raised.to_numpy())
    expanded = sessions.iloc[repeat].reset_index(drop=True)
    ordinal = expanded.groupby(repeat).cumcount() + 1
    zone = ZoneInfo(timezone)
    opened = [datetime.combine(pd.Timestamp(d).date(), SESSION_TIME, zone) for d in expanded["date"]]
    contacts = pd.DataFrame(
        {
            "source": SOURCE,
            "source_id": [f"{keys[i]}-{n}" for i, n in zip(repeat, ordinal, strict=True)],
            "opened_at": pd.to_datetime(opened, utc=True),
            "closed_at": pd.NaT,
            "request_type": expanded["category"].astype(str),
            "category": expanded["category"].astype(str),
            "department": expanded["category"].map(departments).astype("str"),
            "contact_type": "complaint",
            "channel": CHANNEL,
            "status": "Raised at session",
            "district_code": expanded["district"].astype("str").replace({"": None}),
            "description": expanded["summary"].astype(str),
        }
    )
    contacts["closed_at"] = pd.to_datetime(contacts["closed_at"], utc=True)
    contacts["opened_month"] = local_month(contacts["opened_at"], timezone)
    contacts["opened_week"] = local_week(contacts["opened_at"], timezone)
    return contacts.reindex(columns=list(REQUEST_COLUMNS))


def _check(sessions: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("date", "category", "summary") if sessions[c].isna().any() or (sessions[c] == "").any()]
    if missing:
        raise VocError(f"Every session needs a date, a category and a summary (missing: {', '.join(missing)}).")
    dates = pd.to_datetime(sessions["date"], errors="coerce")
    if dates.isna().any():
        raise VocError(f"Unreadable session date: {sessions.loc[dates.isna(), 'date'].iloc[0]!r}.")
    return sessions.assign(date=dates.dt.date)


def save_sessions(
    engine: sa.Engine, sessions: pd.DataFrame, *, user: str, role: Role, timezone: str, file_name: str,
    data: bytes = b"",
) -> SessionSave:  # fmt: skip
    """Record stakeholder sessions as contacts of the channel "stakeholder session", in one transaction.

    Raises NotAllowed unless the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="record stakeholder sessions")
    sessions = _check(sessions.reindex(columns=list(SESSION_COLUMNS)))
    with write_transaction(engine) as connection:
        departments = _departments(connection)
        contacts = session_contacts(sessions, timezone=timezone, departments=departments)
        upload_id = start_upload(
            connection, kind="sessions", file_name=file_name, sha256=sha256_of(data), user=user, source=SOURCE
        )
        counts = save_requests(connection, contacts, upload_id=upload_id)
        record_counts(
            connection, upload_id, rows_read=len(sessions), inserted=counts.inserted,
            updated=counts.updated, unchanged=counts.unchanged,
        )  # fmt: skip
        record_audit(connection, user=user, action="stakeholder sessions", detail=f"upload {upload_id}")
    return SessionSave(upload_id=upload_id, sessions=len(sessions), contacts=counts.inserted)


def _departments(connection: sa.Connection) -> dict[str, str]:
    types = RequestType.__table__
    rows = connection.execute(sa.select(types.c.category, types.c.department).distinct()).all()
    return {category: department for category, department in rows}


def read_sessions(data: bytes, file_name: str) -> pd.DataFrame:
    """Read a sheet of sessions, finding its columns by name; raises FileRefused when one is missing."""
    raw = read_table(data, file_name).frame
    found: dict[str, str] = {}
    for name, aliases in _COLUMN_NAMES.items():
        column = next((c for c in raw.columns if str(c).strip().casefold() in aliases), None)
        if column is not None:
            found[name] = column
    missing = [n for n in ("date", "category", "summary") if n not in found]
    if missing:
        raise FileRefused(
            f"The sessions sheet needs columns named date, category and summary (and optionally district "
            f"and raised); missing: {', '.join(missing)}."
        )
    sessions = pd.DataFrame({name: raw[column] for name, column in found.items()})
    return sessions.reindex(columns=list(SESSION_COLUMNS))


def one_session(*, day: date, district: str | None, category: str, summary: str, raised: int) -> pd.DataFrame:
    """Return the frame for a single session entered on the Upload page's form."""
    return pd.DataFrame([{"date": day, "district": district or "", "category": category, "summary": summary,
                          "raised": raised}])  # fmt: skip
