"""Candidate lists: read a county's maintenance and capital projects from xlsx or csv and import them.

Columns are found by name (a project list has no CRM layout to recognise): the first alias of a
field that the file has wins, and `overrides` name any column by hand. The county's own scoring
columns (health and safety, regulatory, equity...) are recognised by name or named in `criteria`;
each is stored in the candidate's `criteria` and ranked higher-is-more-deserving. A candidate is
keyed by its id (`source_id`): importing the same list twice changes nothing, a changed row
updates its candidate and keeps the previous version for undo.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import FileRefused, VocError
from voc.ingest.header import name_similarity
from voc.ingest.normalize import normalize_districts, normalize_ids, parse_numbers
from voc.ingest.pipeline import ImportReport, save_rejected
from voc.ingest.read import RawTable, read_table
from voc.ingest.report import Report
from voc.ingest.validate import Prepared
from voc.store.candidates import save_candidates
from voc.store.districts import load_districts
from voc.store.engine import record_audit, write_transaction
from voc.store.uploads import record_counts, sha256_of, start_upload

KINDS = ("maintenance", "capital")
SOURCE = "candidates"
# Field -> header aliases, most specific first. Headers are compared without case, and with
# spaces, underscores and hyphens alike. Pittsburgh's list has both council_district and ward
# (a smaller unit): district aliases list council districts first for that reason.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "source_id": ("source id", "project id", "project no", "project number", "project #", "cip id", "cip no",
                  "cip number", "id"),
    "name": ("name", "project name", "project title", "title", "project"),
    "kind": ("kind", "maintenance or capital", "project kind", "project type", "type"),
    "category": ("category", "asset type", "asset category", "service area", "service", "program", "agency",
                 "department"),
    "district": ("district", "district code", "council district", "commission district", "supervisor district",
                 "ward"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "long", "lng", "x"),
    "estimated_cost": ("estimated cost", "est cost", "cost", "total cost", "project cost", "budgeted amount",
                       "budget", "amount"),
    "fund": ("fund", "funding source", "fund source", "source of funds", "fund name", "funding"),
    "fiscal_year": ("fiscal year", "fy", "year funded", "funding year", "budget year", "fiscal year funded"),
    "condition": ("condition", "condition score", "condition index", "pci"),
    "status": ("status", "project status", "phase"),
    "description": ("description", "task description", "summary", "scope", "details"),
}  # fmt: skip
FIELD_NAMES = tuple(FIELD_ALIASES)
# Headers taken as the county's own scoring criteria without being named.
CRITERION_ALIASES = frozenset(
    {"health safety", "health and safety", "health & safety", "safety", "public safety", "regulatory", "mandate",
     "mandated", "legal mandate", "equity", "risk", "criticality", "consequence of failure",
     "likelihood of failure", "resilience", "economic development"}
)  # fmt: skip
_MIN_NAME_SCORE = 0.75
_EXACT_NAME_SCORE = 0.9
_SUITED_EXACT, _SUITED_LOOSE = 0.5, 0.8
_NUMBER_RANGES = {
    "estimated_cost": (0, math.inf),
    "condition": (0, 100),
    "latitude": (-90, 90),
    "longitude": (-180, 180),
}
_MAX_LENGTHS = {"name": 300, "category": 200, "district_code": 40, "status": 100, "fund": 200}
# "FY2027", "FY 27", "2027", "2026-27" and "FY2026/27" (a year named by the calendar year it ends in).
_FISCAL_YEAR = re.compile(r"^(?:fy\s*)?(\d{4}|\d{2})(?:\s*[-/]\s*(\d{4}|\d{2}))?(?:\.0)?$", re.IGNORECASE)


@dataclass(frozen=True)
class CandidateOptions:
    sheet: str | None = None
    overrides: dict[str, str | None] = field(default_factory=dict)  # field -> column, or None to unmap
    criteria: tuple[str, ...] | None = None  # the scoring columns; None: recognised by name
    default_kind: str = "capital"  # for a list without a kind column, or a blank kind
    dry_run: bool = False


@dataclass(frozen=True)
class CandidateMapping:
    columns: dict[str, str]  # field -> column of the file
    criteria: dict[str, str]  # criterion key -> column of the file
    reasons: dict[str, str] = field(default_factory=dict)  # field -> why its column was chosen


def criterion_key(name: object) -> str:
    """Return the stored key of a scoring column ("Health & Safety" -> "health_safety")."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).casefold().replace("&", " ").replace(" and ", " ")).strip("_")


def map_columns(frame: pd.DataFrame, options: CandidateOptions) -> CandidateMapping:
    """Find each field's column and the scoring columns; raise FileRefused for a column the file lacks.

    Headers are read as words and matched loosely to each field's aliases ("CIP No." is "cip number"),
    and a column's values must suit the field (unique ids, numbers for costs, degrees for coordinates,
    a short list of districts, kinds that say maintenance or capital).
    """
    columns = [str(c) for c in frame.columns]
    unknown = [c for c in [*options.overrides.values(), *(options.criteria or ())] if c and c not in columns]
    if unknown:
        listed = ", ".join(repr(c) for c in columns)
        raise FileRefused(f"The file has no column {unknown[0]!r}. Its columns are: {listed}.")
    found = {name: column for name, column in options.overrides.items() if column}
    reasons = dict.fromkeys(found, "set by analyst")
    taken = set(found.values())
    free = [c for c in columns if c not in taken]
    fields = [name for name in FIELD_NAMES if name not in options.overrides]
    for _, name, column, reason in sorted(_candidates(frame, fields, free), key=lambda c: (-c[0], c[1])):
        if name not in found and column not in taken:
            found[name], reasons[name] = column, reason
            taken.add(column)
    if options.criteria is not None:
        scoring = list(options.criteria)
    else:
        scoring = [c for c in columns if c not in taken and _criterion_header(c)]
    ordered = {name: found[name] for name in FIELD_NAMES if name in found}
    return CandidateMapping(
        columns=ordered,
        criteria={criterion_key(c): c for c in scoring},
        reasons={name: reasons[name] for name in ordered},
    )


def _criterion_header(column: str) -> bool:
    return " ".join(column.replace("&", " ").casefold().split()) in CRITERION_ALIASES


def _candidates(
    frame: pd.DataFrame, fields: Sequence[str], columns: Sequence[str]
) -> list[tuple[float, str, str, str]]:
    """Score (field, column) pairs by name, the more specific aliases first, and keep those whose values suit."""
    found = []
    for column in columns:
        values = frame[column]
        for name in fields:
            # Earlier aliases are the more specific: they win a tie ("council district" over "ward").
            rank, similarity, alias = max(
                (similarity * (1 - 0.01 * i), similarity, alias)
                for i, alias in enumerate(FIELD_ALIASES[name])
                for similarity in [name_similarity(column, alias)]
            )
            # A header that is exactly an alias needs most values to suit; a loose resemblance, nearly all.
            share = _SUITED_EXACT if similarity >= _EXACT_NAME_SCORE else _SUITED_LOOSE
            if similarity >= _MIN_NAME_SCORE and _values_suit(name, values, share):
                found.append((round(rank, 3), name, column, f"name resembles '{alias}' ({similarity:.0%})"))
    return found


def _values_suit(name: str, values: pd.Series, share: float) -> bool:
    """Say whether at least `share` of a column's values can be the field's (an empty column may be anything)."""
    present = _text(values).dropna()
    if present.empty:
        return True
    if name == "source_id":
        # A list of plan years repeats each project's id once a year (DC's CIP): not a code list, though.
        return present.nunique() >= 0.1 * len(present)
    if name == "kind":
        _, unreadable = _kinds(present, present.index, "capital")
        return float((~unreadable).mean()) >= share
    if name == "district":
        return present.nunique() <= 100
    if name == "fiscal_year":
        return float(fiscal_years(present).notna().mean()) >= share
    if name in _NUMBER_RANGES:
        numbers, unreadable = _numbers(present)
        low, high = _NUMBER_RANGES[name]
        return float((~unreadable & numbers.between(low, high)).mean()) >= share
    return True


def fiscal_years(values: pd.Series) -> pd.Series:
    """Read fiscal years ("FY2027", "FY27", "2027", "2026-27": 2027); unreadable or blank values are NA."""

    def year(text: object) -> int | None:
        match = _FISCAL_YEAR.match(str(text).strip())
        if not match:
            return None
        digits = match.group(2) or match.group(1)
        number = int(digits) + (2000 if len(digits) == 2 else 0)
        return number if 1900 <= number <= 2200 else None

    return _text(values).map(year, na_action="ignore").astype("Int64")


def propose_mapping(data: bytes, file_name: str, options: CandidateOptions) -> tuple[list[str], CandidateMapping]:
    """Read a candidate list; return its columns and the mapping an import would use."""
    frame = read_table(data, file_name, sheet=options.sheet).frame
    return [str(c) for c in frame.columns], map_columns(frame, options)


def _refuse_missing(mapping: CandidateMapping, columns: Sequence[str]) -> None:
    missing = [name for name in ("source_id", "name") if name not in mapping.columns]
    if missing:
        listed = ", ".join(repr(c) for c in columns)
        raise FileRefused(
            f"A candidate list needs a project id and a project name; found no column for: {', '.join(missing)}. "
            f"Its columns are: {listed}. Name them with --map COLUMN=source_id / COLUMN=name (or on the Upload page)."
        )


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip()
    return text.mask(text.str.casefold().isin(["", "nan", "none", "null", "n/a", "na"]))


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers, allowing a currency sign; return numbers and the unreadable mask."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        values = values.map(lambda v: v.replace("$", "") if isinstance(v, str) else v)
    return parse_numbers(values)


def _kinds(values: pd.Series | None, index: pd.Index, default: str) -> tuple[pd.Series, pd.Series]:
    """Read kinds ("Maintenance", "CIP", "Capital project"); return them and the unreadable mask."""
    if values is None:
        return pd.Series(default, index=index, dtype="str"), pd.Series(False, index=index)
    text = _text(values).str.casefold()
    kind = pd.Series(pd.NA, index=index, dtype="str")
    kind = kind.mask(text.str.contains("maint|repair|rehab|renewal|replace", na=False), "maintenance")
    kind = kind.mask(kind.isna() & text.str.contains("capital|cip|new|construct|expan", na=False), "capital")
    unreadable = text.notna() & kind.isna()
    return kind.fillna(default), unreadable


def prepare_candidates(
    raw: RawTable, mapping: CandidateMapping, *, district_codes: Sequence[str], default_kind: str
) -> tuple[pd.DataFrame, Prepared, int]:
    """Turn a raw candidate table into rows of the candidates table and a row-by-row report.

    Returns the rows (with the spreadsheet row in "row"), the report (problems, rejected rows)
    and how many rows a later row with the same id replaced (the later row wins, as in a list
    kept up to date by appending).
    """
    frame, cols = raw.frame.reset_index(drop=True), mapping.columns
    report = Report(raw.row_numbers)

    def column(name: str) -> pd.Series | None:
        return frame[cols[name]] if name in cols else None

    rows = pd.DataFrame(index=frame.index)
    rows["source_id"] = normalize_ids(frame[cols["source_id"]])
    report.add(rows["source_id"].isna(), cols["source_id"], "No project id: the row cannot be kept up to date.")
    rows["name"] = _text(frame[cols["name"]])
    report.add(rows["name"].isna(), cols["name"], "No project name.")
    rows["kind"], bad_kind = _kinds(column("kind"), frame.index, default_kind)
    report.add(bad_kind, cols.get("kind", ""), "The kind must say maintenance or capital.")
    for name in ("category", "status", "description", "fund"):
        values = column(name)
        rows[name] = _text(values) if values is not None else pd.Series(pd.NA, index=frame.index, dtype="str")
    districts = column("district")
    if districts is None:
        rows["district_code"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    else:
        rows["district_code"], unknown = normalize_districts(districts, district_codes or None)
        report.add(unknown, cols["district"], "Not a stored district: kept, its demand is counted there.", reject=False)
    _numeric(rows, report, frame, cols, mapping)
    years = column("fiscal_year")
    rows["fiscal_year"] = (
        fiscal_years(years) if years is not None else pd.Series(pd.NA, index=frame.index, dtype="Int64")
    )
    if years is not None:
        unread = _text(years).notna() & rows["fiscal_year"].isna()
        report.add(
            unread, cols["fiscal_year"], "Not a fiscal year (FY2027, 2027 or 2026-27): left blank.", reject=False
        )
    for name, limit in _MAX_LENGTHS.items():
        long = rows[name].str.len() > limit
        report.add(
            long, cols.get(name.replace("_code", ""), name), f"Longer than {limit} characters: cut.", reject=False
        )
        rows[name] = rows[name].str.slice(0, limit)
    rows["row"] = raw.row_numbers
    kept = rows[~report.rejected]
    replaced = kept["source_id"].duplicated(keep="last")
    later = kept.groupby("source_id")["row"].transform("last")
    report.add(
        pd.Series(rows.index.isin(kept.index[replaced]), index=rows.index),
        cols["source_id"],
        lambda mask: (
            "Replaced by row " + later.reindex(rows.index[mask]).astype(int).astype(str) + ", which has the same id."
        ),
        reject=False,
    )
    prepared = Prepared(rows=kept[~replaced], problems=report.frame(), rejected_rows=raw.row_numbers[report.rejected])
    return kept[~replaced].reset_index(drop=True), prepared, int(replaced.sum())


def _numeric(
    rows: pd.DataFrame, report: Report, frame: pd.DataFrame, cols: dict[str, str], mapping: CandidateMapping
) -> None:
    """Read cost, condition, coordinates and scoring columns; set unreadable values aside with a warning."""
    checks = {
        "estimated_cost": (0, math.inf, "a cost in dollars, 0 or more"),
        "condition": (0, 100, "a condition from 0 (failed) to 100 (as new)"),
        "latitude": (-90, 90, "a latitude in degrees"),
        "longitude": (-180, 180, "a longitude in degrees"),
    }
    for name, (low, high, wanted) in checks.items():
        if name not in cols:
            rows[name] = np.nan
            continue
        numbers, unreadable = _numbers(frame[cols[name]])
        bad = unreadable | ~numbers.between(low, high) & numbers.notna()
        report.add(bad, cols[name], f"Not {wanted}: left blank.", reject=False)
        rows[name] = numbers.mask(bad)
    half = rows["latitude"].isna() != rows["longitude"].isna()
    report.add(half, cols.get("latitude", "latitude"), "Only one coordinate: location left blank.", reject=False)
    rows.loc[half, ["latitude", "longitude"]] = np.nan
    scores = {}
    for key, name in mapping.criteria.items():
        numbers, unreadable = _numbers(frame[name])
        report.add(unreadable, name, "Not a number: this criterion is left blank.", reject=False)
        scores[key] = numbers
    rows["criteria"] = [
        {key: float(value) for key, value in values.items() if not pd.isna(value)} or None
        for values in pd.DataFrame(scores, index=frame.index).to_dict("records")
    ] if scores else None  # fmt: skip


def import_candidates(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    user: str,
    role: Role,
    options: CandidateOptions | None = None,
) -> ImportReport:
    """Import a candidate list in one transaction; rows are upserted by their project id.

    Raises FileRefused when the file cannot be read or has no id or name column; row problems
    go in the report. A list that changes nothing records no upload. NotAllowed unless the role
    is analyst or admin.
    """
    require(role, Role.ANALYST, doing="import candidates")
    options = options or CandidateOptions()
    if options.default_kind not in KINDS:
        raise VocError(f"The default kind must be maintenance or capital, not {options.default_kind!r}.")
    raw = read_table(data, file_name, sheet=options.sheet)
    columns = [str(c) for c in raw.frame.columns]
    mapping = map_columns(raw.frame, options)
    _refuse_missing(mapping, columns)
    codes = load_districts(engine)["code"].tolist()
    rows, prepared, replaced = prepare_candidates(raw, mapping, district_codes=codes, default_kind=options.default_kind)
    if rows.empty:
        examples = "; ".join(f"row {p.row}: {p.message}" for p in prepared.problems.head(3).itertuples())
        raise FileRefused(f"None of the {len(raw.frame):,} rows could be imported. First problems: {examples}")
    report = ImportReport(
        file_name=Path(file_name).name, upload_id=None, rows_read=len(raw.frame), inserted=0, updated=0,
        unchanged=0, rejected=len(prepared.rejected_rows), mapping={**mapping.columns, **{
            f"criterion:{key}": column for key, column in mapping.criteria.items()}},
        problems=prepared.problems, unmapped_types=pd.DataFrame(), source=SOURCE, sheet=raw.sheet,
        dry_run=options.dry_run, message="", mapping_explained=[
            {"field": name, "column": column, "reason": mapping.reasons.get(name, "")}
            for name, column in mapping.columns.items()],
    )  # fmt: skip
    if options.dry_run:
        with engine.connect() as connection:
            report.inserted, report.updated, report.unchanged = save_candidates(connection, rows, None)
    else:
        _write(engine, rows, prepared, report, _rejected_only(raw, prepared.rejected_rows), data=data, user=user)
    report.message = _message(report, replaced)
    return report


class _NothingChanged(Exception):
    """Rolls back an upload that would change nothing, so the history stays clean."""


def _write(
    engine: sa.Engine, rows: pd.DataFrame, prepared: Prepared, report: ImportReport, rejected: RawTable, *,
    data: bytes, user: str,
) -> None:  # fmt: skip
    try:
        with write_transaction(engine) as connection:
            upload_id = start_upload(
                connection, kind="candidates", file_name=report.file_name, sha256=sha256_of(data), user=user,
                source=SOURCE, sheet=report.sheet, mapping=report.mapping,
            )  # fmt: skip
            report.inserted, report.updated, report.unchanged = save_candidates(connection, rows, upload_id)
            if report.inserted + report.updated == 0:
                raise _NothingChanged
            save_rejected(connection, upload_id, rejected, prepared)
            record_counts(
                connection, upload_id, rows_read=report.rows_read, inserted=report.inserted,
                updated=report.updated, unchanged=report.unchanged, rejected=report.rejected,
            )  # fmt: skip
            record_audit(
                connection, user=user, action="import candidates", detail=f"upload {upload_id}: {report.file_name}"
            )
        report.upload_id = upload_id
    except _NothingChanged:
        pass


def _rejected_only(raw: RawTable, rejected_rows: np.ndarray) -> RawTable:
    keep = np.isin(raw.row_numbers, rejected_rows)
    return replace(raw, frame=raw.frame[keep], row_numbers=raw.row_numbers[keep])


def _message(report: ImportReport, replaced: int) -> str:
    counts = (
        f"{report.inserted:,} new, {report.updated:,} updated, {report.unchanged:,} unchanged, "
        f"{report.rejected:,} rejected"
    )
    again = f"; {replaced:,} rows gave an id a later row repeats (the later row is kept)" if replaced else ""
    if report.dry_run:
        return f"Dry run: {counts}{again}. Nothing was written."
    if report.upload_id is None:
        return f"Nothing changed: every candidate is already stored as in this file ({counts}{again})."
    return f"Imported as upload {report.upload_id}: {counts}{again}."


def mapping_table(mapping: CandidateMapping) -> pd.DataFrame:
    """Return the proposed mapping of a candidate list as rows: field, column, why (scoring columns last)."""
    rows = [[name, column, mapping.reasons.get(name, "")] for name, column in mapping.columns.items()]
    rows += [[f"criterion: {key}", column, "a scoring column, by its name"] for key, column in mapping.criteria.items()]
    return pd.DataFrame(rows, columns=["field", "column", "why"])
