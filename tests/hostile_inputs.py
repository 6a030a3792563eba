"""Hostile input files (issue 14), shared by tests/test_hostile_files.py and bench/hostile_bench.py.

Each is small on disk; the harm is in what it declares.
"""

from __future__ import annotations

import csv
import http.server
import io
import json
import math
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.files import ods, raw_xlsx
from voc.ingest.limits import MAX_COLUMNS, MAX_DISTRICTS, MAX_VERTICES

SECRET = "cookie_secret=TOPSECRET-7f3a9c"


class RequestRecorder(http.server.BaseHTTPRequestHandler):
    """A loopback server's handler that records every path asked for: a /vsicurl input must fetch nothing."""

    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.paths.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"{SECRET}\n".encode())

    do_HEAD = do_GET  # noqa: N815 (GDAL's /vsicurl asks with HEAD first)

    def log_message(self, *args: object) -> None:  # quiet: the paths are the record
        pass


def stray_cell_xlsx(corner: str, *, declared: str | None = None) -> bytes:
    """An .xlsx with "Case Number" in A1 and one stray cell at `corner`; `declared` is its <dimension ref>.

    calamine allocates the whole grid between A1 and the stray cell: at XFD1048575, 550 GB.
    """
    dimension = f'<dimension ref="{declared}"/>' if declared else ""
    row = corner.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    cells = f'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="{row}"><c r="{corner}" t="s"><v>1</v></c></row>'
    return raw_xlsx(f"{dimension}<sheetData>{cells}</sheetData>", ["Case Number", "x"])


def repeated_ods(rows: int, columns: int) -> bytes:
    """A tiny .ods whose one cell is repeated `columns` times in a row repeated `rows` times."""
    data = ods("Contacts", [["Case Number"], ["REPEATED"]])
    content = zipfile.ZipFile(io.BytesIO(data)).read("content.xml").decode()
    repeated = content.replace(
        '<table:table-row><table:table-cell office:value-type="string"><text:p>REPEATED',
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
        f'table:number-columns-repeated="{columns}" office:value-type="string"><text:p>x',
    )
    assert repeated != content
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in original.infolist():
            out.writestr(entry, repeated if entry.filename == "content.xml" else original.read(entry))
    return buffer.getvalue()


def vrt(source: str) -> bytes:
    """A GDAL virtual layer (XML) turning each line of `source` into a district named by it."""
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="districts">'
        f"<SrcDataSource>CSV:{source}</SrcDataSource>"
        '<OpenOptions><OOI key="HEADERS">NO</OOI></OpenOptions>'
        "<SrcSQL dialect=\"SQLite\">SELECT field_1 AS name, 'POLYGON((0 0,1 0,1 1,0 0))' AS wkt FROM secret</SrcSQL>"
        '<GeometryField encoding="WKT" field="wkt"/></OGRVRTLayer></OGRVRTDataSource>'
    ).encode()


def shapefile_zip(shp: bytes, *, declared_shp_bytes: int | None = None) -> bytes:
    """A zip of districts.shp (these bytes), .shx and .dbf; optionally the .shp declares another size."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("districts.shp", shp)
        archive.writestr("districts.shx", b"\x00\x00\x27\x0a" + bytes(96))
        archive.writestr("districts.dbf", b"\x03" + bytes(31))
    data = bytearray(buffer.getvalue())
    if declared_shp_bytes is not None:
        # The central directory's uncompressed size of the first entry, which readers trust.
        central = data.index(b"PK\x01\x02")
        struct.pack_into("<I", data, central + 24, declared_shp_bytes)
    return bytes(data)


def topojson() -> bytes:
    """Two square districts sharing an edge, as TopoJSON (arcs, quantized coordinates)."""
    return (
        b'{"type":"Topology","transform":{"scale":[0.001,0.001],"translate":[-94.6,39.0]},'
        b'"objects":{"districts":{"type":"GeometryCollection","geometries":['
        b'{"type":"Polygon","arcs":[[0,1]],"properties":{"district":"1","name":"North"}},'
        b'{"type":"Polygon","arcs":[[-1,2]],"properties":{"district":"2","name":"South"}}]}},'
        b'"arcs":[[[100,0],[0,100]],[[100,100],[-100,0],[0,-100],[100,0]],'
        b"[[100,0],[100,0],[0,100],[-100,0]]]}"
    )


def wide_xlsx(columns: int) -> bytes:
    """An .xlsx of a header and one row, `columns` wide."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append([f"Column {n}" for n in range(columns)])
    workbook.active.append(["x"] * columns)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def geojson(polygons: list[list[tuple[float, float]]]) -> bytes:
    """A GeoJSON FeatureCollection of one district per ring, coded 1, 2, ..."""
    features = [
        {"type": "Feature", "properties": {"district": str(n + 1)},
         "geometry": {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}}
        for n, ring in enumerate(polygons)
    ]  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def squares(count: int) -> bytes:
    """`count` small square districts on a grid over Baltimore."""
    side = 0.001
    rings = []
    for n in range(count):
        x, y = -76.7 + (n % 100) * side, 39.2 + (n // 100) * side
        rings.append([(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)])
    return geojson(rings)


def jagged_district(vertices: int) -> bytes:
    """One round district drawn with `vertices` vertices."""
    ring = [(-76.6 + 0.05 * math.cos(2 * math.pi * k / vertices), 39.3 + 0.05 * math.sin(2 * math.pi * k / vertices))
            for k in range(vertices)]  # fmt: skip
    return geojson([[*ring, ring[0]]])


@dataclass(frozen=True)
class Hostile:
    name: str
    file_name: str
    make: Callable[[Path], bytes]  # given a folder for files the hostile file names
    message: str


def long_header_csv() -> bytes:
    """300 columns named in about 1 KB each: a 300 KB header line, past the encoding's sample."""
    names = [f"Q{n} " + "how satisfied are you with the county's services " * 20 for n in range(300)]
    rows = [[f"r{row}c{column}" for column in range(300)] for row in range(3)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([names, *rows])
    return buffer.getvalue().encode()


def no_line_csv() -> bytes:
    """5 MB without a line break before the first line ends."""
    return b"x" * (5 * 1024 * 1024) + b"\nx\n"


SPREADSHEETS = [
    Hostile(
        "stray cell at XFD1048575", "stray.xlsx", lambda _: stray_cell_xlsx("XFD1048575"), "more than the 4,096 MB"
    ),
    Hostile("stray cell at XFD20000", "stray.xlsx", lambda _: stray_cell_xlsx("XFD20000"), "more than the 4,096 MB"),
    Hostile(
        "declared range A1:XFD1048575",
        "declared.xlsx",
        lambda _: stray_cell_xlsx("XFD1048575", declared="A1:XFD1048575"),
        "spans 1,048,575 rows by 16,384 columns",
    ),
    Hostile(
        "an .ods repeating a cell 10,000 columns wide",
        "wide.ods",
        lambda _: repeated_ods(1_000, 10_000),
        "spans 1,001 rows by 10,000 columns",
    ),
    Hostile(
        "an .ods repeating a row a million times",
        "long.ods",
        lambda _: repeated_ods(1_000_000, 1_000),
        "could not be read",  # calamine gives up on the declared size before allocating it
    ),
    Hostile(
        "a CSV 16,384 columns wide",
        "wide.csv",
        lambda _: (",".join(f"c{n}" for n in range(16_384)) + "\n" + "x," * 16_383 + "x\n").encode(),
        "by 16,384 columns",
    ),
    Hostile(
        "a CSV a column wider than the cap",
        "wide.csv",
        lambda _: (",".join(f"c{n}" for n in range(MAX_COLUMNS + 1)) + "\n" + "x," * MAX_COLUMNS + "x\n").encode(),
        f"by {MAX_COLUMNS + 1:,} columns",
    ),
    Hostile(
        "an .xlsx a column wider than the cap",
        "wide.xlsx",
        lambda _: wide_xlsx(MAX_COLUMNS + 1),
        f"by {MAX_COLUMNS + 1:,} columns",
    ),
]
BOUNDARIES = [
    Hostile(
        "a VRT named .geojson reading a local file",
        "districts.geojson",
        lambda folder: vrt(str(folder / "secret.txt")),
        "It is XML",
    ),
    Hostile(
        "a VRT as the .shp of a zip",
        "districts.zip",
        lambda folder: shapefile_zip(vrt(str(folder / "secret.txt"))),
        "is not a shapefile",
    ),
    Hostile("a bare /vsi path", "districts.geojson", lambda _: b"/vsizip//etc/passwd.zip", "not a boundary file"),
    Hostile(
        "a shapefile zip declaring a 2 GiB entry",
        "districts.zip",
        lambda _: shapefile_zip(b"\x00\x00\x27\x0a" + bytes(1024 * 1024), declared_shp_bytes=2 * 1024**3),
        "would unpack to 2,048 MB",
    ),
    Hostile(
        "a GeoPackage that is a SQLite file of no layers",
        "districts.gpkg",
        lambda _: b"SQLite format 3\x00" + bytes(4096),
        "not a boundary file",
    ),
    Hostile(
        "a district more than the cap of districts",
        "districts.geojson",
        lambda _: squares(MAX_DISTRICTS + 1),
        f"holds {MAX_DISTRICTS + 1:,} features; voc takes at most {MAX_DISTRICTS:,} districts",
    ),
    Hostile(
        "a district of more vertices than the cap",
        "districts.geojson",
        lambda _: jagged_district(MAX_VERTICES + 1),
        f"has {MAX_VERTICES + 2:,} vertices; voc takes at most {MAX_VERTICES:,}",
    ),
]
