"""How much a ranking depends on which other candidates are stored: the order shown when any one is removed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from voc.priorities.ranking import Criterion, RankingBasis, criterion_scores, rank_candidates


def removal_effects(basis: RankingBasis, shown: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    """Return, for each stored candidate, how the others shown would reorder if it were not stored.

    Columns id, name, pairs_reordered (pairs of other shown candidates whose order flips),
    positions_moved (other shown candidates whose position among the others changes) and
    largest_move (the most positions one of them moves), in the stored order. Scores depend only on
    a candidate's own values and the criteria, so only a removal that changes the criteria
    (basis.rescaled) can reorder anything.
    """
    base_order = _ranked_ids(shown, basis.scores, weights, basis.criteria)
    rows = []
    for candidate in basis.inputs["id"]:
        moved = (0, 0, 0)
        if (criteria := basis.rescaled.get(int(candidate))) is not None:
            kept = shown[shown["id"] != candidate]
            after = _ranked_ids(kept, criterion_scores(kept, criteria), weights, criteria)
            moved = reordering(base_order[base_order != candidate], after)
        rows.append((candidate, *moved))
    effects = pd.DataFrame(rows, columns=["id", "pairs_reordered", "positions_moved", "largest_move"])
    return effects.merge(basis.inputs[["id", "name"]], on="id")[["id", "name", *effects.columns[1:]]]


def _ranked_ids(
    inputs: pd.DataFrame, scores: pd.DataFrame, weights: Mapping[str, float], criteria: tuple[Criterion, ...]
) -> np.ndarray:
    return rank_candidates(inputs, scores, weights, criteria).table["id"].to_numpy()


def reordering(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int]:
    """Return (pairs whose order flips, items whose position changes, the largest move) between two orders."""
    where = {item: position for position, item in enumerate(after)}
    positions = np.array([where[item] for item in before])
    flips = int(sum((positions[i] > positions[i + 1 :]).sum() for i in range(len(positions))))
    shifts = np.abs(positions - np.arange(len(positions)))
    return flips, int((shifts > 0).sum()), int(shifts.max(initial=0))


def removal_summary(effects: pd.DataFrame) -> str:
    """Say how much the order shown depends on which other candidates are stored."""
    if effects.empty:
        return ""
    worst = effects.sort_values(["pairs_reordered", "positions_moved"], ascending=False, kind="stable").iloc[0]
    if worst["positions_moved"] == 0:
        return f"Removing any one of the {len(effects):,} candidates changes no other candidate's place in the order."
    changing = int((effects["positions_moved"] > 0).sum())
    return (
        f"Removing one candidate reorders the others for {changing:,} of the {len(effects):,} candidates; at most "
        f"{int(worst['pairs_reordered']):,} pairs flip and {int(worst['positions_moved']):,} candidates move "
        f"(removing {worst['name']})."
    )
