"""Stored candidate projects: upserted by project id keeping each previous version, and undone."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import sqlalchemy as sa

from voc.core.errors import VocError
from voc.store.bulk import frame_records
from voc.store.models import Candidate, CandidateChange, Upload, utc_now
from voc.store.requests import UndoResult

CANDIDATES = Candidate.__table__
CHANGES = CandidateChange.__table__
UPLOADS = Upload.__table__
COMPARED = ("name", "kind", "category", "district_code", "latitude", "longitude", "estimated_cost", "fund",
            "fiscal_year", "condition", "criteria", "description", "status")  # fmt: skip


def save_candidates(connection: sa.Connection, rows: pd.DataFrame, upload_id: int | None) -> tuple[int, int, int]:
    """Insert new candidates, update changed ones (keeping their previous version); return the counts."""
    stored = {
        row["source_id"]: dict(row)
        for row in connection.execute(sa.select(CANDIDATES)).mappings()
        if row["source_id"] in set(rows["source_id"])
    }
    records = frame_records(rows.drop(columns="row"))
    new = [r for r in records if r["source_id"] not in stored]
    changed = [r for r in records if r["source_id"] in stored and _differs(r, stored[r["source_id"]])]
    if upload_id is not None:
        if new:
            connection.execute(sa.insert(CANDIDATES), [{**r, "upload_id": upload_id} for r in new])
        if changed:
            previous = [stored[r["source_id"]] for r in changed]
            connection.execute(
                sa.insert(CHANGES),
                [{"upload_id": upload_id, "candidate_id": p["id"], "previous": p} for p in previous],
            )
            statement = sa.update(CANDIDATES).where(CANDIDATES.c.id == sa.bindparam("target_id"))
            connection.execute(
                statement.values({name: sa.bindparam(name) for name in (*COMPARED, "upload_id")}),
                [
                    {"target_id": p["id"], "upload_id": upload_id, **{n: r[n] for n in COMPARED}}
                    for r, p in zip(changed, previous, strict=True)
                ],
            )
    return len(new), len(changed), len(records) - len(new) - len(changed)


def _differs(row: dict[str, Any], stored: dict[str, Any]) -> bool:
    for name in COMPARED:
        a, b = row.get(name), stored.get(name)
        if isinstance(a, float) and isinstance(b, float | int):
            if not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9):
                return True
        elif a != b:
            return True
    return False


def undo_candidates(connection: sa.Connection, upload_id: int, *, user: str) -> UndoResult:
    """Put the candidates back as they were before a candidate upload, in the caller's transaction.

    Raises VocError when the upload was undone already, or while a later upload changed the same
    candidates (undo those first).
    """
    status = connection.execute(sa.select(UPLOADS.c.status).where(UPLOADS.c.id == upload_id)).scalar_one()
    if status == "undone":
        raise VocError(f"Upload {upload_id} was already undone.")
    changes = connection.execute(
        sa.select(CHANGES.c.candidate_id, CHANGES.c.previous).where(CHANGES.c.upload_id == upload_id)
    ).all()
    later = connection.execute(
        sa.select(CHANGES.c.upload_id, CHANGES.c.previous)
        .join(UPLOADS, UPLOADS.c.id == CHANGES.c.upload_id)
        .where(CHANGES.c.upload_id > upload_id, UPLOADS.c.status == "committed")
    ).all()
    dependents = sorted({c.upload_id for c in later if c.previous.get("upload_id") == upload_id})
    if dependents:
        raise VocError(
            f"Upload {upload_id} cannot be undone yet: later upload(s) {', '.join(map(str, dependents))} changed "
            "the same candidates. Undo those first, newest first."
        )
    restored = [c.candidate_id for c in changes]
    removed = connection.execute(
        sa.delete(CANDIDATES).where(CANDIDATES.c.upload_id == upload_id, CANDIDATES.c.id.not_in(restored or [-1]))
    ).rowcount
    for change in changes:
        previous = {name: value for name, value in change.previous.items() if name != "id"}
        connection.execute(sa.update(CANDIDATES).where(CANDIDATES.c.id == change.candidate_id).values(**previous))
    connection.execute(
        sa.update(UPLOADS).where(UPLOADS.c.id == upload_id).values(status="undone", undone_at=utc_now(), undone_by=user)
    )
    return UndoResult(upload_id=upload_id, deleted=removed, restored=len(changes))
