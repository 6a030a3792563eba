"""Taxonomy from the first upload: raw types are their own category until mapped; suggestions; bulk acceptance."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from tests.files import REAL
from voc.core.access import Role
from voc.core.config import Settings
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.request_types import (
    load_type_map,
    merge_type_map,
    set_request_type,
    type_map_from_table,
    unmapped_types,
)
from voc.ingest.taxonomy import accept_suggestions, suggest_categories, type_suggestions
from voc.store.models import MonthlyCount

SETTINGS = Settings(
    database_url="", timezone="America/New_York", max_upload_bytes=5_000_000, redact_personal=True, user="ana"
)
NO_MAP = pd.DataFrame(columns=["raw_type", "category", "department", "contact_type"])


def test_starter_taxonomy_suggests_most_of_baltimores_real_request_types():
    types = pd.read_csv(REAL / "request_types" / "baltimore311_request_types.csv")["request_type"]
    suggestions = suggest_categories(pd.DataFrame({"raw_type": types, "contacts": 1}), NO_MAP).set_index("raw_type")
    assert (suggestions["confidence"] > 0).mean() >= 0.6
    expected = {
        "TRM-Potholes": ("Potholes and street repair", "Public Works"),
        "BGE-StLight(s) Out": ("Streetlights", "Public Works"),
        "HCD-Illegal Dumping": ("Illegal dumping", "Solid Waste"),
        "SW-Recycling": ("Trash and recycling", "Solid Waste"),
        "TRS-Abandoned Vehicle": ("Abandoned vehicles", "Police"),
        "WW-Water Leak (Exterior)": ("Water and sewer", "Utilities"),
        "FOR-Fallen Limb": ("Trees", "Parks"),
        "HLTH-Animal Barking Dog": ("Animals", "Animal Services"),
    }
    for raw_type, (category, department) in expected.items():
        assert tuple(suggestions.loc[raw_type, ["category", "department"]]) == (category, department), raw_type
    assert suggestions.loc["TRM-Potholes", "reason"] == "starter taxonomy: the type says 'pothole'"
    assert suggestions.loc["ECC-AR TEST", "category"] == ""  # nothing to go on: no suggestion


def test_the_countys_own_categories_come_first():
    county = pd.DataFrame(
        [["SW-Dirty Alley", "Dirty streets and alleys", "Sanitation", "request"]], columns=NO_MAP.columns
    )
    unmapped = pd.DataFrame({"raw_type": ["Dirty Alleys", "Pothole"], "contacts": [4, 2]})
    suggestions = suggest_categories(unmapped, county)
    assert suggestions[["category", "department"]].values.tolist() == [
        ["Dirty streets and alleys", "Sanitation"],
        ["Potholes and street repair", "Public Works"],
    ]
    assert suggestions["reason"][0] == "name resembles the county's category 'Dirty streets and alleys'"


def _rollup_categories(engine: sa.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(MonthlyCount.category).distinct()).scalars())


def test_raw_types_are_categories_until_mapped_then_suggestions_are_accepted(engine: sa.Engine) -> None:
    data = (REAL / "baltimore311_2019-10_sample.csv").read_bytes()
    report = import_requests(engine, data, "baltimore.csv", SETTINGS, ImportOptions(), role=Role.ANALYST)
    raw_types = set(report.unmapped_types["raw_type"])
    assert _rollup_categories(engine) == raw_types  # trends, maps and alerts see each raw type at once
    suggestions = type_suggestions(engine)
    assert set(suggestions["raw_type"]) == raw_types
    accept_suggestions(engine, suggestions, user="ana", role=Role.ANALYST)
    suggested = suggestions[suggestions["category"] != ""]
    with engine.connect() as connection:
        assert set(load_type_map(connection)["raw_type"]) == set(suggested["raw_type"])
        still = set(unmapped_types(connection)["raw_type"])
    assert still == raw_types - set(suggested["raw_type"])
    assert _rollup_categories(engine) == set(suggested["category"]) | still


def test_set_one_type_then_import_a_file_of_them_then_unmap(engine: sa.Engine) -> None:
    data = (REAL / "baltimore311_2019-10_sample.csv").read_bytes()
    import_requests(engine, data, "baltimore.csv", SETTINGS, ImportOptions(), role=Role.ANALYST)
    set_request_type(
        engine, "SW-Dirty Alley", category="Dirty alleys", department=None, contact_type=None, user="ana",
        role=Role.ANALYST,
    )  # fmt: skip
    with engine.connect() as connection:
        mapped = load_type_map(connection).set_index("raw_type")
    # The department its contacts carry in the file, the contact type guessed from its words.
    assert tuple(mapped.loc["SW-Dirty Alley"]) == ("Dirty alleys", "Solid Waste", "request")
    from_file = type_map_from_table(
        pd.DataFrame({"Raw type": ["SW-Dirty Street"], "Category": ["Dirty streets"], "Department": ["DPW"]})
    )
    merge_type_map(engine, from_file, user="ana", role=Role.ANALYST)
    assert {"Dirty alleys", "Dirty streets"} <= _rollup_categories(engine)
    merge_type_map(engine, from_file.assign(category="", department=""), user="ana", role=Role.ANALYST)
    categories = _rollup_categories(engine)
    assert "Dirty streets" not in categories and "SW-Dirty Street" in categories
