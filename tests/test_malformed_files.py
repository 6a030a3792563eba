"""Forty-odd malformed uploads, one table: each is refused or partly accepted with a clear message.

Every file goes through the real import (voc.ingest.pipeline.import_requests) into a store that
already holds a month, on SQLite and on PostgreSQL. Every table of the store is compared before and
after: a refused file changes nothing; an accepted one adds exactly the rows, rejected rows and
upload its report counts, touches nothing else, and leaves the roll-ups recounting the rows.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlmodel import SQLModel

from tests.files import REAL, compound_file, raw_xlsx, xls, xlsx, zip_bomb
from tests.stores import assert_consistent, fresh_postgres_schema
from voc.contacts.trends import Filters, records
from voc.core.access import Role
from voc.core.config import Settings
from voc.core.errors import FileRefused
from voc.ingest.pipeline import ImportOptions, ImportReport, import_requests
from voc.present.export import csv_bytes
from voc.store.engine import open_store

SETTINGS = Settings(database_url="", timezone="America/New_York", max_upload_bytes=200 * 1024**2,
                    redact_personal=True, user="ana")  # fmt: skip
HEADER = ["Case Number", "Date Opened", "Problem Type", "Date Closed", "Description"]
EXCEL_ROWS = 1_048_576
# Tables an accepted upload may add to; the roll-ups it recounts and the layout's remembered mapping it
# saves (voc.ingest.profiles) may change; every other table stays as it was.
# description_embeddings and description_themes: an accepted row with a new description gains its vector, and
# the vector its row (no theme yet), in the same transaction.
GROWS = {
    "service_requests", "rejected_rows", "uploads", "audit_log", "request_types", "description_embeddings",
    "description_themes",
}  # fmt: skip
RECOUNTED = {"monthly_counts", "weekly_counts", "monthly_type_counts", "monthly_place_counts", "mapping_profiles"}


def row(case: str, number: int, **values: str) -> list[str]:
    """A valid CRM row whose record id is unique to the case; keyword values replace columns."""
    cells = {"Case Number": f"{case}-{number:03d}", "Date Opened": f"2026-03-{number % 28 + 1:02d} 09:00",
             "Problem Type": "Pothole", "Date Closed": "", "Description": f"Hole number {number}"}  # fmt: skip
    cells.update({name.replace("_", " ").title(): value for name, value in values.items()})
    return [cells[name] for name in HEADER]


def csv_file(rows: list[list[str]], *, header: list[str] = HEADER, delimiter: str = ",", newline: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def zipped(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@functools.cache
def full_sheet() -> bytes:
    """An .xlsx whose sheet fills all 1,048,576 rows, as Excel leaves an export it cut off; made once.

    Rows and cells without their optional r attributes: a block of 1,024 rows repeated makes the
    sheet in milliseconds, and a reader counts the rows as Excel does.
    """
    rows = [f'<row><c><v>{r}</v></c><c><v>{46082 + r % 28}.375</v></c><c t="s"><v>0</v></c></row>' for r in range(1024)]
    repeats, rest = divmod(EXCEL_ROWS - 1, len(rows))
    cells = "".join(rows) * repeats + "".join(rows[:rest])
    header = '<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>2</v></c><c r="C1" t="s"><v>3</v></c></row>'
    strings = ["Pothole", "Case Number", "Date Opened", "Problem Type"]
    return raw_xlsx(f"<sheetData>{header}{cells}</sheetData>", strings)


def formulas_workbook() -> bytes:
    """Text that spreadsheets run as formulas, typed by residents, and one real formula cell."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for number, text in enumerate(['=HYPERLINK("http://evil.example","click")', "+1+1", "@SUM(A1)", "-2+3"]):
        sheet.append(row("formula", number, description=text))
        sheet.cell(number + 2, 5).data_type = "s"  # stored as text, as a CRM export holds it
    sheet.append(row("formula", 4, description="placeholder"))
    sheet["E6"] = "=1+1"  # a live formula with no cached value: its cell reads as empty
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx() -> bytes:
    return zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>", "_rels/.rels": "<r/>"})


@dataclass(frozen=True)
class Refused:
    """The whole file is refused with a message holding `message`; the store is unchanged."""

    message: str


@dataclass(frozen=True)
class Accepted:
    """The file is imported with these counts; `problems` maps a spreadsheet row to part of its message."""

    rows_read: int
    inserted: int
    rejected: int = 0
    unchanged: int = 0
    problems: dict[int, str] = field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # record id -> {column: stored value}


@dataclass(frozen=True)
class Case:
    name: str
    file_name: str
    make: Callable[[], bytes]
    outcome: Refused | Accepted
    options: ImportOptions = field(default_factory=ImportOptions)
    max_upload_bytes: int | None = None


def text(content: str, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: content.encode(encoding)


BAD_TYPES = [row("types", 0), row("types", 1, date_opened="31/31/2026"), row("types", 2, date_opened="yesterday"),
             row("types", 3, date_opened="2026-03-05 09:00", date_closed="2026-03-01 09:00"),
             row("types", 4, problem_type=""), row("types", 5, date_opened="45000"),
             row("types", 6, date_closed="not closed")]  # fmt: skip
NESTED = 'He said "she said ""no"" and left" -- ""quote""'
HUGE = "x" * 2_000_000
CASES = [
    Case("empty file", "empty.csv", text(""), Refused("The file is empty (0 bytes)")),
    Case("only blank lines", "blank.csv", text("\n\n   \n,,,,\n"), Refused("The file is blank")),
    Case("only a header", "header.csv", text(csv_file([])), Refused("a header row (row 1) but no data rows")),
    Case("only a header, xlsx", "header.xlsx", lambda: xlsx(("S", [HEADER])), Refused("but no data rows")),
    Case("blank sheet", "blank.xlsx", lambda: xlsx(("Blank", [])), Refused("The sheet 'Blank' is blank")),
    Case(
        "truncated xlsx",
        "cut.xlsx",
        lambda: (REAL / "kc311_potholes_2020JanFeb.xlsx").read_bytes()[:20_000],
        Refused("damaged or cut short"),
    ),  # fmt: skip
    Case("zip bomb", "bomb.xlsx", zip_bomb, Refused("would unpack to 2,048 MB")),
    Case("binary junk named .csv", "junk.csv", lambda: random.Random(8).randbytes(8192), Refused("holds binary data")),
    Case(
        "an image named .xlsx",
        "chart.xlsx",
        lambda: b"\x89PNG\r\n\x1a\n" + random.Random(9).randbytes(4000),
        Refused("named .xlsx but is not a workbook"),
    ),  # fmt: skip
    Case(
        "a PDF named .csv",
        "report.csv",
        lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8,
        Refused("holds binary data"),
    ),  # fmt: skip
    Case(
        "NUL bytes in a CSV",
        "nul.csv",
        text(csv_file([row("nul", 0), row("nul", 1, description="a\x00b")])),
        Refused("Line 3 of the file holds a NUL character"),
    ),  # fmt: skip
    Case(
        "UTF-16 without a byte-order mark",
        "unicode.csv",
        text(csv_file([row("u16", 0)]), "utf-16-le"),
        Refused("holds binary data"),
    ),  # fmt: skip
    Case(
        "mixed encodings",
        "mixed.csv",
        lambda: (
            csv_file([row("mix", 0, description="café")]).encode()
            + "mix-001,2026-03-02 09:00,Pothole,,crème\n".encode("cp1252")
        ),
        Refused("mixes two text encodings: line 2 is UTF-8 and line 3 is not"),
    ),  # fmt: skip
    Case(
        "invalid UTF-8 that is no Windows-1252 either",
        "bytes.csv",
        lambda: csv_file([row("inv", 0)]).encode() + b"inv-001,2026-03-02 09:00,Pothole,,bad \x81 byte\n",
        Refused("Line 3 of the file holds a byte that is neither UTF-8 nor Windows-1252 text (0x81)"),
    ),  # fmt: skip
    Case(
        "web page saved as .xls",
        "export.xls",
        text("<html><body><table><tr><td>ID</td></tr></table></body></html>"),
        Refused("web page or XML document"),
    ),  # fmt: skip
    Case(
        "Excel 2003 XML named .xls",
        "export.xls",
        text('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'),
        Refused("web page or XML document"),
    ),  # fmt: skip
    Case("a .docx named .xlsx", "report.xlsx", docx, Refused("The file is a Word document, not a workbook")),
    Case("an empty zip", "empty.xlsx", lambda: b"PK\x05\x06" + bytes(18), Refused("zip archive, not a workbook")),
    Case(
        "a zipped CSV named .xlsx",
        "export.xlsx",
        lambda: zipped({"export.csv": csv_file([row("zip", 0)])}),
        Refused("zip archive, not a workbook"),
    ),  # fmt: skip
    Case(
        "password-protected workbook",
        "secret.xlsx",
        lambda: compound_file({"EncryptionInfo": bytes(200), "EncryptedPackage": bytes(6000)}),
        Refused("password-protected"),
    ),  # fmt: skip
    Case(
        "JSON named .csv",
        "export.csv",
        text('[{"Case Number": "1", "Date Opened": "2026-03-01"}]'),
        Refused("The file is JSON data"),
    ),  # fmt: skip
    Case(
        "an unclosed quote",
        "quote.csv",
        text(csv_file([row("q", 0)]) + 'q-001,2026-03-02 09:00,Pothole,,"never\n'),
        Refused("A quoted value that starts in row 3 is never closed"),
    ),  # fmt: skip
    Case(
        "an unquoted comma",
        "comma.csv",
        text(csv_file([row("c", 0)]) + "c-001,2026-03-02 09:00,Pothole,,a, b\n"),
        Refused("Row 3 of the file has 6 values but the table has 5 columns"),
    ),  # fmt: skip
    Case(
        "no date column",
        "nodate.csv",
        text(csv_file([["1", "Pothole"]], header=["Case Number", "Problem Type"])),
        Refused("No column was found for"),
    ),  # fmt: skip
    Case(
        "no row usable",
        "allbad.csv",
        text(csv_file([row("bad", n, case_number="") for n in range(3)])),
        Refused("None of the 3 rows could be imported"),
    ),  # fmt: skip
    Case(
        "every date the wrong type",
        "types.csv",
        text(csv_file([row("t", n, date_opened="soon") for n in range(4)])),
        Refused("None of the 4 rows could be imported"),
    ),  # fmt: skip
    Case(
        "over the size limit",
        "big.csv",
        text(csv_file([row("big", n) for n in range(40_000)])),
        Refused("the limit is 1 MB"),
        max_upload_bytes=1024 * 1024,
    ),  # fmt: skip
    Case(
        "a sheet that is not there",
        "two.xlsx",
        lambda: xlsx(("Summary", [HEADER, row("s", 0)])),
        Refused("There is no sheet named 'Records'"),
        ImportOptions(sheet="Records"),
    ),  # fmt: skip
    Case(
        "a mapped column that is not there",
        "map.csv",
        text(csv_file([row("m", 0)])),
        Refused("The file has no column 'Opened'"),
        ImportOptions(overrides={"opened_at": "Opened"}),
    ),  # fmt: skip
    Case(
        "formulas in cells",
        "formulas.xlsx",
        formulas_workbook,
        Accepted(
            5,
            5,
            stored={
                "formula-000": {"description": '=HYPERLINK("http://evil.example","click")'},
                "formula-002": {"description": "@SUM(A1)"},
                "formula-004": {"description": None},
            },
        ),
    ),  # fmt: skip
    Case(
        "huge cells",
        "huge.csv",
        text(csv_file([row("huge", 0, description=HUGE), row("huge", 1, problem_type="P" * 5000)])),
        Accepted(2, 2, stored={"huge-000": {"description": HUGE}, "huge-001": {"request_type": "P" * 300}}),
    ),  # fmt: skip
    Case(
        "deeply nested quotes",
        "quotes.csv",
        text(csv_file([row("nest", 0, description=NESTED)])),
        Accepted(1, 1, stored={"nest-000": {"description": NESTED}}),
    ),  # fmt: skip
    Case(
        "duplicate headers",
        "dup.csv",
        text(csv_file([[*row("dh", 0), "second"]], header=[*HEADER[:4], "Description", "Description"])),
        Accepted(1, 1, stored={"dh-000": {"description": "Hole number 0"}}),
    ),  # fmt: skip
    Case(
        "a record id twice",
        "twice.csv",
        text(csv_file([row("tw", 0), row("tw", 1), row("tw", 0)])),
        Accepted(3, 2, rejected=1, problems={4: "appears again: row 2 has it first"}),
    ),  # fmt: skip
    Case(
        "wrong types in some rows",
        "types.csv",
        text(csv_file(BAD_TYPES)),
        options=ImportOptions(overrides={"opened_at": "Date Opened", "closed_at": "Date Closed"}),
        # A bad closed date loses only that cell: rows 5 and 8 are kept as not closed, with a warning.
        outcome=Accepted(
            7,
            4,
            rejected=3,
            stored={
                "types-005": {"opened_month": "2023-03"},
                "types-003": {"closed_at": None},
                "types-006": {"closed_at": None},
            },  # types-005: an Excel serial day
            problems={
                3: "Unreadable date '31/31/2026'",
                4: "Unreadable date 'yesterday'",
                6: "The request type is empty",
            },
        ),
    ),  # fmt: skip
    Case(
        "BOM, sep= line, semicolons, CRLF",
        "excel.csv",
        lambda: (
            codecs.BOM_UTF8
            + (
                "sep=;\r\n"
                + csv_file([row("semi", 0), row("semi", 1, description="a, b; c")], delimiter=";", newline="\r\n")
            ).encode()
        ),
        Accepted(2, 2, stored={"semi-001": {"description": "a, b; c"}}),
    ),  # fmt: skip
    Case(
        "Windows-1252 text",
        "ansi.csv",
        text(csv_file([row("ansi", 0, description="café – “ok”")]), "cp1252"),
        Accepted(1, 1, stored={"ansi-000": {"description": "café – “ok”"}}),
    ),  # fmt: skip
    Case(
        "old Mac line endings", "mac.csv", text(csv_file([row("mac", 0), row("mac", 1)], newline="\r")), Accepted(2, 2)
    ),  # fmt: skip
    Case(
        "short records",
        "short.csv",
        text(csv_file([row("short", 0)]) + "short-001,2026-03-02 09:00,Pothole\n"),
        Accepted(2, 2, stored={"short-001": {"description": None}}),
    ),  # fmt: skip
    Case(
        "title rows and a totals footer",
        "report.xlsx",
        lambda: xlsx(
            (
                "Report",
                [
                    ["Service requests, March 2026"],
                    [],
                    HEADER,
                    row("title", 0),
                    row("title", 1),
                    ["Total", None, None, None, "2 records"],
                ],
            )
        ),
        Accepted(2, 2),
    ),  # fmt: skip
    Case("an old .xls", "old.xls", lambda: xls("Export", [HEADER, row("xls", 0), row("xls", 1)]), Accepted(2, 2)),
    Case("the month already stored", "march.csv", lambda: BASE, Accepted(10, 0, unchanged=10)),
]
BASE = csv_file([row("base", n) for n in range(10)]).encode()


def snapshot(engine: sa.Engine) -> dict[str, set[tuple[str, ...]]]:
    """Every row of every table, as text."""
    with engine.connect() as connection:
        return {
            table.name: {tuple(map(str, values)) for values in connection.execute(sa.select(table))}
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """A store holding one month (10 records), shared by the module's cases on each backend."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('malformed') / 'voc.db'}"])
    else:
        urls = fresh_postgres_schema(request.getfixturevalue("postgres_server"))
    engine = open_store(next(urls))
    assert import_requests(engine, BASE, "march.csv", SETTINGS, ImportOptions(), role=Role.ANALYST).inserted == 10
    yield engine
    engine.dispose()
    next(urls, None)  # drops the PostgreSQL schema


def assert_changed_as_reported(before: dict, after: dict, report: ImportReport, engine: sa.Engine) -> None:
    """Only the report's rows were added; nothing else changed; the roll-ups recount the stored rows."""
    for table in before:
        if table not in GROWS | RECOUNTED:
            assert after[table] == before[table], table
        elif table in GROWS:
            assert before[table] <= after[table], f"{table}: rows changed or went"
    added = {name: after[name] - before[name] for name in GROWS}
    upload = str(report.upload_id)
    assert {values[0] for values in added["uploads"]} == ({upload} if report.upload_id else set())
    assert len(added["service_requests"]) == report.inserted
    assert all(values[3] == upload for values in added["service_requests"])
    assert len(added["rejected_rows"]) == report.rejected
    assert len(after["mapping_profiles"]) - len(before["mapping_profiles"]) in (0, 1)
    assert_consistent(engine)


def stored(engine: sa.Engine, source_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT * FROM service_requests WHERE source_id = :id"), {"id": source_id})
        return dict(found.mappings().one())


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_malformed_file_is_refused_or_partly_accepted_as_reported(store: sa.Engine, case: Case) -> None:
    settings = replace(SETTINGS, max_upload_bytes=case.max_upload_bytes or SETTINGS.max_upload_bytes)
    data = case.make()
    before = snapshot(store)
    if isinstance(case.outcome, Refused):
        with pytest.raises(FileRefused) as refusal:
            import_requests(store, data, case.file_name, settings, case.options, role=Role.ANALYST)
        assert case.outcome.message in str(refusal.value)
        assert str(refusal.value).rstrip().endswith("."), "a refusal is a sentence saying what to do"
        assert snapshot(store) == before
        return
    report = import_requests(store, data, case.file_name, settings, case.options, role=Role.ANALYST)
    expected = case.outcome
    assert (report.rows_read, report.inserted, report.updated, report.unchanged, report.rejected) == (
        expected.rows_read, expected.inserted, 0, expected.unchanged, expected.rejected)  # fmt: skip
    problems = report.problems[report.problems["severity"] == "rejected"] if len(report.problems) else report.problems
    assert sorted(set(problems["row"])) == sorted(expected.problems)
    for number, message in expected.problems.items():
        assert message in " ".join(problems.loc[problems["row"] == number, "message"]), number
    assert_changed_as_reported(before, snapshot(store), report, store)
    for source_id, values in expected.stored.items():
        assert {name: stored(store, source_id)[name] for name in values} == values


def test_formulas_typed_by_residents_download_as_text(store: sa.Engine) -> None:
    report = import_requests(
        store, formulas_workbook(), "formulas.xlsx", SETTINGS, ImportOptions(source="check"), role=Role.ANALYST
    )
    assert report.inserted == 5
    drill = records(store, Filters(), month="2026-03", limit=1000)
    drill = drill[drill["source_id"].str.startswith("formula-")]
    exported = csv_bytes(drill).decode("utf-8-sig")
    assert "'=HYPERLINK(" in exported and "'+1+1" in exported and "'@SUM(A1)" in exported and "'-2+3" in exported
    assert ",=HYPERLINK(" not in exported and ',"=HYPERLINK(' not in exported


def test_a_sheet_filling_all_1_048_576_rows_is_refused_as_cut_off(sqlite_url: str) -> None:
    # Refused before the store is opened for writing: one backend is enough for this large file.
    engine = open_store(sqlite_url)
    before = snapshot(engine)
    with pytest.raises(FileRefused, match="The sheet 'Export' fills all 1,048,576 rows a worksheet can hold"):
        import_requests(engine, full_sheet(), "all-rows.xlsx", SETTINGS, ImportOptions(), role=Role.ANALYST)
    assert snapshot(engine) == before
    engine.dispose()


def test_there_are_at_least_thirty_malformed_files() -> None:
    assert len(CASES) + 1 >= 30  # and the full sheet above
    assert len({case.name for case in CASES}) == len(CASES)
