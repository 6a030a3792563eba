"""Read a CSV or other delimited text export into a RawTable; every value stays text.

The encoding and the delimiter are told from the file; pandas' C parser reads the records under the
header as text, so leading zeros survive. A record wider than the table is refused with its row.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from voc.core.errors import FileRefused
from voc.ingest.encoding import text_encoding
from voc.ingest.limits import check_row_count, check_shape, size_text
from voc.ingest.table import HEADER_SCAN_ROWS, RawTable, find_header, tidy

_SAMPLE_RECORDS = HEADER_SCAN_ROWS + 10
# The header and delimiter are found in the file's first records, read from this much of it: more
# than the encoding's sample, since a header line of long names can be longer (decoded in milliseconds).
_HEAD_BYTES = 4 * 1024 * 1024
_DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_WIDE_RECORD = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
_MARKUP = (
    "The file is a web page or XML document, not a CSV or an Excel workbook (some systems save "
    "these with an .xls name). Open it in Excel, save it as an Excel Workbook (.xlsx) and upload "
    "that."
)
_JSON = (
    "The file is JSON data, not a CSV or an Excel workbook. Export the records from your CRM as CSV "
    "or Excel and upload that."
)
# An object, or an array of objects, arrays, strings or numbers: not a header such as "[ID],[Type]".
_JSON_START = re.compile(r'\s*(\{\s*"|\[\s*[{\["\d])')


def read_text(data: bytes, file_name: str, *, max_rows: int) -> RawTable:
    """Read a CSV or other delimited text export into a RawTable."""
    encoding = text_encoding(data, file_name)
    sample = data[:_HEAD_BYTES].decode(encoding, errors="replace")
    if sample.lstrip().startswith("<"):
        raise FileRefused(_MARKUP)
    if _JSON_START.match(sample):
        raise FileRefused(_JSON)
    delimiter = _delimiter(sample)
    records = _sample_records(sample, delimiter, whole=len(data) <= _HEAD_BYTES)
    if not records and len(data) > _HEAD_BYTES:
        raise FileRefused(
            f"The file's first {size_text(_HEAD_BYTES)} hold no complete line: it is not a table of records. "
            "Export the records again as CSV (one record a line) and upload the new file."
        )
    header_at = find_header(records)
    if header_at is None:
        raise FileRefused("The file is blank. Export the records again and upload the new file.")
    header, width = _csv_header(records[header_at:])
    check_shape(0, width)
    frame = _parse_csv(data, encoding, delimiter, skip=header_at + 1, width=width, limit=max_rows)
    check_row_count(len(frame), max_rows)
    frame, rows = tidy(frame, header, header_at + 1)
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
