"""The upload history: one row per imported file, with its counts, mapping and status."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from voc.core.access import Role, require
from voc.store.engine import record_audit, write_transaction
from voc.store.feeds import rewind_feed
from voc.store.models import ServiceRequest, Upload, utc_now

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from voc.store.requests import UndoResult

# pandas (via the read gateway) and the undo writers are imported where they are used: `voc uploads` lists the
# history without loading pandas, so it starts in a fraction of a second (issue 17).

UPLOADS = Upload.__table__
HISTORY_COLUMNS = (
    "id", "kind", "file_name", "source", "uploaded_by", "uploaded_at", "rows_read",
    "inserted", "updated", "unchanged", "rejected", "status", "undone_at", "undone_by",
)  # fmt: skip


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path: Path) -> str:
    """Return sha256_of the file's bytes, read a block at a time."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def start_upload(
    connection: sa.Connection,
    *,
    kind: str,
    file_name: str,
    sha256: str,
    user: str,
    source: str = "",
    sheet: str | None = None,
    mapping: dict[str, Any] | None = None,
) -> int:
    """Record a new upload inside the caller's transaction and return its id."""
    return connection.execute(
        sa.insert(UPLOADS)
        .values(
            kind=kind,
            file_name=file_name,
            sha256=sha256,
            source=source,
            sheet=sheet,
            uploaded_by=user,
            uploaded_at=utc_now(),
            mapping=mapping,
            status="committed",
        )
        .returning(UPLOADS.c.id)
    ).scalar_one()


def record_counts(connection: sa.Connection, upload_id: int, **counts: int) -> None:
    """Store an upload's row counts (rows_read, inserted, updated, unchanged, rejected)."""
    connection.execute(sa.update(UPLOADS).where(UPLOADS.c.id == upload_id).values(**counts))


def upload_history(engine: sa.Engine, *, limit: int = 200) -> list[dict[str, Any]]:
    """Return the newest uploads first, one dict of HISTORY_COLUMNS each (missing values None)."""
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(_history_query(limit)).mappings()]


def list_uploads(engine: sa.Engine, *, limit: int = 200) -> pd.DataFrame:
    """Return the newest uploads first, as a frame of HISTORY_COLUMNS."""
    from voc.store.query import read_frame

    return read_frame(engine, _history_query(limit))


def _history_query(limit: int) -> sa.Select:
    return sa.select(*(UPLOADS.c[name] for name in HISTORY_COLUMNS)).order_by(UPLOADS.c.id.desc()).limit(limit)


def last_upload(engine: sa.Engine) -> dict[str, Any] | None:
    """Return the newest committed upload as a dict, or None when nothing was uploaded."""
    query = (
        sa.select(UPLOADS.c.id, UPLOADS.c.file_name, UPLOADS.c.kind, UPLOADS.c.uploaded_at)
        .where(UPLOADS.c.status == "committed")
        .order_by(UPLOADS.c.id.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def undo(engine: sa.Engine, upload_id: int, *, user: str, role: Role) -> UndoResult:
    """Undo an upload in one transaction and log it; raises VocError when it cannot be undone.

    Raises NotAllowed unless the role is analyst or admin.
    """
    from voc.store.areas import undo_areas
    from voc.store.candidates import undo_candidates
    from voc.store.ratings import undo_ratings
    from voc.store.requests import undo_upload

    require(role, Role.ANALYST, doing="undo an upload")
    with write_transaction(engine) as connection:
        kind = connection.execute(sa.select(UPLOADS.c.kind).where(UPLOADS.c.id == upload_id)).scalar()
        writers = {"candidates": undo_candidates, "areas": undo_areas, "satisfaction": undo_ratings}
        result = writers.get(kind, undo_upload)(connection, upload_id, user=user)
        if kind == "pull":
            rewind_feed(connection, upload_id)
        record_audit(connection, user=user, action="undo", detail=f"upload {upload_id}")
    return result


def upload_provenance(engine: sa.Engine) -> pd.DataFrame:
    """Return the committed uploads, oldest first, with the months of the contacts each holds now.

    Columns id, kind, file_name, uploaded_by, uploaded_at, rows_read, rejected, contacts, first_month,
    last_month (the last three empty for an upload that holds no contacts: candidates, surveys).
    """
    from voc.store.query import read_frame

    requests = ServiceRequest.__table__
    held = (
        sa.select(requests.c.upload_id, sa.func.count().label("contacts"),
                  sa.func.min(requests.c.opened_month).label("first_month"),
                  sa.func.max(requests.c.opened_month).label("last_month"))
        .group_by(requests.c.upload_id)
        .subquery()
    )  # fmt: skip
    query = (
        sa.select(UPLOADS.c.id, UPLOADS.c.kind, UPLOADS.c.file_name, UPLOADS.c.uploaded_by, UPLOADS.c.uploaded_at,
                  UPLOADS.c.rows_read, UPLOADS.c.rejected, held.c.contacts, held.c.first_month, held.c.last_month)
        .outerjoin(held, held.c.upload_id == UPLOADS.c.id)
        .where(UPLOADS.c.status == "committed")
        .order_by(UPLOADS.c.id)
    )  # fmt: skip
    return read_frame(engine, query)
