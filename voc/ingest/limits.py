"""How big an upload may be, and the refusals that say so."""

from __future__ import annotations

from voc.core.errors import FileRefused

MAX_BYTES = 200 * 1024 * 1024
MAX_ROWS = 2_000_000
MAX_UNZIPPED_BYTES = 1536 * 1024 * 1024
MAX_UNZIP_RATIO = 20
# A table of a real export fits in these (the widest 311 export seen has under 100 columns);
# reading more would take gigabytes and minutes: a 16,384-column sheet took 102 s of CPU.
MAX_COLUMNS = 500
MAX_CELLS = 40_000_000
# A county's districts, wards or neighbourhoods fit in these (Baltimore's 278 neighbourhoods have
# 129,441 vertices); 20,000 districts or a million-vertex one made the Map take 10-18 s a view.
MAX_DISTRICTS = 2_000
MAX_VERTICES = 200_000

_MB = 1024 * 1024


def size_text(n_bytes: int) -> str:
    """Format a byte count for a message: MB from one megabyte up."""
    if n_bytes >= _MB:
        return f"{round(n_bytes / _MB):,} MB"
    if n_bytes >= 1024:
        return f"{round(n_bytes / 1024):,} KB"
    return f"{n_bytes:,} bytes"


def check_size(n_bytes: int, max_bytes: int) -> None:
    """Refuse an empty file or one over the size limit, given its size in bytes."""
    if not n_bytes:
        raise FileRefused("The file is empty (0 bytes). Export the records again and upload the new file.")
    if n_bytes > max_bytes:
        raise FileRefused(
            f"The file is {size_text(n_bytes)}; the limit is {size_text(max_bytes)}. "
            "Split it by month and upload the parts."
        )


def check_row_count(n_rows: int, max_rows: int) -> None:
    """Refuse a table with more rows under its header than the limit."""
    if n_rows > max_rows:
        raise FileRefused(
            f"The table has more than {max_rows:,} rows, the most one upload may hold. "
            "Split it by month and upload the parts."
        )


def check_shape(n_rows: int, n_columns: int) -> None:
    """Refuse a table (or a sheet's used range) wider or larger than any export is."""
    if n_columns > MAX_COLUMNS or n_rows * n_columns > MAX_CELLS:
        raise FileRefused(
            f"The table spans {n_rows:,} rows by {n_columns:,} columns, far more than an export holds (at most "
            f"{MAX_COLUMNS:,} columns and {MAX_CELLS:,} cells): something was typed or formatted far past the "
            "data. Delete the empty rows and columns after the data (or copy the table into a new workbook), "
            "save it and upload again."
        )


def check_boundary_size(file_name: str, *, districts: int, vertices: int | None = None) -> None:
    """Refuse a boundary file with more features or vertices than the Map can draw at speed (None: not read yet)."""
    if districts > MAX_DISTRICTS:
        raise FileRefused(
            f"{file_name!r} holds {districts:,} features; voc takes at most {MAX_DISTRICTS:,} districts. Upload the "
            "county's commission districts, wards or neighbourhoods, not finer units such as blocks or parcels."
        )
    if vertices is not None and vertices > MAX_VERTICES:
        raise FileRefused(
            f"{file_name!r} has {vertices:,} vertices; voc takes at most {MAX_VERTICES:,}, which draw a county's "
            "districts sharply. Simplify the shapes first (QGIS: Vector > Geometry Tools > Simplify, or "
            "mapshaper.org), then upload again."
        )
