"""Read an uploaded CRM export (workbook or CSV) into a raw table named by its header row.

Workbooks (.xlsx, .xlsm, .xls, .ods) are read with python-calamine and keep their cell values as
read; CSV and text exports are read with pandas' C parser and stay text, so leading zeros survive.
The header row is found under title and note rows, merged cells are filled, blank rows, empty
columns and trailing total rows are dropped, and every kept row carries the row number the analyst
sees in Excel. Input that cannot be read is refused as a whole with a FileRefused saying what to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
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
from voc.ingest.encoding import SAMPLE_BYTES, text_encoding

MAX_BYTES = 200 * 1024 * 1024
MAX_ROWS = 2_000_000
MAX_UNZIPPED_BYTES = 1536 * 1024 * 1024
MAX_UNZIP_RATIO = 20
HEADER_SCAN_ROWS = 30
FOOTER_SCAN_ROWS = 10

_MB = 1024 * 1024
_SAMPLE_RECORDS = HEADER_SCAN_ROWS + 10
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names in a compound file's directory are UTF-16; an encrypted OOXML package keeps the
# real workbook in this stream.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_NUMBERISH = re.compile(r"[-+$(]?[\d.,:/ %)+-]+")
_FOOTER = re.compile(
    r"(grand\s+)?(sub)?totals?\b|sum\b|count\b|average\b|\d[\d,]*\s+(records?|rows?)\b"
    r"|(records?|rows?)\s*:|(report\s+)?(generated|printed|run|created|exported)\b"
    r"|page\s+\d|end\s+of\s+report",
    re.IGNORECASE,
)
_WIDE_RECORD = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")

_PASSWORD = (
    "The workbook is password-protected: open it in Excel, remove the password "
    "(File > Info > Protect Workbook), save and upload again."
)
_MARKUP = (
    "The file is a web page or XML document, not a CSV or an Excel workbook (some systems save "
    "these with an .xls name). Open it in Excel, save it as an Excel Workbook (.xlsx) and upload "
    "that."
)
_NOT_WORKBOOK_ZIP = "The file is a zip archive, not a workbook: unzip it and upload the spreadsheet inside."
_JSON = (
    "The file is JSON data, not a CSV or an Excel workbook. Export the records from your CRM as CSV "
    "or Excel and upload that."
)
# An object, or an array of objects, arrays, strings or numbers: not a header such as "[ID],[Type]".
_JSON_START = re.compile(r'\s*(\{\s*"|\[\s*[{\["\d])')
_OTHER_OFFICE = {"word/document.xml": "a Word document", "ppt/presentation.xml": "a PowerPoint presentation"}
# The most rows a worksheet holds: an export that fills them all was cut off there.
_SHEET_ROWS = {"xls": 65_536, "xlsx": 1_048_576}


@dataclass(frozen=True)
class RawTable:
    """The records of an upload as read, before any mapping or typing.

    `frame` holds data rows only, columns named by the header (duplicates become "Status",
    "Status (2)"; an empty header cell over data becomes "column_<n>", n counted from column A).
    Workbook values are calamine's (str, float, int, bool, date, time, datetime, timedelta;
    "" for an empty cell) in object columns; CSV values are text in string columns.
    `row_numbers[i]` is the 1-based row of `frame` row i as the analyst sees it in Excel or a CSV
    viewer (header row included; for CSV, records, not physical lines). `encoding` is "utf-8",
    "utf-8-sig", "cp1252" or "utf-16" (Excel's "Unicode Text") for text, None for workbooks.
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    header_row: int
    sheet: str | None
    sheets: tuple[str, ...]
    encoding: str | None
    delimiter: str | None


def list_sheets(data: bytes, file_name: str) -> list[str]:
    """List a workbook's sheets in workbook order; a CSV has none."""
    _check_size(data, MAX_BYTES)
    if not _is_workbook(data):
        return []
    with _calamine_errors():
        return list(_open_workbook(data, MAX_BYTES).sheet_names)


def read_table(
    data: bytes,
    file_name: str,
    *,
    sheet: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> RawTable:
    """Read an uploaded workbook or CSV into a RawTable, refusing what cannot be read.

    The format comes from the file's first bytes, the name only shapes the refusal message.
    With `sheet` None the sheet holding the most cells is read (visible worksheets first).
    Raises FileRefused for an empty, oversized, password-protected, damaged or binary file, an
    unknown sheet, a table without data rows or with more than `max_rows` rows.
    """
    _check_size(data, max_bytes)
    if _is_workbook(data):
        return _read_workbook(data, sheet=sheet, max_bytes=max_bytes, max_rows=max_rows)
    return _read_text(data, file_name, max_rows=max_rows)


def _check_size(data: bytes, max_bytes: int) -> None:
    """Refuse an empty file or one over the size limit."""
    if not data:
        raise FileRefused("The file is empty (0 bytes). Export the records again and upload the new file.")
    if len(data) > max_bytes:
        raise FileRefused(
            f"The file is {_size(len(data))}; the limit is {_size(max_bytes)}. Split it by month and upload the parts."
        )


def _size(n_bytes: int) -> str:
    """Format a byte count for a message: MB from one megabyte up."""
    if n_bytes >= _MB:
        return f"{round(n_bytes / _MB):,} MB"
    if n_bytes >= 1024:
        return f"{round(n_bytes / 1024):,} KB"
    return f"{n_bytes:,} bytes"


def _is_workbook(data: bytes) -> bool:
    """Tell a zip (xlsx, xlsm, ods) or compound-file (xls) container by its magic bytes."""
    return data.startswith(_ZIP_MAGIC) or data.startswith(_CFB_MAGIC)


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
    """Refuse a damaged zip, one that is no workbook, or one that unpacks to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as exc:
        # zipfile signals a malformed directory with many types (BadZipFile, NotImplementedError,
        # ValueError, EOFError...); nothing else runs in this block.
        raise FileRefused(_damaged(f"its zip directory is unreadable: {exc}")) from None
    names = {entry.filename for entry in entries}
    if not names & {"[Content_Types].xml", "content.xml"}:
        raise FileRefused(_NOT_WORKBOOK_ZIP)
    unpacked = sum(entry.file_size for entry in entries)
    limit = min(MAX_UNZIPPED_BYTES, MAX_UNZIP_RATIO * max_bytes)
    if unpacked > limit:
        raise FileRefused(
            f"The workbook would unpack to {_size(unpacked)}, more than the {_size(limit)} "
            "allowed: it is damaged or not a real spreadsheet export. Open it in Excel, save it "
            "as a new .xlsx and upload that, or split the records by month."
        )
    if not any(name.lower().endswith(("workbook.xml", "workbook.bin", "content.xml")) for name in names):
        kind = next((kind for part, kind in _OTHER_OFFICE.items() if part in names), "an Office document")
        raise FileRefused(
            f"The file is {kind}, not a workbook. Upload the Excel workbook (.xlsx) or the CSV exported from your CRM."
        )


def _read_workbook(data: bytes, *, sheet: str | None, max_bytes: int, max_rows: int) -> RawTable:
    """Read one sheet of a workbook into a RawTable."""
    with _calamine_errors():
        workbook = _open_workbook(data, max_bytes)
        name, chosen = _pick_sheet(workbook, sheet)
        _refuse_full_sheet(name, chosen, _SHEET_ROWS["xls" if data.startswith(_CFB_MAGIC) else "xlsx"])
        grid = chosen.to_python(skip_empty_area=False)
        merged = chosen.merged_cell_ranges or []
    header_at = _find_header(grid)
    if header_at is None:
        raise FileRefused(
            f"The sheet '{name}' is blank. Choose the sheet that holds the records, or export them again."
        )
    _fill_merged(grid, merged, header_at)
    body = grid[header_at + 1 :]
    _check_row_count(len(body), max_rows)
    frame, rows = _tidy(pd.DataFrame(body, dtype=object), grid[header_at], header_at + 1)
    return RawTable(frame, rows, header_at + 1, name, tuple(workbook.sheet_names), None, None)


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
            if r != first_row and _count_filled(row) == 0:
                continue
            for c in range(first_col, min(last_col, len(row) - 1) + 1):
                row[c] = value


def _check_row_count(n_rows: int, max_rows: int) -> None:
    """Refuse a table with more rows under its header than the limit."""
    if n_rows > max_rows:
        raise FileRefused(
            f"The table has more than {max_rows:,} rows, the most one upload may hold. "
            "Split it by month and upload the parts."
        )


def _read_text(data: bytes, file_name: str, *, max_rows: int) -> RawTable:
    """Read a CSV or other delimited text export into a RawTable."""
    encoding = text_encoding(data, file_name)
    sample = data[:SAMPLE_BYTES].decode(encoding, errors="replace")
    if sample.lstrip().startswith("<"):
        raise FileRefused(_MARKUP)
    if _JSON_START.match(sample):
        raise FileRefused(_JSON)
    delimiter = _delimiter(sample)
    records = _sample_records(sample, delimiter, whole=len(data) <= SAMPLE_BYTES)
    header_at = _find_header(records)
    if header_at is None:
        raise FileRefused("The file is blank. Export the records again and upload the new file.")
    header, width = _csv_header(records[header_at:])
    frame = _parse_csv(data, encoding, delimiter, skip=header_at + 1, width=width, limit=max_rows)
    _check_row_count(len(frame), max_rows)
    frame, rows = _tidy(frame, header, header_at + 1)
    return RawTable(frame, rows, header_at + 1, None, (), encoding, delimiter)


def _sample_records(sample: str, delimiter: str, *, whole: bool) -> list[list[str]]:
    """Parse the first records of a text sample, dropping one the sample cut short."""
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            if len(records) == _SAMPLE_RECORDS:
                return records
            records.append(record)
    except csv.Error:
        return records
    return records if whole else records[:-1]


def _delimiter(sample: str) -> str:
    """Pick the delimiter that splits the sample's records into the most consistent widths."""
    best, best_key = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        widths = [len(r) for r in _sample_records(sample, delimiter, whole=True) if r]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        key = (widths.count(mode) / len(widths), mode)
        if mode > 1 and key > best_key:
            best, best_key = delimiter, key
    return best


def _csv_header(records: list[list[str]]) -> tuple[list[str], int]:
    """Return the header cells and the table width: the header's, or the usual record's if wider.

    A record wider than that is refused when parsed, wherever it is in the file.
    """
    header = records[0]
    widths = [len(r) for r in records[1:] if r]
    if not widths:
        return header, len(header)
    width = max(len(header), max(set(widths), key=widths.count))
    # R's write.table names no row-name column: its header is one cell short of every record.
    if set(widths) == {width} and len(header) == width - 1:
        header = ["", *header]
    return header, width


def _parse_csv(data: bytes, encoding: str, delimiter: str, *, skip: int, width: int, limit: int) -> pd.DataFrame:
    """Parse the records under the header as text columns numbered from 0."""
    try:
        return pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            header=None,
            names=range(width),
            skiprows=skip,
            nrows=limit + 1,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding=encoding,
            encoding_errors="replace",
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise FileRefused(_bad_line(str(exc), delimiter)) from None


def _bad_line(detail: str, delimiter: str) -> str:
    """Word the refusal of a CSV the parser stopped on."""
    if found := _WIDE_RECORD.search(detail):
        expected, row, seen = found.groups()
        return (
            f"Row {row} of the file has {seen} values but the table has {expected} columns: a "
            f"value probably holds an unquoted {_DELIMITER_NAMES[delimiter]}. Fix that row, or "
            "export again with text in quotes, and upload the new file."
        )
    if found := _OPEN_QUOTE.search(detail):
        row = int(found.group(1)) + 1  # the parser counts this one from 0
        return (
            f"A quoted value that starts in row {row} is never closed: the file is cut "
            'short or a value holds a stray quote ("). Export it again and upload the new file.'
        )
    return f"The CSV could not be read ({detail.strip()}). Export it again and upload the new file."


def _find_header(grid: Sequence[Sequence[object]]) -> int | None:
    """Return the index of the header row, or None when every row is blank.

    The header is the first of the rows scanned that is wide, mostly text and mostly unique,
    preferring one followed by a data row of similar width; failing any, the first widest row.
    """
    start = next((i for i, row in enumerate(grid) if _count_filled(row)), None)
    if start is None:
        return None
    window = grid[start : start + HEADER_SCAN_ROWS + 5]
    counts = [_count_filled(row) for row in window]
    width = max(counts)
    candidates = [
        i for i in range(min(len(window), HEADER_SCAN_ROWS)) if _looks_like_header(window[i], counts[i], width)
    ]
    if candidates and candidates[0] == 0 and counts[0] == width:
        # The usual export: the first row is the widest and header-shaped, however sparse the data.
        return start
    for i in candidates:
        following = next((c for c in counts[i + 1 :] if c), 0)
        if following >= counts[i] / 2:
            return start + i
    return start + (candidates[0] if candidates else counts.index(width))


def _looks_like_header(row: Sequence[object], filled: int, width: int) -> bool:
    """Tell whether a row has the shape of a header: wide, mostly text, mostly unique."""
    if filled < 0.6 * width:
        return False
    cells = [_header_text(v) for v in row]
    texts = [c for c, v in zip(cells, row, strict=True) if c and isinstance(v, str)]
    wordy = [t for t in texts if not _NUMBERISH.fullmatch(t)]
    return len(wordy) >= 0.7 * filled and len({t.casefold() for t in texts}) >= 0.6 * filled


def _count_filled(row: Sequence[object]) -> int:
    """Count the cells of a row that hold something other than blanks."""
    return sum(1 for v in row if _header_text(v))


def _header_text(value: object) -> str:
    """Render a cell as a column name: whitespace collapsed, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _tidy(frame: pd.DataFrame, header: Sequence[object], header_row: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop blank rows, trailing footers and empty unnamed columns; name the columns.

    `frame` holds the rows under the header in order, columns numbered from 0; the returned row
    numbers are 1-based spreadsheet rows.
    """
    filled = _filled(frame)
    counts = filled.sum(axis=1)
    rows = _without_footer(frame, np.flatnonzero(counts), counts)
    if rows.size == 0:
        raise FileRefused(
            f"The file has a header row (row {header_row}) but no data rows under it. Export the "
            "records again (check the report's filters and dates) and upload the new file."
        )
    names = [_header_text(header[j]) if j < len(header) else "" for j in range(frame.shape[1])]
    keep = np.array([bool(n) for n in names], dtype=bool) | filled[rows].any(axis=0)
    columns = np.flatnonzero(keep)
    if rows.size < len(frame) or columns.size < frame.shape[1]:
        frame = frame.iloc[rows, columns].reset_index(drop=True)
    frame.columns = _unique([names[j] or f"column_{j + 1}" for j in columns])
    return frame, rows + header_row + 1


def _filled(frame: pd.DataFrame) -> np.ndarray:
    """Return a rows x columns mask of the cells that are not "" (calamine's and CSV's empty)."""
    if frame.shape[1] and all(dtype == np.dtype(object) for dtype in frame.dtypes):
        # A workbook's cells are one block of objects: comparing it whole is twice as fast.
        return np.asarray(frame.to_numpy() != "", dtype=bool)
    masks = [(frame[c] != "").to_numpy(dtype=bool) for c in frame.columns]
    if not masks:
        return np.zeros((len(frame), 0), dtype=bool)
    return np.column_stack(masks)


def _without_footer(frame: pd.DataFrame, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Drop trailing total, count and "report generated" rows from the kept row positions."""
    if rows.size == 0:
        return rows
    typical = float(np.median(counts[rows[-60:]]))
    end = rows.size
    while end > 0 and rows.size - end < FOOTER_SCAN_ROWS:
        position = rows[end - 1]
        if not _is_footer(frame.iloc[position].tolist(), int(counts[position]), typical):
            break
        end -= 1
    return rows[:end]


def _is_footer(values: list[object], filled: int, typical: float) -> bool:
    """Tell a footer row: sparser than the records and opening with a total or a report note.

    A sparse row without such words is a record with few values, and records are never dropped.
    """
    first = next((v for v in values if _header_text(v)), "")
    return filled < typical and isinstance(first, str) and bool(_FOOTER.match(first.strip()))


def _unique(names: list[str]) -> list[str]:
    """Make column names unique by suffixing repeats: "Status", "Status (2)"."""
    seen: set[str] = set()
    unique = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate)
        unique.append(candidate)
    return unique
