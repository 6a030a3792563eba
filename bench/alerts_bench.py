"""Emerging-issue alerts on simulated counties: false flags per run and per calendar month, detection by rise size.

Each run simulates a county (30 categories x 8 districts, five years, strongly seasonal and
overdispersed, every category peaking in July: tests/simulated.py) and runs voc.contacts.alerts on
one month. Printed:
- without rises: the share of runs with any flag (every flag is false), by calendar month, and the
  share of uncorrected p-values under 0.001 and 0.05 (should be 0.1% and 5%);
- with rises (one county-wide, one in a district, sizes and bases from the grid): the share of
  flags that are false (alpha = 5% promised), by calendar month;
- detection rate by rise size and base count (monthly mean), county-wide and one-district rises;
- flags per planted issue on the demo county.
The same figures are printed for a Farrington Flexible reference (bench/farrington.py: the latest
month of every county-wide and district series at alpha = 0.005 each, as the literature does, with
no correction for the number of series; and at 5% Bonferroni-corrected over the run's series) run
on the same simulated counties.
Run: uv run python bench/alerts_bench.py [--runs N] [--rise-runs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.farrington import farrington_flexible  # noqa: E402
from tests.simulated import DISTRICTS, Rise, demo_counts, simulate_county  # noqa: E402
from voc.contacts import alerts as alerts_module  # noqa: E402
from voc.contacts.alerts import detect_emerging  # noqa: E402

SIZES = [0.3, 0.5, 1.0, 2.0]
BASES = [10, 30, 100, 300]
BASE_BINS = [0, 17, 55, 170, np.inf]


SHAPE = {"category_shape": (8.0, 40.0)}


DETECTORS = ["voc", "Farrington", "Farrington, Bonferroni"]


def run_month(
    month: str, seed: int, rises: list[Rise], bases: dict[str, float] | None = None
) -> dict[str, pd.DataFrame]:
    """Return each detector's rows (category, district_code, flagged, rose, ...) on one simulated county."""
    county = simulate_county(np.random.default_rng(seed), last_month=month, rises=rises, bases=bases, **SHAPE)
    found = {
        "voc": detect_emerging(county.counts, month=month),
        "Farrington": farrington_rows(county.counts),
        "Farrington, Bonferroni": farrington_rows(county.counts, bonferroni=True),
    }
    last_year = county.means[county.means["month"] > f"{int(month[:4]) - 1}{month[4:]}"]
    for alerts in found.values():
        alerts["rose"] = [_rose(row, rises) for row in alerts.itertuples()]
        alerts.attrs["district_means"] = last_year.groupby(["category", "district_code"])["mean"].mean()
    return found


def farrington_rows(counts: pd.DataFrame, *, bonferroni: bool = False) -> pd.DataFrame:
    """Run the Farrington Flexible reference on the latest month of every county-wide and district series.

    At alpha = 0.005 per series, as the literature does, or (bonferroni) at 5% over all the series of the run.
    """
    local = counts.pivot_table(index=["category", "district_code"], columns="month", values="contacts", aggfunc="sum")
    county = local.groupby(level="category").sum()
    county.index = pd.MultiIndex.from_arrays([county.index, [""] * len(county)], names=local.index.names)
    wide = pd.concat([county, local])
    upper, alarm = farrington_flexible(wide.to_numpy(), alpha=0.05 / len(wide) if bonferroni else 0.005)
    return pd.DataFrame(
        {
            "category": wide.index.get_level_values("category"),
            "district_code": wide.index.get_level_values("district_code"),
            "period": "month",
            "observed": wide.iloc[:, -1].to_numpy(),
            "upper": upper,
            "flagged": alarm,
        }
    )


def _rose(row: object, rises: list[Rise]) -> bool:
    """Return whether a planted rise lies under this row (a county-wide row rises with any of its districts)."""
    return any(
        rise.category == row.category
        and "" in (rise.district_code, row.district_code)
        or (rise.category, rise.district_code) == (row.category, row.district_code)
        for rise in rises
    )


def null_runs(runs: int) -> pd.DataFrame:
    rows = []
    for calendar_month in range(1, 13):
        month = f"2026-{calendar_month:02d}"
        for seed in range(runs):
            found = run_month(month, 1000 * calendar_month + seed, [])
            p = found["voc"]["p_value"].dropna()
            row = {
                "calendar_month": calendar_month,
                "flags": int(found["voc"]["flagged"].sum()),
                "tests": int(p.size),
                "p_under_0.001": float((p < 0.001).mean()),
                "p_under_0.05": float((p < 0.05).mean()),
            }
            rows.append(row | {f"any_flag {name}": bool(found[name]["flagged"].any()) for name in DETECTORS})
    return pd.DataFrame(rows).rename(columns={"any_flag voc": "any_flag"})


def rise_runs(runs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return per-run false-flag shares and per-rise detections."""
    per_run, detections = [], []
    for calendar_month in range(1, 13):
        month = f"2026-{calendar_month:02d}"
        for seed in range(runs):
            rng = np.random.default_rng([calendar_month, seed, 7])
            size, base, local_size = rng.choice(SIZES), rng.choice(BASES), rng.choice(SIZES)
            county_cat, local_cat = (f"Cat {i:02d}" for i in rng.choice(30, 2, replace=False))
            district = str(rng.choice(DISTRICTS))
            local_base = float(rng.choice(BASES))
            rises = [Rise(county_cat, "", 1 + size, month), Rise(local_cat, district, 1 + local_size, month)]
            found = run_month(
                month, 5000 + 1000 * calendar_month + seed, rises, bases={county_cat: base, local_cat: 8 * local_base}
            )
            for detector, alerts in found.items():
                flags = alerts[alerts["flagged"]]
                per_run.append(
                    {
                        "detector": detector,
                        "calendar_month": calendar_month,
                        "flags": len(flags),
                        "false": int((~flags["rose"]).sum()),
                    }
                )
                county_rows = alerts[(alerts["category"] == county_cat) & (alerts["district_code"] == "")]
                local_rows = alerts[(alerts["category"] == local_cat) & (alerts["district_code"] == district)]
                local_mean = alerts.attrs["district_means"].get((local_cat, district), np.nan)
                detections += [
                    {
                        "detector": detector,
                        "kind": "county-wide",
                        "size": size,
                        "base": base,
                        "found": bool(county_rows["flagged"].any()),
                    },
                    {
                        "detector": detector,
                        "kind": "one district",
                        "size": local_size,
                        "base": BASES[int(np.digitize(local_mean, BASE_BINS)) - 1],
                        "found": bool(local_rows["flagged"].any()),
                    },
                ]
    return pd.DataFrame(per_run), pd.DataFrame(detections)


def demo_flags() -> tuple[int, int, int | None]:
    """Return (flagged rows, issues they form or None without grouping, planted rises) on the demo's latest month."""
    from voc.demo.county import build_demo_county

    county = build_demo_county()
    counts = demo_counts(county.requests)
    alerts = detect_emerging(counts, month="2026-10")
    try:
        from voc.contacts.issues import group_issues
    except ImportError:  # the code before issue 15 had no grouping: one sentence per flag
        issues = None
    else:
        issues = len(group_issues(alerts, counts, month="2026-10"))
    return int(alerts["flagged"].sum()), issues, len(county.planted_rises)


def print_null(null: pd.DataFrame) -> None:
    print(f"Without rises: {len(null)} runs, {null['tests'].mean():.0f} tests a run")
    print(f"  runs with a (false) flag: {null['any_flag'].mean():.1%}; flags a run: {null['flags'].mean():.2f}")
    print(
        f"  p < 0.001: {null['p_under_0.001'].mean():.3%} (0.1% promised); p < 0.05: {null['p_under_0.05'].mean():.2%}"
    )
    by_month = null.groupby("calendar_month").agg(
        runs_flagged=("any_flag", "mean"), p_0001=("p_under_0.001", "mean"), p_005=("p_under_0.05", "mean")
    )
    print(by_month.to_string(float_format=lambda v: f"{v:.4f}"))
    for name in DETECTORS[1:]:
        flagged = null.groupby("calendar_month")[f"any_flag {name}"].mean()
        print(f"  {name}, runs with a (false) flag: {flagged.mean():.1%}; by calendar month:")
        print("  " + " ".join(f"{v:.2f}" for v in flagged))


def print_rises(detector: str, per_run: pd.DataFrame, detections: pd.DataFrame) -> None:
    flags = per_run["flags"].sum()
    share = per_run["false"].sum() / max(flags, 1)
    print(f"\n{detector}, with rises: {len(per_run)} runs, {flags} flags, false share {share:.1%} (5% promised)")
    fdp = per_run.assign(fdp=per_run["false"] / per_run["flags"].clip(lower=1))
    false_runs = (fdp["false"] > 0).mean()
    print(f"  mean false share per run (FDR): {fdp['fdp'].mean():.1%}; runs with a false flag: {false_runs:.1%}")
    print(fdp.groupby("calendar_month")[["fdp"]].mean().T.to_string(float_format=lambda v: f"{v:.3f}"))
    print("Detection rate (share of planted rises flagged), by rise size (rows) and base count a month (columns):")
    for kind, frame in detections.groupby("kind"):
        table = frame.pivot_table(index="size", columns="base", values="found", aggfunc="mean")
        count = frame.pivot_table(index="size", columns="base", values="found", aggfunc="size")
        print(f"  {kind} (runs per cell: {int(count.min().min())}-{int(count.max().max())})")
        print(table.to_string(float_format=lambda v: f"{v:.2f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="runs per calendar month without rises")
    parser.add_argument("--rise-runs", type=int, default=16, help="runs per calendar month with rises")
    parser.add_argument(
        "--category-shape",
        type=float,
        nargs=2,
        default=SHAPE["category_shape"],
        help="gamma shapes (low, high) of the category-level noise: lower is more overdispersed",
    )
    parser.add_argument("--skip-null", action="store_true", help="only the runs with rises")
    parser.add_argument("--skip-sentences", action="store_true", help="skip the row sentences")
    args = parser.parse_args()
    if args.skip_sentences:
        alerts_module.row_sentences = lambda rows, *_, **__: [""] * len(rows)
    SHAPE["category_shape"] = tuple(args.category_shape)
    started = time.perf_counter()
    if not args.skip_null:
        print_null(null_runs(args.runs))
    per_run, detections = rise_runs(args.rise_runs)
    for detector in DETECTORS:
        print_rises(detector, per_run[per_run["detector"] == detector], detections[detections["detector"] == detector])
    flagged, issues, planted = demo_flags()
    sentences = flagged if issues is None else issues
    print(f"\nDemo county, Oct 2026: {flagged} flagged rows, {sentences} sentences for {planted} planted rises")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
