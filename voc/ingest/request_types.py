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
from voc.store.type_counts import TYPE_COUNTS

TYPES = RequestType.__table__
REQUESTS = ServiceRequest.__table__
CATEGORY_LENGTH = 200  # the store's category column: a raw type longer than that is cut to be its own category
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
    """Apply the mapping to stored contacts whose category, department or type differ from it.

    Contacts of a type the mapping no longer lists go back to their raw type as category.
    """
    raw_key = sa.func.lower(sa.func.trim(REQUESTS.c.request_type))
    own_category = sa.func.substr(REQUESTS.c.request_type, 1, CATEGORY_LENGTH)
    unlisted = sa.and_(
        raw_key.not_in(sa.bindparam("keys", expanding=True)), REQUESTS.c.category.is_distinct_from(own_category)
    )
    keys = {"keys": [raw.casefold() for raw in type_map["raw_type"]] or [""]}
    months = set(connection.execute(sa.select(REQUESTS.c.opened_month).distinct().where(unlisted), keys).scalars())
    changed = connection.execute(sa.update(REQUESTS).where(unlisted).values(category=own_category), keys).rowcount
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
    """Return raw request types of stored contacts that the mapping does not list yet, most frequent first.

    Their contacts count under the raw type as category until they are mapped. Counted from the
    raw-type roll-up (voc.store.type_counts), whose size follows months and types, not contacts.
    """
    mapped = sa.select(sa.func.lower(sa.func.trim(TYPES.c.raw_type)))
    contacts = sa.func.sum(TYPE_COUNTS.c.contacts)
    query = (
        sa.select(TYPE_COUNTS.c.request_type.label("raw_type"), contacts.label("contacts"))
        .where(sa.func.lower(sa.func.trim(TYPE_COUNTS.c.request_type)).not_in(mapped))
        .group_by(TYPE_COUNTS.c.request_type)
        .order_by(contacts.desc(), TYPE_COUNTS.c.request_type)
        .limit(limit)
    )
    return read_frame(connection, query, dtypes={"contacts": "int64"})


def type_table(engine: sa.Engine) -> pd.DataFrame:
    """Return the mapping table for editing: mapped types, then unmapped ones, with stored contacts each.

    Unmapped types come with blank category and department and a guessed contact type.
    """
    key = sa.func.lower(sa.func.trim(TYPE_COUNTS.c.request_type))
    with engine.connect() as connection:
        mapped = load_type_map(connection)
        unmapped = unmapped_types(connection)
        counts = connection.execute(sa.select(key, sa.func.sum(TYPE_COUNTS.c.contacts)).group_by(key)).all()
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


def set_request_type(
    engine: sa.Engine,
    raw_type: str,
    *,
    category: str,
    department: str | None,
    contact_type: str | None,
    user: str,
    role: Role,
) -> int:
    """Map one raw type (added, or replacing its row) and re-categorise its stored contacts.

    Without `department`, the type keeps the one it had, else takes the one most of its stored
    contacts carry; without `contact_type`, the one it had, else a guess from its words. Returns how
    many stored contacts changed. Raises VocError when no department can be found.
    """
    with engine.connect() as connection:
        current = load_type_map(connection)
        stored = read_frame(
            connection,
            sa.select(REQUESTS.c.department, sa.func.count().label("contacts"))
            .where(sa.func.lower(sa.func.trim(REQUESTS.c.request_type)) == raw_type.strip().casefold())
            .group_by(REQUESTS.c.department)
            .order_by(sa.text("contacts DESC"), REQUESTS.c.department),
        )
    same = type_key(current["raw_type"]) == raw_type.strip().casefold()
    before = current[same].iloc[0] if same.any() else None
    known = stored["department"].dropna()
    department = department or (before["department"] if before is not None else None)
    department = department or (known.iloc[0] if len(known) else None)
    if not department:
        raise VocError(f"Give {raw_type!r} a department too (--department): its contacts name none.")
    guess = guess_contact_types(pd.Series([raw_type])).iloc[0]
    contact_type = contact_type or (before["contact_type"] if before is not None else guess)
    row = pd.DataFrame([[raw_type.strip(), category, department, contact_type]], columns=TYPE_MAP_COLUMNS)
    return save_type_map(engine, pd.concat([current[~same], row], ignore_index=True), user=user, role=role)


def merge_type_map(engine: sa.Engine, rows: pd.DataFrame, *, user: str, role: Role) -> int:
    """Add or replace the mapping of the raw types in `rows` (TYPE_MAP_COLUMNS), keeping the others.

    Rows without a category and department are skipped (types left to map later). Returns how many
    stored contacts changed.
    """
    with engine.connect() as connection:
        current = load_type_map(connection)
    listed = set(type_key(rows["raw_type"].dropna()))
    kept = current[~type_key(current["raw_type"]).isin(listed)]
    return save_type_map(engine, pd.concat([kept, rows.reindex(columns=TYPE_MAP_COLUMNS)]), user=user, role=role)


def type_map_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """Read a mapping table as a file gives it (any column order, human or field names); raise VocError if unusable."""
    names = {re.sub(r"[^a-z]+", "_", str(column).casefold()).strip("_"): column for column in table.columns}
    aliases = {"raw_type": ("raw_type", "raw_request_type", "request_type", "type"), "contact_type": ("contact_type",)}
    found = {}
    for name in TYPE_MAP_COLUMNS:
        column = next((names[alias] for alias in aliases.get(name, (name,)) if alias in names), None)
        if column is not None:
            found[name] = table[column]
    missing = [name for name in ("raw_type", "category", "department") if name not in found]
    if missing:
        raise VocError(
            f"The file has no column {missing[0]!r}. A request-type file has the columns raw_type, category, "
            "department and (optionally) contact_type: `voc types export FILE` writes one to start from."
        )
    frame = pd.DataFrame(found).reindex(columns=TYPE_MAP_COLUMNS)
    blank_type = frame["contact_type"].isna() | (frame["contact_type"].astype("str").str.strip() == "")
    return frame.assign(contact_type=frame["contact_type"].mask(blank_type, guess_contact_types(frame["raw_type"])))
