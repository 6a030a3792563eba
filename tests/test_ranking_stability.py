"""A ranking does not depend on which other candidates are listed: removals and additions, simulated and on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rankings import REFERENCE, candidate_inputs
from voc.core.access import Role
from voc.priorities.candidates import import_candidates
from voc.priorities.ranking import (
    RankingBasis,
    criteria_of,
    criteria_without_each,
    criterion_scores,
    rank_candidates,
    ranking_basis,
)
from voc.priorities.stability import removal_effects, removal_summary
from voc.store.engine import open_store, write_transaction

LAST = "2026-10"
WEIGHTS = {"demand": 30, "trend": 10, "repeat": 10, "survey": 10, "condition": 15, "cost": 10}


def _order(inputs: pd.DataFrame, weights: dict[str, float]) -> list[int]:
    """Rank the rows as if they were all the stored candidates: criteria and scores from these rows alone."""
    criteria = criteria_of(inputs, REFERENCE)
    return rank_candidates(inputs, criterion_scores(inputs, criteria), weights, criteria).table["id"].tolist()


candidate = st.fixed_dictionaries({
    "contacts": st.integers(0, 150), "residents": st.floats(200, 5e4), "cost": st.floats(1e4, 1e8),
    "condition": st.one_of(st.none(), st.floats(0, 100)), "change_pct": st.floats(-100, 400),
})  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(candidate, min_size=3, max_size=15), extra=candidate, drop=st.integers(0, 14))
def test_removing_or_adding_a_candidate_never_reorders_the_others(rows, extra, drop) -> None:
    inputs = candidate_inputs([*rows, extra])
    listed = inputs.iloc[:-1]
    before = _order(listed, WEIGHTS)
    grown = _order(inputs, WEIGHTS)
    assert [c for c in grown if c != inputs["id"].iloc[-1]] == before
    removed = listed["id"].iloc[drop % len(listed)]
    assert _order(listed[listed["id"] != removed], WEIGHTS) == [c for c in before if c != removed]


def _basis(inputs: pd.DataFrame) -> RankingBasis:
    criteria = criteria_of(inputs, REFERENCE)
    scores = criterion_scores(inputs, criteria)
    return RankingBasis(inputs, criteria, scores, LAST, 1600.0, REFERENCE, criteria_without_each(inputs, REFERENCE))


def _flips(before: list[int], after: list[int]) -> tuple[int, int]:
    """Count flipped pairs and moved items by brute force."""
    flips = sum(1 for i, a in enumerate(before) for b in before[i + 1 :] if after.index(a) > after.index(b))
    return flips, sum(1 for position, item in enumerate(before) if after.index(item) != position)


def test_only_a_removal_that_changes_a_county_columns_top_reorders_and_it_is_counted_exactly() -> None:
    # Equity is the county's own column, scored 0 to its round top: 10 while project 1 scores 8, 5 without it.
    rows = [
        {"contacts": 40, "cost": 1e6, "condition": 50, "criteria": {"equity": 8}},
        {"contacts": 30, "cost": 1e6, "condition": 50, "criteria": {"equity": 5}},  # 30 + 50, then 30 + 100
        {"contacts": 45, "cost": 1e6, "condition": 50, "criteria": {"equity": 4}},  # 45 + 40, then 45 + 80
        {"contacts": 20, "cost": 1e6, "condition": 50, "criteria": {"equity": 3}},
        {"contacts": 10, "cost": 1e6, "condition": 50, "criteria": {"equity": 1}},
    ]
    inputs = candidate_inputs(rows)
    weights = {**WEIGHTS, "equity": 30}
    basis = _basis(inputs)
    effects = removal_effects(basis, inputs, weights).set_index("id")
    for removed in inputs["id"]:
        rest = inputs[inputs["id"] != removed]
        before = [c for c in _order(inputs, weights) if c != removed]
        pairs, moved = _flips(before, _order(rest, weights))
        assert (effects.loc[removed, "pairs_reordered"], effects.loc[removed, "positions_moved"]) == (pairs, moved)
    assert effects[["pairs_reordered", "positions_moved", "largest_move"]].iloc[0].tolist() == [1, 2, 1]
    assert (effects["pairs_reordered"].iloc[1:] == 0).all()
    assert removal_summary(effects.reset_index()).startswith("Removing one candidate reorders the others for 1 of")


def test_on_the_demo_removing_a_candidate_or_adding_an_80_million_project_moves_no_one(demo_copy: str) -> None:
    engine = open_store(demo_copy)
    before = ranking_basis(engine, last_month=LAST)
    weights = {c.key: c.default_weight for c in before.criteria}
    order = rank_candidates(before.inputs, before.scores, weights, before.criteria).table["id"].tolist()
    effects = removal_effects(before, before.inputs, weights)
    assert len(effects) == 40 and (effects[["pairs_reordered", "positions_moved"]] == 0).all().all()
    assert (
        removal_summary(effects)
        == "Removing any one of the 40 candidates changes no other candidate's place in the order."
    )

    project = (
        b"Project ID,Project Name,Type,Category,District,Estimated Cost,Condition,Health and Safety,Regulatory,Equity\n"
        b"CIP-900,Widen Ridge Rd from US-19 to Little Rd,Capital,Speeding / traffic calming,3,80000000,70,3,0,3\n"
    )
    import_candidates(engine, project, "new.csv", user="test", role=Role.ANALYST)
    removed = order[len(order) // 2]
    with write_transaction(engine) as connection:
        connection.execute(sa.text("DELETE FROM candidates WHERE id = :id"), {"id": int(removed)})
    after = ranking_basis(engine, last_month=LAST)
    new_order = rank_candidates(after.inputs, after.scores, weights, after.criteria).table["id"].tolist()
    new_id = after.inputs.loc[after.inputs["source_id"] == "CIP-900", "id"].item()
    assert [c for c in new_order if c != new_id] == [c for c in order if c != removed]
    np.testing.assert_allclose(
        after.scores.set_index(after.inputs["id"]).drop(index=new_id).sort_index().to_numpy(),
        before.scores.set_index(before.inputs["id"]).drop(index=removed).sort_index().to_numpy(),
    )
    engine.dispose()
