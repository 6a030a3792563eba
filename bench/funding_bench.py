"""The funding optimiser: time to fund 1,000 candidates exactly, and the demo county's funded set at three budgets.

Timing: candidates with scores uniform 0-100 and costs log-uniform from $50,000 to $20 million,
the budget a fifth of their total cost, a tenth of them mandated or excluded in some runs. Each
exact solve (voc.priorities.funding.best_set, milp with no gap) is timed against the greedy
baseline measured in the same run (score per dollar, then whatever still fits), and the greedy
set's total score is printed as a share of the optimum: what exactness buys.
Demo: with --store URL (a store holding the demo county, `voc demo`), the funded set at three budgets.
Run: uv run python bench/funding_bench.py [--runs N] [--store URL]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voc.priorities.funding import FundingRules, best_set, funding_line  # noqa: E402


def greedy(scores: np.ndarray, costs: np.ndarray, budget: float) -> np.ndarray:
    taken = np.zeros(len(scores), dtype=bool)
    left = budget
    for position in np.argsort(-scores / costs, kind="stable"):
        if costs[position] <= left:
            taken[position] = True
            left -= costs[position]
    return taken


def time_solves(size: int, runs: int) -> None:
    exact_times, greedy_times, shares = [], [], []
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        scores = rng.uniform(0, 100, size)
        costs = np.round(np.exp(rng.uniform(np.log(5e4), np.log(2e7), size)), -3)
        budget = costs.sum() / 5
        nothing = np.zeros(size, dtype=bool)
        start = time.perf_counter()
        taken = best_set(scores, costs, budget, forced=nothing, barred=nothing)
        exact_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        rough = greedy(scores, costs, budget)
        greedy_times.append(time.perf_counter() - start)
        shares.append(scores[rough].sum() / scores[taken].sum())
    exact, rough = np.median(exact_times), np.median(greedy_times)
    print(f"{size:,} candidates, {runs} runs: exact solve median {exact:.3f} s (max {max(exact_times):.3f} s); "
          f"greedy baseline {rough * 1000:.1f} ms (exact/greedy {exact / rough:,.0f}x); greedy reaches "
          f"{min(shares):.4%}-{max(shares):.4%} of the optimum score")  # fmt: skip


def demo_budgets(url: str, budgets: list[float]) -> None:
    from voc.priorities.view import stored_rank_view
    from voc.store.engine import open_store

    engine = open_store(url)
    _, view = stored_rank_view(engine, today=date(2026, 11, 15), timezone="America/New_York")
    table = view.table
    print(f"Demo county, default weights, {len(table)} candidates costing ${table['estimated_cost'].sum():,.0f}:")
    for budget in budgets:
        start = time.perf_counter()
        line = funding_line(table, FundingRules(budget))
        took = time.perf_counter() - start
        funded = table[line.funded.to_numpy()]
        ranks = ", ".join(f"{r.rank}:{r.source_id}" for r in funded.itertuples())
        print(f"  ${budget:,.0f}: {len(funded)} funded for ${line.spent:,.0f}, score {line.score:.1f} "
              f"({took * 1000:.0f} ms): rank:id {ranks}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", help="a store URL holding the demo county")
    arguments = parser.parse_args()
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    for size in (100, 1_000):
        time_solves(size, arguments.runs)
    if arguments.store:
        demo_budgets(arguments.store, [10e6, 25e6, 50e6])


if __name__ == "__main__":
    main()
