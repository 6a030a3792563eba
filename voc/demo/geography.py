"""The demo county's land: a coastal outline cut into five commission districts, and points inside them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon

DISTRICT_CODES = ("1", "2", "3", "4", "5")


def _outline(rng: np.random.Generator) -> Polygon:
    """Draw an irregular county outline with a jagged Gulf coast on the west."""
    lat = np.linspace(28.17, 28.48, 90)
    wander = np.cumsum(rng.normal(0, 0.004, lat.size))
    wander -= np.linspace(wander[0], wander[-1], lat.size)
    coast = -82.76 + 0.015 * np.sin(lat * 25) + wander
    # River mouths and bayous cut narrow inlets into the coast.
    coast[rng.choice(np.arange(5, lat.size - 5), 4, replace=False)] += 0.025
    north_lon = np.linspace(coast[-1], -82.06, 12)[1:-1]
    north = 28.48 + np.where(north_lon > -82.35, 0.008, 0.0)
    east_lat = np.linspace(28.48, 28.17, 25)
    east = -82.06 + 0.02 * np.sin(east_lat * 40) + rng.normal(0, 0.003, east_lat.size)
    south_lon = np.linspace(east[-1], coast[0], 12)[1:-1]
    south = 28.17 - np.where(south_lon > -82.45, 0.012, 0.0)
    ring = np.concatenate(
        [
            np.column_stack([coast, lat]),
            np.column_stack([north_lon, north]),
            np.column_stack([east, east_lat]),
            np.column_stack([south_lon, south]),
        ]
    )
    return Polygon(ring)


def draw_districts(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Split the outline into five commission districts with Voronoi cells of jittered seeds."""
    outline = _outline(rng)
    seeds = np.array([[-82.66, 28.41], [-82.32, 28.40], [-82.68, 28.24], [-82.45, 28.25], [-82.17, 28.28]])
    seeds += rng.normal(0, 0.02, seeds.shape)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline, ordered=True)
    shapes = [shapely.intersection(cell, outline) for cell in cells.geoms]
    return gpd.GeoDataFrame(
        {
            "code": list(DISTRICT_CODES),
            "name": [f"District {code}" for code in DISTRICT_CODES],
            "population": _populations(rng),
        },
        geometry=shapes,
        crs="EPSG:4326",
    )


def _populations(rng: np.random.Generator) -> np.ndarray:
    """Draw unequal district populations (about 95,000 to 130,000) that sum to about 550,000."""
    weights = rng.uniform(0.87, 1.15, len(DISTRICT_CODES))
    return np.round(550_000 * weights / weights.sum(), -1).astype(int)


def sample_points(
    polygon: Polygon, n: int, rng: np.random.Generator, *, towns: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw n (longitude, latitude) points inside polygon, half of them clustered around towns."""
    shapely.prepare(polygon)
    minx, miny, maxx, maxy = polygon.bounds
    xs, ys, found = [], [], 0
    while found < n:
        k = max(2 * (n - found), 64)
        x, y = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
        if towns is not None:
            # Contacts bunch up where people live; uniform points alone give a featureless map.
            near = rng.random(k) < 0.5
            town = rng.integers(len(towns), size=k)
            x = np.where(near, towns[town, 0] + rng.normal(0, 0.025, k), x)
            y = np.where(near, towns[town, 1] + rng.normal(0, 0.02, k), y)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        found += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]
