"""The demo county's small areas: census-tract-like polygons with residents and median household incomes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint

from voc.demo.geography import sample_points

AREA_COUNT = 50
STATE_AND_COUNTY = "12999"  # a FIPS-like prefix no real Florida county has
# Residents per contact rise by this factor per standard deviation of log income below the mean:
# lower-income areas contact the county somewhat less per resident, as studies of 311 use find.
UNDER_CONTACT = 0.12


def draw_small_areas(districts: gpd.GeoDataFrame, requests: pd.DataFrame, seed: int) -> gpd.GeoDataFrame:
    """Tile the county with Voronoi census tracts (code, name, population, income, geometry).

    Populations sum to the districts' and follow where contacts are, divided by a factor that makes
    lower-income areas contact the county less per resident. Drawn from their own seed, so the
    other demo frames stay as they were.
    """
    rng = np.random.default_rng(seed + 19)
    outline = districts.union_all()
    x, y = sample_points(outline, AREA_COUNT, rng)
    cells = shapely.voronoi_polygons(MultiPoint(np.column_stack([x, y])), extend_to=outline, ordered=True)
    shapes = [shapely.intersection(cell, outline) for cell in cells.geoms]
    codes = [f"{STATE_AND_COUNTY}{number:04d}00" for number in range(1, AREA_COUNT + 1)]
    areas = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [f"Census Tract {number}" for number in range(1, AREA_COUNT + 1)],
            "income": np.round(np.exp(rng.normal(np.log(62_000), 0.38, AREA_COUNT)), -2),
        },
        geometry=shapes,
        crs="EPSG:4326",
    )
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(requests["longitude"], requests["latitude"]), crs=areas.crs)
    contacts = gpd.sjoin(points, areas, predicate="within")["code"].value_counts().reindex(codes, fill_value=0)
    log_income = np.log(areas["income"])
    below_mean = -(log_income - log_income.mean()) / log_income.std()
    residents_per_contact = np.exp(UNDER_CONTACT * below_mean + rng.normal(0, 0.08, AREA_COUNT))
    share = contacts.to_numpy() * residents_per_contact.to_numpy()
    areas["population"] = np.round(float(districts["population"].sum()) * share / share.sum()).astype(int)
    return areas[["code", "name", "population", "income", "geometry"]]
