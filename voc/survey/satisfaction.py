"""Import a post-closure satisfaction survey: one answer per closed contact, joined by the contact's record id.

The file (CSV or workbook) is read by the same limited child as every upload. Its columns are found
by name ("Ticket #", "Case Number", "Service Request ID"; "Score", "Rating", "Overall satisfaction");
scores are numbers on a 1-N scale or the words of a five-point scale, and a resident counts as
satisfied in the top 40% of the scale (4 or 5 of 5). Rows whose record id matches no stored contact
are reported row by row and not stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import FileRefused
from voc.ingest.header import name_similarity
from voc.ingest.read import read_table
from voc.store.engine import record_audit, write_transaction
from voc.store.ratings import contact_ids, satisfied, save_ratings
from voc.store.uploads import record_counts, sha256_of, start_upload

KIND = "satisfaction"
COLUMN_NAMES = {
    "record_id": ("ticket number", "case number", "service request id", "request id", "record id", "sr number", "id"),
    "score": ("score", "rating", "satisfaction", "overall satisfaction", "satisfaction score"),
    "answered_on": ("answered date", "response date", "survey date", "date answered", "completed date", "date"),
    "comment": ("comment", "comments", "feedback", "remarks", "verbatim"),
}
REQUIRED = ("record_id", "score")
MATCHING = 0.8
WORDS = {  # the five-point scale in words, 1 = worst
    "very dissatisfied": 1, "dissatisfied": 2, "somewhat dissatisfied": 2, "neutral": 3,
    "neither satisfied nor dissatisfied": 3, "somewhat satisfied": 4, "satisfied": 4, "very satisfied": 5,
}  # fmt: skip


@dataclass
class SatisfactionImport:
    """What an import did: its counts, the rows left out (row, record_id, reason), the upload (None: nothing stored)."""

    file_name: str
    rows_read: int
    matched: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    scale_max: int = 5
    upload_id: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    left_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "record_id", "reason"]))

    @property
    def message(self) -> str:
        stored = f"{self.inserted} new, {self.updated} changed, {self.unchanged} unchanged"
        matched = f"{self.matched} of {self.rows_read} answers matched a contact"
        return f"{matched} ({stored}); {len(self.left_out)} left out."

    def as_json(self) -> dict[str, Any]:
        fields = ("file_name", "rows_read", "matched", "inserted", "updated", "unchanged", "scale_max", "upload_id")
        return {
            **{name: getattr(self, name) for name in fields},
            "columns": self.columns,
            "message": self.message,
            "left_out": self.left_out.to_dict("records"),
        }


def find_columns(columns: list[str]) -> dict[str, str]:
    """Map each field (record_id, score, answered_on, comment) onto the column whose name fits it best.

    Raises FileRefused when no column holds a record id or a score.
    """
    found: dict[str, str] = {}
    for name, synonyms in COLUMN_NAMES.items():
        scores = {
            column: max(name_similarity(column, synonym) for synonym in synonyms)
            for column in columns
            if column not in found.values()
        }
        best = max(scores, key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= MATCHING:
            found[name] = best
    missing = [name.replace("_", " ") for name in REQUIRED if name not in found]
    if missing:
        raise FileRefused(
            f"No column holds the {' or the '.join(missing)}: name them e.g. 'Ticket #' and 'Score'. "
            f"The file's columns are {', '.join(columns)}."
        )
    return found


def score_values(values: pd.Series) -> pd.Series:
    """Read scores as numbers: digits as they are, the words of a five-point scale as 1-5, anything else NaN."""
    text = values.astype("string").str.strip().str.casefold()
    numbers = pd.to_numeric(text, errors="coerce")
    return numbers.fillna(text.map(WORDS)).astype(float)


def _answered(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype("string").replace("", pd.NA), errors="coerce", format="mixed").dt.date


def _left_out(rows: pd.DataFrame, mask: pd.Series, reason: str) -> pd.DataFrame:
    return rows.loc[mask, ["row", "record_id"]].assign(reason=reason)


def read_answers(data: bytes, file_name: str, *, scale_max: int | None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Read a satisfaction file: (answers, rows left out, column names used), answers with row, record_id and RATED."""
    table = read_table(data, file_name)
    columns = find_columns([str(column) for column in table.frame.columns])
    frame = table.frame
    rows = pd.DataFrame({
        "row": table.row_numbers,
        "record_id": frame[columns["record_id"]].astype("string").str.strip().str.removesuffix(".0").fillna(""),
        "score": score_values(frame[columns["score"]]).to_numpy(),
        "answered_on": _answered(frame[columns["answered_on"]]).to_numpy() if "answered_on" in columns else None,
        "comment": frame[columns["comment"]].astype("string").str.strip().replace("", pd.NA).to_numpy()
        if "comment" in columns else None,
    })  # fmt: skip
    top = int(scale_max or max(5, np.nanmax(rows["score"], initial=5)))
    problems = [
        _left_out(rows, rows["record_id"] == "", "no record id"),
        _left_out(rows, rows["score"].isna(), "no score that reads as a number or a satisfaction word"),
        _left_out(rows, (rows["score"] < 1) | (rows["score"] > top), f"score outside the scale 1-{top}"),
    ]
    left_out = pd.concat(problems).drop_duplicates("row")
    answers = rows[~rows["row"].isin(left_out["row"])]
    repeated = answers["record_id"].duplicated(keep="last")
    again = _left_out(answers, repeated, "answered again further down: the last answer counts")
    left_out = pd.concat([left_out, again])
    answers = answers[~repeated].assign(scale_max=top, satisfied=lambda a: satisfied(a["score"], top))
    return answers, left_out, columns


def import_satisfaction(
    engine: sa.Engine, data: bytes, file_name: str, *, user: str, role: Role, source: str | None = None,
    scale_max: int | None = None,
) -> SatisfactionImport:  # fmt: skip
    """Import post-closure answers, upserted by contact, as one upload of kind "satisfaction".

    Raises FileRefused when the file cannot be read or names no record id or score column; NotAllowed
    unless the role is analyst or admin. With no answer matching a contact nothing is recorded.
    """
    require(role, Role.ANALYST, doing="import a satisfaction survey")
    answers, left_out, columns = read_answers(data, file_name, scale_max=scale_max)
    rows_read = len(answers) + len(left_out)
    ids = contact_ids(engine, answers["record_id"].tolist(), source=source)
    joined = answers.merge(ids, left_on="record_id", right_on="source_id", how="left")
    unmatched = joined["request_id"].isna()
    reason = f"no contact of {source} has this id" if source else "no stored contact has this id (or two sources do)"
    left_out = pd.concat([left_out, _left_out(joined, unmatched, reason)]).sort_values("row", kind="stable")
    matched = joined[~unmatched].astype({"request_id": int})
    report = SatisfactionImport(
        file_name=file_name, rows_read=rows_read, matched=len(matched),
        scale_max=int(answers["scale_max"].iloc[0]) if len(answers) else int(scale_max or 5), columns=columns,
        left_out=left_out.reset_index(drop=True),
    )  # fmt: skip
    if matched.empty:
        return report
    ratings = matched.assign(
        comment=matched["comment"].astype(object).where(matched["comment"].notna(), None),
        answered_on=matched["answered_on"].astype(object).where(matched["answered_on"].notna(), None),
    )
    with write_transaction(engine) as connection:
        upload_id = start_upload(
            connection, kind=KIND, file_name=file_name, sha256=sha256_of(data), user=user, source=source or "",
            mapping=columns,
        )  # fmt: skip
        counts = save_ratings(connection, ratings, upload_id)
        record_counts(connection, upload_id, rows_read=report.rows_read, rejected=len(report.left_out), **counts)
        record_audit(connection, user=user, action="import satisfaction", detail=f"upload {upload_id}: {file_name}")
    report.upload_id, report.inserted, report.updated, report.unchanged = upload_id, *counts.values()
    return report
