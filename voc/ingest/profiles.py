"""Remembered column mappings, keyed by a file's header, so next month's file maps itself."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from voc.core.errors import NotFound
from voc.store.models import MappingProfile, utc_now

PROFILES = MappingProfile.__table__


@dataclass(frozen=True)
class Profile:
    name: str
    header_key: str
    mapping: dict[str, str]


def find_profile(engine: sa.Engine, header_key: str, *, name: str | None = None) -> Profile | None:
    """Return the profile named `name` (which must exist), else the newest one for this header."""
    query = sa.select(PROFILES.c.name, PROFILES.c.header_key, PROFILES.c.mapping)
    if name is not None:
        query = query.where(PROFILES.c.name == name)
    else:
        query = query.where(PROFILES.c.header_key == header_key).order_by(PROFILES.c.updated_at.desc())
    with engine.connect() as connection:
        row = connection.execute(query.limit(1)).first()
    if row is None and name is not None:
        raise NotFound(f"There is no mapping profile named {name!r}. `voc profiles` lists them.")
    return Profile(*row) if row else None


def save_profile(connection: sa.Connection, name: str, header_key: str, mapping: dict[str, str]) -> None:
    """Remember a mapping under a name inside the caller's transaction, replacing an older one."""
    updated = connection.execute(
        sa.update(PROFILES)
        .where(PROFILES.c.name == name)
        .values(header_key=header_key, mapping=mapping, updated_at=utc_now())
    ).rowcount
    if not updated:
        connection.execute(
            sa.insert(PROFILES).values(name=name, header_key=header_key, mapping=mapping, updated_at=utc_now())
        )
