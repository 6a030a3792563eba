"""District boundaries: GeoDataFrames in, store rows out, and back."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa

from voc.models import District

DISTRICTS = District.__table__
WGS84 = "EPSG:4326"
# About 50 m at Florida's latitude: invisible at county scale, and keeps the map data small.
DISPLAY_TOLERANCE_DEGREES = 0.0005


def district_rows(districts: gpd.GeoDataFrame) -> list[dict[str, object]]:
    """Turn districts (code, name, population, geometry) into store rows with GeoJSON geometry."""
    in_wgs84 = districts.to_crs(WGS84)
    display = in_wgs84.geometry.simplify(DISPLAY_TOLERANCE_DEGREES, preserve_topology=True)
    return [
        {
            "code": str(code),
            "name": str(name),
            "population": None if pd.isna(population) else int(population),
            "geometry": shapely.to_geojson(geometry),
            "display_geometry": shapely.to_geojson(simple),
        }
        for code, name, population, geometry, simple in zip(
            in_wgs84["code"],
            in_wgs84["name"],
            in_wgs84["population"],
            in_wgs84.geometry,
            display,
            strict=True,
        )
    ]


def replace_districts(connection: sa.Connection, districts: gpd.GeoDataFrame) -> None:
    """Replace the stored districts inside the caller's transaction."""
    connection.execute(sa.delete(DISTRICTS))
    connection.execute(sa.insert(DISTRICTS), district_rows(districts))


def load_districts(engine: sa.Engine, *, display: bool = False) -> gpd.GeoDataFrame:
    """Return the stored districts (code, name, population, geometry) in WGS84, ordered by code."""
    column = DISTRICTS.c.display_geometry if display else DISTRICTS.c.geometry
    query = sa.select(DISTRICTS.c.code, DISTRICTS.c.name, DISTRICTS.c.population, column)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(DISTRICTS.c.code)).all()
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "population": [r[2] for r in rows],
        },
        geometry=[shapely.from_geojson(r[3]) if r[3] else None for r in rows],
        crs=WGS84,
    )
