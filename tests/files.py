"""Test input files: the real public samples under tests/data (see SOURCES.md), and spreadsheets built in memory."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook

DATA = Path(__file__).parent / "data"
REAL = DATA / "real"


def xlsx(*sheets: tuple[str, list[list[object]]], merges: tuple[str, ...] = ()) -> bytes:
    """Build a workbook with openpyxl; merges apply to the first sheet, after its values."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(r, c, value)
    for cells in merges:
        book.worksheets[0].merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def compound_file(streams: dict[str, bytes]) -> bytes:
    """Build a version-3 compound (OLE2) file; streams are padded to 4,096 bytes so no mini-FAT."""
    sector, end, free, nostream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF
    bodies = [body.ljust(max(4096, -(-len(body) // sector) * sector), b"\0") for body in streams.values()]
    fat, starts = [0xFFFFFFFD, end], []  # sector 0 holds the FAT, sector 1 the directory
    for body in bodies:
        starts.append(len(fat))
        count = len(body) // sector
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [end]
    assert len(fat) <= 128 and len(streams) <= 3

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw), kind, 1, nostream, right, child)
            + bytes(36)
            + struct.pack("<IIi", start, size, 0)
        )

    names = list(streams)
    directory = entry("Root Entry", 5, 1, nostream, end, 0) + b"".join(
        entry(n, 2, nostream, i + 2 if i + 1 < len(names) else nostream, starts[i], len(bodies[i]))
        for i, n in enumerate(names)
    )
    directory += entry("", 0, nostream, nostream, 0, 0) * (3 - len(names))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", free) * (128 - len(fat))
    return header + fat_sector + directory + b"".join(bodies)


def biff_record(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(payload)) + payload


def xls(name: str, rows: list[list[object]], merges: tuple[tuple[int, int, int, int], ...] = ()) -> bytes:
    """Build a BIFF8 .xls with one sheet of LABEL and NUMBER cells; merges are (r0, r1, c0, c1)."""
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    cells = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                text = value.encode("latin-1")
                cells.append(biff_record(0x0204, struct.pack("<HHHHB", r, c, 0, len(text), 0) + text))
            elif value is not None:
                cells.append(biff_record(0x0203, struct.pack("<HHHd", r, c, 0, float(value))))
    merge_payload = struct.pack("<H", len(merges)) + b"".join(struct.pack("<HHHH", *m) for m in merges)
    sheet = (
        biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
        + b"".join(cells)
        + (biff_record(0x00E5, merge_payload) if merges else b"")
        + biff_record(0x000A)
    )
    label = name.encode("latin-1")
    offset = 4 + len(bof) + 4 + 8 + len(label) + 4
    bound = biff_record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(label), 0) + label)
    globals_ = biff_record(0x0809, bof) + bound + biff_record(0x000A)
    assert len(globals_) == offset
    return compound_file({"Workbook": globals_ + sheet})


def ods(name: str, rows: list[list[object]]) -> bytes:
    """Build a minimal OpenDocument spreadsheet of string, float and date cells."""

    def cell(value: object) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
        if isinstance(value, float | int):
            return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
        text = f"<text:p>{escape(value)}</text:p>"
        return f'<table:table-cell office:value-type="string">{text}</table:table-cell>'

    body = "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{name}">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """Build a workbook-looking zip whose sheet declares 2 GiB unpacked (a small zero stream)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(1024 * 1024))
    data = bytearray(buffer.getvalue())
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 2 * 1024**3)
    return bytes(data)


def raw_xlsx(sheet_body: str, strings: list[str]) -> bytes:
    """Write an .xlsx by hand: one sheet "Export" holding `sheet_body` (its XML inside <worksheet>)."""
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
            ),
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{package}"><Relationship Id="r1" '
            f'Type="{relation}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {main} xmlns:r="{relation}"><sheets>'
            '<sheet name="Export" sheetId="1" r:id="r1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{package}">'
            f'<Relationship Id="r1" Type="{relation}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="r2" Type="{relation}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/sharedStrings.xml", f"<sst {main}>{items}</sst>")
        archive.writestr("xl/worksheets/sheet1.xml", f"<worksheet {main}>{sheet_body}</worksheet>")
    return buffer.getvalue()  # fmt: skip
