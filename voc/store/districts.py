"""Stored district boundaries: written in the caller's transaction, populations set by hand, read back in WGS84."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import NotFound, VocError
from voc.store.engine import record_audit, write_transaction
from voc.store.models import District

DISTRICTS = District.__table__
WGS84 = "EPSG:4326"
EQUAL_AREA = "EPSG:6933"  # areas in square metres, anywhere on Earth
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


def set_populations(engine: sa.Engine, populations: dict[str, int], *, user: str, role: Role) -> None:
    """Store the residents of districts by code (the per-1,000 rates use them); other districts keep theirs.

    Raises VocError naming an unknown code or a negative population, and changes nothing then;
    NotAllowed unless the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="set district populations")
    with write_transaction(engine) as connection:
        known = set(connection.execute(sa.select(DISTRICTS.c.code)).scalars())
        unknown = sorted(set(populations) - known)
        if unknown:
            raise NotFound(f"There is no district {unknown[0]!r}. The districts are: {', '.join(sorted(known))}.")
        negative = sorted(code for code, value in populations.items() if value < 0)
        if negative:
            raise VocError(f"The population of district {negative[0]!r} is negative: enter 0 or more residents.")
        if not populations:
            return
        statement = (
            sa.update(DISTRICTS)
            .where(DISTRICTS.c.code == sa.bindparam("target"))
            .values(population=sa.bindparam("residents"))
        )
        connection.execute(statement, [{"target": c, "residents": int(v)} for c, v in populations.items()])
        record_audit(connection, user=user, action="set populations", detail=f"{len(populations)} districts")


def populations_by_code(table: pd.DataFrame) -> dict[str, int]:
    """Return the populations entered in a table of districts (code, population); blank ones are left out."""
    entered = table.dropna(subset=["population"])
    return {str(code): int(value) for code, value in zip(entered["code"], entered["population"], strict=True)}


def load_districts(engine: sa.Engine, *, display: bool = False) -> gpd.GeoDataFrame:
    """Return the stored districts (code, name, population, geometry) in WGS84, ordered by code."""
    column = DISTRICTS.c.display_geometry if display else DISTRICTS.c.geometry
    query = sa.select(DISTRICTS.c.code, DISTRICTS.c.name, DISTRICTS.c.population, column)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(DISTRICTS.c.code)).all()
    return gpd.GeoDataFrame(
        {
            "code": pd.Series([r[0] for r in rows], dtype="str"),
            "name": pd.Series([r[1] for r in rows], dtype="str"),
            "population": [r[2] for r in rows],
        },
        geometry=[shapely.from_geojson(r[3]) if r[3] else None for r in rows],
        crs=WGS84,
    )
