"""One rank view for the Priorities page and `voc rank`: the same candidates, order and figures."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from voc.cli import main
from voc.core.config import load_settings
from voc.core.errors import VocError
from voc.present.screens import SCREENS, priorities_screen
from voc.priorities.ranking import CandidateFilters, breakdown, points_long
from voc.priorities.view import rank_view, stored_rank_view
from voc.store.engine import open_store

WEIGHTS = {"demand": 50.0, "cost": 20.0}


def test_the_stored_rank_view_ranks_as_voc_rank_does(monkeypatch: pytest.MonkeyPatch, demo_store_url: str) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)
    printed = CliRunner().invoke(main, ["rank", "--weights", "demand=50,cost=20", "--kind", "maintenance", "--json"])
    assert printed.exit_code == 0, printed.output
    expected = json.loads(printed.output)
    timezone = load_settings().timezone
    engine = open_store(demo_store_url)
    basis, view = stored_rank_view(
        engine, today=datetime.now(ZoneInfo(timezone)).date(), timezone=timezone, weights=WEIGHTS,
        filters=CandidateFilters(kinds=("maintenance",)),
    )  # fmt: skip
    engine.dispose()
    assert basis.last_month == expected["last_month"]
    assert view.weights == expected["weights"]
    assert view.table["source_id"].tolist() == [c["source_id"] for c in expected["candidates"]]
    assert view.table["total"].tolist() == pytest.approx([c["total"] for c in expected["candidates"]])
    assert view.table[["best_rank", "worst_rank"]].values.tolist() == [
        [c["best_rank"], c["worst_rank"]] for c in expected["candidates"]
    ]
    assert set(view.table["kind"]) == {"maintenance"}
    assert view.about[0] == f"Priorities: {len(view.table)} of {len(basis.inputs)} candidates (kind: maintenance)"


def test_a_view_without_a_match_or_without_weight_says_why(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    basis, _ = stored_rank_view(engine, today=date(2026, 11, 15), timezone="America/New_York")
    with pytest.raises(VocError, match="No saved scenario 'wall'; saved: none"):
        stored_rank_view(engine, today=date(2026, 11, 15), timezone="America/New_York", scenario="wall")
    engine.dispose()
    with pytest.raises(VocError, match=r"No candidate matches district: 99\."):
        rank_view(basis, CandidateFilters(districts=("99",)), {})
    with pytest.raises(VocError, match="Every weight is 0"):
        rank_view(basis, CandidateFilters(), {c.key: 0.0 for c in basis.criteria})


def test_each_presentation_screen_has_its_heading_and_chart(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    _, view = stored_rank_view(engine, today=date(2026, 11, 15), timezone="America/New_York")
    engine.dispose()
    first = view.table.iloc[0]
    parts = breakdown(view.ranking, int(first["id"]))
    headings = {
        screen: priorities_screen(
            screen,
            table=view.table,
            points=points_long(view.ranking, top=10),
            parts=parts,
            picked=first["name"],
            colours={},
        )[0]  # fmt: skip
        for screen in SCREENS
    }
    top10 = view.table.head(10)
    assert headings == {
        "ranking": "The ten strongest candidates",
        "value": "Linked contacts per $1 million",
        "stability": f"{int(top10['solid'].sum())} of the top 10 hold their rank",
        "candidate": f"{first['name']}: {first['total']:.0f} points",
        "weights": "The weights",
    }
