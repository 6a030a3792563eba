"""The deterministic demo county: Palmetto County, FL, a fictional county modelled on Pasco County."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Polygon

from voc.core.errors import VocError

NAME = "Palmetto County, FL"
TIMEZONE = "America/New_York"
SOURCE = "palmetto-crm"
SURVEY = "Palmetto County Citizen Survey"
DISTRICT_CODES = ("1", "2", "3", "4", "5")
_CHANNELS = ("phone", "web", "app", "e-mail", "walk-in")

_ROADS = "Roads & Drainage"
_TRAFFIC = "Traffic Operations"
_CODE = "Code Enforcement"
_WASTE = "Solid Waste"
_UTILITIES = "Utilities"
_MOSQUITO = "Mosquito Control"
_ANIMALS = "Animal Services"
_PARKS = "Parks & Recreation"
_LIBRARIES = "Libraries"
_BUILDING = "Building & Permits"
_CUSTOMER = "Customer Service"
_SHERIFF = "Sheriff (non-emergency)"

# Monthly multipliers, January first, each averaging about 1.
_SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 12,
    "rainy": (0.6, 0.55, 0.6, 0.7, 0.9, 1.6, 1.9, 1.9, 1.7, 1.0, 0.7, 0.6),
    "rainy_mild": (0.85, 0.85, 0.85, 0.9, 0.95, 1.15, 1.25, 1.25, 1.2, 1.0, 0.9, 0.85),
    "summer": (0.75, 0.75, 0.85, 1.0, 1.1, 1.4, 1.45, 1.25, 0.95, 0.85, 0.8, 0.85),
    "growing": (0.7, 0.7, 0.85, 1.0, 1.15, 1.3, 1.3, 1.3, 1.25, 1.1, 0.8, 0.7),
    "holiday": (1.25, 0.95, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 0.95, 0.95, 1.05, 1.3),
    "spring": (0.85, 0.95, 1.2, 1.3, 1.2, 1.0, 0.95, 0.95, 0.9, 0.9, 0.9, 0.9),
    "winter": (1.2, 1.15, 1.0, 0.9, 0.85, 0.85, 0.85, 0.9, 0.95, 1.05, 1.15, 1.2),
}

_WHERE = (
    "near the elementary school",
    "in front of my house",
    "at the entrance to the subdivision",
    "across from the park",
    "by the church on the corner",
    "next to the bus stop",
    "near the Publix plaza",
    "on the curve past the bridge",
    "behind the shopping center",
    "at the end of the cul-de-sac",
    "by the mailbox cluster",
    "near the fire station",
)


@dataclass(frozen=True)
class _Category:
    name: str
    department: str
    monthly: float  # county-wide contacts a month at the start, before seasonality
    season: str
    days: float  # median days to close
    raw_types: tuple[tuple[str, str], ...]  # (raw CRM type, contact type); the first is commoner
    templates: tuple[str, ...]  # "{where}" is filled from _WHERE
    storm: float = 0.0  # extra contacts in the hurricane month, as a multiple of the usual


# fmt: off
_CATEGORIES: tuple[_Category, ...] = (
    _Category("Potholes", _ROADS, 260, "rainy_mild", 4,
              (("POTHOLE REPAIR", "request"), ("ROAD SURFACE DAMAGE", "request")),
              ("Large pothole {where}", "Deep pothole in the eastbound lane {where}",
               "Road surface breaking up {where}, tires getting damaged")),
    _Category("Flooding / standing water", _ROADS, 110, "rainy", 9,
              (("FLOODING", "complaint"), ("STANDING WATER", "request")),
              ("Street flooded {where}, water up to the curb", "Standing water for days {where}",
               "Yard flooding from the road {where}"), storm=3.0),
    _Category("Drainage ditch / culvert", _ROADS, 85, "rainy", 20,
              (("DITCH MAINTENANCE", "request"), ("CULVERT BLOCKED", "request")),
              ("Ditch overgrown and not draining {where}",
               "Culvert blocked with debris {where}"), storm=1.5),
    _Category("Sidewalk repair", _ROADS, 60, "flat", 30,
              (("SIDEWALK REPAIR", "request"),),
              ("Cracked and raised sidewalk {where}", "Trip hazard on the sidewalk {where}")),
    _Category("Right-of-way mowing", _ROADS, 95, "growing", 12,
              (("ROW MOWING", "request"),),
              ("Grass in the median is knee high {where}", "Right-of-way needs mowing {where}")),
    _Category("Downed trees / limbs", _ROADS, 75, "rainy_mild", 6,
              (("TREE DOWN", "request"), ("TREE TRIMMING ROW", "request")),
              ("Tree down across the road {where}", "Large limb hanging over the road {where}",
               "Branches blocking the stop sign {where}"), storm=6.0),
    _Category("Traffic signal malfunction", _TRAFFIC, 65, "rainy_mild", 1,
              (("SIGNAL MALFUNCTION", "request"),),
              ("Traffic light stuck on red {where}",
               "Signal flashing all directions {where}"), storm=4.0),
    _Category("Streetlight out", _TRAFFIC, 120, "winter", 14,
              (("STREETLIGHT OUT", "request"),),
              ("Streetlight out {where}",
               "Several streetlights dark {where}, very unsafe at night"), storm=1.0),
    _Category("Traffic signs", _TRAFFIC, 70, "flat", 7,
              (("SIGN DAMAGED/MISSING", "request"),),
              ("Stop sign knocked down {where}", "Speed limit sign missing {where}")),
    _Category("Speeding / traffic calming", _TRAFFIC, 45, "flat", 45,
              (("TRAFFIC CALMING REQUEST", "complaint"),),
              ("Cars speeding {where}, please add speed humps",
               "Requesting a traffic study {where}")),
    _Category("Overgrown lots", _CODE, 130, "growing", 28,
              (("OVERGROWN LOT", "complaint"),),
              ("Vacant lot overgrown with weeds {where}",
               "Neighbor's yard not mowed in months {where}")),
    _Category("Junk vehicles", _CODE, 65, "flat", 21,
              (("ABANDONED/JUNK VEHICLE", "complaint"),),
              ("Junk car on blocks in the driveway {where}", "Abandoned boat trailer {where}")),
    _Category("Illegal dumping", _CODE, 95, "flat", 10,
              (("ILLEGAL DUMPING", "complaint"),),
              ("Mattresses and tires dumped {where}",
               "Pile of construction debris dumped {where}")),
    _Category("Unpermitted construction", _CODE, 55, "flat", 35,
              (("WORK WITHOUT PERMIT", "complaint"),),
              ("Addition being built without a permit {where}",
               "Contractor working without a permit {where}")),
    _Category("Noise", _CODE, 85, "summer", 7,
              (("NOISE COMPLAINT", "complaint"),),
              ("Loud music every night {where}", "Construction noise before 7am {where}")),
    _Category("Property maintenance", _CODE, 70, "flat", 30,
              (("PROPERTY MAINTENANCE", "complaint"), ("SUBSTANDARD HOUSING", "complaint")),
              ("Roof tarp falling apart {where}", "Rental home with broken windows {where}")),
    _Category("Missed garbage pickup", _WASTE, 350, "holiday", 2,
              (("MISSED COLLECTION", "request"),),
              ("Garbage not picked up this week {where}",
               "Truck skipped our street again {where}"), storm=0.6),
    _Category("Bulk / yard waste pickup", _WASTE, 220, "spring", 5,
              (("BULK PICKUP REQUEST", "request"), ("YARD WASTE", "request")),
              ("Need a bulk pickup for an old couch",
               "Yard waste bags left at the curb {where}"), storm=1.0),
    _Category("Storm debris pickup", _WASTE, 15, "rainy_mild", 20,
              (("STORM DEBRIS", "request"),),
              ("Storm debris pile at the curb {where}",
               "Fallen branches stacked at the road {where}"), storm=60.0),
    _Category("Garbage carts", _WASTE, 160, "flat", 6,
              (("CART REPAIR/REPLACE", "request"),),
              ("Garbage cart lid broken", "Cart stolen, need a replacement")),
    _Category("Recycling questions", _WASTE, 70, "holiday", 1,
              (("RECYCLING QUESTION", "question"),),
              ("Is glass accepted in the recycling cart?", "When is recycling day on my street?")),
    _Category("Water leak / main break", _UTILITIES, 130, "winter", 2,
              (("WATER MAIN BREAK", "request"), ("WATER LEAK", "request")),
              ("Water gushing from the road {where}", "Leak at the meter box {where}")),
    _Category("Low water pressure", _UTILITIES, 55, "summer", 4,
              (("LOW PRESSURE", "complaint"),),
              ("Very low water pressure this week", "No water pressure in the mornings")),
    _Category("Sewer backup / odor", _UTILITIES, 65, "rainy", 2,
              (("SEWER BACKUP", "request"), ("SEWER ODOR", "complaint")),
              ("Sewer backing up into the yard {where}", "Strong sewer smell {where}"), storm=1.5),
    _Category("Utility billing", _UTILITIES, 320, "flat", 3,
              (("BILLING INQUIRY", "question"), ("HIGH BILL DISPUTE", "complaint")),
              ("Question about my water bill",
               "Bill doubled this month, I think the meter is wrong")),
    _Category("Water quality", _UTILITIES, 35, "summer", 5,
              (("WATER QUALITY", "complaint"),),
              ("Tap water is brown", "Water smells like chlorine")),
    _Category("Mosquito spraying", _MOSQUITO, 110, "rainy", 4,
              (("MOSQUITO SPRAY REQUEST", "request"),),
              ("Mosquitoes terrible {where}, please spray",
               "Swarms of mosquitoes at dusk {where}")),
    _Category("Mosquito breeding sites", _MOSQUITO, 35, "rainy", 7,
              (("MOSQUITO BREEDING SITE", "request"),),
              ("Abandoned pool full of larvae {where}", "Old tires holding water {where}")),
    _Category("Stray animals", _ANIMALS, 150, "flat", 3,
              (("STRAY ANIMAL", "request"), ("LOOSE DOG", "complaint")),
              ("Loose dog running in traffic {where}", "Stray cats {where}")),
    _Category("Animal bites / aggressive animals", _ANIMALS, 35, "summer", 5,
              (("ANIMAL BITE", "request"),),
              ("Dog bit my child {where}", "Aggressive dog charging walkers {where}")),
    _Category("Dead animal removal", _ANIMALS, 55, "summer", 2,
              (("DEAD ANIMAL ROW", "request"),),
              ("Dead deer on the shoulder {where}", "Dead armadillo in the road {where}")),
    _Category("Barking dogs", _ANIMALS, 45, "flat", 14,
              (("BARKING DOG", "complaint"),),
              ("Dog barking all day {where}", "Neighbor's dogs bark all night")),
    _Category("Park maintenance", _PARKS, 75, "summer", 8,
              (("PARK MAINTENANCE", "request"),),
              ("Broken swing at the playground", "Restrooms at the park are locked and dirty")),
    _Category("Pools & splash pads", _PARKS, 30, "summer", 4,
              (("POOL ISSUE", "request"),),
              ("Splash pad not working", "Pool closed during posted hours")),
    _Category("Programs & reservations", _PARKS, 90, "summer", 1,
              (("PAVILION RESERVATION", "question"), ("REC PROGRAM QUESTION", "question")),
              ("How do I reserve a pavilion for a birthday?",
               "When does summer camp sign-up open?")),
    _Category("Boat ramps & beaches", _PARKS, 30, "summer", 9,
              (("BOAT RAMP / BEACH ISSUE", "request"),),
              ("Boat ramp dock boards broken", "Trash overflowing at the beach park")),
    _Category("Library services", _LIBRARIES, 100, "summer", 1,
              (("LIBRARY CARD/ACCOUNT", "question"), ("LIBRARY QUESTION", "question")),
              ("How do I renew my library card?", "Can I reserve a study room?")),
    _Category("Permit status", _BUILDING, 220, "flat", 2,
              (("PERMIT STATUS INQUIRY", "question"),),
              ("What is the status of my roof permit?", "Permit application stuck in review")),
    _Category("Inspection scheduling", _BUILDING, 125, "flat", 3,
              (("INSPECTION REQUEST", "request"),),
              ("Need to schedule a final inspection",
               "Inspector did not show up for the inspection")),
    _Category("General questions", _CUSTOMER, 430, "flat", 0.3,
              (("GENERAL INFORMATION", "question"),),
              ("Which office handles property taxes?", "What are the county office hours?",
               "How do I contact my commissioner?"), storm=0.8),
    _Category("Staff feedback", _CUSTOMER, 40, "flat", 10,
              (("COMPLIMENT/COMPLAINT STAFF", "complaint"),),
              ("Rude response from staff at the counter",
               "Thank you to the crew that fixed our road")),
    _Category("Parking violations", _SHERIFF, 60, "flat", 3,
              (("PARKING VIOLATION", "complaint"),),
              ("Cars parked on the sidewalk {where}", "RV parked on the street for weeks {where}")),
)
# fmt: on

_PLANTED_RISES = (
    ("Flooding / standing water", "3", 2.5),
    ("Illegal dumping", "5", 2.2),
    ("Streetlight out", "1", 2.2),
)
# What residents write about each planted rise: a new phrase, as a real emerging issue brings.
_RISING_PHRASES = {
    "Flooding / standing water": "Water over the road by the new Cypress Creek subdivision",
    "Illegal dumping": "Mattresses and tires dumped behind the Gulf View plaza",
    "Streetlight out": "Whole row of streetlights dark along US-19 since the roadwork",
}
_RISING_PHRASE_SHARE = 0.45

# Relative weight of each local hour for web, app and e-mail contacts.
_ONLINE_HOURS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3, 4.5, 5, 5, 4.8, 4.6, 4.6, 4.5, 4.3, 4.2, 4.2, 4.4, 4.6, 4.2] + [3.4, 2.4, 1.6]
)
_STREET_NAMES = (
    "Cypress Ln", "Palm Ave", "Magnolia Dr", "Live Oak Blvd", "Osprey Way", "Heron Ct", "Pelican Dr",
    "Mangrove Rd", "Sabal Palm Loop", "Citrus Park Dr", "Orange Blossom Trl", "Gulf View Blvd",
    "Bayou Cir", "Egret St", "Sandhill Crane Dr", "Pine Needle Ln", "Cedar Ridge Rd", "Hickory Hill Blvd",
    "Tarpon Ave", "Manatee Way", "Sunset Blvd", "Seminole Trl", "Hibiscus St", "Jasmine Ct",
    "Marsh Wren Ln", "Lakeview Dr", "Harbor Dr", "Sawgrass Ct", "Willow Bend Pkwy", "Cattle Ranch Rd",
)  # fmt: skip
_STREET_PREFIXES = ("", "", "", "N ", "S ", "E ", "W ", "NE ", "NW ", "SE ", "SW ")
_ZIP_CODES = (
    "34652", "34653", "34654", "34655", "34667", "34668", "34669", "34610", "33523", "33525",
    "33540", "33541", "33543", "33544", "33545", "33576", "34637", "34638",
)  # fmt: skip
_AREA_CODES = ("727", "813", "352")
_EMAIL_NAMES = ("jsmith", "maria.g", "tom.baker", "lindaw", "rpatel", "dnguyen", "kjohnson")


@dataclass(frozen=True, eq=False)
class DemoCounty:
    """A generated county: its districts, request catalogue, contacts, survey and candidates."""

    name: str
    timezone: str
    districts: gpd.GeoDataFrame
    request_types: pd.DataFrame
    requests: pd.DataFrame
    survey: pd.DataFrame
    service_area_links: pd.DataFrame
    candidates: pd.DataFrame
    planted_rises: pd.DataFrame


def build_demo_county(*, seed: int = 2026, start: str = "2022-11", end: str = "2026-10") -> DemoCounty:
    """Build Palmetto County, FL from a seed; the same seed gives identical frames.

    start and end are months ("YYYY-MM", both included) and must span at least 36 months: the
    hurricane falls on the latest October at least two years before end, and the planted rises on
    the last three months.
    """
    months = _months(start, end)
    rng = np.random.default_rng(seed)
    districts = _districts(rng)
    return DemoCounty(
        name=NAME,
        timezone=TIMEZONE,
        districts=districts,
        request_types=_request_types(),
        requests=_with_rising_phrases(_requests(rng, months, districts), months, seed),
        survey=_survey(rng, months),
        service_area_links=_service_area_links(),
        candidates=_candidates(rng, districts),
        planted_rises=_planted_rises(months),
    )


def _months(start: str, end: str) -> pd.PeriodIndex:
    """Return the months from start to end, refusing a span too short for the demo's story."""
    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    if len(months) < 36:
        raise VocError(f"The demo county needs at least 36 months from {start} to {end}; widen the range.")
    return months


def _hurricane_index(months: pd.PeriodIndex) -> int:
    """Return the index of the hurricane month: the latest October two years or more before the end."""
    latest = months[-1] - 24
    return int(np.flatnonzero((months.month == 10) & (months <= latest))[-1])


# Districts ------------------------------------------------------------------------------------


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


def _districts(rng: np.random.Generator) -> gpd.GeoDataFrame:
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


def _sample_points(
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


# Requests -------------------------------------------------------------------------------------


def _request_types() -> pd.DataFrame:
    """List the CRM's raw request types with the category, department and contact type each maps to."""
    rows = [(raw, cat.name, cat.department, kind) for cat in _CATEGORIES for raw, kind in cat.raw_types]
    return pd.DataFrame(rows, columns=["raw_type", "category", "department", "contact_type"])


def _expected_counts(rng: np.random.Generator, months: pd.PeriodIndex, population: np.ndarray) -> np.ndarray:
    """Return expected contacts by (month, category, district) with trend, seasons, storm and rises."""
    n_months, t = len(months), np.arange(len(months))
    base = np.array([cat.monthly for cat in _CATEGORIES])
    season = np.array([_SEASONS[cat.season] for cat in _CATEGORIES])[:, months.month - 1].T
    after_storm = t - _hurricane_index(months)
    decay = np.where(after_storm >= 0, 0.3 ** np.clip(after_storm, 0, None), 0.0)
    storm = 1 + np.outer(decay, [cat.storm for cat in _CATEGORIES])
    # Month-to-month noise: real counts vary more than Poisson, which alert thresholds must survive.
    noise = rng.lognormal(0, 0.06, (n_months, len(_CATEGORIES)))
    per_month = base * 1.02 ** (t[:, None] / 12) * season * storm * noise
    tilt = population * rng.lognormal(0, 0.2, (len(_CATEGORIES), population.size))
    share = tilt / tilt.sum(axis=1, keepdims=True)
    expected = per_month[:, :, None] * share[None, :, :]
    names = [cat.name for cat in _CATEGORIES]
    for category, district, factor in _PLANTED_RISES:
        expected[-3:, names.index(category), DISTRICT_CODES.index(district)] *= factor
    return expected


def _requests(rng: np.random.Generator, months: pd.PeriodIndex, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Generate every contact of the period, one row each, ordered by opening time."""
    counts = rng.poisson(_expected_counts(rng, months, districts["population"].to_numpy()))
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    month, cat, district = np.unravel_index(cells, counts.shape)
    frame = pd.DataFrame({"opened_month": months.strftime("%Y-%m")[month]})
    frame = frame.assign(**_catalogue_columns(rng, cat))
    channel = _channels(rng, month, len(months))
    frame["channel"] = np.array(_CHANNELS)[channel]
    opened = _opened_at(rng, months, month, channel, cat)
    frame = frame.assign(**_resolution(rng, opened, frame["contact_type"].to_numpy(), cat, month, months))
    frame["district_code"] = np.array(DISTRICT_CODES)[district]
    frame = frame.assign(**_places(rng, district, districts))
    frame = frame.sort_values("opened_at", kind="stable", ignore_index=True)
    year = frame["opened_at"].dt.tz_convert(TIMEZONE).dt.year.to_numpy()
    seq = np.arange(len(frame)) - np.searchsorted(year, year) + 1
    frame["source"] = SOURCE
    frame["source_id"] = "PC-" + pd.Series(year).astype(str) + "-" + pd.Series(seq).astype(str).str.zfill(6)
    return frame[_REQUEST_COLUMNS]


_REQUEST_COLUMNS = [
    "source", "source_id", "opened_at", "closed_at", "opened_month", "days_to_close", "request_type",
    "category", "subcategory", "department", "contact_type", "channel", "status", "district_code",
    "address", "zip_code", "latitude", "longitude", "description",
]  # fmt: skip


def _catalogue_columns(rng: np.random.Generator, cat: np.ndarray) -> dict[str, np.ndarray]:
    """Pick each contact's raw type, contact type and description, category by category."""
    n = cat.size
    raw, sub, kind, text = (np.empty(n, dtype=object) for _ in range(4))
    for c, spec in enumerate(_CATEGORIES):
        rows = np.flatnonzero(cat == c)
        pick = (rng.random(rows.size) < 0.4).astype(int) if len(spec.raw_types) > 1 else 0
        raw[rows] = np.array([r for r, _ in spec.raw_types])[pick]
        sub[rows] = np.array([r.capitalize() if len(spec.raw_types) > 1 else None for r, _ in spec.raw_types])[pick]
        kind[rows] = np.array([k for _, k in spec.raw_types])[pick]
        phrases = np.array([t.format(where=w) for t in spec.templates for w in _WHERE])
        text[rows] = phrases[rng.integers(phrases.size, size=rows.size)]
    kind = _reclassify(rng, kind)
    return {
        "request_type": raw,
        "category": np.array([c.name for c in _CATEGORIES])[cat],
        "subcategory": sub,
        "department": np.array([c.department for c in _CATEGORIES])[cat],
        "contact_type": kind,
        "description": _with_contact_details(rng, text),
    }


def _reclassify(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Turn some requests into complaints (repeat reports) and questions (status checks)."""
    u = rng.random(kind.size)
    request = kind == "request"
    kind = np.where(request & (u < 0.08), "complaint", kind)
    return np.where(request & (u >= 0.08) & (u < 0.12), "question", kind)


def _with_contact_details(rng: np.random.Generator, text: np.ndarray) -> np.ndarray:
    """Append a fictional phone number or e-mail to about 3% of descriptions, for redaction tests."""
    text = pd.Series(text, dtype=str)
    chosen = np.flatnonzero(rng.random(text.size) < 0.03)
    phone = pd.Series(rng.choice(_AREA_CODES, chosen.size)) + "-555-01"
    phone += pd.Series(rng.integers(0, 100, chosen.size)).astype(str).str.zfill(2)
    email = pd.Series(rng.choice(_EMAIL_NAMES, chosen.size)) + "@example.org"
    detail = np.where(rng.random(chosen.size) < 0.6, "Call me at " + phone, "Email me at " + email)
    head = text.iloc[chosen]
    text.iloc[chosen] = (head + np.where(head.str.endswith("?"), " ", ". ") + detail).to_numpy()
    return text.to_numpy()


def _channels(rng: np.random.Generator, month: np.ndarray, n_months: int) -> np.ndarray:
    """Draw each contact's channel index; phone falls from ~55% to ~35% as web and app grow."""
    t = np.arange(n_months)[:, None] / (n_months - 1)
    start = np.array([0.56, 0.22, 0.10, 0.07, 0.05])
    slope = np.array([-0.20, 0.08, 0.14, -0.01, -0.01])
    cumulative = np.cumsum(start + slope * t, axis=1)[:, :-1]
    return (rng.random(month.size)[:, None] > cumulative[month]).sum(axis=1)


def _opened_at(
    rng: np.random.Generator, months: pd.PeriodIndex, month: np.ndarray, channel: np.ndarray, cat: np.ndarray
) -> pd.Series:
    """Draw opening times in local time (offices keep weekday business hours) and return them in UTC."""
    n = month.size
    starts = months.to_timestamp().to_numpy().astype("datetime64[D]")
    lengths = months.days_in_month.to_numpy()
    day = (rng.random(n) * lengths[month]).astype(int)
    business = np.isin(channel, [_CHANNELS.index("phone"), _CHANNELS.index("walk-in")])
    weekdays, n_weekdays = _weekday_table(starts, lengths)
    pick = (rng.random(n) * n_weekdays[month]).astype(int)
    day = np.where(business, weekdays[month, pick], day)
    day = _storm_days(rng, day, month, cat, months, lengths)
    hour = np.where(
        business,
        rng.integers(8, 17, n),
        rng.choice(24, n, p=_ONLINE_HOURS / _ONLINE_HOURS.sum()),
    )
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    local = starts[month].astype("datetime64[s]") + (day * 86400 + seconds).astype("timedelta64[s]")
    utc = (
        pd.DatetimeIndex(local)
        .tz_localize(TIMEZONE, ambiguous=np.zeros(n, dtype=bool), nonexistent="shift_forward")
        .tz_convert("UTC")
        .as_unit("us")
    )
    return pd.Series(utc)


def _weekday_table(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each month's weekday day-offsets (padded) and how many there are."""
    offsets = np.arange(31)
    is_weekday = np.is_busday(starts[:, None] + offsets) & (offsets < lengths[:, None])
    table = np.zeros((starts.size, 31), dtype=int)
    n_weekdays = is_weekday.sum(axis=1)
    for m in range(starts.size):
        table[m, : n_weekdays[m]] = offsets[is_weekday[m]]
    return table, n_weekdays


def _storm_days(
    rng: np.random.Generator,
    day: np.ndarray,
    month: np.ndarray,
    cat: np.ndarray,
    months: pd.PeriodIndex,
    lengths: np.ndarray,
) -> np.ndarray:
    """Move the hurricane month's storm contacts to the days after landfall on the 9th."""
    h = _hurricane_index(months)
    storm = np.array([c.storm for c in _CATEGORIES])[cat]
    moved = (month == h) & (rng.random(day.size) < storm / (1 + storm))
    after = 8 + rng.exponential(5, day.size).astype(int)
    return np.where(moved, np.minimum(after, lengths[h] - 1), day)


def _resolution(
    rng: np.random.Generator,
    opened: pd.Series,
    kind: np.ndarray,
    cat: np.ndarray,
    month: np.ndarray,
    months: pd.PeriodIndex,
) -> dict[str, object]:
    """Draw days to close, then leave open what was not closed by the extract and a small backlog."""
    n = cat.size
    median = np.array([c.days for c in _CATEGORIES])[cat]
    days = rng.lognormal(np.log(median), 0.9)
    same_day = (kind == "question") & (rng.random(n) < 0.7)
    days = np.where(same_day, rng.uniform(0.01, 0.25, n), days)
    # Crews are swamped after the storm: its categories take three times as long for two months.
    h = _hurricane_index(months)
    slowed = (np.array([c.storm for c in _CATEGORIES])[cat] > 0) & ((month == h) | (month == h + 1))
    seconds = np.round(np.where(slowed, days * 3, days) * 86400).astype("int64")
    closed = opened + pd.to_timedelta(seconds, unit="s")
    extract = pd.Timestamp((months[-1] + 1).start_time).tz_localize(TIMEZONE).tz_convert("UTC")
    # A backlog of harder cases lingers; the older a case, the likelier it was closed since.
    age = len(months) - 1 - month
    backlog = (kind != "question") & (rng.random(n) < 0.45 * np.exp(-age / 4))
    is_open = (closed > extract).to_numpy() | backlog
    return {
        "opened_at": opened,
        "closed_at": closed.where(~is_open),
        "days_to_close": np.where(is_open, np.nan, seconds / 86400),
        "status": np.where(is_open, np.where(rng.random(n) < 0.55, "In progress", "Open"), "Closed"),
    }


def _places(rng: np.random.Generator, district: np.ndarray, districts: gpd.GeoDataFrame) -> dict[str, object]:
    """Place each contact inside its district and give it a fake street address and ZIP code."""
    lon, lat = np.empty(district.size), np.empty(district.size)
    for d, polygon in enumerate(districts.geometry):
        rows = np.flatnonzero(district == d)
        towns = np.column_stack(_sample_points(polygon, 4, rng))
        lon[rows], lat[rows] = _sample_points(polygon, rows.size, rng, towns=towns)
    outline = districts.geometry.union_all()
    zip_centres = np.column_stack(_sample_points(outline, len(_ZIP_CODES), rng))
    nearest = np.argmin(np.hypot(lon[:, None] - zip_centres[:, 0], lat[:, None] - zip_centres[:, 1]), axis=1)
    streets = np.array([p + s for p in _STREET_PREFIXES for s in _STREET_NAMES])
    number = pd.Series(rng.integers(100, 20_000, district.size)).astype(str)
    return {
        "address": (number + " " + streets[rng.integers(streets.size, size=district.size)]).to_numpy(),
        "zip_code": np.array(_ZIP_CODES)[nearest],
        "latitude": lat,
        "longitude": lon,
    }


def _with_rising_phrases(requests: pd.DataFrame, months: pd.PeriodIndex, seed: int) -> pd.DataFrame:
    """Give part of each planted rise's contacts the new phrase residents use for it.

    A generator of its own keeps every other column identical to a build without phrases.
    """
    rng = np.random.default_rng([seed, 1])
    recent = requests["opened_month"] >= months[-3].strftime("%Y-%m")
    description = requests["description"].copy()
    for category, district, _factor in _PLANTED_RISES:
        rows = np.flatnonzero(recent & (requests["category"] == category) & (requests["district_code"] == district))
        chosen = rows[rng.random(rows.size) < _RISING_PHRASE_SHARE]
        description.iloc[chosen] = _RISING_PHRASES[category]
    return requests.assign(description=description)


def _planted_rises(months: pd.PeriodIndex) -> pd.DataFrame:
    """List the emerging issues planted in the last three months."""
    first = months[-3].strftime("%Y-%m")
    rows = [(category, district, first, factor) for category, district, factor in _PLANTED_RISES]
    return pd.DataFrame(rows, columns=["category", "district_code", "first_month", "factor"])


# Survey ---------------------------------------------------------------------------------------

# (service area, satisfied share in the first wave, importance share, change in logit a wave)
_SERVICE_AREAS = (
    ("Maintenance of county roads", 0.52, 0.48, -0.08),
    ("Stormwater drainage", 0.58, 0.30, 0.0),
    ("Traffic flow and signal timing", 0.45, 0.42, -0.03),
    ("Street lighting", 0.62, 0.12, 0.0),
    ("Sidewalks", 0.50, 0.10, 0.0),
    ("Code enforcement", 0.44, 0.14, 0.0),
    ("Garbage collection", 0.82, 0.22, 0.0),
    ("Yard waste and bulk pickup", 0.74, 0.08, 0.0),
    ("Water and sewer service", 0.70, 0.26, 0.0),
    ("Utility billing", 0.55, 0.06, 0.0),
    ("Mosquito control", 0.68, 0.10, 0.0),
    ("Animal services", 0.63, 0.06, 0.0),
    ("Parks", 0.78, 0.18, 0.0),
    ("Recreation programs", 0.72, 0.07, 0.0),
    ("Libraries", 0.86, 0.09, 0.0),
    ("Building permits and inspections", 0.47, 0.05, 0.05),
    ("Customer service", 0.66, 0.08, 0.12),
    ("Sheriff's non-emergency response", 0.74, 0.50, 0.0),
)
_DRAINAGE = [area[0] for area in _SERVICE_AREAS].index("Stormwater drainage")
# How a 1-5 rating splits for a satisfied share p: 5 and 4 are "satisfied".
_SCORE_SPLIT = np.array([[0.0, 0.0, 0.0, 0.6, 0.4], [0.2, 0.3, 0.5, 0.0, 0.0]])


def _survey(rng: np.random.Generator, months: pd.PeriodIndex) -> pd.DataFrame:
    """Simulate the annual survey (spring fieldwork) with binomial and multinomial draws.

    County-wide rows add up their district rows, so both are samples of the same respondents.
    """
    fieldwork = months[months.month == 5]
    storm = months[_hurricane_index(months)]
    weights = rng.uniform(0.85, 1.15, len(DISTRICT_CODES))
    offsets = rng.normal(0, 0.15, (len(_SERVICE_AREAS), len(DISTRICT_CODES)))
    frames = []
    for k, wave in enumerate(fieldwork):
        n = rng.multinomial(int(rng.integers(60, 151)) * 10, weights / weights.sum())
        waves_since_storm = sum(1 for w in fieldwork[: k + 1] if w > storm)
        frames.append(_survey_wave(rng, wave.year, k, waves_since_storm, n, offsets))
    return pd.concat(frames, ignore_index=True)


def _survey_wave(
    rng: np.random.Generator, year: int, k: int, since_storm: int, n: np.ndarray, offsets: np.ndarray
) -> pd.DataFrame:
    """Draw one wave's ratings and importance for every service area and district."""
    base = np.array([a[1] for a in _SERVICE_AREAS])
    trend = np.array([a[3] for a in _SERVICE_AREAS])
    logit = np.log(base / (1 - base)) + trend * k + rng.normal(0, 0.05, base.size)
    # The hurricane's flooding costs drainage satisfaction for a wave, then it recovers by half.
    if since_storm:
        logit[_DRAINAGE] -= 0.7 * 0.5 ** (since_storm - 1)
    p = 1 / (1 + np.exp(-(logit[:, None] + offsets)))
    probs = p[..., None] * _SCORE_SPLIT[0] + (1 - p[..., None]) * _SCORE_SPLIT[1]
    scores = rng.multinomial(np.broadcast_to(n, p.shape), probs)
    importance = np.array([a[2] for a in _SERVICE_AREAS])
    if since_storm == 1:
        importance[_DRAINAGE] *= 1.6
    named = rng.binomial(np.broadcast_to(n, p.shape), importance[:, None])
    county = pd.DataFrame(_survey_rows(scores.sum(axis=1), named.sum(axis=1), n.sum()))
    county["district_code"] = None
    by_district = [
        pd.DataFrame(_survey_rows(scores[:, d], named[:, d], n[d])).assign(district_code=code)
        for d, code in enumerate(DISTRICT_CODES)
    ]
    frame = pd.concat([county, *by_district], ignore_index=True)
    frame.insert(0, "survey", SURVEY)
    frame.insert(1, "wave", str(year))
    frame.insert(2, "year", year)
    return frame[["survey", "wave", "year", "service_area", "district_code", "satisfied_share",
                  "importance_share", "mean_score", "n"]]  # fmt: skip


def _survey_rows(scores: np.ndarray, named: np.ndarray, n: int) -> dict[str, object]:
    """Turn score counts (area x 5) and importance counts into published shares."""
    return {
        "service_area": [a[0] for a in _SERVICE_AREAS],
        "satisfied_share": scores[:, 3:].sum(axis=1) / n,
        "importance_share": named / n,
        "mean_score": (scores * np.arange(1, 6)).sum(axis=1) / n,
        "n": int(n),
    }


# Which complaint categories speak to each survey service area.
_SERVICE_AREA_CATEGORIES = {
    "Maintenance of county roads": ("Potholes", "Traffic signs", "Right-of-way mowing", "Downed trees / limbs"),
    "Stormwater drainage": ("Flooding / standing water", "Drainage ditch / culvert"),
    "Traffic flow and signal timing": ("Traffic signal malfunction", "Speeding / traffic calming"),
    "Street lighting": ("Streetlight out",),
    "Sidewalks": ("Sidewalk repair",),
    "Code enforcement": (
        "Overgrown lots", "Junk vehicles", "Property maintenance", "Unpermitted construction", "Illegal dumping",
        "Noise", "Parking violations",
    ),
    "Garbage collection": ("Missed garbage pickup", "Garbage carts", "Recycling questions"),
    "Yard waste and bulk pickup": ("Bulk / yard waste pickup", "Storm debris pickup"),
    "Water and sewer service": (
        "Water leak / main break", "Low water pressure", "Water quality", "Sewer backup / odor",
    ),
    "Utility billing": ("Utility billing",),
    "Mosquito control": ("Mosquito spraying", "Mosquito breeding sites"),
    "Animal services": ("Stray animals", "Barking dogs", "Animal bites / aggressive animals", "Dead animal removal"),
    "Parks": ("Park maintenance", "Boat ramps & beaches", "Pools & splash pads"),
    "Recreation programs": ("Programs & reservations",),
    "Libraries": ("Library services",),
    "Building permits and inspections": ("Permit status", "Inspection scheduling"),
    "Customer service": ("Staff feedback", "General questions"),
}  # fmt: skip


def _service_area_links() -> pd.DataFrame:
    return pd.DataFrame(
        [(area, category) for area, categories in _SERVICE_AREA_CATEGORIES.items() for category in categories],
        columns=["service_area", "category"],
    )


# Candidates -----------------------------------------------------------------------------------

_ROAD_NAMES = (
    "Ridge Rd", "Little Rd", "US-19", "SR-54", "SR-52", "Moon Lake Rd", "Shady Hills Rd", "Hays Rd",
    "Collier Pkwy", "Old Pasco Rd", "County Line Rd", "Starkey Blvd", "Decubellis Rd", "Hudson Ave",
    "Fivay Rd", "Curley Rd",
)  # fmt: skip
_PLACES = (
    "Cypress Creek", "Bear Creek", "Anclote River", "Pithlachascotee River", "Heritage Lake",
    "Sea Pines", "Gulf Harbors", "Beacon Woods", "Holiday Lakes", "Jasmine Estates", "Embassy Hills",
    "Orchid Lake", "Aloha Gardens", "Bayonet Point", "Shadow Lakes", "Connerton", "Zephyr Ridge",
    "Crystal Springs", "Sunset Bay", "Hernando Bend", "Palm Terrace", "Tampa Bay Downs", "Wesley Oaks",
    "Quail Hollow", "Saddlebrook", "Lake Padgett", "Odessa Groves", "Angeline", "Elfers", "Moon Lake",
    "Darby Pines", "Seven Springs", "Trinity Oaks", "Magnolia Valley", "Key Vista", "Werner Park",
    "Starkey Ranch", "Asbel Creek", "Ballantrae", "Sandy Point",
)  # fmt: skip

# (kind, category, name, cost range in dollars, health and safety score, regulatory, description)
_PROJECTS = (
    ("maintenance", "Potholes", "Resurface {road} from {a} to {b}", (400e3, 3e6), 2, 0,
     "Mill and overlay of a failing segment with frequent pothole reports."),
    ("capital", "Flooding / standing water", "Drainage improvements at {place}", (1.5e6, 12e6), 4, 1,
     "Larger pipes and a new outfall for a neighbourhood that floods in most summer storms."),
    ("maintenance", "Sidewalk repair", "Sidewalk gap and repair program along {road}", (100e3, 800e3),
     2, 1, "Replace raised slabs and close gaps to meet ADA requirements."),
    ("maintenance", "Drainage ditch / culvert", "Culvert replacement at {place}", (150e3, 1.5e6), 3, 1,
     "Replace a corroded culvert that backs water onto the road."),
    ("maintenance", "Streetlight out", "LED streetlight retrofit in {place}", (100e3, 900e3), 2, 0,
     "Convert old fixtures to LED and replace failing circuits."),
    ("capital", "Speeding / traffic calming", "Widen {road} from {a} to {b}", (8e6, 25e6), 3, 0,
     "Add lanes, a multi-use path and turn lanes on a congested corridor."),
    ("maintenance", "Water leak / main break", "Water main replacement on {road}", (500e3, 4e6), 3, 1,
     "Replace ageing asbestos-cement main with a history of breaks."),
    ("maintenance", "Sewer backup / odor", "Lift station rehabilitation at {place}", (300e3, 2.5e6), 4, 1,
     "New pumps, controls and odour scrubber at an overflowing lift station."),
    ("capital", "Library services", "New {place} branch library in District {district}", (6e6, 18e6), 0, 0,
     "A new branch library for a fast-growing part of the county."),
    ("maintenance", "Park maintenance", "Playground replacement at {place} Park", (150e3, 900e3), 2, 0,
     "Replace worn playground equipment and surfacing."),
    ("capital", "Flooding / standing water", "Stormwater pond expansion near {place}", (2e6, 15e6), 4, 1,
     "Expand storage to cut flooding of homes and roads downstream."),
    ("maintenance", "Traffic signal malfunction", "Signal cabinet upgrade at {road} and {a}",
     (120e3, 500e3), 4, 0, "Replace failing controllers and add battery backup for storms."),
    ("maintenance", "Illegal dumping", "Dumping cameras and cleanup program in {place}", (50e3, 300e3),
     1, 0, "Cameras, signs and a cleanup crew at repeat dumping sites."),
    ("capital", "Programs & reservations", "Community center at {place}", (3e6, 14e6), 0, 0,
     "A recreation center with meeting rooms and a gym."),
    ("maintenance", "Pools & splash pads", "Pool resurfacing at {place} Aquatic Center", (200e3, 1.2e6),
     1, 1, "Resurface the pool and replace pumps to meet health code."),
    ("capital", "Missed garbage pickup", "Transfer station upgrade at {place}", (4e6, 20e6), 1, 1,
     "More tipping capacity so collection routes finish on time."),
    ("maintenance", "Boat ramps & beaches", "Boat ramp and seawall repairs at {place}", (300e3, 3e6), 2, 1,
     "Rebuild the storm-damaged ramp, docks and seawall."),
    ("capital", "Stray animals", "Animal adoption center and kennels at {place}", (2e6, 9e6), 1, 0,
     "More kennels and a clinic to cut overcrowding at the shelter."),
    ("capital", "Mosquito spraying", "Mosquito control field station at {place}", (1e6, 6e6), 2, 0,
     "Replace a hurricane-damaged field station and chemical storage."),
    ("maintenance", "Downed trees / limbs", "Right-of-way tree trimming along {road}", (80e3, 600e3), 3, 0,
     "Trim and remove hazard trees ahead of the hurricane season."),
)  # fmt: skip


def _candidates(rng: np.random.Generator, districts: gpd.GeoDataFrame, n: int = 40) -> pd.DataFrame:
    """Draw maintenance and capital candidates, each placed inside its district."""
    codes = rng.permutation(np.resize(np.array(DISTRICT_CODES), n))
    places = rng.permutation(len(_PLACES))
    roads = rng.permutation(len(_ROAD_NAMES))
    equity = rng.integers(1, 6, len(DISTRICT_CODES))
    rows = []
    for i, code in enumerate(codes):
        kind, category, name, (low, high), safety, regulatory, text = _PROJECTS[i % len(_PROJECTS)]
        road = int(roads[i % roads.size])
        a, b = (_ROAD_NAMES[(road + step) % len(_ROAD_NAMES)] for step in (3, 7))
        polygon = districts.geometry.iloc[DISTRICT_CODES.index(code)]
        lon, lat = _sample_points(polygon, 1, rng)
        condition = rng.uniform(15, 60) if kind == "maintenance" else rng.uniform(30, 85)
        rows.append(
            {
                "source_id": f"CIP-{i + 1:03d}",
                "name": name.format(road=_ROAD_NAMES[road], a=a, b=b, place=_PLACES[places[i]], district=code),
                "kind": kind,
                "category": category,
                "district_code": code,
                "latitude": float(lat[0]),
                "longitude": float(lon[0]),
                "estimated_cost": float(np.round(np.exp(rng.uniform(np.log(low), np.log(high))), -3)),
                "condition": float(round(condition)),
                "criteria": {
                    "health_safety": int(np.clip(safety + rng.integers(-1, 2), 0, 5)),
                    "regulatory": regulatory,
                    "equity": int(equity[DISTRICT_CODES.index(code)]),
                },
                "description": text,
            }
        )
    return pd.DataFrame(rows)
