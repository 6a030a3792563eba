"""Read a workbook (.xlsx, .xlsm, .xls, .ods) with python-calamine into a RawTable.

Cells keep their values as read. What calamine cannot be trusted with is refused before it opens
the file: a password-protected workbook, a zip that is no workbook or unpacks to too much, and a
sheet that declares more cells than any export holds (calamine builds the whole declared grid).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd
from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from voc.core.errors import FileRefused
from voc.ingest.limits import MAX_UNZIP_RATIO, MAX_UNZIPPED_BYTES, check_row_count, check_shape, size_text
from voc.ingest.table import RawTable, count_filled, find_header, tidy

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names in a compound file's directory are UTF-16; an encrypted OOXML package keeps the
# real workbook in this stream.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_WORKSHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
# The sheet's used range, which Excel writes before the cells: <dimension ref="A1:N100001"/>.
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"')
_DIMENSION_SCAN_BYTES = 8192
_PASSWORD = (
    "The workbook is password-protected: open it in Excel, remove the password "
    "(File > Info > Protect Workbook), save and upload again."
)
_NOT_WORKBOOK_ZIP = "The file is a zip archive, not a workbook: unzip it and upload the spreadsheet inside."
_OTHER_OFFICE = {"word/document.xml": "a Word document", "ppt/presentation.xml": "a PowerPoint presentation"}
# The most rows a worksheet holds: an export that fills them all was cut off there.
_SHEET_ROWS = {"xls": 65_536, "xlsx": 1_048_576}


def is_workbook(data: bytes) -> bool:
    """Tell a zip (xlsx, xlsm, ods) or compound-file (xls) container by its magic bytes."""
    return data.startswith(_ZIP_MAGIC) or data.startswith(_CFB_MAGIC)


def sheet_names(data: bytes, max_bytes: int) -> list[str]:
    """List a workbook's sheets in workbook order."""
    with _calamine_errors():
        return list(_open_workbook(data, max_bytes).sheet_names)


def read_workbook(data: bytes, *, sheet: str | None, max_bytes: int, max_rows: int) -> RawTable:
    """Read one sheet of a workbook into a RawTable."""
    with _calamine_errors():
        workbook = _open_workbook(data, max_bytes)
        name, chosen = _pick_sheet(workbook, sheet)
        _refuse_full_sheet(name, chosen, _SHEET_ROWS["xls" if data.startswith(_CFB_MAGIC) else "xlsx"])
        # What no declaration gave away (an .ods repeating a cell, an .xlsx without a dimension)
        # is caught before every cell becomes a Python object.
        check_shape(chosen.height, chosen.width)
        grid = chosen.to_python(skip_empty_area=False)
        merged = chosen.merged_cell_ranges or []
    header_at = find_header(grid)
    if header_at is None:
        raise FileRefused(
            f"The sheet '{name}' is blank. Choose the sheet that holds the records, or export them again."
        )
    _fill_merged(grid, merged, header_at)
    body = grid[header_at + 1 :]
    check_row_count(len(body), max_rows)
    frame, rows = tidy(pd.DataFrame(body, dtype=object), grid[header_at], header_at + 1)
    return RawTable(frame, rows, header_at + 1, name, tuple(workbook.sheet_names), None, None)


def _damaged(detail: str) -> str:
    """Word the refusal of a workbook that cannot be read."""
    return (
        f"The workbook could not be read: it is damaged or cut short ({detail}). "
        "Open it in Excel, save it again as .xlsx and upload that."
    )


@contextmanager
def _calamine_errors() -> Iterator[None]:
    """Turn calamine's failures on a bad workbook into a refusal."""
    try:
        yield
    except PasswordError:
        raise FileRefused(_PASSWORD) from None
    except CalamineError as exc:
        raise FileRefused(_damaged(str(exc))) from None
    except BaseException as exc:
        # pyo3 reports a Rust panic on malformed input as PanicException, a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        raise FileRefused(_damaged("its internal structure is malformed")) from None


def _open_workbook(data: bytes, max_bytes: int) -> CalamineWorkbook:
    """Open a workbook with calamine after the checks that must come before it."""
    if data.startswith(_CFB_MAGIC) and _ENCRYPTED_STREAM in data:
        raise FileRefused(_PASSWORD)
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data, max_bytes)
    return CalamineWorkbook.from_filelike(io.BytesIO(data))


def _check_zip(data: bytes, max_bytes: int) -> None:
    """Refuse a damaged zip, one that is no workbook, one that unpacks to too much or declares huge sheets."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if not names & {"[Content_Types].xml", "content.xml"}:
                raise FileRefused(_NOT_WORKBOOK_ZIP)
            _check_unpacked_size(entries, max_bytes)
            for entry in entries:
                if _WORKSHEET_PART.fullmatch(entry.filename):
                    _check_dimension(archive.open(entry).read(_DIMENSION_SCAN_BYTES))
    except (FileRefused, MemoryError):
        raise
    except Exception as exc:
        # zipfile signals a malformed directory or entry with many types (BadZipFile,
        # NotImplementedError, ValueError, EOFError, zlib.error...); nothing else runs in this block.
        raise FileRefused(_damaged(f"its zip directory is unreadable: {exc}")) from None
    if not any(name.lower().endswith(("workbook.xml", "workbook.bin", "content.xml")) for name in names):
        kind = next((kind for part, kind in _OTHER_OFFICE.items() if part in names), "an Office document")
        raise FileRefused(
            f"The file is {kind}, not a workbook. Upload the Excel workbook (.xlsx) or the CSV exported from your CRM."
        )


def _check_unpacked_size(entries: list[zipfile.ZipInfo], max_bytes: int) -> None:
    unpacked = sum(entry.file_size for entry in entries)
    limit = min(MAX_UNZIPPED_BYTES, MAX_UNZIP_RATIO * max_bytes)
    if unpacked > limit:
        raise FileRefused(
            f"The workbook would unpack to {size_text(unpacked)}, more than the {size_text(limit)} "
            "allowed: it is damaged or not a real spreadsheet export. Open it in Excel, save it "
            "as a new .xlsx and upload that, or split the records by month."
        )


def _check_dimension(head: bytes) -> None:
    """Refuse a worksheet whose declared used range is wider or larger than a real export's.

    calamine builds the whole range, so a stray cell at XFD1048575 would ask it for 550 GB.
    """
    found = _DIMENSION.search(head)
    if found is None or found.group(3) is None:
        return
    first_column, first_row, last_column, last_row = found.groups()
    columns = _column_number(last_column.decode()) - _column_number(first_column.decode()) + 1
    check_shape(int(last_row) - int(first_row) + 1, columns)


def _column_number(letters: str) -> int:
    """Turn column letters into a 1-based column number: A is 1, XFD is 16,384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _refuse_full_sheet(name: str, sheet: CalamineSheet, most: int) -> None:
    """Refuse a sheet reaching the last row a worksheet has: the rows past it were dropped."""
    if sheet.end is not None and sheet.end[0] + 1 >= most:
        raise FileRefused(
            f"The sheet '{name}' fills all {most:,} rows a worksheet can hold: the export was cut off "
            "there, so records are missing. Export the records as CSV, or a month at a time, and "
            "upload that."
        )


def _pick_sheet(workbook: CalamineWorkbook, sheet: str | None) -> tuple[str, CalamineSheet]:
    """Return the named sheet, or the visible worksheet with the most cells."""
    names = workbook.sheet_names
    if sheet is not None:
        if sheet not in names:
            listed = ", ".join(f"'{n}'" for n in names)
            raise FileRefused(
                f"There is no sheet named '{sheet}' in this workbook. Its sheets are: {listed}. Choose one of those."
            )
        return sheet, workbook.get_sheet_by_name(sheet)
    meta = [m for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    visible = [m.name for m in meta if m.visible == SheetVisibleEnum.Visible]
    candidates = visible or [m.name for m in meta] or names
    if not candidates:
        raise FileRefused("The workbook has no worksheets. Export the records again.")
    best_name, best = candidates[0], workbook.get_sheet_by_name(candidates[0])
    for name in candidates[1:]:
        other = workbook.get_sheet_by_name(name)
        if other.height * other.width > best.height * best.width:
            best_name, best = name, other
    return best_name, best


def _fill_merged(grid: list[list[object]], ranges: Sequence[tuple[tuple[int, int], tuple[int, int]]], top: int) -> None:
    """Copy each merged range's value into its cells from the header row down, in place."""
    for (first_row, first_col), (last_row, last_col) in ranges:
        if first_row < top or first_row >= len(grid) or first_col >= len(grid[first_row]):
            continue
        value = grid[first_row][first_col]
        if value == "":
            continue
        for r in range(first_row, min(last_row, len(grid) - 1) + 1):
            row = grid[r]
            # A merge reaching into blank rows must not turn them into records.
            if r != first_row and count_filled(row) == 0:
                continue
            for c in range(first_col, min(last_col, len(row) - 1) + 1):
                row[c] = value
