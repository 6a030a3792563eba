"""Demand evidence of project candidates: what residents asked for that each candidate would answer.

A candidate is linked to the contacts of its category (compared without case) by place: within
`radius_m` of its location when it has one, otherwise in its district, otherwise county-wide.
Over the 12 months up to `last_month` the evidence counts those contacts, rates them per 1,000
residents of the area they came from, compares them with the 12 months before, counts the repeat
places nearby (H3 cells of about 66 m with 3 or more contacts, voc.contacts.mapdata.repeat_locations),
counts the contacts reopened after closure (reported again nearby, or reopened in the CRM:
voc.contacts.closure), the strongest sign that the fix did not hold, and takes the survey
importance-satisfaction rating of the linked service area (voc.survey).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.contacts.closure_months import reopened_counts
from voc.core.config import DEFAULT_CLOSURE_RULES, ClosureRules
from voc.core.periods import month_range, month_shift
from voc.ingest.locate import locate
from voc.store.districts import EQUAL_AREA, load_districts
from voc.store.models import Candidate, MonthlyCount
from voc.store.place_counts import PLACES
from voc.store.query import read_frame
from voc.survey import category_priorities

CANDIDATES = Candidate.__table__
ROLLUP = MonthlyCount.__table__
# As voc.contacts.mapdata.repeat_locations' default: a place with this many contacts is a repeat place.
REPEAT_CONTACTS = 3
# About a mile: the service area planners draw around a neighbourhood project.
DEFAULT_RADIUS_M = 1600
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
CANDIDATE_COLUMNS = [
    "id", "source_id", "name", "kind", "category", "district_code", "status", "latitude", "longitude",
    "estimated_cost", "fund", "fiscal_year", "condition", "criteria", "description",
]  # fmt: skip
EVIDENCE_COLUMNS = [
    "id", "linked_by", "contact_category", "contacts", "contacts_before", "residents", "per_1000", "change_pct",
    "repeat_places", "reopened", "survey_area", "is_rating", "tier",
]  # fmt: skip

HISTORY_COLUMNS = ["category", "district_code", "window_end", "contacts", "residents"]


@dataclass(frozen=True)
class Window:
    """The 12 months up to `last_month` and the 12 before them, as YYYY-MM bounds."""

    first: str
    last: str
    before_first: str
    before_last: str

    @classmethod
    def ending(cls, last_month: str) -> Window:
        return cls(month_shift(last_month, -11), last_month, month_shift(last_month, -23), month_shift(last_month, -12))


def load_candidates(engine: sa.Engine) -> pd.DataFrame:
    """Return the stored candidates (CANDIDATE_COLUMNS) ordered by id."""
    query = sa.select(*(CANDIDATES.c[name] for name in CANDIDATE_COLUMNS)).order_by(CANDIDATES.c.id)
    return read_frame(engine, query)


def haversine_m(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Return the great-circle distances in metres from (lat0, lon0) to each point."""
    phi, phi0 = np.radians(lat), math.radians(lat0)
    a = np.sin((phi - phi0) / 2) ** 2 + np.cos(phi) * math.cos(phi0) * np.sin(np.radians(lon - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def demand_evidence(
    engine: sa.Engine,
    candidates: pd.DataFrame,
    *,
    last_month: str,
    radius_m: float = DEFAULT_RADIUS_M,
    rules: ClosureRules = DEFAULT_CLOSURE_RULES,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Return each candidate's demand evidence (EVIDENCE_COLUMNS), in the candidates' order.

    contacts / contacts_before: linked contacts in the 12 months up to last_month / the 12 before.
    residents: the linked area's population (a radius takes its district's density times the
    circle's area; NaN without populations). per_1000 = contacts per 1,000 residents. change_pct
    is NaN when contacts_before is 0. reopened: linked contacts of the 12 months reopened after
    closure under `rules` (counted in `timezone`: see voc.contacts.closure_months.reopened_counts). A candidate
    whose category no contact has gets 0 contacts
    and says so in linked_by. is_rating (0-1) and tier are NaN/None without a linked survey area.
    """
    window = Window.ending(last_month)
    districts = load_districts(engine)
    located = _with_districts(candidates, districts)
    categories = _stored_categories(engine)
    contact_category = located["category"].map(lambda c: categories.get(str(c).strip().casefold()) if c else None)
    has_point = located["latitude"].notna() & located["longitude"].notna()
    counts = _area_counts(engine, window)
    nearby = _nearby_counts(engine, located[has_point], contact_category[has_point], window, radius_m)
    rows = []
    for candidate, category, point in zip(located.itertuples(), contact_category, has_point, strict=True):
        if pd.isna(category):
            rows.append(("no contacts of its category", 0, 0))
        elif point:
            rows.append((f"within {radius_m:,.0f} m", *nearby[candidate.Index]))
        elif pd.notna(candidate.district_code):
            rows.append(
                (f"district {candidate.district_code}", *counts.get((category, candidate.district_code), (0, 0)))
            )
        else:
            rows.append(("county-wide", *_county_counts(counts, category)))
    linked_by, contacts, before = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
    evidence = pd.DataFrame(
        {"id": candidates["id"].to_numpy(), "linked_by": linked_by, "contact_category": contact_category.to_numpy()}
    )
    evidence["contacts"] = pd.Series(contacts, dtype="int64")
    evidence["contacts_before"] = pd.Series(before, dtype="int64")
    evidence["residents"] = _residents(located, has_point, districts, radius_m).to_numpy()
    evidence["per_1000"] = evidence["contacts"] / evidence["residents"].where(evidence["residents"] > 0) * 1000
    earlier = evidence["contacts_before"].where(evidence["contacts_before"] > 0)
    evidence["change_pct"] = (evidence["contacts"] - earlier) / earlier * 100
    evidence["repeat_places"] = _repeat_places(engine, located, contact_category, has_point, window, radius_m)
    linked = located.assign(contact_category=contact_category, has_point=has_point)
    evidence["reopened"] = _reopened(
        engine, linked, window, radius_m=radius_m, rules=rules, timezone=timezone
    ).to_numpy()
    survey = category_priorities(engine).assign(key=lambda f: f["category"].str.casefold()).set_index("key")
    key = contact_category.fillna(located["category"]).astype("str").str.casefold().to_numpy()
    evidence["survey_area"] = survey["service_area"].reindex(key).to_numpy()
    evidence["is_rating"] = survey["is_rating"].reindex(key).astype(float).to_numpy()
    evidence["tier"] = survey["tier"].reindex(key).to_numpy()
    return evidence[EVIDENCE_COLUMNS]


def _with_districts(candidates: pd.DataFrame, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Give candidates with a location but no district the district their point falls in."""
    rows = candidates.reset_index(drop=True).assign(
        latitude=pd.to_numeric(candidates["latitude"]).astype(float).to_numpy(),
        longitude=pd.to_numeric(candidates["longitude"]).astype(float).to_numpy(),
        district_code=candidates["district_code"].astype("str").to_numpy(),
    )
    return locate(rows, districts).rows if len(rows) else rows


def _stored_categories(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as connection:
        names = connection.execute(sa.select(ROLLUP.c.category).distinct()).scalars().all()
    return {name.strip().casefold(): name for name in names if name}


def _area_counts(engine: sa.Engine, window: Window) -> dict[tuple[str, str], tuple[int, int]]:
    """Sum the roll-up by (category, district) over the window and the 12 months before it."""
    month = ROLLUP.c.month

    def total(first: str, last: str) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((month.between(first, last), ROLLUP.c.contacts), else_=0)), 0)

    query = (
        sa.select(ROLLUP.c.category, ROLLUP.c.district_code, total(window.first, window.last),
                  total(window.before_first, window.before_last))
        .where(month.between(window.before_first, window.last))
        .group_by(ROLLUP.c.category, ROLLUP.c.district_code)
    )  # fmt: skip
    with engine.connect() as connection:
        return {(c, d): (int(now), int(before)) for c, d, now, before in connection.execute(query)}


def _county_counts(counts: dict[tuple[str, str], tuple[int, int]], category: str) -> tuple[int, int]:
    pairs = [value for (c, _district), value in counts.items() if c == category]
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _within_boxes(lat: pd.Series, lon: pd.Series, radius_m: float) -> sa.ColumnElement[bool]:
    """Return the condition that a place lies in the box around one of the points, each wide enough for the radius."""
    dlat = radius_m / METRES_PER_DEGREE
    boxes = []
    for latitude, longitude in sorted(set(zip(lat.to_numpy(float), lon.to_numpy(float), strict=True))):
        # As wide as the radius at the box's edge nearer the pole, where a degree of longitude is shortest.
        dlon = dlat / max(math.cos(math.radians(abs(latitude) + dlat)), 1e-6)
        boxes.append(
            sa.and_(
                PLACES.c.latitude.between(latitude - dlat, latitude + dlat),
                PLACES.c.longitude.between(longitude - dlon, longitude + dlon),
            )
        )
    return sa.or_(*boxes)


def _nearby_counts(
    engine: sa.Engine, points: pd.DataFrame, categories: pd.Series, window: Window, radius_m: float
) -> dict[int, tuple[int, int]]:
    """Count each point's contacts of its category within the radius, now and the 12 months before.

    One query per category sums the place roll-up (voc.store.place_counts) by point inside the boxes
    around its candidates, now and before; exact great-circle distances are then taken in numpy.
    Its rows follow the places near the candidates, not the contacts made from them: one box around
    all of a category's candidates spanned most of the county, and read five times the places at
    5,000,000 contacts that it did at 50,000.
    """
    counts: dict[int, tuple[int, int]] = {}
    recent = PLACES.c.month.between(window.first, window.last)
    # Months named one by one: the roll-up's key (month, category, ...) is then searched for the category in
    # each month, where a range of months was scanned whole for every category.
    months = month_range(window.before_first, window.last)
    with engine.connect() as connection:
        for category, group in points[categories.notna()].groupby(categories.dropna(), sort=True):
            query = (
                sa.select(
                    PLACES.c.latitude.label("lat"),
                    PLACES.c.longitude.label("lon"),
                    sa.func.sum(sa.case((recent, PLACES.c.contacts), else_=0)).label("now"),
                    sa.func.sum(sa.case((recent, 0), else_=PLACES.c.contacts)).label("before"),
                )
                .where(
                    PLACES.c.category == category,
                    PLACES.c.month.in_(months),
                    _within_boxes(group["latitude"], group["longitude"], radius_m),
                )
                .group_by(PLACES.c.latitude, PLACES.c.longitude)
            )
            places = read_frame(connection, query)
            lat, lon = places["lat"].to_numpy(float), places["lon"].to_numpy(float)
            now, before = places["now"].to_numpy("int64"), places["before"].to_numpy("int64")
            for index, candidate in group.iterrows():
                near = haversine_m(lat, lon, candidate["latitude"], candidate["longitude"]) <= radius_m
                counts[index] = (int(now[near].sum()), int(before[near].sum()))
    return counts


def _residents(located: pd.DataFrame, has_point: pd.Series, districts: gpd.GeoDataFrame, radius_m: float) -> pd.Series:
    """Return the residents of each candidate's linked area; NaN where no population is known."""
    population = pd.to_numeric(districts.set_index("code")["population"]).astype(float)
    area_km2 = districts.set_index("code").geometry.to_crs(EQUAL_AREA).area / 1e6
    density = population / area_km2.where(area_km2 > 0)
    circle_km2 = math.pi * (radius_m / 1000) ** 2
    codes = located["district_code"]
    in_district = population.reindex(codes).to_numpy()
    near = density.reindex(codes).to_numpy() * circle_km2
    county = population.sum() if len(population) and population.notna().all() else np.nan
    residents = np.where(has_point, near, np.where(codes.notna(), in_district, county))
    return pd.Series(residents, index=located.index, dtype=float)


def _repeat_places(
    engine: sa.Engine,
    located: pd.DataFrame,
    contact_category: pd.Series,
    has_point: pd.Series,
    window: Window,
    radius_m: float,
) -> pd.Series:
    """Count each candidate's repeat places: within the radius of its point, else in its district or county.

    A repeat place is a stored H3 cell with REPEAT_CONTACTS or more contacts of the category in the
    window (in the district, for a district's), as voc.contacts.mapdata.repeat_locations finds them by
    cell; counted from the place roll-up, whose size follows places, not contacts.
    """
    placed = _cell_counts(engine, sorted(contact_category.dropna().unique()), window)
    cells: dict[tuple[str, str | None], pd.DataFrame] = {}

    def repeat_cells(category: str, district: str | None) -> pd.DataFrame:
        if (category, district) not in cells:
            kept = placed[placed["category"] == category]
            if district:
                kept = kept[kept["district_code"] == district]
            per_cell = kept.groupby("cell")["contacts"].sum()
            places = per_cell.index[per_cell >= REPEAT_CONTACTS]
            centres = np.array([h3_int.cell_to_latlng(int(cell)) for cell in places]).reshape(-1, 2)
            cells[(category, district)] = pd.DataFrame(centres, columns=["lat", "lon"])
        return cells[(category, district)]

    counts = []
    for candidate, category, point in zip(located.itertuples(), contact_category, has_point, strict=True):
        if pd.isna(category):
            counts.append(0)
        elif point:
            centres = repeat_cells(category, None)
            distance = haversine_m(centres["lat"].to_numpy(), centres["lon"].to_numpy(), candidate.latitude,
                                   candidate.longitude)  # fmt: skip
            counts.append(int((distance <= radius_m).sum()))
        else:
            counts.append(
                len(repeat_cells(category, candidate.district_code if pd.notna(candidate.district_code) else None))
            )
    return pd.Series(counts, index=located.index, dtype="int64")


def _cell_counts(engine: sa.Engine, categories: list[str], window: Window) -> pd.DataFrame:
    """Sum the place roll-up over the window by category, district and stored cell."""
    keys = (PLACES.c.category, PLACES.c.district_code, PLACES.c.cell)
    query = (
        sa.select(*keys, sa.func.sum(PLACES.c.contacts).label("contacts"))
        .where(
            PLACES.c.category.in_(categories),
            PLACES.c.month.between(window.first, window.last),
            PLACES.c.cell.is_not(None),
        )
        .group_by(*keys)
    )
    return read_frame(engine, query, dtypes={"contacts": "int64"})


def _reopened(
    engine: sa.Engine, linked: pd.DataFrame, window: Window, *, radius_m: float, rules: ClosureRules, timezone: str
) -> pd.Series:
    """Count each candidate's linked contacts reopened after closure: near its point, else in its district or county.

    `linked` holds the located candidates with their contact_category and has_point.
    """
    counts = pd.Series(0, index=linked.index, dtype="int64")
    categories = list(linked["contact_category"].dropna().unique())
    if not categories:
        return counts
    located, by_district = reopened_counts(
        engine, categories, window.first, window.last, rules=rules, timezone=timezone
    )
    for category in categories:
        here = located[located["category"] == category]
        lat, lon, reopened = (here[c].to_numpy() for c in ("latitude", "longitude", "reopened"))
        districts = by_district.loc[category] if category in by_district.index else pd.Series(dtype="int64")
        for candidate in linked[linked["contact_category"] == category].itertuples():
            if candidate.has_point:
                near = haversine_m(lat, lon, candidate.latitude, candidate.longitude) <= radius_m
                counts[candidate.Index] = int(reopened[near].sum())
            elif pd.notna(candidate.district_code):
                counts[candidate.Index] = int(districts.get(candidate.district_code, 0))
            else:
                counts[candidate.Index] = int(districts.sum())
    return counts


def demand_history(engine: sa.Engine, *, last_month: str) -> pd.DataFrame:
    """Return the county's own demand over time: contacts of every category in every district, per 12 months.

    One row per category, stored district and 12-month window ending at each month up to
    `last_month` whose 12 months are all within the stored history (with less than a year stored,
    the one window ending at `last_month`): contacts (0 where a district had none of a category it
    had elsewhere) and residents (the district's population; NaN when unknown). Contacts without a
    district are left out: they have no residents to rate them by. Empty without contacts.
    """
    month = ROLLUP.c.month
    query = (
        sa.select(ROLLUP.c.category, ROLLUP.c.district_code, month, sa.func.sum(ROLLUP.c.contacts).label("n"))
        .where(month <= last_month, ROLLUP.c.district_code != "")
        .group_by(ROLLUP.c.category, ROLLUP.c.district_code, month)
    )
    monthly = read_frame(engine, query)
    districts = load_districts(engine)
    if monthly.empty or districts.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    months = month_range(min(monthly["month"]), last_month)
    grid = monthly.pivot_table(index="category", columns=["district_code", "month"], values="n", aggfunc="sum")
    areas = pd.MultiIndex.from_product([districts["code"], months], names=["district_code", "month"])
    counts = grid.reindex(columns=areas).fillna(0).to_numpy().reshape(len(grid), len(districts), len(months))
    running = np.concatenate([np.zeros(counts.shape[:2] + (1,)), np.cumsum(counts, axis=2)], axis=2)
    width = min(12, len(months))
    windows = running[..., width:] - running[..., :-width]
    categories, codes, ends = np.meshgrid(grid.index, districts["code"], months[width - 1 :], indexing="ij")
    population = pd.to_numeric(districts["population"]).astype(float).to_numpy()
    return pd.DataFrame({
        "category": categories.ravel(), "district_code": codes.ravel(), "window_end": ends.ravel(),
        "contacts": windows.ravel().astype("int64"),
        "residents": np.broadcast_to(population[None, :, None], windows.shape).ravel(),
    })[HISTORY_COLUMNS]  # fmt: skip
