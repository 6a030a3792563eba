"""Place imported contacts on the map: the district their coordinates fall in, and their H3 cell.

A contact's stated district (from the CRM, which usually assigns it from the full address) is
kept when its coordinates fall in another district: geocodes are often approximate near a border,
so the disagreement is counted and flagged rather than overruled. A contact without a stated
district takes the district its coordinates fall in. Coordinates outside every district (Kansas
City's export puts 42 potholes in New Mexico) are kept and flagged, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from voc.ingest.report import PROBLEM_COLUMNS
from voc.store.cells import point_cells

OUTSIDE = "outside_districts"
MISMATCH = "district_mismatch"
# Coordinates arrive rounded to 6 decimals (about 10 cm): equal points are the same place.
_POINT_SCALE = 1e6


@dataclass(frozen=True)
class Located:
    rows: pd.DataFrame  # the input rows, with district_code filled from the map, location_flag and h3_cell
    located: int  # rows with coordinates
    outside: int  # rows whose coordinates fall outside every district
    compared: int  # rows with both a stated district and one from their coordinates
    mismatches: int  # of those, rows whose two districts differ
    problems: pd.DataFrame  # one warning (PROBLEM_COLUMNS) per flagged row, by the rows' "row" numbers


def locate(
    rows: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    point_column: str = "latitude",
    district_column: str = "district",
) -> Located:
    """Join rows (latitude, longitude, district_code) to district polygons (code, geometry in WGS84).

    Without districts, rows only get their H3 cells. `point_column` and `district_column` name the
    file's columns in the warnings. Rows without coordinates are left as they are.
    """
    lat, lon = rows["latitude"].to_numpy(dtype=float), rows["longitude"].to_numpy(dtype=float)
    has_point = ~(np.isnan(lat) | np.isnan(lon))
    point_of_row, unique_lat, unique_lon = _distinct_points(lat[has_point], lon[has_point])
    cells = np.zeros(len(rows), dtype=np.int64)
    cells[has_point] = point_cells(unique_lat, unique_lon)[point_of_row]
    mapped = np.full(len(rows), None, dtype=object)
    if len(districts):
        mapped[has_point] = _district_codes(unique_lat, unique_lon, districts)[point_of_row]
    stated = rows["district_code"]
    in_district = pd.Series(mapped, index=rows.index).astype("str")
    outside = pd.Series(has_point & bool(len(districts)), index=rows.index) & in_district.isna()
    compared = stated.notna() & in_district.notna()
    mismatch = compared & (stated != in_district)
    flags = np.select([outside.to_numpy(), mismatch.to_numpy(dtype=bool)], [OUTSIDE, MISMATCH], default=None)
    located = rows.assign(
        district_code=stated.fillna(in_district),
        location_flag=pd.Series(flags, index=rows.index, dtype="str"),
        h3_cell=pd.arrays.IntegerArray(cells, mask=~has_point),
    )
    return Located(
        rows=located,
        located=int(has_point.sum()),
        outside=int(outside.sum()),
        compared=int(compared.sum()),
        mismatches=int(mismatch.sum()),
        problems=_problems(located, outside, mismatch, in_district, point_column, district_column),
    )


def _distinct_points(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each point's index among the distinct points, and their latitudes and longitudes.

    Contacts repeat places (one address, many calls): spatial and H3 work is done once per place.
    """
    keys = np.round(lat * _POINT_SCALE).astype(np.int64) * 1_000_000_000 + np.round(lon * _POINT_SCALE).astype(np.int64)
    point_of_row, unique_keys = pd.factorize(keys)
    # Any one of a place's rows stands for it: they differ by less than the rounding.
    some_row = np.empty(len(unique_keys), dtype=np.int64)
    some_row[point_of_row] = np.arange(len(keys))
    return point_of_row, lat[some_row], lon[some_row]


def _district_codes(lat: np.ndarray, lon: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    """Return the code of the district holding each point, None outside all of them.

    One vectorised point-in-polygon pass per district over the points inside its bounding box:
    18 to 28 times faster than GeoPandas' sjoin, which first builds a Point object per point
    (measured on a million points: 0.09 s against 1.6 s for 5 districts, 0.5 s against 14.5 s for
    Baltimore's 278 neighbourhoods). A point on a border shared by two districts takes the first.
    """
    found = np.full(len(lat), -1)
    for number, (polygon, (min_x, min_y, max_x, max_y)) in enumerate(
        zip(districts.geometry, districts.geometry.bounds.to_numpy(), strict=True)
    ):
        near = np.flatnonzero((found < 0) & (lon >= min_x) & (lon <= max_x) & (lat >= min_y) & (lat <= max_y))
        shapely.prepare(polygon)
        found[near[shapely.intersects_xy(polygon, lon[near], lat[near])]] = number
    # Index -1 (no district) takes the None appended last.
    return np.append(districts["code"].to_numpy(dtype=object), None)[found]


def _problems(
    rows: pd.DataFrame,
    outside: pd.Series,
    mismatch: pd.Series,
    in_district: pd.Series,
    point_column: str,
    district_column: str,
) -> pd.DataFrame:
    if "row" not in rows or not (outside.any() or mismatch.any()):
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    far = rows[outside]
    disagree = rows[mismatch]
    point = far["latitude"].round(5).astype("str") + ", " + far["longitude"].round(5).astype("str")
    parts = [
        pd.DataFrame(
            {
                "row": far["row"],
                "column": point_column,
                "message": "Coordinates " + point + " are outside every district: kept and flagged.",
            }
        ),
        pd.DataFrame(
            {
                "row": disagree["row"],
                "column": district_column,
                "message": "District '"
                + disagree["district_code"]
                + "' differs from district '"
                + in_district[mismatch]
                + "' at its coordinates: kept as stated and flagged.",
            }
        ),
    ]
    problems = pd.concat([p for p in parts if len(p)], ignore_index=True).assign(severity="warning")
    return problems.sort_values("row", kind="stable", ignore_index=True)


def with_location_problems(problems: pd.DataFrame, located: Located) -> pd.DataFrame:
    """Add the location warnings to an import's problems, ordered by row.

    A row already warned about in the same column (validation's "outside the county") is not
    warned twice.
    """
    if located.problems.empty:
        return problems
    already = pd.MultiIndex.from_frame(problems[["row", "column"]])
    fresh = located.problems[~pd.MultiIndex.from_frame(located.problems[["row", "column"]]).isin(already)]
    merged = pd.concat([problems, fresh], ignore_index=True)
    return merged.sort_values(["row", "severity"], kind="stable", ignore_index=True)
