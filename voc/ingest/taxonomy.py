"""Suggest a category and department for raw request types: the county's own categories first, then a starter taxonomy.

The starter taxonomy is a short list of the service categories most local governments' 311 and
customer-service systems share, each with the department that usually owns it and the words its raw
request types are written with. A suggestion is only a proposal: nothing is mapped until an analyst
accepts it (on the Data page, or with `voc types set` / `voc types import`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from rapidfuzz import fuzz, process

from voc.core.access import Role
from voc.ingest.request_types import (
    TYPE_MAP_COLUMNS,
    guess_contact_types,
    load_type_map,
    merge_type_map,
    unmapped_types,
)


@dataclass(frozen=True)
class StarterCategory:
    category: str
    department: str
    words: tuple[str, ...]  # words or phrases of raw types that belong here


def _starter(category: str, department: str, words: str) -> StarterCategory:
    return StarterCategory(category, department, tuple(word.strip() for word in words.split(",")))


STARTER_TAXONOMY: tuple[StarterCategory, ...] = (
    _starter("Potholes and street repair", "Public Works", "pothole, street, road, pavement, asphalt, sidewalk, curb, "
             "alley, bridge, roadway, paving, crack"),
    _starter("Streetlights", "Public Works", "streetlight, street light, stlight, light out, lighting, lamp, "
             "light pole"),
    _starter("Traffic signals and signs", "Transportation", "traffic, signal, sign, stop sign, crosswalk, "
             "signage, speed hump"),
    _starter("Trash and recycling", "Solid Waste", "trash, garbage, recycling, recycle, bulk, missed pickup, "
             "missed collection, cart, refuse, dumpster, collection, yard waste, bulky item"),
    _starter("Illegal dumping", "Solid Waste", "dumping, dumped, illegal dump, debris"),
    _starter("Graffiti", "Public Works", "graffiti"),
    _starter("Code enforcement", "Code Enforcement", "code, property, overgrown, weeds, grass, junk, housing, "
             "violation, zoning, vacant, nuisance, unsafe structure, high grass"),
    _starter("Abandoned vehicles", "Police", "abandoned vehicle, abandoned car, derelict vehicle, junk vehicle, "
             "vehicle removal, tow"),
    _starter("Parking", "Transportation", "parking, meter, blocked driveway, illegal parking"),
    _starter("Noise", "Code Enforcement", "noise, loud, music, barking"),
    _starter("Animals", "Animal Services", "animal, dog, cat, stray, dead animal, bite, wildlife, loose"),
    _starter("Trees", "Parks", "tree, limb, stump, branch, trim"),
    _starter("Parks and recreation", "Parks", "park, playground, recreation, pool, trail, field"),
    _starter("Water and sewer", "Utilities", "water, sewer, leak, main break, hydrant, manhole, meter leak, "
             "water quality, no water, sewage"),
    _starter("Stormwater and flooding", "Utilities", "storm, flood, flooding, drain, drainage, ditch, culvert, "
             "catch basin, standing water"),
    _starter("Homeless encampments", "Human Services", "homeless, encampment, panhandling"),
    _starter("Rodents and pests", "Health", "rodent, rat, rats, mosquito, pest, bees, vector, bed bugs"),
    _starter("Building and permits", "Building", "permit, building, construction, inspection, contractor"),
    _starter("Health and food safety", "Health", "food, restaurant, health, sanitary, unsanitary, air quality, "
             "smoking"),
    _starter("Snow and ice", "Public Works", "snow, ice, plow, salt, icy"),
    _starter("Street cleaning", "Public Works", "sweeping, street cleaning, litter, dirty"),
    _starter("Taxes and billing", "Finance", "tax, bill, billing, payment, refund, account"),
    _starter("General information", "Customer Service", "information, question, general, inquiry, request for "
             "information, other, miscellaneous"),
)  # fmt: skip

SUGGESTION_COLUMNS = ["raw_type", "contacts", "category", "department", "contact_type", "confidence", "reason"]
_MIN_NAME_SCORE = 80  # rapidfuzz token-set ratio of a raw type to one of the county's categories
_WORD_CONFIDENCE = 0.7


def _words(text: str) -> str:
    """Return text as " word word ", lower case, plural "s" dropped ("Potholes" matches "pothole")."""
    words = re.findall(r"[a-z0-9]+", text.casefold())
    return " " + " ".join(word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words) + " "


def _by_county_name(raw: str, county: pd.DataFrame) -> tuple[str, str, float, str] | None:
    """Match a raw type to one of the county's categories by name; None below _MIN_NAME_SCORE."""
    if county.empty:
        return None
    names = county["category"].tolist()
    best = process.extractOne(raw, names, scorer=fuzz.token_set_ratio, processor=lambda t: _words(t).strip())
    if best is None or best[1] < _MIN_NAME_SCORE:
        return None
    category, score, position = best
    department = county["department"].iloc[position]
    return category, department, round(score / 100, 2), f"name resembles the county's category '{category}'"


def _by_starter_words(raw: str) -> tuple[str, str, float, str] | None:
    """Match a raw type to the starter taxonomy by its words; the category naming the most words wins."""
    text = _words(raw)
    best, best_hits = None, []
    for starter in STARTER_TAXONOMY:
        hits = [word for word in starter.words if _words(word) in text]
        if len(hits) > len(best_hits):
            best, best_hits = starter, hits
    if best is None:
        return None
    named = ", ".join(f"'{word}'" for word in best_hits)
    return best.category, best.department, _WORD_CONFIDENCE, f"starter taxonomy: the type says {named}"


def suggest_categories(unmapped: pd.DataFrame, county: pd.DataFrame) -> pd.DataFrame:
    """Suggest a category and department for each unmapped raw type (raw_type, contacts).

    `county` is the mapping table so far (raw_type, category, department, contact_type): its
    categories are matched by name first; otherwise the starter taxonomy by the type's words. A type
    neither matches gets no suggestion (blank category and department, confidence 0). Rows keep the
    order of `unmapped`; contact_type is guessed from the type's words.
    """
    own = county.drop_duplicates("category")[["category", "department"]].reset_index(drop=True)
    rows = []
    for raw, contacts in zip(unmapped["raw_type"], unmapped["contacts"], strict=True):
        found = _by_county_name(raw, own) or _by_starter_words(raw) or ("", "", 0.0, "no suggestion")
        category, department, confidence, reason = found
        rows.append([raw, contacts, category, department, None, confidence, reason])
    suggestions = pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)
    suggestions["contact_type"] = guess_contact_types(suggestions["raw_type"])
    return suggestions


def type_suggestions(engine: sa.Engine) -> pd.DataFrame:
    """Return a suggestion (SUGGESTION_COLUMNS) for every stored raw type not mapped yet, most contacts first."""
    with engine.connect() as connection:
        county = load_type_map(connection)
        unmapped = unmapped_types(connection)
    return suggest_categories(unmapped, county)


def accept_suggestions(engine: sa.Engine, suggestions: pd.DataFrame, *, user: str, role: Role) -> int:
    """Map every suggested type at once (rows without a suggestion are left unmapped); return contacts changed."""
    suggested = suggestions[(suggestions["category"] != "") & (suggestions["department"] != "")]
    return merge_type_map(engine, suggested[TYPE_MAP_COLUMNS], user=user, role=role)
