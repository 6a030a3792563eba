"""H3 cells of points: computed at import, coarsened in SQL for the map, sized to the county."""

from __future__ import annotations

import geopandas as gpd
import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.store.districts import EQUAL_AREA

# H3 resolution 10 (edges of about 66 m, a block face) is stored per contact: fine enough for the
# repeat-location view, and SQL coarsens it to any map resolution (see cell_parent).
CELL_RESOLUTION = 10
# The Map page's hexagons come from a monthly roll-up at this resolution (about 0.7 km² a cell).
ROLLUP_CELL_RESOLUTION = 8


def point_cells(lat: np.ndarray, lon: np.ndarray, *, resolution: int = CELL_RESOLUTION) -> np.ndarray:
    """Return the H3 cell (int64) of each point; give distinct points, NaN-free.

    h3 4.x has no vectorised form of latlng_to_cell: this is one C call per point (about 0.7 µs),
    which is why callers first reduce records to their distinct points.
    """
    cells = map(h3_int.latlng_to_cell, lat.tolist(), lon.tolist(), [resolution] * len(lat))
    return np.fromiter(cells, dtype=np.int64, count=len(lat))


def cell_parent(cell: sa.ColumnElement[int], resolution: int) -> sa.ColumnElement[int]:
    """Return SQL for the ancestor at `resolution` of stored cells, so the database groups by map cells.

    An H3 index keeps its resolution in bits 52-55 and one 3-bit digit per finer resolution below;
    the parent has its resolution there and every finer digit set to 7 (see the H3 index spec).
    """
    digits = (1 << (3 * (15 - resolution))) - 1
    keep = ((1 << 63) - 1) & ~(0xF << 52) & ~digits
    return cell.bitwise_and(sa.literal(keep, sa.BigInteger)).bitwise_or(
        sa.literal((resolution << 52) | digits, sa.BigInteger)
    )


def cell_names(cells: pd.Series) -> pd.Series:
    """Return H3 cells as the hex strings deck.gl's H3HexagonLayer takes ("8844c0a305fffff")."""
    return cells.map(h3_int.int_to_str).astype("str")


def cell_resolution(districts: gpd.GeoDataFrame, *, max_cells: int = 5_000) -> int:
    """Return the finest H3 resolution at which the districts' area spans at most `max_cells` average cells.

    Keeps the hexagon layer's size bounded whatever the county's size: 8 (the roll-up's, the finest
    offered) for a county of up to about 3,700 km², coarser for larger ones.
    """
    if districts.empty:
        return ROLLUP_CELL_RESOLUTION
    square_km = float(districts.to_crs(EQUAL_AREA).area.sum()) / 1e6
    resolutions = range(ROLLUP_CELL_RESOLUTION + 1)
    fitting = [r for r in resolutions if square_km / h3_int.average_hexagon_area(r, "km^2") <= max_cells]
    return max(fitting, default=0)
