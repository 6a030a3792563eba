"""The demo county's reports of one problem: several residents reporting it at once, and again after it was closed.

Both move existing contacts rather than add any, so every count by month, category, district,
channel and type stays what the rest of the demo was built to show: a chosen contact takes the
place (coordinates, address, ZIP code) of an earlier contact of its category and district. A
duplicate also moves earlier in time, to within hours of the first report, inside its own month
and, for phone and walk-in contacts, inside office hours; its days to close stay as drawn. A
generator of its own keeps every other column identical to a build without them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from voc.demo.timeline import TIMEZONE

# Share of a category's contacts that are another resident's report of a problem first reported in the
# week before (when there was one), moved to within hours of it: what one pothole or one dark signal brings in.
_ALSO_REPORTED = {
    "Potholes": 0.2, "Flooding / standing water": 0.3, "Downed trees / limbs": 0.3, "Traffic signal malfunction": 0.4,
    "Streetlight out": 0.2, "Water leak / main break": 0.4, "Illegal dumping": 0.15, "Sewer backup / odor": 0.15,
    "Dead animal removal": 0.15,
}  # fmt: skip
# Share of a category's contacts reporting again a problem closed in the 4 weeks before (when there was one).
_REPORTED_AGAIN = {
    "Potholes": 0.07, "Flooding / standing water": 0.06, "Drainage ditch / culvert": 0.06, "Sidewalk repair": 0.04,
    "Streetlight out": 0.08, "Traffic signal malfunction": 0.05, "Illegal dumping": 0.08, "Overgrown lots": 0.05,
    "Junk vehicles": 0.04, "Water leak / main break": 0.05, "Low water pressure": 0.05, "Sewer backup / odor": 0.06,
    "Missed garbage pickup": 0.05, "Mosquito breeding sites": 0.04, "Park maintenance": 0.04,
    "Right-of-way mowing": 0.03, "Traffic signs": 0.03,
}  # fmt: skip
# Share of the closed contacts reported again that the CRM reopened (status "Reopened"); the rest stay "Closed".
_REOPENED_IN_CRM = 0.35
_DUPLICATE_METRES = 20
_AGAIN_METRES = 60
_DUPLICATE_SECONDS = 2.5 * 3600
_FIRST_REPORT_SECONDS = 7 * 86400
_AGAIN_SECONDS = 28 * 86400
_METRES_PER_DEGREE = 111_195.0
# Keys of (category and district, time) in one sorted int64: groups lie this many seconds apart.
_GROUP_SPAN = 10**10


def _seconds(times: pd.Series) -> np.ndarray:
    return ((times - pd.Timestamp(0, tz="UTC")).dt.total_seconds()).to_numpy()


def _chosen(rng: np.random.Generator, requests: pd.DataFrame, shares: dict[str, float]) -> np.ndarray:
    """Draw the contacts that report an earlier one: by their category's share, questions never."""
    share = requests["category"].map(shares).fillna(0).to_numpy()
    return (rng.random(len(requests)) < share) & (requests["contact_type"] != "question").to_numpy()


def _earlier(
    rng: np.random.Generator, keys: np.ndarray, group: np.ndarray, at: np.ndarray, window: float, before: np.ndarray
) -> np.ndarray:
    """Pick for each contact one of the sorted `keys` of its group in [at - window, at); -1 where there is none.

    `before` bounds the pick from above too (a position in `keys`), so a contact never picks itself.
    """
    low = np.searchsorted(keys, group * _GROUP_SPAN + (at - window), side="left")
    high = np.minimum(np.searchsorted(keys, group * _GROUP_SPAN + at, side="left"), before)
    found = high > low
    return np.where(found, low + (rng.random(at.size) * (high - low)).astype(np.int64), -1)


def _move_near(
    rng: np.random.Generator,
    places: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    pairs: tuple[np.ndarray, np.ndarray],
    metres: float,
) -> pd.DataFrame:
    """Put each mover of (movers, anchors) within `metres` of its anchor, at the anchor's address.

    A point that would fall across its district's line takes its anchor's own point instead.
    """
    movers, anchors = pairs
    moved = places.copy()
    distance = metres * np.sqrt(rng.random(movers.size))
    angle = rng.random(movers.size) * 2 * np.pi
    lat, lon = places["latitude"].to_numpy()[anchors], places["longitude"].to_numpy()[anchors]
    new_lat = lat + distance * np.sin(angle) / _METRES_PER_DEGREE
    new_lon = lon + distance * np.cos(angle) / (_METRES_PER_DEGREE * np.cos(np.radians(lat)))
    codes = places["district_code"].to_numpy()[movers]
    inside = np.zeros(movers.size, dtype=bool)
    for code, polygon in zip(districts["code"], districts.geometry, strict=True):
        mine = codes == code
        inside[mine] = shapely.contains_xy(polygon, new_lon[mine], new_lat[mine])
    moved.loc[movers, "latitude"] = np.where(inside, new_lat, lat)
    moved.loc[movers, "longitude"] = np.where(inside, new_lon, lon)
    for column in ("address", "zip_code"):
        moved.loc[movers, column] = places[column].to_numpy()[anchors]
    return moved


def _duplicate_times(
    rng: np.random.Generator, requests: pd.DataFrame, movers: np.ndarray, anchors: np.ndarray
) -> tuple[np.ndarray, pd.Series]:
    """Return the movers that can open within hours after their anchor, and their new opening times (by row).

    A new time lies between the anchor's and the mover's own, in the mover's local month and, for
    phone and walk-in contacts, on a weekday from 8:00 to 16:59: other movers stay where they are.
    """
    first = requests["opened_at"].iloc[anchors].set_axis(movers)
    gap = (requests["opened_at"].iloc[movers] - first).dt.total_seconds().to_numpy()
    seconds = np.minimum(gap, rng.uniform(300, _DUPLICATE_SECONDS, movers.size)).round()
    new = first + pd.to_timedelta(seconds, unit="s")
    local = new.dt.tz_convert(TIMEZONE)
    same_month = (local.dt.strftime("%Y-%m") == requests["opened_month"].iloc[movers].to_numpy()).to_numpy()
    office = requests["channel"].iloc[movers].isin(["phone", "walk-in"]).to_numpy()
    in_hours = (local.dt.hour.between(8, 16) & (local.dt.day_of_week < 5)).to_numpy()
    kept = same_month & (~office | in_hours)
    return kept, new[kept]


def _with_duplicates(
    rng: np.random.Generator, requests: pd.DataFrame, districts: gpd.GeoDataFrame, group: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Move some contacts to within hours and metres of an earlier one; return them and who moved or was joined."""
    opened = _seconds(requests["opened_at"])
    order = np.lexsort((opened, group))
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    keys = group[order] * _GROUP_SPAN + opened[order]
    chosen = _chosen(rng, requests, _ALSO_REPORTED)
    picked = _earlier(rng, keys, group, opened, _FIRST_REPORT_SECONDS, position)
    anchor = np.where(picked >= 0, order[np.maximum(picked, 0)], -1)
    # A first report is never itself a later one: every report of the incident gathers around one place.
    movers = np.flatnonzero(chosen & (anchor >= 0) & ~chosen[np.maximum(anchor, 0)])
    kept, new_opened = _duplicate_times(rng, requests, movers, anchor[movers])
    movers = movers[kept]
    anchors = anchor[movers]
    moved = _move_near(rng, requests, districts, (movers, anchors), _DUPLICATE_METRES)
    moved.loc[movers, "closed_at"] = requests["closed_at"].iloc[movers] + (
        new_opened - requests["opened_at"].iloc[movers]
    )
    moved.loc[movers, "opened_at"] = new_opened
    involved = np.zeros(len(requests), dtype=bool)
    involved[movers] = involved[anchors] = True
    return moved, involved


def with_repeat_reports(requests: pd.DataFrame, districts: gpd.GeoDataFrame, seed: int) -> pd.DataFrame:
    """Make some contacts reports of an earlier contact's problem: at once (duplicates) or after its closure.

    Returns the contacts ordered by opening time again, with a fresh index.
    """
    rng = np.random.default_rng([seed, 2])
    group = pd.factorize(requests["category"] + "|" + requests["district_code"])[0].astype(np.int64)
    placed, involved = _with_duplicates(rng, requests, districts, group)

    opened, closed = _seconds(placed["opened_at"]), _seconds(placed["closed_at"])
    was_closed = np.flatnonzero(~np.isnan(closed))
    closing_order = was_closed[np.lexsort((closed[was_closed], group[was_closed]))]
    closing_keys = group[closing_order] * _GROUP_SPAN + closed[closing_order]
    again = _chosen(rng, placed, _REPORTED_AGAIN) & ~involved
    earlier = _earlier(rng, closing_keys, group, opened, _AGAIN_SECONDS, np.full(opened.size, closing_keys.size))
    reporters = np.flatnonzero(again & (earlier >= 0))
    first = closing_order[earlier[reporters]]
    placed = _move_near(rng, placed, districts, (reporters, first), _AGAIN_METRES)
    status = placed["status"].to_numpy(dtype=object, copy=True)
    status[np.unique(first[rng.random(first.size) < _REOPENED_IN_CRM])] = "Reopened"
    return placed.assign(status=status).sort_values("opened_at", kind="stable", ignore_index=True)
