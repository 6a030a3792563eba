"""The table of an upload as read: its header row found, blank rows, footers and empty columns dropped.

Shared by the workbook and the delimited-text readers, which hand over a grid of cells (workbook
values, or text) and get back named columns and the row numbers the analyst sees.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from voc.core.errors import FileRefused

HEADER_SCAN_ROWS = 30
FOOTER_SCAN_ROWS = 10

_NUMBERISH = re.compile(r"[-+$(]?[\d.,:/ %)+-]+")
_FOOTER = re.compile(
    r"(grand\s+)?(sub)?totals?\b|sum\b|count\b|average\b|\d[\d,]*\s+(records?|rows?)\b"
    r"|(records?|rows?)\s*:|(report\s+)?(generated|printed|run|created|exported)\b"
    r"|page\s+\d|end\s+of\s+report",
    re.IGNORECASE,
)


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

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # read_table sends the table from a child process: a column of cell objects pickles three
        # times faster as a list than as pandas' object array (measured on 100,000 rows). A text
        # column goes as its Arrow array, whose buffers travel out of band as they are: pandas
        # pickles a copy of each, which doubled a 1,000,000-row CSV's table in the child.
        columns = {name: _picklable(values) for name, values in self.frame.items()}
        fields = (self.row_numbers, self.header_row, self.sheet, self.sheets, self.encoding, self.delimiter)
        return _unpickled_table, (columns, self.frame.index, fields)


def _picklable(values: pd.Series) -> list | pa.Array | pd.Series:
    if values.dtype == np.dtype(object):
        return values.tolist()
    if values.dtype == "str":
        return pa.array(values.array)
    return values


def _unpickled_column(values: list | pa.Array | pd.Series, index: pd.Index) -> pd.Series:
    if isinstance(values, list):
        return pd.Series(values, index=index, dtype=object)
    if isinstance(values, pa.Array):
        return pd.Series(pd.arrays.ArrowStringArray(values), index=index, dtype="str")
    return values


def _unpickled_table(columns: dict[str, list | pa.Array | pd.Series], index: pd.Index, fields: tuple) -> RawTable:
    """Rebuild a RawTable pickled by RawTable.__reduce__."""
    frame = pd.DataFrame({name: _unpickled_column(values, index) for name, values in columns.items()}, index=index)
    return RawTable(frame, *fields)


def find_header(grid: Sequence[Sequence[object]]) -> int | None:
    """Return the index of the header row, or None when every row is blank.

    The header is the first of the rows scanned that is wide, mostly text and mostly unique,
    preferring one followed by a data row of similar width; failing any, the first widest row.
    """
    start = next((i for i, row in enumerate(grid) if count_filled(row)), None)
    if start is None:
        return None
    window = grid[start : start + HEADER_SCAN_ROWS + 5]
    counts = [count_filled(row) for row in window]
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
    cells = [header_text(v) for v in row]
    texts = [c for c, v in zip(cells, row, strict=True) if c and isinstance(v, str)]
    wordy = [t for t in texts if not _NUMBERISH.fullmatch(t)]
    return len(wordy) >= 0.7 * filled and len({t.casefold() for t in texts}) >= 0.6 * filled


def count_filled(row: Sequence[object]) -> int:
    """Count the cells of a row that hold something other than blanks."""
    return sum(1 for v in row if header_text(v))


def header_text(value: object) -> str:
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


def tidy(frame: pd.DataFrame, header: Sequence[object], header_row: int) -> tuple[pd.DataFrame, np.ndarray]:
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
    names = [header_text(header[j]) if j < len(header) else "" for j in range(frame.shape[1])]
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
    first = next((v for v in values if header_text(v)), "")
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
