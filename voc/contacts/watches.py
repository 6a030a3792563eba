"""Watches: a saved filter of the contacts (departments, categories, districts) and who receives its digest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from voc.contacts.trends import filter_choices
from voc.core.access import Role, require
from voc.core.errors import NotFound, VocError
from voc.store.engine import record_audit, write_transaction
from voc.store.models import utc_now
from voc.store.proactive_tables import DigestSend, Watch

WATCHES = Watch.__table__
SENDS = DigestSend.__table__
# One address, as a scheduler's configuration would hold it: no display name, no list.
_ADDRESS = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+")
COUNTY_WIDE = ""  # the watch name a digest without a watch is recorded under


@dataclass(frozen=True)
class SavedWatch:
    """A watch: empty filters keep everything."""

    name: str
    departments: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()


def checked_addresses(addresses: Iterable[str]) -> tuple[str, ...]:
    """Return the addresses stripped, refusing any that is not one plain address (name@example.org)."""
    cleaned = tuple(address.strip() for address in addresses if address.strip())
    wrong = [address for address in cleaned if not _ADDRESS.fullmatch(address)]
    if wrong:
        raise VocError(f"Not an e-mail address: {', '.join(map(repr, wrong))}. Write one address per --to, a@b.org.")
    return cleaned


def add_watch(engine: sa.Engine, watch: SavedWatch, *, user: str, role: Role) -> None:
    """Save a watch; refused for a role below analyst, a taken or blank name, no recipient, or a value the
    contacts never had (a misspelt category would silently match nothing)."""
    require(role, Role.ANALYST, doing="save watches")
    name = watch.name.strip()
    if not name:
        raise VocError("Name the watch (e.g. the department or district it follows).")
    recipients = checked_addresses(watch.recipients)
    if not recipients:
        raise VocError("Say who receives the watch's digest: at least one address (--to).")
    choices = filter_choices(engine)
    for values, dimension, shown in (
        (watch.departments, "department", "department"), (watch.categories, "category", "category"),
        (watch.districts, "district_code", "district code"),
    ):  # fmt: skip
        _check_known(values, choices[dimension], shown)
    with write_transaction(engine) as connection:
        if connection.execute(sa.select(WATCHES.c.id).where(WATCHES.c.name == name)).first():
            raise VocError(f"A watch named {name!r} exists already: remove it first to replace it.")
        connection.execute(
            sa.insert(WATCHES).values(
                name=name,
                departments=list(watch.departments),
                categories=list(watch.categories),
                districts=list(watch.districts),
                recipients=list(recipients),
                created_by=user,
                created_at=utc_now(),
            )  # fmt: skip
        )
        record_audit(connection, user=user, action="add watch", detail=name)


def _check_known(values: Sequence[str], known: Sequence[str], shown: str) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:
        listed = ", ".join(known[:30]) + (", ..." if len(known) > 30 else "") if known else "none yet"
        raise VocError(f"No contacts have the {shown} {', '.join(map(repr, unknown))}. Known: {listed}.")


def list_watches(engine: sa.Engine) -> list[SavedWatch]:
    """Return the saved watches by name."""
    columns = [WATCHES.c[name] for name in ("name", "departments", "categories", "districts", "recipients")]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*columns).order_by(WATCHES.c.name)).all()
    return [SavedWatch(row[0], *(tuple(values) for values in row[1:])) for row in rows]


def find_watch(engine: sa.Engine, name: str) -> SavedWatch:
    """Return the watch of that name; NotFound lists the saved ones."""
    watches = list_watches(engine)
    found = [watch for watch in watches if watch.name == name]
    if not found:
        names = ", ".join(watch.name for watch in watches) or "none yet (`voc watch add`)"
        raise NotFound(f"No watch named {name!r}. Saved watches: {names}.")
    return found[0]


def remove_watch(engine: sa.Engine, name: str, *, user: str, role: Role) -> None:
    """Remove a watch; its digests' record stays."""
    require(role, Role.ANALYST, doing="remove watches")
    find_watch(engine, name)
    with write_transaction(engine) as connection:
        connection.execute(sa.delete(WATCHES).where(WATCHES.c.name == name))
        record_audit(connection, user=user, action="remove watch", detail=name)


def digest_sent_at(engine: sa.Engine, watch: str, period: str) -> datetime | None:
    """Return when the digest of a watch for a period was last sent, or None if it never was."""
    query = (
        sa.select(SENDS.c.sent_at).where(SENDS.c.watch == watch, SENDS.c.period == period)
        .order_by(SENDS.c.id.desc()).limit(1)
    )  # fmt: skip
    with engine.connect() as connection:
        return connection.execute(query).scalar()


def record_digest_sent(
    engine: sa.Engine, *, watch: str, period: str, recipients: Sequence[str], subject: str, user: str
) -> None:
    """Record that the SMTP server accepted a digest (call only after it did)."""
    with write_transaction(engine) as connection:
        connection.execute(
            sa.insert(SENDS).values(
                watch=watch,
                period=period,
                recipients=list(recipients),
                subject=subject,
                sent_by=user,
                sent_at=utc_now(),
            )  # fmt: skip
        )
        record_audit(connection, user=user, action="send digest", detail=f"{watch or 'county-wide'} {period}")
