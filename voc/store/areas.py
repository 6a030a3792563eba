"""Small areas (census tracts or block groups) with residents and median income: each import kept by its upload.

The areas in use are those of the newest import not undone, so undoing an import brings back the
set it replaced.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa

from voc.core.errors import NotFound, VocError
from voc.store.area_tables import AREAS
from voc.store.districts import WGS84
from voc.store.models import Upload, utc_now
from voc.store.requests import UndoResult

UPLOADS = Upload.__table__
AREA_COLUMNS = ["code", "name", "population", "income", "geometry"]


def save_areas(connection: sa.Connection, areas: gpd.GeoDataFrame, *, upload_id: int) -> None:
    """Store small areas (AREA_COLUMNS) under their upload, inside the caller's transaction."""
    in_wgs84 = areas.to_crs(WGS84)
    rows = [
        {
            "upload_id": upload_id,
            "code": str(code),
            "name": str(name),
            "population": None if pd.isna(population) else int(population),
            "median_income": None if pd.isna(income) else float(income),
            "geometry": shapely.to_geojson(geometry),
        }
        for code, name, population, income, geometry in zip(
            in_wgs84["code"],
            in_wgs84["name"],
            in_wgs84["population"],
            in_wgs84["income"],
            in_wgs84.geometry,
            strict=True,
        )  # fmt: skip
    ]
    connection.execute(sa.insert(AREAS), rows)


def current_areas_upload(connection: sa.Connection) -> int | None:
    """Return the upload whose areas are in use: the newest committed import of areas, or None."""
    return connection.execute(
        sa.select(sa.func.max(UPLOADS.c.id)).where(
            UPLOADS.c.status == "committed", UPLOADS.c.id.in_(sa.select(AREAS.c.upload_id))
        )
    ).scalar()


def load_areas(engine: sa.Engine) -> gpd.GeoDataFrame:
    """Return the small areas in use (AREA_COLUMNS, income NaN where unknown) in WGS84, ordered by code."""
    with engine.connect() as connection:
        upload_id = current_areas_upload(connection)
        rows = connection.execute(
            sa.select(AREAS.c.code, AREAS.c.name, AREAS.c.population, AREAS.c.median_income, AREAS.c.geometry)
            .where(AREAS.c.upload_id == upload_id)
            .order_by(AREAS.c.code)
        ).all()
    return gpd.GeoDataFrame(
        {
            "code": pd.Series([r.code for r in rows], dtype="str"),
            "name": pd.Series([r.name for r in rows], dtype="str"),
            "population": pd.Series([r.population for r in rows], dtype="float"),
            "income": pd.Series([r.median_income for r in rows], dtype="float"),
        },
        geometry=[shapely.from_geojson(r.geometry) for r in rows],
        crs=WGS84,
    )


def undo_areas(connection: sa.Connection, upload_id: int, *, user: str) -> UndoResult:
    """Remove an import's small areas, in the caller's transaction: the import before it is in use again."""
    status = connection.execute(sa.select(UPLOADS.c.status).where(UPLOADS.c.id == upload_id)).scalar()
    if status is None:
        raise NotFound(f"There is no upload {upload_id}. `voc uploads` lists them.")
    if status == "undone":
        raise VocError(f"Upload {upload_id} was already undone.")
    deleted = connection.execute(sa.delete(AREAS).where(AREAS.c.upload_id == upload_id)).rowcount
    connection.execute(
        sa.update(UPLOADS).where(UPLOADS.c.id == upload_id).values(status="undone", undone_at=utc_now(), undone_by=user)
    )
    return UndoResult(upload_id=upload_id, deleted=deleted, restored=0)
