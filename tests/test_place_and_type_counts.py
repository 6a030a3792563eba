"""The place and raw-type roll-ups: kept equal to a recount of the stored contacts, and read as raw rows were."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import sqlalchemy as sa

from tests.factories import located, request_frame, saved_upload
from tests.stores import (
    place_counts,
    recounted_place_counts,
    recounted_type_counts,
    request_rows_insert,
    store_at_revision,
    type_counts,
)
from voc.contacts.mapdata import repeat_locations
from voc.contacts.trends import Filters
from voc.core.access import Role
from voc.ingest.request_types import save_type_map, type_table
from voc.priorities.evidence import demand_evidence, haversine_m, load_candidates
from voc.store.engine import open_store, schema_is_current, upgrade_schema
from voc.store.uploads import undo

LAST = "2026-10"
# Three places a block or two apart, the first reported three times in March.
PLACES = [(38.9001, -77.0501), (38.9012, -77.0488), (38.8990, -77.0520)]


def _march() -> pd.DataFrame:
    rows = [
        {"source_id": str(i), "opened_at": f"2026-03-{2 + i:02d} 14:00", "latitude": lat, "longitude": lon,
         "district_code": "1" if i < 4 else "2"}
        for i, (lat, lon) in enumerate([PLACES[0], PLACES[0], PLACES[0], PLACES[1], PLACES[1], PLACES[2]])
    ]  # fmt: skip
    rows.append({"source_id": "unplaced", "opened_at": "2026-03-20 10:00"})
    frame = located(request_frame(rows + [{"source_id": "may", "opened_at": "2026-05-02 10:00",
                                           "latitude": PLACES[2][0], "longitude": PLACES[2][1]}]))  # fmt: skip
    frame.loc[frame["source_id"] == "5", ["request_type", "category"]] = ["Stray cat ", None]  # not mapped yet
    return frame


def _assert_recounted(engine: sa.Engine) -> None:
    assert place_counts(engine) == recounted_place_counts(engine)
    assert type_counts(engine) == recounted_type_counts(engine)


def test_the_roll_ups_follow_imports_corrections_type_edits_and_undo(engine: sa.Engine) -> None:
    march = _march()
    first, _ = saved_upload(engine, march)
    before = place_counts(engine)
    _assert_recounted(engine)
    assert type_counts(engine) == {("2026-03", "POTHOLE"): 6, ("2026-03", "Stray cat "): 1, ("2026-05", "POTHOLE"): 1}
    # The busy place; the second place once in each district; May's; the uncategorised contact is left out.
    assert sorted(contacts for _, contacts in before.values()) == [1, 1, 1, 3]
    assert {key[0] for key in before} == {"2026-03", "2026-05"}

    # A correction moves one contact of the busy place to April and another to the second place.
    corrected = march[march["source_id"].isin(["0", "1"])].copy()
    corrected.loc[corrected["source_id"] == "0", ["opened_at", "opened_month"]] = [
        pd.Timestamp("2026-04-01 14:00", tz="UTC"), "2026-04",
    ]  # fmt: skip
    corrected.loc[corrected["source_id"] == "1", ["latitude", "longitude"]] = PLACES[1]
    correction, _ = saved_upload(engine, located(corrected.drop(columns=["h3_cell"])))
    _assert_recounted(engine)
    assert {key[0] for key in place_counts(engine)} == {"2026-03", "2026-04", "2026-05"}

    road_repair = {"raw_type": "POTHOLE", "category": "Road repair", "department": "Roads", "contact_type": "complaint"}
    save_type_map(engine, pd.DataFrame([road_repair]), user="ana", role=Role.ANALYST)
    _assert_recounted(engine)
    # Saving the mapping gives the type not mapped yet its raw name as category, so it is linked from then on.
    assert {key[1] for key in place_counts(engine)} == {"Road repair", "Stray cat "}
    table = type_table(engine).set_index("raw_type")
    assert table["contacts"].to_dict() == {"Stray cat ": 1, "POTHOLE": 7}
    assert table.loc["Stray cat ", "category"] == ""

    undo(engine, correction, user="ana", role=Role.ANALYST)
    _assert_recounted(engine)
    undo(engine, first, user="ana", role=Role.ANALYST)
    assert place_counts(engine) == {} and type_counts(engine) == {}


def test_the_migration_counts_the_stored_contacts_as_the_import_does(store_url: str, tmp_path) -> None:
    rows = _march()
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    saved_upload(reference, rows)
    expected = place_counts(reference), type_counts(reference)
    reference.dispose()
    columns = ["source", "source_id", "opened_at", "opened_month", "request_type", "category", "district_code",
               "latitude", "longitude", "h3_cell", "row_hash"]  # fmt: skip
    engine = store_at_revision(store_url, "0022", request_rows_insert(rows, columns))
    upgrade_schema(engine)
    assert schema_is_current(engine)
    assert (place_counts(engine), type_counts(engine)) == expected
    _assert_recounted(engine)
    engine.dispose()


def test_repeat_places_near_a_point_are_the_repeat_cells_within_the_radius(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    candidates = load_candidates(engine).head(8)
    radius = 6400.0
    evidence = demand_evidence(engine, candidates, last_month=LAST, radius_m=radius)
    for candidate, row in zip(candidates.itertuples(), evidence.itertuples(), strict=True):
        filters = Filters(first_month="2025-11", last_month=LAST, categories=(row.contact_category,))
        cells = repeat_locations(engine, filters, by="cell", limit=None)["place"]
        centres = np.array([h3.cell_to_latlng(cell) for cell in cells]).reshape(-1, 2)
        near = haversine_m(centres[:, 0], centres[:, 1], float(candidate.latitude), float(candidate.longitude))
        assert row.repeat_places == int((near <= radius).sum())
    assert evidence["repeat_places"].sum() > 0
    engine.dispose()
