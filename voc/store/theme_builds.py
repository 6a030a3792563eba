"""The state of the theme build: what the stored themes cover, what was asked for, and which build is running.

One row (id 1). A write that changes the contacts asks for a build by raising requested_version to
the store's data version; a build takes the row's claim (running_*), groups, then records the
version it covered. The pages read the row to say how current the themes they show are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voc.store.models import UTCDateTime

_ROW = 1


class ThemeBuildState(SQLModel, table=True):
    """What the stored themes cover and which build, if any, is regrouping them (one row)."""

    __tablename__ = "theme_builds"

    id: int = Field(primary_key=True)
    requested_version: int = Field(default=0, description="the data version the latest request wants covered")
    requested_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
    built_version: int = Field(default=0, description="the requested version the stored themes cover")
    built_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
    running_version: int | None = Field(default=None, description="the version the running build will cover")
    running_since: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
    runner: str | None = Field(default=None, max_length=300, description="host:pid of the running build")
    failure: str | None = Field(default=None, max_length=2000, description="why the last build failed")
    grouped: int = Field(default=0, description="descriptions the stored themes' centres were learnt from")
    placed_since: int = Field(default=0, description="descriptions placed on those centres by later builds")
    checked_upload: int = Field(default=0, description="rows of uploads up to this id have current vectors")
    checked_model: str | None = Field(default=None, max_length=60, description="the model those vectors are of")


STATE = ThemeBuildState.__table__


@dataclass(frozen=True)
class BuildState:
    requested_version: int = 0
    requested_at: datetime | None = None
    built_version: int = 0
    built_at: datetime | None = None
    running_version: int | None = None
    running_since: datetime | None = None
    runner: str | None = None
    failure: str | None = None
    grouped: int = 0
    placed_since: int = 0
    checked_upload: int = 0
    checked_model: str | None = None

    @property
    def pending(self) -> bool:
        """Whether a change asked for themes the stored ones do not cover yet."""
        return self.requested_version > self.built_version


def read_build_state(source: sa.Engine | sa.Connection) -> BuildState:
    """Return the build state; a store that never asked for a build has the defaults."""
    query = sa.select(*(STATE.c[name] for name in BuildState.__dataclass_fields__)).where(STATE.c.id == _ROW)
    if isinstance(source, sa.Engine):
        with source.connect() as connection:
            row = connection.execute(query).first()
    else:
        row = source.execute(query).first()
    return BuildState(*row) if row else BuildState()


def _update(connection: sa.Connection, **values: object) -> None:
    if connection.execute(sa.update(STATE).where(STATE.c.id == _ROW).values(**values)).rowcount == 0:
        connection.execute(sa.insert(STATE).values(id=_ROW, **values))


def record_request(connection: sa.Connection, *, version: int, at: datetime) -> None:
    """Ask for themes covering the store at data version `version` (a lower version asked later is kept)."""
    current = read_build_state(connection).requested_version
    _update(connection, requested_version=max(current, version), requested_at=at)


def record_start(connection: sa.Connection, *, version: int, runner: str, at: datetime) -> None:
    """Record that `runner` is building themes for requested version `version`."""
    _update(connection, running_version=version, running_since=at, runner=runner)


def record_finish(connection: sa.Connection, *, version: int, at: datetime, grouped: int, placed_since: int) -> None:
    """Record that the stored themes now cover requested version `version`; the claim is released.

    grouped: the descriptions their centres were learnt from; placed_since: those placed on them since.
    """
    built = max(read_build_state(connection).built_version, version)
    _update(connection, built_version=built, built_at=at, running_version=None, running_since=None, runner=None,
            failure=None, grouped=grouped, placed_since=placed_since)  # fmt: skip


def record_failure(connection: sa.Connection, *, reason: str) -> None:
    """Record why the running build failed; the claim is released and the stored themes stay as they were."""
    _update(connection, running_version=None, running_since=None, runner=None, failure=reason[:2000])


def record_checked(connection: sa.Connection, *, upload: int, model: str) -> None:
    """Record that every request row of uploads up to `upload` has a vector of `model` for its current text."""
    _update(connection, checked_upload=upload, checked_model=model)


def recheck_from(connection: sa.Connection, upload: int) -> None:
    """Have the next check read again the rows of uploads from `upload` on (an undo put such rows back)."""
    connection.execute(
        sa.update(STATE)
        .where(STATE.c.id == _ROW, STATE.c.checked_upload >= upload)
        .values(checked_upload=max(upload - 1, 0))
    )
