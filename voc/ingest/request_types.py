"""How raw CRM request types map onto the county's categories, departments and contact types."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import VocError
from voc.core.fields import CONTACT_TYPES
from voc.store.engine import record_audit, write_transaction
from voc.store.models import RequestType, ServiceRequest
from voc.store.query import read_frame
from voc.store.requests import refresh_rollup

TYPES = RequestType.__table__
REQUESTS = ServiceRequest.__table__
TYPE_MAP_COLUMNS = ["raw_type", "category", "department", "contact_type"]

_COMPLAINT = re.compile(r"complain|noise|odor|odour|nuisance|illegal|violation|abandon|graffiti", re.I)
_QUESTION = re.compile(r"question|inquir|enquir|information|info\b|general|how do|status check", re.I)


def type_key(raw: pd.Series) -> pd.Series:
    """Return the lookup key of raw request types: trimmed and case-folded."""
    return raw.astype("str").str.strip().str.casefold()


def guess_contact_types(raw_types: pd.Series) -> pd.Series:
    """Guess request, complaint or question from the words of raw request types."""
    text = raw_types.astype("str")
    guess = np.where(
        text.str.contains(_COMPLAINT),
        "complaint",
        np.where(text.str.contains(_QUESTION), "question", "request"),
    )
    return pd.Series(guess, index=raw_types.index, dtype="str")


def normalize_contact_types(values: pd.Series) -> pd.Series:
    """Read a file's own type column ("Complaint", "Service Request", "Inquiry") as a contact type."""
    text = values.astype("str").str.strip().str.casefold()
    return pd.Series(
        np.select(
            [
                text.str.contains("complain", na=False),
                text.str.contains("question|inquir|enquir|info", na=False),
                text.str.contains("request|service", na=False),
            ],
            ["complaint", "question", "request"],
            default=None,
        ),
        index=values.index,
        dtype="str",
    )


def load_type_map(connection: sa.Connection) -> pd.DataFrame:
    """Return the mapping table (raw_type, category, department, contact_type), sorted by raw type."""
    return read_frame(connection, sa.select(*(TYPES.c[name] for name in TYPE_MAP_COLUMNS)).order_by(TYPES.c.raw_type))


def save_type_map(engine: sa.Engine, edited: pd.DataFrame, *, user: str, role: Role) -> int:
    """Replace the mapping table with an analyst's edit and re-categorise stored contacts.

    Returns how many stored contacts changed category, department or type. Raises NotAllowed
    unless the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="edit the request types")
    edited = _validated(edited)
    with write_transaction(engine) as connection:
        connection.execute(sa.delete(TYPES))
        if len(edited):
            connection.execute(sa.insert(TYPES), edited.to_dict("records"))
        changed, months = _recategorise(connection, edited)
        refresh_rollup(connection, months)
        record_audit(connection, user=user, action="edit request types", detail=f"{len(edited)} types")
    return changed


def _validated(edited: pd.DataFrame) -> pd.DataFrame:
    frame = edited.reindex(columns=TYPE_MAP_COLUMNS).dropna(subset=["raw_type"])
    for column in TYPE_MAP_COLUMNS:
        frame[column] = frame[column].astype("str").str.strip().fillna("")
    # A type left with neither category nor department stays unmapped, to be done later.
    frame = frame[(frame["category"] != "") | (frame["department"] != "")]
    blank = (frame["category"] == "") | (frame["department"] == "")
    if blank.any():
        names = ", ".join(frame.loc[blank, "raw_type"].head(5))
        raise VocError(f"Give every request type a category and a department (missing for: {names}).")
    bad = ~frame["contact_type"].isin(CONTACT_TYPES)
    if bad.any():
        names = ", ".join(frame.loc[bad, "raw_type"].head(5))
        raise VocError(f"Contact type must be request, complaint or question (not so for: {names}).")
    duplicated = frame["raw_type"].str.casefold().duplicated()
    if duplicated.any():
        raise VocError(f"Request type {frame.loc[duplicated, 'raw_type'].iloc[0]!r} is listed twice.")
    return frame


def _recategorise(connection: sa.Connection, type_map: pd.DataFrame) -> tuple[int, set[str]]:
    """Apply the mapping to stored contacts whose category, department or type differ from it."""
    changed = 0
    months: set[str] = set()
    for row in type_map.itertuples(index=False):
        differs = sa.and_(
            sa.func.lower(sa.func.trim(REQUESTS.c.request_type)) == row.raw_type.casefold(),
            sa.or_(
                REQUESTS.c.category.is_distinct_from(row.category),
                REQUESTS.c.department.is_distinct_from(row.department),
                REQUESTS.c.contact_type.is_distinct_from(row.contact_type),
            ),
        )
        months.update(connection.execute(sa.select(REQUESTS.c.opened_month).distinct().where(differs)).scalars())
        changed += connection.execute(
            sa.update(REQUESTS)
            .where(differs)
            .values(category=row.category, department=row.department, contact_type=row.contact_type)
        ).rowcount
    return changed, months


def unmapped_types(connection: sa.Connection, *, limit: int = 500) -> pd.DataFrame:
    """Return raw request types of stored contacts that have no category yet, most frequent first."""
    query = (
        sa.select(REQUESTS.c.request_type.label("raw_type"), sa.func.count().label("contacts"))
        .where(REQUESTS.c.category.is_(None))
        .group_by(REQUESTS.c.request_type)
        .order_by(sa.text("contacts DESC"), REQUESTS.c.request_type)
        .limit(limit)
    )
    return read_frame(connection, query)


def type_table(engine: sa.Engine) -> pd.DataFrame:
    """Return the mapping table for editing: mapped types, then unmapped ones, with stored contacts each.

    Unmapped types come with blank category and department and a guessed contact type.
    """
    with engine.connect() as connection:
        mapped = load_type_map(connection)
        unmapped = unmapped_types(connection)
        counts = connection.execute(
            sa.select(sa.func.lower(sa.func.trim(REQUESTS.c.request_type)), sa.func.count()).group_by(
                sa.func.lower(sa.func.trim(REQUESTS.c.request_type))
            )
        ).all()
    contacts = dict(counts)
    new = unmapped[~type_key(unmapped["raw_type"]).isin(set(type_key(mapped["raw_type"])))]
    new = new.assign(category="", department="", contact_type=guess_contact_types(new["raw_type"]))
    table = pd.concat([new[TYPE_MAP_COLUMNS], mapped], ignore_index=True)
    table["contacts"] = type_key(table["raw_type"]).map(contacts).fillna(0).astype(int)
    return table


def categories_in_use(engine: sa.Engine) -> list[str]:
    """Return the categories of the mapping table, sorted."""
    with engine.connect() as connection:
        return sorted(connection.execute(sa.select(TYPES.c.category).distinct()).scalars())
