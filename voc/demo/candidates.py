"""The demo county's project candidates: maintenance and capital projects, each placed inside its district."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from voc.demo.geography import DISTRICT_CODES, sample_points

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
# Which fund pays for each kind of work, as a Florida county budgets it: road work from the gas taxes,
# widening from impact fees, drainage from the stormwater assessment, pipes from the utility's rates,
# parks, libraries and community buildings from the voter-approved local sales tax (Penny for Pasco).
_FUNDS = {
    "Potholes": "Gas tax", "Sidewalk repair": "Gas tax", "Streetlight out": "Gas tax",
    "Traffic signal malfunction": "Gas tax", "Downed trees / limbs": "Gas tax",
    "Speeding / traffic calming": "Transportation impact fees",
    "Flooding / standing water": "Stormwater utility", "Drainage ditch / culvert": "Stormwater utility",
    "Water leak / main break": "Utilities enterprise", "Sewer backup / odor": "Utilities enterprise",
    "Missed garbage pickup": "Solid waste enterprise",
    "Library services": "Penny for Pasco", "Programs & reservations": "Penny for Pasco",
    "Park maintenance": "Penny for Pasco", "Pools & splash pads": "Penny for Pasco",
    "Boat ramps & beaches": "Penny for Pasco",
    "Illegal dumping": "General Fund", "Stray animals": "General Fund", "Mosquito spraying": "General Fund",
}  # fmt: skip
FIRST_FISCAL_YEAR = 2027


def fiscal_year(kind: str, position: int) -> int:
    """Spread the plan over three fiscal years: maintenance from the first, capital (designed first) from the second."""
    return FIRST_FISCAL_YEAR + (position % 3 if kind == "maintenance" else 1 + position % 2)


def draw_candidates(rng: np.random.Generator, districts: gpd.GeoDataFrame, n: int = 40) -> pd.DataFrame:
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
        lon, lat = sample_points(polygon, 1, rng)
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
                "fund": _FUNDS[category],
                "fiscal_year": fiscal_year(kind, i),
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
