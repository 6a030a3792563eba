"""Post-closure ratings: one per contact, written by an upload that can be undone like any other."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from voc.core.errors import NotFound, VocError
from voc.store.closure_counts import forget_counts
from voc.store.models import ClosureRating, ServiceRequest, Upload, utc_now
from voc.store.query import read_frame
from voc.store.requests import UndoResult

RATINGS = ClosureRating.__table__
REQUESTS = ServiceRequest.__table__
UPLOADS = Upload.__table__
RATED = ("score", "scale_max", "satisfied", "answered_on", "comment")
SATISFIED_SHARE_OF_SCALE = 0.4  # the top two answers of five


def satisfied(scores: pd.Series, scale_max: int) -> pd.Series:
    """True where a score is in the top 40% of a 1-scale_max scale: 4 or 5 of 5, 8 to 10 of 10."""
    return scores > 1 + (scale_max - 1) * (1 - SATISFIED_SHARE_OF_SCALE) - 1e-9


def rate_contacts(connection: sa.Connection, answers: pd.DataFrame, *, scale_max: int, upload_id: int) -> int:
    """Store the ratings (source_id, score, answered_on) of the contacts of one upload; return how many matched."""
    ids = connection.execute(
        sa.select(REQUESTS.c.source_id, REQUESTS.c.id).where(REQUESTS.c.upload_id == upload_id)
    ).all()
    request_ids = pd.Series({source_id: request_id for source_id, request_id in ids})
    rated = answers.assign(request_id=answers["source_id"].map(request_ids)).dropna(subset=["request_id"])
    rated = rated.assign(scale_max=scale_max, satisfied=satisfied(rated["score"], scale_max), comment=None)
    return save_ratings(connection, rated, upload_id)["inserted"]


def contact_ids(engine: sa.Engine, source_ids: list[str], *, source: str | None) -> pd.DataFrame:
    """Return (source_id, request_id) of the stored contacts with these record ids, of one source when given.

    A record id held by two sources without `source` is left out: which contact it means is not known.
    """
    query = sa.select(REQUESTS.c.source_id, REQUESTS.c.id.label("request_id")).where(
        REQUESTS.c.source_id.in_(sa.bindparam("ids", expanding=True))
    )
    if source:
        query = query.where(REQUESTS.c.source == source)
    with engine.connect() as connection:
        rows = connection.execute(query, {"ids": source_ids or [""]}).all()
    found = pd.DataFrame(rows, columns=["source_id", "request_id"])
    return found.drop_duplicates("source_id", keep=False)


def _snapshot(row: sa.Row) -> dict[str, Any]:
    answered = row.answered_on.isoformat() if row.answered_on else None
    # the replaced rating keeps its own `previous`, so undoing a chain of re-imports walks back one upload at a time
    fields = {name: getattr(row, name) for name in RATED}
    return {"upload_id": row.upload_id, **fields, "answered_on": answered, "previous": row.previous}


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A rating's values as Python types, which every database driver takes (numpy's are not)."""
    comment = record["comment"]
    return {
        "score": float(record["score"]), "scale_max": int(record["scale_max"]), "satisfied": bool(record["satisfied"]),
        "answered_on": record["answered_on"] or None, "comment": None if pd.isna(comment) else str(comment),
    }  # fmt: skip


def save_ratings(connection: sa.Connection, ratings: pd.DataFrame, upload_id: int) -> dict[str, int]:
    """Upsert ratings (request_id and RATED columns) by contact; return inserted, updated and unchanged counts.

    A rating equal to the stored one is left alone, so importing the same file again changes nothing.
    """
    stored = {
        row.request_id: row
        for row in connection.execute(
            sa.select(RATINGS).where(RATINGS.c.request_id.in_(sa.bindparam("ids", expanding=True))),
            {"ids": [int(i) for i in ratings["request_id"]] or [-1]},
        )
    }
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    new = []
    for record in ratings.to_dict("records"):
        values = _plain(record)
        old = stored.get(int(record["request_id"]))
        if old is None:
            new.append({"request_id": int(record["request_id"]), "upload_id": upload_id, **values})
        elif all(getattr(old, name) == values[name] for name in RATED):
            counts["unchanged"] += 1
        else:
            connection.execute(
                sa.update(RATINGS)
                .where(RATINGS.c.id == old.id)
                .values(upload_id=upload_id, previous=_snapshot(old), **values)
            )
            counts["updated"] += 1
    if new:
        connection.execute(sa.insert(RATINGS), new)
    counts["inserted"] = len(new)
    if counts["inserted"] or counts["updated"]:
        _forget_rated_months(connection, [int(i) for i in ratings["request_id"]])
    return counts


def _forget_rated_months(connection: sa.Connection, request_ids: list[int]) -> None:
    """Have the closure roll-ups of the rated contacts' months count their satisfaction again on next use."""
    query = sa.select(REQUESTS.c.opened_month).distinct().where(REQUESTS.c.id.in_(sa.bindparam("ids", expanding=True)))
    months = {
        month
        for start in range(0, len(request_ids), 5_000)
        for month in connection.execute(query, {"ids": request_ids[start : start + 5_000]}).scalars()
    }
    forget_counts(connection, months)


def undo_ratings(connection: sa.Connection, upload_id: int, *, user: str) -> UndoResult:
    """Put the ratings back as they were before a satisfaction upload; return the ratings deleted and restored.

    Refused while a later upload replaced some of its ratings: those are undone first, newest first.
    """
    upload = connection.execute(sa.select(UPLOADS).where(UPLOADS.c.id == upload_id)).first()
    if upload is None:
        raise NotFound(f"There is no upload {upload_id}. `voc uploads` lists them.")
    if upload.status == "undone":
        raise VocError(f"Upload {upload_id} ({upload.file_name}) was already undone.")
    later = connection.execute(
        sa.select(RATINGS.c.upload_id).distinct().where(RATINGS.c.previous["upload_id"].as_integer() == upload_id)
    ).scalars().all()  # fmt: skip
    if later:
        names = ", ".join(str(u) for u in sorted(later))
        raise VocError(f"Upload {upload_id} cannot be undone yet: later upload(s) {names} changed the same ratings.")
    rows = connection.execute(sa.select(RATINGS).where(RATINGS.c.upload_id == upload_id)).all()
    restored = [row for row in rows if row.previous]
    for row in restored:
        before = dict(row.previous)
        answered = before.pop("answered_on")
        connection.execute(
            sa.update(RATINGS).where(RATINGS.c.id == row.id).values(
                **before, answered_on=date.fromisoformat(answered) if answered else None
            )
        )  # fmt: skip
    kept = [row.id for row in restored] or [-1]
    deleted = connection.execute(
        sa.delete(RATINGS).where(RATINGS.c.upload_id == upload_id, RATINGS.c.id.not_in(kept))
    ).rowcount
    connection.execute(
        sa.update(UPLOADS).where(UPLOADS.c.id == upload_id).values(status="undone", undone_at=utc_now(), undone_by=user)
    )
    _forget_rated_months(connection, [row.request_id for row in rows])
    return UndoResult(upload_id=upload_id, deleted=deleted, restored=len(restored), records="ratings")


def read_ratings(engine: sa.Engine, request_ids: pd.Series | None = None) -> pd.DataFrame:
    """Return request_id, score, scale_max, satisfied of the stored ratings (of these contacts when given)."""
    query = sa.select(RATINGS.c.request_id, RATINGS.c.score, RATINGS.c.scale_max, RATINGS.c.satisfied)
    frame = read_frame(engine, query)
    if request_ids is not None:
        frame = frame[frame["request_id"].isin(request_ids)]
    return frame.astype({"satisfied": bool}).reset_index(drop=True)
