"""Survey data in the store: importing a file, the current results, the dictionary, benchmarks and links.

Each import is an upload of kind "survey". A wave imported again supersedes the earlier import of
that wave (the rows stay, under their upload): the current figures of a wave are those of its
newest committed upload, so undoing an upload brings the previous import of the wave back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import FileRefused, VocError
from voc.ingest.read import read_table
from voc.store.bulk import frame_records
from voc.store.engine import record_audit, write_transaction
from voc.store.models import ServiceAreaLink, SurveyBenchmark, SurveyQuestion, SurveyResult, Upload
from voc.store.query import read_frame
from voc.store.uploads import record_counts, sha256_of, start_upload
from voc.survey.dictionary import DICTIONARY_COLUMNS, KINDS, classify, read_dictionary, unique_labels
from voc.survey.published import looks_published, read_published
from voc.survey.respondents import summarise_respondents

RESULTS = SurveyResult.__table__
QUESTIONS = SurveyQuestion.__table__
BENCHMARKS = SurveyBenchmark.__table__
LINKS = ServiceAreaLink.__table__
UPLOADS = Upload.__table__
RESULT_COLUMNS = (
    "survey", "wave", "year", "service_area", "question", "district_code", "satisfied_share", "importance_share",
    "mean_score", "n", "n_effective", "weight_total", "derived_importance",
)  # fmt: skip


@dataclass
class SurveyImport:
    """What a survey import did."""

    file_name: str
    survey: str
    shape: str
    upload_id: int | None
    waves: list[str]
    items: int
    districts: list[str]
    respondents: int | None
    notes: list[str] = field(default_factory=list)
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "column", "message"]))
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        values = {k: v for k, v in self.__dict__.items() if k != "problems"}
        return {**values, "problems": self.problems.to_dict("records")}


def survey_name_from(file_name: str) -> str:
    """Guess a survey's name from its file name: the words before the first one holding a digit."""
    words = re.split(r"[_\-\s.]+", PurePath(file_name).stem)
    kept = []
    for word in words:
        if any(ch.isdigit() for ch in word):
            break
        kept.append(word)
    name = " ".join(kept).strip() or "Resident survey"
    return name[:1].upper() + name[1:]


def import_survey(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    user: str,
    role: Role,
    dictionary: bytes | None = None,
    dictionary_name: str = "dictionary.csv",
    survey: str | None = None,
    wave: str | None = None,
    year: int | None = None,
) -> SurveyImport:
    """Import a respondent-level survey file or a published summary table, all in one transaction.

    Without `dictionary`, the dictionary kept for the survey (Data page) is used, else the file's own
    header. Importing the same file again changes nothing. Raises FileRefused for a file that cannot
    be read as either shape; NotAllowed unless the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="import surveys")
    raw = read_table(data, file_name)
    survey = (survey or "").strip() or survey_name_from(file_name)
    # The same file with another dictionary or wave is a different import.
    digest = sha256_of(data + b"\0" + (dictionary or b"") + f"\0{wave}\0{year}".encode())
    earlier = _same_file(engine, digest, survey)
    if earlier is not None:
        message = f"{file_name} was already imported as upload {earlier}: nothing changed."
        return SurveyImport(file_name, survey, "", None, [], 0, [], None, message=message)
    if looks_published([str(c) for c in raw.frame.columns]):
        table = read_published(raw.frame, raw.row_numbers, file_name=file_name, wave=wave, year=year)
        results, questions, problems, shape, respondents, notes = (
            table.results, None, table.problems, "published", None, [])  # fmt: skip
    else:
        kept = load_questions(engine, survey)
        given = read_dictionary(dictionary, dictionary_name) if dictionary else (kept if len(kept) else None)
        summary = summarise_respondents(
            raw.frame, classify(raw.frame, given), file_name=file_name, wave=wave, year=year
        )
        results, questions, problems, shape = summary.results, summary.questions, None, "respondents"
        respondents, notes = summary.respondents, summary.notes
    if results.empty:
        raise FileRefused(f"{file_name}: no row could be read as a survey result. See the problems listed.")
    results = results.assign(survey=survey).reindex(columns=list(RESULT_COLUMNS))
    with write_transaction(engine) as connection:
        upload_id = start_upload(connection, kind="survey", file_name=file_name, sha256=digest, user=user,
                                 source=survey)  # fmt: skip
        connection.execute(sa.insert(RESULTS), frame_records(results.assign(upload_id=upload_id)))
        if questions is not None:
            _replace_questions(connection, survey, questions)
        rejected = len(problems["row"].unique()) if problems is not None and len(problems) else 0
        record_counts(connection, upload_id, rows_read=respondents or len(raw.frame), inserted=len(results),
                      rejected=rejected)  # fmt: skip
        record_audit(connection, user=user, action="import survey", detail=f"{survey}: {file_name}")
    waves = list(dict.fromkeys(results["wave"]))
    districts = sorted(results["district_code"].dropna().unique().tolist())
    items = results["service_area"].nunique()
    message = (
        f"Imported {items} items of {survey}, wave {', '.join(waves)}"
        + (f", from {respondents:,} respondents" if respondents else "")
        + (f", county-wide and in {len(districts)} districts" if districts else ", county-wide")
        + f", as upload {upload_id}."
    )
    report = SurveyImport(file_name, survey, shape, upload_id, waves, items, districts, respondents, notes,
                          message=message)  # fmt: skip
    if problems is not None:
        report.problems = problems
    return report


def _same_file(engine: sa.Engine, digest: str, survey: str) -> int | None:
    query = sa.select(sa.func.max(UPLOADS.c.id)).where(
        UPLOADS.c.sha256 == digest, UPLOADS.c.kind == "survey", UPLOADS.c.status == "committed",
        UPLOADS.c.source == survey,
    )  # fmt: skip
    with engine.connect() as connection:
        return connection.execute(query).scalar()


def current_results(engine: sa.Engine) -> pd.DataFrame:
    """Return the current survey figures: of each survey's wave, the rows of its newest committed upload.

    Columns as RESULT_COLUMNS; n_effective is filled with n where the file had no weights, and
    weight_total with n_effective (a published file, or an import made before weights were kept).
    """
    newest = (
        sa.select(RESULTS.c.survey, RESULTS.c.wave, sa.func.max(RESULTS.c.upload_id).label("upload_id"))
        .join(UPLOADS, UPLOADS.c.id == RESULTS.c.upload_id)
        .where(UPLOADS.c.status == "committed")
        .group_by(RESULTS.c.survey, RESULTS.c.wave)
        .subquery()
    )
    query = sa.select(*(RESULTS.c[c] for c in RESULT_COLUMNS)).join(
        newest,
        sa.and_(RESULTS.c.survey == newest.c.survey, RESULTS.c.wave == newest.c.wave,
                RESULTS.c.upload_id == newest.c.upload_id),
    )  # fmt: skip
    frame = read_frame(engine, query)
    for column in ("satisfied_share", "importance_share", "mean_score", "n_effective", "weight_total",
                   "derived_importance"):  # fmt: skip
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["n_effective"] = frame["n_effective"].fillna(frame["n"].astype(float))
    frame["weight_total"] = frame["weight_total"].fillna(frame["n_effective"])
    return frame.sort_values(["survey", "year", "wave", "service_area"], kind="stable").reset_index(drop=True)


def load_questions(engine: sa.Engine, survey: str) -> pd.DataFrame:
    """Return a survey's question dictionary in file order (empty when none is kept)."""
    query = sa.select(*(QUESTIONS.c[c] for c in DICTIONARY_COLUMNS)).where(QUESTIONS.c.survey == survey)
    return read_frame(engine, query.order_by(QUESTIONS.c.position))


def _replace_questions(connection: sa.Connection, survey: str, questions: pd.DataFrame) -> None:
    connection.execute(sa.delete(QUESTIONS).where(QUESTIONS.c.survey == survey))
    rows = questions.reindex(columns=list(DICTIONARY_COLUMNS)).assign(survey=survey)
    rows["codes"] = rows["codes"].fillna("")
    connection.execute(sa.insert(QUESTIONS), frame_records(rows))


def save_questions(engine: sa.Engine, survey: str, edited: pd.DataFrame, *, user: str, role: Role) -> int:
    """Keep an analyst's edit of a survey's dictionary and relabel its stored results; return items relabelled.

    Labels apply at once; a changed kind applies when the file is imported again.
    """
    require(role, Role.ANALYST, doing="edit survey dictionaries")
    frame = edited.reindex(columns=list(DICTIONARY_COLUMNS)).dropna(subset=["question"])
    frame["label"] = frame["label"].fillna("").astype(str).str.strip()
    frame["label"] = frame["label"].where(frame["label"] != "", frame["question"])
    bad = ~frame["kind"].isin(KINDS)
    if bad.any():
        raise VocError(f"Kind must be one of {', '.join(KINDS)} (not so for {frame.loc[bad, 'question'].iloc[0]!r}).")
    frame["position"] = pd.to_numeric(frame["position"], errors="coerce").fillna(0).astype(int)
    labels = dict(zip(frame["question"], unique_labels(frame.reset_index(drop=True)), strict=True))
    relabelled = 0
    with write_transaction(engine) as connection:
        _replace_questions(connection, survey, frame)
        for question, label in labels.items():
            relabelled += connection.execute(
                sa.update(RESULTS)
                .where(RESULTS.c.survey == survey, RESULTS.c.question == question, RESULTS.c.service_area != label)
                .values(service_area=label)
            ).rowcount
        record_audit(connection, user=user, action="edit survey dictionary", detail=survey)
    return relabelled


def load_benchmarks(engine: sa.Engine) -> pd.DataFrame:
    """Return the benchmark values entered per item (service_area, benchmark_share 0-1, source)."""
    return read_frame(engine, sa.select(BENCHMARKS).order_by(BENCHMARKS.c.service_area))


def save_benchmarks(engine: sa.Engine, edited: pd.DataFrame, *, user: str, role: Role) -> None:
    """Replace the benchmarks; shares may be given 0-1 or as percentages (above 1); blank rows are dropped."""
    require(role, Role.ANALYST, doing="edit survey benchmarks")
    frame = edited.dropna(subset=["service_area", "benchmark_share"])
    frame = frame[frame["service_area"].astype(str).str.strip() != ""]
    share = pd.to_numeric(frame["benchmark_share"], errors="coerce")
    share = share.where(share <= 1, share / 100)
    if share.isna().any() or not share.between(0, 1).all():
        raise VocError("A benchmark is a percent satisfied between 0 and 100 (or a share between 0 and 1).")
    if frame["service_area"].duplicated().any():
        raise VocError(f"{frame.loc[frame['service_area'].duplicated(), 'service_area'].iloc[0]!r} is listed twice.")
    rows = pd.DataFrame({
        "service_area": frame["service_area"].astype(str).str.strip(), "benchmark_share": share,
        "source": frame.get("source", pd.Series("", index=frame.index)).fillna("").astype(str),
    })  # fmt: skip
    with write_transaction(engine) as connection:
        connection.execute(sa.delete(BENCHMARKS))
        if len(rows):
            connection.execute(sa.insert(BENCHMARKS), frame_records(rows))
        record_audit(connection, user=user, action="edit survey benchmarks", detail=f"{len(rows)} benchmarks")


def load_links(engine: sa.Engine) -> pd.DataFrame:
    """Return the links from survey service areas to complaint categories."""
    return read_frame(engine, sa.select(LINKS).order_by(LINKS.c.service_area, LINKS.c.category))


def save_links(engine: sa.Engine, edited: pd.DataFrame, *, user: str, role: Role) -> None:
    """Replace the service area -> category links; incomplete rows are dropped, repeats kept once."""
    require(role, Role.ANALYST, doing="edit survey links")
    frame = edited.reindex(columns=["service_area", "category"]).dropna()
    frame = frame.astype(str).apply(lambda column: column.str.strip())
    frame = frame[(frame["service_area"] != "") & (frame["category"] != "")].drop_duplicates()
    with write_transaction(engine) as connection:
        connection.execute(sa.delete(LINKS))
        if len(frame):
            connection.execute(sa.insert(LINKS), frame_records(frame))
        record_audit(connection, user=user, action="edit service area links", detail=f"{len(frame)} links")
