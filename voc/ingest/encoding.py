"""Tell the text encoding of a CSV export, refusing binary data, NUL bytes and mixed encodings.

A CSV is UTF-8 (with or without a byte-order mark), UTF-16 with a mark (Excel's "Unicode Text"),
or Windows-1252 (Excel's "CSV" on a US Windows machine). Anything that is none of these whole is
refused with the line to look at: decoding it anyway would store garbled text without a word.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePath

from voc.core.errors import FileRefused

SAMPLE_BYTES = 256 * 1024
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_UTF8_CHUNK = 16 * 1024 * 1024
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# UTF-8 of accented Latin letters (Ã  é ü ñ...), no-break space and curly quotes and dashes: in
# Windows-1252 these byte pairs read "Ã©", "Â " or "â€™", which real text never holds.
_UTF8_LATIN = re.compile(rb"\xc3[\x80-\xbf]|\xc2[\xa0-\xbf]|\xe2\x80[\x90-\xa6]")
BINARY = (
    "The file is not a spreadsheet or a text (CSV) export: it holds binary data. "
    "Upload the .xlsx or .csv file exported from your CRM."
)
_SAVE_AS_UTF8 = 'Open it in Excel, save it as "CSV UTF-8 (Comma delimited)" and upload that.'


def text_encoding(data: bytes, file_name: str) -> str:
    """Name the encoding of a text export ("utf-8", "utf-8-sig", "utf-16" or "cp1252"), or refuse it."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:SAMPLE_BYTES]
    suffix = PurePath(file_name).suffix.lower()
    if len(_CONTROL_BYTES.findall(head)) > len(head) / 100 or (b"\x00" in head and suffix in WORKBOOK_SUFFIXES):
        if suffix in WORKBOOK_SUFFIXES:
            raise FileRefused(
                f"The file is named {suffix} but is not a workbook Excel can read: it is damaged "
                "or in another format. Open it in Excel, save it as .xlsx and upload that."
            )
        raise FileRefused(BINARY)
    if (nul := data.find(b"\x00")) >= 0:
        raise FileRefused(
            f"Line {_line_of(data, nul)} of the file holds a NUL character (a zero byte), which no text "
            "may hold: the export is damaged or padded by the CRM. Export it again, or remove those "
            "characters in a text editor, and upload the new file."
        )
    if data.isascii():
        return "utf-8"
    undecodable = _first_non_utf8(data)
    if undecodable is None:
        return "utf-8"
    if (utf8 := _UTF8_LATIN.search(data)) is not None:
        raise FileRefused(
            f"The file mixes two text encodings: line {_line_of(data, utf8.start())} is UTF-8 and line "
            f"{_line_of(data, undecodable)} is not, so accented letters would be stored garbled. " + _SAVE_AS_UTF8
        )
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise FileRefused(
            f"Line {_line_of(data, error.start)} of the file holds a byte that is neither UTF-8 nor "
            f"Windows-1252 text (0x{data[error.start]:02X}): the file is damaged or in another encoding. "
            + _SAVE_AS_UTF8
        ) from None
    return "cp1252"


def _line_of(data: bytes, position: int) -> int:
    """Return the 1-based line of the file holding a byte position."""
    return data.count(b"\n", 0, position) + 1


def _first_non_utf8(data: bytes) -> int | None:
    """Return the position of the first byte that is not UTF-8, decoding in chunks (no whole copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(view), _UTF8_CHUNK):
        # The error's position counts from the bytes the decoder held back from the chunk before.
        held = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start : start + _UTF8_CHUNK], final=start + _UTF8_CHUNK >= len(view))
        except UnicodeDecodeError as error:
            return start - held + error.start
    return None
