"""Importing service-request files end to end: real exports, re-uploads, corrections, undo, refusals."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import SETTINGS
from tests.files import REAL
from voc.core.access import Role
from voc.core.errors import FileRefused, VocError
from voc.ingest.pipeline import ImportOptions, import_file, import_requests, rejected_rows
from voc.ingest.request_types import load_type_map, save_type_map
from voc.store.models import MonthlyCount, RejectedRow, RequestType, ServiceRequest, Upload
from voc.store.uploads import sha256_of, undo

TABLES = [ServiceRequest, Upload, MonthlyCount, RejectedRow, RequestType]


def _records_in(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def snapshot(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of the tables an import touches, for exact before/after comparisons."""
    with engine.connect() as connection:
        return {
            model.__tablename__: sorted(
                (tuple(map(str, row)) for row in connection.execute(sa.select(model.__table__))),
            )
            for model in TABLES
        }


def _import(engine: sa.Engine, data: bytes, name: str, **options) -> object:
    return import_requests(engine, data, name, SETTINGS, ImportOptions(**options), role=Role.ANALYST)


# Each real export: (file, timezone, record-id column, opened column, type column, district column).
REAL_EXPORTS = [
    ("nyc311_2024-04_sample.csv", "America/New_York", "unique_key", "created_date", "complaint_type", None),
    ("myla311_2017_subset.csv", "America/Los_Angeles", "SRNumber", "CreatedDate", "RequestType", "CD"),
    ("myla311_2018_mini.csv", "America/Los_Angeles", "SRNumber", "CreatedDate", "RequestType", "CD"),
    ("myla311_2020_requests_seed.csv", "America/Los_Angeles", "srnumber", "createddate", "requesttype", "cd"),
    (
        "kc311_potholes_2020JanFeb.csv",
        "America/Chicago",
        "CASE ID",
        "CREATION DATE",
        "REQUEST TYPE",
        "COUNCIL DISTRICT",
    ),
    (
        "baltimore311_2019-10_sample.csv",
        "America/New_York",
        "ServiceRequestNum",
        "CreatedDate",
        "SRType",
        "CouncilDistrict",
    ),
    (
        "gainesville_mygnv_311_sample5000.csv",
        "America/New_York",
        "id",
        "created",
        "request_type",
        "commission_district",
    ),
    (
        "miami_dade_311_sample5000.csv",
        "America/New_York",
        "Ticket ID",
        "Ticket Created Date / Time",
        "Issue Type",
        "Neighborhood / District / Ward / etc.",
    ),
]


@pytest.mark.parametrize(("name", "timezone", "record_id", "opened", "request_type", "district"), REAL_EXPORTS)
def test_every_real_export_imports_by_auto_mapping_alone(
    engine: sa.Engine,
    name: str,
    timezone: str,
    record_id: str,
    opened: str,
    request_type: str,
    district: str | None,
) -> None:
    path = REAL / name
    settings = replace(SETTINGS, timezone=timezone)
    report = import_requests(engine, path.read_bytes(), name, settings, ImportOptions(), role=Role.ANALYST)
    assert report.mapping["source_id"] == record_id
    assert report.mapping["opened_at"] == opened
    assert report.mapping["request_type"] == request_type
    assert report.mapping.get("district") == district
    assert not {"contact_name", "contact_phone", "contact_email"} & set(report.mapping)
    records = _records_in(path)
    assert report.rows_read == records
    assert report.rejected == 0, report.problems.head().to_dict("records")
    assert report.inserted == records
    with engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(ServiceRequest.__table__)).scalar()
        rolled = connection.execute(sa.select(sa.func.sum(MonthlyCount.__table__.c.contacts))).scalar()
    assert stored == rolled == records
    assert len(report.unmapped_types) > 0
    assert report.unmapped_types["contacts"].sum() == records


def test_kc_split_date_and_time_and_council_district(sqlite_url: str) -> None:
    from voc.store.engine import open_store

    engine = open_store(sqlite_url)
    path = REAL / "kc311_potholes_2020JanFeb.csv"
    settings = replace(SETTINGS, timezone="America/Chicago")
    import_requests(engine, path.read_bytes(), path.name, settings, ImportOptions(), role=Role.ANALYST)
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(ServiceRequest.__table__).where(ServiceRequest.__table__.c.source_id == "2020002530")
        ).one()
    # "1/7/20" + "12:59 PM" in Kansas City is 18:59 UTC; DETAIL says "District 3", COUNCIL DISTRICT says 5.
    assert row.opened_at.isoformat() == "2020-01-07T18:59:00+00:00"
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig").set_index("CASE ID").loc["2020002530"]
    assert row.district_code == raw["COUNCIL DISTRICT"]
    assert raw["DETAIL"] == "District 3"
    assert row.channel == "phone"


def test_reuploading_the_same_file_changes_nothing_and_says_so(engine: sa.Engine) -> None:
    data = (REAL / "nyc311_2024-04_sample.csv").read_bytes()
    first = _import(engine, data, "april.csv")
    before = snapshot(engine)
    again = _import(engine, data, "april.csv")
    assert (again.inserted, again.updated, again.unchanged, again.upload_id) == (0, 0, first.inserted, None)
    assert again.message.startswith("Nothing changed")
    assert snapshot(engine) == before


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


MONTH = [
    {"Case Number": f"{i:05d}", "Date Opened": f"2026-03-{i + 1:02d} 09:00", "Problem Type": "Pothole",
     "Date Closed": "", "Description": "Big hole"}
    for i in range(10)
]  # fmt: skip


def test_a_corrected_file_updates_only_the_rows_that_changed(engine: sa.Engine) -> None:
    _import(engine, _csv(MONTH), "march.csv")
    corrected = [dict(row) for row in MONTH]
    corrected[3]["Date Closed"] = "2026-03-20 10:00"
    corrected[7]["Problem Type"] = "Sinkhole"
    report = _import(engine, _csv(corrected), "march-fixed.csv")
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 8)


def test_undo_puts_the_store_back_exactly(engine: sa.Engine) -> None:
    _import(engine, _csv(MONTH), "march.csv")
    before = snapshot(engine)
    corrected = [dict(row) for row in MONTH] + [
        {"Case Number": "00099", "Date Opened": "2026-04-02 10:00", "Problem Type": "Flooding",
         "Date Closed": "", "Description": "water"}
    ]  # fmt: skip
    corrected[0]["Date Closed"] = "2026-03-02 10:00"
    report = _import(engine, _csv(corrected), "march-and-april.csv")
    assert (report.inserted, report.updated) == (1, 1)
    undo(engine, report.upload_id, user="ana", role=Role.ANALYST)
    after = snapshot(engine)
    uploads = after.pop("uploads")
    expected_uploads = before.pop("uploads")
    assert after == before
    assert len(uploads) == len(expected_uploads) + 1
    assert any("undone" in row for row in uploads)


def test_rows_with_problems_are_reported_kept_and_downloadable(engine: sa.Engine) -> None:
    rows = [dict(row) for row in MONTH]
    rows[1]["Date Opened"] = "31/31/2026"
    rows[2]["Date Closed"] = "2026-02-01 08:00"
    rows[4]["Case Number"] = "00003"  # the same id as row 3's record
    rows[5]["Problem Type"] = ""
    report = _import(engine, _csv(rows), "march.csv")
    # The closed date before the opening loses only that cell: the contact is kept as not closed.
    assert (report.rows_read, report.inserted, report.rejected) == (10, 7, 3)
    problems = report.problems.set_index("row")
    assert "Unreadable date '31/31/2026'" in problems.loc[3, "message"]
    assert problems.loc[3, "column"] == "Date Opened"
    assert "before it was opened" in problems.loc[4, "message"]
    assert problems.loc[4, "severity"] == "warning"
    assert "appears again: row 5 has it first" in problems.loc[6, "message"]
    assert problems.loc[7, "message"] == "The request type is empty."
    with engine.connect() as connection:
        closed = connection.execute(
            sa.select(ServiceRequest.closed_at).where(ServiceRequest.source_id == "00002")
        ).scalar_one()
    assert closed is None
    download = rejected_rows(engine, report.upload_id)
    assert download["spreadsheet_row"].tolist() == [3, 6, 7]
    assert download.loc[0, "Date Opened"] == "31/31/2026"
    fixed = download.drop(columns=["spreadsheet_row", "problem"])
    fixed.loc[0, "Date Opened"] = "2026-03-02 09:00"
    fixed.loc[1, "Case Number"] = "00042"
    fixed.loc[2, "Problem Type"] = "Pothole"
    second = _import(engine, fixed.to_csv(index=False).encode(), "march-fixed.csv")
    assert (second.inserted, second.rejected) == (3, 0)


BROKEN_FILES = [
    ("empty.csv", b"", "empty"),
    ("header-only.csv", b"Case Number,Date Opened,Problem Type\n", "no data rows"),
    ("junk.csv", bytes(range(256)) * 40, "not a spreadsheet"),
    (
        "truncated.xlsx",
        (REAL / "kc311_potholes_2020JanFeb.xlsx").read_bytes()[:20_000],
        "damaged or cut short",
    ),
    ("no-dates.csv", _csv([{"Case Number": "1", "Problem Type": "Pothole"}]), "No column was found for"),
    ("all-bad.csv", _csv([{**row, "Case Number": ""} for row in MONTH[:3]]), "None of the 3 rows"),
]


@pytest.mark.parametrize(("name", "data", "message"), BROKEN_FILES, ids=[b[0] for b in BROKEN_FILES])
def test_broken_files_are_refused_and_the_store_is_untouched(
    engine: sa.Engine, name: str, data: bytes, message: str
) -> None:
    _import(engine, _csv(MONTH), "march.csv")
    before = snapshot(engine)
    with pytest.raises(FileRefused, match=message):
        _import(engine, data, name)
    assert snapshot(engine) == before


def test_a_file_over_the_size_limit_is_refused(engine: sa.Engine) -> None:
    settings = replace(SETTINGS, max_upload_bytes=1_000)
    with pytest.raises(FileRefused, match="limit"):
        import_requests(engine, _csv(MONTH) * 20, "big.csv", settings, ImportOptions(), role=Role.ANALYST)


def test_a_file_imported_from_its_path_is_imported_as_its_bytes_are(engine: sa.Engine, tmp_path: Path) -> None:
    source = REAL / "nyc311_2024-04_sample.csv"
    from_path = import_file(engine, source, SETTINGS, ImportOptions(), role=Role.ANALYST)
    undo(engine, from_path.upload_id, user="test", role=Role.ANALYST)
    from_bytes = _import(engine, source.read_bytes(), source.name)
    # The second import maps by the profile the first remembered: the same columns, said otherwise.
    same_apart_from_upload = {"upload_id": None, "message": "", "mapping_explained": None}
    assert from_path.inserted > 0
    assert from_path.as_json() | same_apart_from_upload == from_bytes.as_json() | same_apart_from_upload
    with engine.connect() as connection:
        hashes = connection.execute(sa.select(Upload.__table__.c.sha256).order_by(Upload.__table__.c.id)).scalars()
        assert list(hashes) == [sha256_of(source.read_bytes())] * 2
    too_big = tmp_path / "big.csv"
    too_big.write_bytes(_csv(MONTH) * 20)
    with pytest.raises(FileRefused, match="limit"):
        import_file(engine, too_big, replace(SETTINGS, max_upload_bytes=1_000), ImportOptions(), role=Role.ANALYST)


def test_phones_and_emails_in_free_text_are_redacted_and_names_not_stored(engine: sa.Engine) -> None:
    rows = [
        {"Case Number": "1", "Date Opened": "2026-03-01 10:00", "Problem Type": "Noise",
         "Description": "Loud party, call me at (727) 555-0143 or jo@example.org", "Caller Name": "Jo Smith",
         "Caller Phone": "727-555-0143"}
    ]  # fmt: skip
    report = _import(engine, _csv(rows), "noise.csv")
    assert "contact_name" not in report.mapping and "contact_phone" not in report.mapping
    with engine.connect() as connection:
        row = connection.execute(sa.select(ServiceRequest.__table__)).one()
    assert row.description == "Loud party, call me at [phone] or [e-mail]"
    assert row.contact_name is None and row.contact_phone is None
    assert "Jo Smith" not in str(snapshot(engine))


def test_mapping_can_be_corrected_and_is_remembered_for_next_month(engine: sa.Engine) -> None:
    rows = [
        {"Ref": f"A{i}", "When": f"2026-03-0{i + 1} 09:00", "Issue": "Pothole", "Notes": "n", "Who": "Jo"}
        for i in range(3)
    ]
    with pytest.raises(FileRefused, match="Opened"):
        _import(engine, _csv(rows), "odd.csv", overrides={"source_id": None})
    first = _import(
        engine,
        _csv(rows),
        "odd.csv",
        overrides={"source_id": "Ref", "opened_at": "When", "contact_name": "Who"},
    )
    assert first.mapping["source_id"] == "Ref" and first.mapping["contact_name"] == "Who"
    next_month = [{**row, "Ref": f"B{i}"} for i, row in enumerate(rows)]
    second = _import(engine, _csv(next_month), "odd-april.csv")
    assert second.mapping == first.mapping
    assert second.inserted == 3


def test_dry_run_writes_nothing(engine: sa.Engine) -> None:
    before = snapshot(engine)
    report = _import(engine, _csv(MONTH), "march.csv", dry_run=True)
    assert report.dry_run and report.upload_id is None and report.inserted == 10
    assert snapshot(engine) == before


def test_unmapped_types_are_listed_then_mapped_on_the_data_page(engine: sa.Engine) -> None:
    report = _import(engine, _csv(MONTH), "march.csv")
    assert report.unmapped_types.to_dict("records") == [{"raw_type": "Pothole", "contacts": 10}]
    edited = pd.DataFrame(
        [
            {
                "raw_type": "Pothole",
                "category": "Potholes",
                "department": "Roads & Drainage",
                "contact_type": "request",
            }
        ]
    )
    assert save_type_map(engine, edited, user="ana", role=Role.ANALYST) == 10
    with engine.connect() as connection:
        assert load_type_map(connection).to_dict("records") == edited.to_dict("records")
        categories = connection.execute(
            sa.select(MonthlyCount.__table__.c.category, MonthlyCount.__table__.c.contacts)
        ).all()
    assert [tuple(r) for r in categories] == [("Potholes", 10)]
    again = _import(engine, _csv(MONTH), "march.csv")
    assert again.unchanged == 10 and again.unmapped_types.empty
    with pytest.raises(VocError, match="category and a department"):
        save_type_map(engine, edited.assign(category=""), user="ana", role=Role.ANALYST)
