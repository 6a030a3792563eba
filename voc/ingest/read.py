"""Read an uploaded CRM export (workbook or CSV) into a raw table named by its header row.

Workbooks (.xlsx, .xlsm, .xls, .ods) are read with python-calamine and keep their cell values as
read (voc.ingest.workbook); CSV and text exports are read with pandas' C parser and stay text, so
leading zeros survive (voc.ingest.delimited). The header row is found under title and note rows,
merged cells are filled, blank rows, empty columns and trailing total rows are dropped, and every
kept row carries the row number the analyst sees in Excel (voc.ingest.table). Input that cannot be
read is refused as a whole with a FileRefused saying what to do.

The reading happens in a child process with memory and time limits (voc.ingest.child): a file made
to exhaust the server fails alone.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa

from voc.ingest.child import run_limited
from voc.ingest.delimited import read_text
from voc.ingest.limits import MAX_BYTES, MAX_ROWS, check_size
from voc.ingest.table import RawTable
from voc.ingest.workbook import is_workbook, read_workbook, sheet_names

# Arrow's default allocator (mimalloc) keeps what a large upload's text columns freed, for reuse:
# a 1,000,000-row CSV's parse held 0.2 GB more at its end, and the import's peak with it. The
# system allocator hands it back. Set here, where the readers and the parse child start.
pa.set_memory_pool(pa.system_memory_pool())


def list_sheets(data: bytes, file_name: str) -> list[str]:
    """List a workbook's sheets in workbook order; a CSV has none."""
    check_size(len(data), MAX_BYTES)
    if not is_workbook(data):
        return []
    return run_limited(file_name, sheet_names, data, MAX_BYTES)


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
    unknown sheet, a table without data rows or with more than `max_rows` rows, and a file whose
    reading needs more memory or time than one upload may use.
    """
    check_size(len(data), max_bytes)
    return run_limited(file_name, parse_table, data, file_name, sheet=sheet, max_bytes=max_bytes, max_rows=max_rows)


def read_table_file(
    path: Path, *, sheet: str | None = None, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> RawTable:
    """Read a workbook or CSV file as read_table reads its bytes, which only the parse child holds.

    Held by the caller instead, a 1,000,000-row CSV's 270 MB stayed beside the child's copy of them
    and its table while it was parsed and handed over, and beside the import's frames until its end.
    """
    check_size(path.stat().st_size, max_bytes)
    return run_limited(path.name, parse_file, str(path), sheet=sheet, max_bytes=max_bytes, max_rows=max_rows)


class PendingRead:
    """A file's read (read_table_file) running in a thread of its own; take() waits for its table.

    A command reads its first file this way while it starts up: the parse child reads a 100,000-row
    workbook in about 3 s, in which the command imports the import pipeline and opens the store. The
    thread is a daemon: a command that fails before it needs the table does not wait for it.
    """

    def __init__(self, path: Path, *, sheet: str | None = None, max_bytes: int = MAX_BYTES) -> None:
        self._outcome: list[RawTable | BaseException] = []
        self._thread = threading.Thread(
            target=self._read, args=(path, sheet, max_bytes), name="read-ahead", daemon=True
        )
        self._thread.start()

    def _read(self, path: Path, sheet: str | None, max_bytes: int) -> None:
        try:
            self._outcome.append(read_table_file(path, sheet=sheet, max_bytes=max_bytes))
        except BaseException as error:  # raised again by take(), in the thread that waits for the table
            self._outcome.append(error)

    def take(self) -> RawTable:
        """Wait for the read; return its table or raise what it raised. Once: the table is not kept here.

        Kept, a 1,000,000-row CSV's raw table (0.4 GB) would stay under the checks and the write.
        """
        self._thread.join()
        outcome = self._outcome.pop()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def parse_file(path: str, *, sheet: str | None, max_bytes: int, max_rows: int) -> RawTable:
    """Read a file's bytes and parse them in this process: read_table_file's child does this."""
    file = Path(path)
    return parse_table(file.read_bytes(), file.name, sheet=sheet, max_bytes=max_bytes, max_rows=max_rows)


def parse_table(data: bytes, file_name: str, *, sheet: str | None, max_bytes: int, max_rows: int) -> RawTable:
    """Read a workbook or CSV in this process, without memory or time limits: read_table's child does this."""
    if is_workbook(data):
        return read_workbook(data, sheet=sheet, max_bytes=max_bytes, max_rows=max_rows)
    return read_text(data, file_name, max_rows=max_rows)
