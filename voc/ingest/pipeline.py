"""Import a service-request file: read, map, validate, then write it all in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.config import Settings
from voc.core.errors import FileRefused
from voc.core.fields import label
from voc.core.memory import give_back_after
from voc.ingest.embedding import embed_new_descriptions
from voc.ingest.fit import CountyFit, county_fit, load_county_known
from voc.ingest.header import header_key
from voc.ingest.locate import Located, locate, with_location_problems
from voc.ingest.mapping import ProposedMapping, override, propose_mapping
from voc.ingest.profiles import find_profile, save_profile
from voc.ingest.read import PendingRead, RawTable, read_table
from voc.ingest.request_types import load_type_map
from voc.ingest.timestamps import DateRange
from voc.ingest.validate import DERIVED_IDS_NOTE, Bounds, Context, Prepared, prepare
from voc.store.engine import record_audit, write_transaction
from voc.store.models import District, RejectedRow
from voc.store.query import read_frame
from voc.store.requests import save_requests
from voc.store.uploads import record_counts, sha256_of, sha256_of_file, start_upload

Progress = Callable[[str, float], None]
DEFAULT_SOURCE = "crm"
# A stray geocode can sit just past the edge of the outermost district: allow about 5 km.
BOUNDS_MARGIN_DEGREES = 0.05


@dataclass(frozen=True)
class ImportOptions:
    sheet: str | None = None
    overrides: dict[str, str | None] = field(default_factory=dict)  # field -> column, or None to unmap
    profile: str | None = None
    source: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class Preview:
    """What a file would import as, before anything is written."""

    raw: RawTable
    mapping: ProposedMapping
    profile: str | None  # the remembered profile used, if any
    source: str


@dataclass
class ImportReport:
    file_name: str
    upload_id: int | None
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    mapping: dict[str, str]
    problems: pd.DataFrame
    unmapped_types: pd.DataFrame
    source: str
    sheet: str | None
    dry_run: bool
    message: str
    outside_districts: int = 0  # rows kept and flagged: their coordinates are outside every district
    district_mismatches: int = 0  # rows kept and flagged: their stated district is not the one at their point
    unknown_channels: pd.DataFrame = field(default_factory=pd.DataFrame)  # channel values kept as typed, contacts
    record_ids: str = ""
    # Per mapped field, in field order: field, column, confidence (0..1, None when set by hand) and why.
    mapping_explained: list[dict[str, Any]] = field(
        default_factory=list
    )  # where each contact's key comes from: a column, or derived from its content
    county_check: CountyFit | None = None  # whether the file looks like this county's (voc.ingest.fit)

    @property
    def warnings(self) -> int:
        """Count the rows kept with a warning (a row with several warnings counts once)."""
        flagged = self.problems.loc[self.problems["severity"] == "warning", "row"]
        return int(flagged.nunique())

    def as_json(self, *, max_problems: int = 1000) -> dict[str, Any]:
        """Return the report as the JSON object `voc import requests --json` prints."""
        return {
            "file": self.file_name,
            "upload_id": self.upload_id,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "mapping": self.mapping,
            "problems": self.problems.head(max_problems).to_dict("records"),
            "problems_total": len(self.problems),
            "unmapped_types": self.unmapped_types.to_dict("records"),
            "source": self.source,
            "sheet": self.sheet,
            "dry_run": self.dry_run,
            "message": self.message,
            "outside_districts": self.outside_districts,
            "district_mismatches": self.district_mismatches,
            "unknown_channels": self.unknown_channels.to_dict("records"),
            "record_ids": self.record_ids,
            "mapping_explained": self.mapping_explained,
            "warnings": self.warnings,
            "county_check": self.county_check.as_json() if self.county_check else None,
        }


@dataclass(frozen=True)
class Origin:
    """Where an import's records came from, as its upload row records it."""

    name: str  # the file's name, or the feed's address
    sha256: str
    kind: str = "requests"  # "requests" for a file, "pull" for a feed
    # More to write in the import's transaction once its upload is recorded (a pull's high-water mark).
    also: Callable[[sa.Connection, int], None] | None = None


def preview(engine: sa.Engine, data: bytes, file_name: str, settings: Settings, options: ImportOptions) -> Preview:
    """Read a file and propose its mapping (a remembered profile first); raises FileRefused."""
    raw = read_table(data, file_name, sheet=options.sheet, max_bytes=settings.max_upload_bytes)
    return plan_table(engine, raw, options)


def plan_table(engine: sa.Engine, raw: RawTable, options: ImportOptions) -> Preview:
    """Propose the mapping of records already read (a remembered profile first); raises FileRefused."""
    key = header_key(list(raw.frame.columns))
    profile = find_profile(engine, key, name=options.profile)
    columns = set(raw.frame.columns)
    mapping = propose_mapping(raw.frame)
    if profile is not None:
        remembered = {name: column for name, column in profile.mapping.items() if column in columns}
        mapping = override(mapping, {**_unmapped_all(mapping), **remembered})
    unknown = sorted({column for column in options.overrides.values() if column and column not in columns})
    if unknown:
        listed = ", ".join(repr(c) for c in raw.frame.columns)
        raise FileRefused(f"The file has no column {unknown[0]!r}. Its columns are: {listed}.")
    mapping = override(mapping, options.overrides)
    source = options.source or (profile.name if profile else None) or mapping.layout or DEFAULT_SOURCE
    return Preview(raw=raw, mapping=mapping, profile=profile.name if profile else None, source=source)


def _unmapped_all(mapping: ProposedMapping) -> dict[str, str | None]:
    return dict.fromkeys(mapping.columns(), None)


def _county_context(engine: sa.Engine, settings: Settings, source: str) -> Context:
    districts = District.__table__
    with engine.connect() as connection:
        codes = list(connection.execute(sa.select(districts.c.code)).scalars())
        type_map = load_type_map(connection)
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return Context(
        source=source,
        timezone=settings.timezone,
        plausible=DateRange(today=today, first_year=settings.first_year),
        district_codes=codes,
        bounds=_bounds(engine) if codes else None,
        type_map=type_map,
        redact=settings.redact_personal,
    )


def _bounds(engine: sa.Engine) -> Bounds | None:
    from voc.store.districts import load_districts

    districts = load_districts(engine, display=True)
    if districts.geometry.isna().all():
        return None
    min_lon, min_lat, max_lon, max_lat = districts.total_bounds
    margin = BOUNDS_MARGIN_DEGREES
    return Bounds(min_lon - margin, min_lat - margin, max_lon + margin, max_lat + margin)


def _refuse_missing_columns(mapping: ProposedMapping) -> None:
    missing = mapping.missing_required()
    if missing:
        names = ", ".join(label(name) for name in missing)
        raise FileRefused(
            f"No column was found for: {names}. Map them on the Upload page, or with "
            "--map 'COLUMN=field' on the command line."
        )


def _refuse_if_nothing_usable(prepared: Prepared, rows_read: int) -> None:
    if prepared.rows.empty:
        first = prepared.problems.head(3)
        examples = "; ".join(f"row {r.row}, {r.column}: {r.message}" for r in first.itertuples())
        raise FileRefused(f"None of the {rows_read:,} rows could be imported. First problems: {examples}")


def import_requests(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    settings: Settings,
    options: ImportOptions | None = None,
    *,
    role: Role,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file of service requests; the store changes all at once or not at all.

    Raises FileRefused when the file as a whole cannot be imported; row problems go in the
    report. Uploading the same file twice changes nothing the second time. Raises NotAllowed,
    before reading the file, unless the role is analyst or admin (`settings.user` is who is logged).
    """
    require(role, Role.ANALYST, doing="import files")
    options = options or ImportOptions()
    report_progress = progress or _no_progress
    report_progress("Reading the file", 0.05)
    origin = Origin(name=Path(file_name).name, sha256=sha256_of(data))
    read = partial(read_table, data, file_name, sheet=options.sheet, max_bytes=settings.max_upload_bytes)
    return _read_and_import(engine, read, origin, settings, options, report_progress)


def import_file(
    engine: sa.Engine,
    path: Path,
    settings: Settings,
    options: ImportOptions | None = None,
    *,
    role: Role,
    progress: Progress | None = None,
    reading: PendingRead | None = None,
) -> ImportReport:
    """Import a file on disk as import_requests imports its bytes, which this process never holds.

    Read by the caller, a 1,000,000-row CSV's bytes stayed in memory until the import's end: the
    caller's reference outlives import_requests' own. `reading` is the file's read already begun (a
    command begins it as it starts up), with options.sheet and settings.max_upload_bytes; None reads it now.
    """
    require(role, Role.ANALYST, doing="import files")
    options = options or ImportOptions()
    report_progress = progress or _no_progress
    report_progress("Reading the file", 0.05)
    origin = Origin(name=path.name, sha256=sha256_of_file(path))
    if reading is None:
        reading = PendingRead(path, sheet=options.sheet, max_bytes=settings.max_upload_bytes)
    return _read_and_import(engine, reading.take, origin, settings, options, report_progress)


def import_table(
    engine: sa.Engine,
    raw: RawTable,
    origin: Origin,
    settings: Settings,
    options: ImportOptions | None = None,
    *,
    role: Role,
    progress: Progress | None = None,
) -> ImportReport:
    """Import records already read (a file's, or a feed's) as import_requests does, recorded as `origin`."""
    require(role, Role.ANALYST, doing="import files")
    options = options or ImportOptions()
    report_progress = progress or _no_progress
    plan, prepared, report = _check(engine, raw, origin, settings, options, report_progress)
    return _store(engine, plan, prepared, report, origin, settings.user, report_progress)


def _no_progress(_stage: str, _fraction: float) -> None:
    pass


def _read_and_import(
    engine: sa.Engine,
    read: Callable[[], RawTable],
    origin: Origin,
    settings: Settings,
    options: ImportOptions,
    progress: Progress,
) -> ImportReport:
    """Import the records `read` returns, as import_table does, without naming their raw table.

    Once the checks return, all but its rejected rows are let go of: held by a name here or by the
    caller, a 1,000,000-row CSV's raw table stayed under the write, 0.4 GB.
    """
    plan, prepared, report = _check(engine, read(), origin, settings, options, progress)
    return _store(engine, plan, prepared, report, origin, settings.user, progress)


def _check(
    engine: sa.Engine, raw: RawTable, origin: Origin, settings: Settings, options: ImportOptions, progress: Progress
) -> tuple[Preview, Prepared, ImportReport]:
    """Map, check and locate the rows; return the plan, its raw table cut to the rejected rows, and the report.

    Only the rejected rows' raw values are needed from here on (they are stored for download).
    """
    # Unpickling a parsed table in this process copies it: the 0.4 GB a 1,000,000-row CSV's arrived
    # in stayed in the heap through the checks, beside the rows they make (measured).
    give_back_after(len(raw.frame))
    plan = plan_table(engine, raw, options)
    progress("Checking every row", 0.35)
    _refuse_missing_columns(plan.mapping)
    mapping = plan.mapping.columns()
    prepared = prepare(plan.raw.frame, plan.raw.row_numbers, mapping, _county_context(engine, settings, plan.source))
    rows_read = len(plan.raw.frame)
    _refuse_if_nothing_usable(prepared, rows_read)
    stated = plan.raw.frame[mapping["district"]] if "district" in mapping else None
    plan = replace(plan, raw=_rejected_only(plan.raw, prepared))
    prepared, located = _locate(engine, prepared, mapping)
    report = ImportReport(
        file_name=origin.name,
        upload_id=None,
        rows_read=rows_read,
        inserted=0,
        updated=0,
        unchanged=0,
        rejected=len(prepared.rejected_rows),
        mapping=mapping,
        problems=prepared.problems,
        unmapped_types=prepared.unmapped_types,
        source=plan.source,
        sheet=plan.raw.sheet,
        dry_run=options.dry_run,
        message="",
        outside_districts=located.outside,
        district_mismatches=located.mismatches,
        unknown_channels=prepared.unknown_channels,
        record_ids=_record_ids(mapping),
        mapping_explained=explain_mapping(plan.mapping),
    )
    with engine.connect() as connection:
        county = load_county_known(connection)
    report.county_check = county_fit(
        prepared.rows, stated_districts=stated, points=located.located, points_outside=located.outside, county=county
    )
    return plan, prepared, report


def _store(
    engine: sa.Engine,
    plan: Preview,
    prepared: Prepared,
    report: ImportReport,
    origin: Origin,
    user: str,
    progress: Progress,
) -> ImportReport:
    """Write the checked rows, unless this is a dry run, and complete the report."""
    if report.dry_run:
        report.inserted = len(prepared.rows)
        report.message = f"Dry run: {len(prepared.rows):,} rows would be imported, {report.rejected:,} rejected."
        return report
    # The raw table, the parse's hand-over and the checks' intermediate columns: of a 1,000,000-row
    # CSV's, the heap kept 0.7 GB it no longer used through the write (measured).
    give_back_after(report.rows_read)
    progress("Writing to the store", 0.6)
    _write(engine, plan, prepared, report, origin, user)
    progress("Done", 1.0)
    return report


def explain_mapping(mapping: ProposedMapping) -> list[dict[str, Any]]:
    """Return, per mapped field, its column, the confidence and the words or values that decided it."""
    return [
        {"field": name, "column": match.column, "confidence": match.confidence, "reason": match.reason}
        for name, match in mapping.matches.items()
    ]


def _record_ids(mapping: dict[str, str]) -> str:
    if "source_id" in mapping:
        return f"Each contact's key is its record ID, from the column {mapping['source_id']!r}."
    return DERIVED_IDS_NOTE


def _locate(engine: sa.Engine, prepared: Prepared, mapping: dict[str, str]) -> tuple[Prepared, Located]:
    """Give rows their district from their coordinates, location flags and H3 cells (voc.ingest.locate)."""
    from voc.store.districts import load_districts

    located = locate(
        prepared.rows,
        load_districts(engine),
        point_column=mapping.get("latitude", mapping.get("location", "")),
        district_column=mapping.get("district", ""),
    )
    problems = with_location_problems(prepared.problems, located)
    return replace(prepared, rows=located.rows, problems=problems), located


class _NothingChanged(Exception):
    """Rolls back an upload that would change nothing, so the history stays clean."""


def _write(
    engine: sa.Engine, plan: Preview, prepared: Prepared, report: ImportReport, origin: Origin, user: str
) -> None:
    try:
        with write_transaction(engine) as connection:
            upload_id = start_upload(
                connection,
                kind=origin.kind,
                file_name=report.file_name,
                sha256=origin.sha256,
                user=user,
                source=plan.source,
                sheet=plan.raw.sheet,
                mapping=report.mapping,
            )
            counts = save_requests(connection, prepared.rows, upload_id=upload_id)
            # The driver's values of the inserts: 0.2 GB of a 1,000,000-row upload's, kept under the embedding.
            give_back_after(report.rows_read)
            report.inserted, report.updated, report.unchanged = (
                counts.inserted,
                counts.updated,
                counts.unchanged,
            )
            if counts.inserted == counts.updated == 0:
                raise _NothingChanged
            embed_new_descriptions(connection, upload_id=upload_id)
            save_rejected(connection, upload_id, plan.raw, prepared)
            record_counts(
                connection,
                upload_id,
                rows_read=report.rows_read,
                inserted=counts.inserted,
                updated=counts.updated,
                unchanged=counts.unchanged,
                rejected=report.rejected,
            )
            profile_name = plan.profile or plan.source
            save_profile(connection, profile_name, header_key(list(plan.raw.frame.columns)), report.mapping)
            if origin.also is not None:
                origin.also(connection, upload_id)
            record_audit(
                connection,
                user=user,
                action="pull requests" if origin.kind == "pull" else "import requests",
                detail=f"upload {upload_id}: {report.file_name}",
            )
        report.upload_id = upload_id
        report.message = (
            f"Imported as upload {upload_id}: {counts.inserted:,} new, {counts.updated:,} updated, "
            f"{counts.unchanged:,} unchanged, {report.rejected:,} rejected."
        )
    except _NothingChanged:
        report.message = (
            f"Nothing changed: all {report.unchanged:,} accepted rows are already in the store as they are "
            f"in this file ({report.rejected:,} rejected)."
        )


def _rejected_only(raw: RawTable, prepared: Prepared) -> RawTable:
    """Return the raw table cut down to its rejected rows."""
    rejected = np.isin(raw.row_numbers, prepared.rejected_rows)
    return replace(raw, frame=raw.frame[rejected], row_numbers=raw.row_numbers[rejected])


def save_rejected(connection: sa.Connection, upload_id: int, raw: RawTable, prepared: Prepared) -> None:
    if not len(prepared.rejected_rows):
        return
    position = pd.Series(range(len(raw.row_numbers)), index=raw.row_numbers)
    rejected = prepared.problems[prepared.problems["severity"] == "rejected"]
    messages = rejected.groupby("row").agg({"column": "first", "message": " ".join})
    values = raw.frame.iloc[position.loc[messages.index].to_numpy()]
    raw_rows = values.astype(object).where(values.notna(), None).to_dict("records")
    connection.execute(
        sa.insert(RejectedRow.__table__),
        [
            {
                "upload_id": upload_id,
                "row_number": int(row),
                "column": problem.column,
                "message": problem.message,
                "raw": {key: _jsonable(value) for key, value in raw_row.items()},
            }
            for (row, problem), raw_row in zip(messages.iterrows(), raw_rows, strict=True)
        ],
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def rejected_rows(engine: sa.Engine, upload_id: int) -> pd.DataFrame:
    """Return an upload's rejected rows with their problem and raw values, ready to fix and re-upload."""
    table = RejectedRow.__table__
    query = sa.select(table.c.row_number.label("spreadsheet_row"), table.c.message.label("problem"), table.c.raw)
    query = query.where(table.c.upload_id == upload_id).order_by(table.c.row_number)
    rows = read_frame(engine, query, dtypes={"spreadsheet_row": "int64", "problem": "str"})
    return pd.concat([rows.drop(columns="raw"), pd.DataFrame(rows["raw"].tolist())], axis=1)
