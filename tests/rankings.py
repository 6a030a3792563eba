"""Candidate lists for ranking tests: a few values per candidate, and a county history that scores demand plainly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.priorities.ranking import demand_reference, ranking_inputs

# The county's history these tests score demand against: 100 district-years of 0..99 contacts per 1,000
# residents, so that a candidate's demand score is its contacts per 1,000 (below 100).
HISTORY = pd.DataFrame({"category": "Potholes", "district_code": [str(i) for i in range(100)], "window_end": "2026-10",
                        "contacts": np.arange(100) * 10, "residents": 10_000.0})  # fmt: skip
REFERENCE = demand_reference(HISTORY)
EVIDENCE = {"linked_by": "within 1,600 m", "contacts_before": 0, "repeat_places": 0, "reopened": 0, "is_rating": np.nan}


def candidate_inputs(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Candidates and evidence from a few values per row; residents default to 1,000."""
    candidates, evidence = [], []
    for number, row in enumerate(rows, start=1):
        candidates.append({
            "id": number, "source_id": f"C-{number}", "name": row.get("name", f"Project {number}"),
            "kind": row.get("kind", "capital"), "category": "Potholes", "district_code": "1", "status": None,
            "latitude": None, "longitude": None, "estimated_cost": row.get("cost", 1e6),
            "condition": row.get("condition", 50.0), "criteria": row.get("criteria"), "description": None,
        })  # fmt: skip
        contacts = row.get("contacts", 0)
        residents = row.get("residents", 1000.0)
        evidence.append({
            **EVIDENCE, "id": number, "contact_category": "Potholes", "contacts": contacts, "residents": residents,
            "per_1000": contacts / residents * 1000, "change_pct": row.get("change_pct", np.nan),
        })  # fmt: skip
    return ranking_inputs(pd.DataFrame(candidates), pd.DataFrame(evidence))
