"""Forecast bands on simulated counties: coverage of the 80% band by calendar month and length of history.

Each run simulates a county (tests/simulated.py: strongly seasonal, overdispersed, every category
peaking in July), forecasts its 30 categories' next three months from the history it is given, and
checks the band against the months drawn after it. Printed: coverage by calendar month of the
forecast month, for five years, two years, 18 months and 9 months of history; and the method label.
Run: uv run python bench/forecast_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.simulated import simulate_county  # noqa: E402
from voc.contacts.forecast import forecast  # noqa: E402
from voc.core.periods import month_shift  # noqa: E402

HISTORIES = {"5 years": 60, "2 years": 24, "18 months": 18, "9 months": 9}
HORIZON = 3


def coverage_runs(runs: int) -> pd.DataFrame:
    rows = []
    for calendar_month in range(1, 13):
        last_month = f"2026-{calendar_month:02d}"
        end = month_shift(last_month, HORIZON)
        for seed in range(runs):
            county = simulate_county(np.random.default_rng([calendar_month, seed, 11]), last_month=end)
            totals = county.counts.groupby(["month", "category"], as_index=False)["contacts"].sum()
            truth = totals[totals["month"] > last_month].set_index(["category", "month"])["contacts"]
            for label, months in HISTORIES.items():
                start = month_shift(last_month, 1 - months)
                history = totals[totals["month"].between(start, last_month)]
                result = forecast(history, last_month=last_month, horizon=HORIZON)
                actual = truth.reindex(pd.MultiIndex.from_frame(result[["category", "month"]])).to_numpy()
                rows.append(
                    result.assign(
                        history=label,
                        covered=(result["lower"] <= actual) & (actual <= result["upper"]),
                        target_month=result["month"].str[5:].astype(int),
                    )
                )
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="runs per calendar month")
    args = parser.parse_args()
    started = time.perf_counter()
    result = coverage_runs(args.runs)
    table = result.pivot_table(index="target_month", columns="history", values="covered", aggfunc="mean")
    table = table[list(HISTORIES)]
    print("Coverage of the 80% band, by calendar month of the forecast month (rows) and history (columns):")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    overall = result.groupby("history")["covered"].mean().reindex(list(HISTORIES))
    print("overall:", ", ".join(f"{k} {v:.3f}" for k, v in overall.items()))
    print("worst month:", ", ".join(f"{k} {v:.3f}" for k, v in table.min().items()))
    methods = result.groupby("history")["method"].agg(lambda m: "; ".join(sorted(set(m))))
    print(methods.reindex(list(HISTORIES)).to_string())
    print(f"\n{len(result)} forecasts, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
