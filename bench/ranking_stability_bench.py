"""How much the demo county's ranking moves when the list of candidates changes, before and after fixed scales.

On the demo county (default weights, all 40 candidates) it prints, for voc's fixed scales and for
the min-max scores voc used before (each criterion rescaled 0-100 between the lowest and highest
stored candidate, the baseline measured in the same run):
- removing one candidate: for each of the 40, the pairs of the other 39 whose order flips and how
  many of them change position among themselves; the worst removal and how many removals move anyone;
- adding an $80 million road widening: the same figures over the 40 candidates already listed;
- rank ranges: how many candidates' ranks change when the weights move ±10% one at a time, and when
  they also move together.

Not a pass/fail test. Run `uv run python bench/ranking_stability_bench.py [--url URL]`; without a
URL the demo county is loaded into a temporary SQLite store first.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.demo.load import load_demo
from voc.priorities.evidence import demand_evidence, load_candidates
from voc.priorities.ranking import (
    DemandReference,
    criteria_of,
    criterion_scores,
    rank_candidates,
    rank_ranges,
    ranking_basis,
    ranking_inputs,
    resolve_weights,
    weight_moves,
)
from voc.priorities.stability import removal_effects, reordering
from voc.store.engine import open_store

LAST_MONTH = "2026-10"
# The columns and directions the min-max baseline scored, as voc did before fixed scales.
MIN_MAX = {
    "demand": ("per_1000", True), "trend": ("change_pct", True), "repeat": ("repeat_places", True),
    "survey": ("is_rating", True), "condition": ("condition", False), "cost": ("estimated_cost", False),
}  # fmt: skip
NEW_PROJECT = {
    "id": 10_000, "source_id": "CIP-NEW", "name": "Widen Ridge Rd from US-19 to Little Rd", "kind": "capital",
    "category": "Speeding / traffic calming", "district_code": "3", "status": None, "estimated_cost": 80e6,
    "condition": 70.0, "criteria": {"health_safety": 3, "regulatory": 0, "equity": 3},
    "description": "An $80 million corridor widening.",
}  # fmt: skip


def min_max_scores(inputs: pd.DataFrame, criteria) -> pd.DataFrame:
    """Score as voc did before: min-max over the rows given, missing 50."""
    scores = {}
    for criterion in criteria:
        column, higher_is_better = MIN_MAX.get(criterion.key, (criterion.column, True))
        values = pd.to_numeric(inputs[column]).astype(float)
        low, high = values.min(), values.max()
        if pd.isna(low) or high == low:
            scores[criterion.key] = pd.Series(50.0, index=inputs.index)
            continue
        scaled = (values - low) / (high - low) if higher_is_better else (high - values) / (high - low)
        scores[criterion.key] = (scaled * 100).fillna(50.0)
    return pd.DataFrame(scores, index=inputs.index)


def order(inputs: pd.DataFrame, criteria, weights, *, fixed: bool) -> np.ndarray:
    scores = criterion_scores(inputs, criteria) if fixed else min_max_scores(inputs, criteria)
    return rank_candidates(inputs, scores, weights, criteria).table["id"].to_numpy()


def removals(inputs: pd.DataFrame, reference: DemandReference, weights, *, fixed: bool) -> pd.DataFrame:
    base = order(inputs, criteria_of(inputs, reference), weights, fixed=fixed)
    rows = []
    for candidate in inputs["id"]:
        rest = inputs[inputs["id"] != candidate]
        after = order(rest, criteria_of(rest, reference), weights, fixed=fixed)
        rows.append((candidate, *reordering(base[base != candidate], after)))
    return pd.DataFrame(rows, columns=["id", "pairs", "moved", "largest"])


def addition(engine: sa.Engine, inputs: pd.DataFrame, reference: DemandReference, weights, *, fixed: bool):
    candidates = pd.concat([load_candidates(engine), pd.DataFrame([NEW_PROJECT])], ignore_index=True)
    candidates[["latitude", "longitude"]] = candidates[["latitude", "longitude"]].astype(float)
    evidence = demand_evidence(engine, candidates, last_month=LAST_MONTH)
    grown = ranking_inputs(candidates, evidence)
    base = order(inputs, criteria_of(inputs, reference), weights, fixed=fixed)
    after = order(grown, criteria_of(grown, reference), weights, fixed=fixed)
    return reordering(base, after[after != NEW_PROJECT["id"]])


def changing_rank_alone(basis, weights) -> int:
    """Count the candidates whose rank changes when one weight at a time moves ±10% (the stability figure before)."""
    keys = [c.key for c in basis.criteria]
    base = np.array([weights[k] for k in keys])
    moves = weight_moves(base, change=0.10)[: 1 + 2 * int((base > 0).sum())]
    totals = basis.scores[keys].to_numpy(float) @ (moves / moves.sum(axis=1, keepdims=True)).T
    ranks = np.argsort(np.argsort(-np.round(totals, 9), axis=0, kind="stable"), axis=0)
    return int((ranks.min(axis=1) != ranks.max(axis=1)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a store holding the demo county (default: load it into a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'voc.db'}"
        engine = open_store(url)
        if not args.url:
            load_demo(engine, user="bench")
        started = time.perf_counter()
        basis = ranking_basis(engine, last_month=LAST_MONTH)
        print(f"ranking basis of {len(basis.inputs)} candidates: {time.perf_counter() - started:.1f} s")
        weights = resolve_weights({}, basis.criteria)
        print(f"{'':44}{'min-max (before)':>18}{'fixed scales':>14}")
        figures = {}
        for fixed in (False, True):
            table = removals(basis.inputs, basis.reference, weights, fixed=fixed)
            worst = table.sort_values(["pairs", "moved"], ascending=False).iloc[0]
            figures.setdefault("removals moving anyone (of 40)", []).append(int((table["moved"] > 0).sum()))
            figures.setdefault("worst removal: pairs reordered", []).append(int(worst["pairs"]))
            figures.setdefault("worst removal: candidates moved", []).append(int(worst["moved"]))
            figures.setdefault("worst removal: largest move (positions)", []).append(int(worst["largest"]))
            figures.setdefault("median removal: pairs reordered", []).append(float(table["pairs"].median()))
            pairs, moved, largest = addition(engine, basis.inputs, basis.reference, weights, fixed=fixed)
            figures.setdefault("adding an $80M project: pairs reordered", []).append(pairs)
            figures.setdefault("adding an $80M project: candidates moved", []).append(moved)
            figures.setdefault("adding an $80M project: largest move", []).append(largest)
        for name, (before, after) in figures.items():
            print(f"{name:44}{before:>18g}{after:>14g}")
        together = rank_ranges(basis.inputs, basis.scores, weights, basis.criteria)
        started = time.perf_counter()
        effects = removal_effects(basis, basis.inputs, weights)
        print(f"removal_effects over {len(effects)} candidates: {time.perf_counter() - started:.2f} s, "
              f"{int((effects['positions_moved'] > 0).sum())} removals move anyone")  # fmt: skip
        alone = changing_rank_alone(basis, weights)
        print(f"rank ranges (fixed scales), candidates whose rank changes as weights move ±10%: one at a time "
              f"{alone} of {len(together)}; also together {int((~together['solid']).sum())}")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
