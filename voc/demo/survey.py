"""The demo county's citizen survey: annual waves of satisfaction and importance, county-wide and by district."""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.demo.geography import DISTRICT_CODES
from voc.demo.timeline import hurricane_index

SURVEY = "Palmetto County Citizen Survey"

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


def draw_survey(rng: np.random.Generator, months: pd.PeriodIndex) -> pd.DataFrame:
    """Simulate the annual survey (spring fieldwork) with binomial and multinomial draws.

    County-wide rows add up their district rows, so both are samples of the same respondents.
    """
    fieldwork = months[months.month == 5]
    storm = months[hurricane_index(months)]
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


def service_area_links() -> pd.DataFrame:
    return pd.DataFrame(
        [(area, category) for area, categories in _SERVICE_AREA_CATEGORIES.items() for category in categories],
        columns=["service_area", "category"],
    )
