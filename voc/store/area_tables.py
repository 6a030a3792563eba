"""The small-areas table, apart from its reader and writers (voc.store.areas), which need geopandas.

Migrations register every table at start-up, and `voc uploads` must not wait for geopandas.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class SmallArea(SQLModel, table=True):
    __tablename__ = "small_areas"

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(foreign_key="uploads.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    population: int | None = None
    median_income: float | None = Field(default=None, description="median household income, dollars")
    geometry: str = Field(sa_type=sa.Text, description="GeoJSON, WGS84")


AREAS = SmallArea.__table__
