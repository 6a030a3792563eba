"""The figures of the Surveys page and `voc survey compare`: waves, districts, benchmarks, priorities.

All functions take the current results (voc.survey.store.current_results) and return plain frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.core.errors import NotFound, VocError
from voc.survey.dictionary import split_column
from voc.survey.stats import (
    ALPHA,
    changes_between,
    district_against_rest,
    importance_satisfaction,
    quadrants,
    with_margins,
)

COMPARE_COLUMNS = (
    "service_area", "wave", "satisfied_share", "low", "high", "margin", "n", "n_effective", "mean_score",
    "previous_wave", "previous_share", "change", "p_value", "significant", "verdict", "benchmark_share",
    "benchmark_source", "against_benchmark",
)  # fmt: skip

DISTRICT_COLUMNS = (
    "service_area", "district_code", "satisfied_share", "low", "high", "margin", "n", "n_effective", "rest_share",
    "rest_n", "difference", "p_value", "q_value", "significant", "verdict",
)  # fmt: skip


def default_view(results: pd.DataFrame, *, survey: str | None, wave: str | None) -> tuple[str, str]:
    """Return the survey and wave to show: those given, else the survey with the newest wave and its newest wave.

    Raises VocError when there is no survey or the given one is unknown.
    """
    if results.empty:
        raise VocError("No survey results yet. Import one with `voc import survey FILE` or on the Upload page.")
    if survey is None:
        survey = results.sort_values(["year", "wave"]).iloc[-1]["survey"]
    waves = waves_of(results, survey)
    if not waves:
        known = ", ".join(sorted(results["survey"].unique()))
        raise NotFound(f"There is no survey {survey!r}. Surveys in the store: {known}.")
    if wave is not None and wave not in waves:
        raise NotFound(f"{survey} has no wave {wave!r}; its waves are {', '.join(waves)}.")
    return survey, wave or waves[-1]


def waves_of(results: pd.DataFrame, survey: str) -> list[str]:
    """Return a survey's waves, oldest first (by year, then label)."""
    rows = results.loc[results["survey"] == survey, ["year", "wave"]].drop_duplicates()
    return rows.sort_values(["year", "wave"])["wave"].tolist()


def districts_of(results: pd.DataFrame, survey: str) -> list[str]:
    """Return the districts a survey reports, in natural order ("2" before "10")."""
    codes = results.loc[results["survey"] == survey, "district_code"].dropna().unique().tolist()
    return sorted(codes, key=lambda code: (len(code), code))


ALL_ITEMS = "All items"


def battery_of(questions: pd.Series) -> pd.Series:
    """Return each result's question battery, its stem ("q3" for "q3_07"); rows without a question: ALL_ITEMS."""
    return questions.map(lambda q: split_column(q)[0] if isinstance(q, str) and q else ALL_ITEMS)


def batteries(results: pd.DataFrame, *, survey: str, wave: str) -> pd.DataFrame:
    """Return a wave's question batteries: battery, items, stated (has stated importance), label (its first items).

    Ordered for a default choice: batteries with stated importance first, then the larger ones.
    """
    rows = results[(results["survey"] == survey) & (results["wave"] == wave) & results["district_code"].isna()]
    rows = rows.assign(battery=battery_of(rows["question"]))
    grouped = rows.groupby("battery", sort=False).agg(
        items=("service_area", "size"),
        stated=("importance_share", lambda s: bool(s.notna().any())),
        label=("service_area", lambda s: ", ".join(s.head(3)) + (", …" if len(s) > 3 else "")),
    )
    ordered = grouped.reset_index().sort_values(["stated", "items"], ascending=False, kind="stable")
    return ordered.reset_index(drop=True)


def _rows(
    results: pd.DataFrame, survey: str, wave: str, district: str | None, battery: str | None = None
) -> pd.DataFrame:
    rows = results[(results["survey"] == survey) & (results["wave"] == wave)]
    if battery is not None:
        rows = rows[battery_of(rows["question"]) == battery]
    return rows[rows["district_code"].isna()] if district is None else rows[rows["district_code"] == district]


def compare_waves(
    results: pd.DataFrame,
    *,
    survey: str,
    wave: str,
    district: str | None = None,
    battery: str | None = None,
    benchmarks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return each item's satisfaction in a wave with its 95% margin, its change from the wave before, its benchmark.

    The change is tested with a two-proportion test on effective sample sizes; `verdict` says in
    words whether it is real. `against_benchmark` says whether the benchmark lies outside the
    item's 95% interval. Sorted by satisfied share, highest first; items without a share last.
    """
    waves = waves_of(results, survey)
    current = with_margins(_rows(results, survey, wave, district, battery))
    position = waves.index(wave) if wave in waves else 0
    previous_wave = waves[position - 1] if position > 0 else None
    if previous_wave:
        compared = changes_between(current, _rows(results, survey, previous_wave, district, battery))
    else:
        compared = current.assign(previous_share=np.nan, change=np.nan, p_value=np.nan, significant=False,
                                  verdict="First wave: nothing to compare")  # fmt: skip
    compared["previous_wave"] = previous_wave
    marks = pd.DataFrame(columns=["service_area", "benchmark_share", "source"]) if benchmarks is None else benchmarks
    compared = compared.merge(
        marks.rename(columns={"source": "benchmark_source"}), on="service_area", how="left"
    )  # fmt: skip
    compared["against_benchmark"] = [
        _against(share, low, high, mark)
        for share, low, high, mark in zip(
            compared["satisfied_share"], compared["low"], compared["high"], compared["benchmark_share"], strict=True
        )
    ]
    ordered = compared.sort_values("satisfied_share", ascending=False, na_position="last", kind="stable")
    return ordered.reindex(columns=list(COMPARE_COLUMNS)).reset_index(drop=True)


def _against(share: float, low: float, high: float, mark: float) -> str:
    if pd.isna(mark) or pd.isna(share):
        return ""
    points = abs(share - mark) * 100
    if low <= mark <= high:
        return "Within the margin of the benchmark"
    return f"{points:.0f} points {'above' if share > mark else 'below'} the benchmark"


def districts_against_county(
    results: pd.DataFrame, *, survey: str, wave: str, battery: str | None = None
) -> pd.DataFrame:
    """Return each district's satisfaction per item with its margin, tested against the rest of the county.

    Every cell returned is tested against the rest of the county, and the tests are corrected for
    false discoveries over all of them (voc.survey.stats.district_against_rest): `significant`
    follows q_value, the uncorrected p_value stays for district_summary to say what it would flag.
    """
    county = _rows(results, survey, wave, None, battery)
    rows = results[(results["survey"] == survey) & (results["wave"] == wave) & results["district_code"].notna()]
    if battery is not None:
        rows = rows[battery_of(rows["question"]) == battery]
    if rows.empty or county.empty:
        return pd.DataFrame(columns=list(DISTRICT_COLUMNS))
    tested = district_against_rest(county, with_margins(rows))
    return tested[list(DISTRICT_COLUMNS)].reset_index(drop=True)


def priorities(
    results: pd.DataFrame, *, survey: str, wave: str, district: str | None = None, battery: str | None = None
) -> pd.DataFrame:
    """Return the importance-satisfaction analysis of a wave: I-S rating, tier and quadrant per item.

    Stated importance (the share naming the item among the most important) when the survey asked;
    otherwise derived importance, the correlation of the item's ratings with overall satisfaction
    (county-wide; `importance_source` says which). ETC's tiers apply to stated importance only:
    derived items are ranked by I-S and placed in a quadrant, without a tier. Importance picks are
    made within one battery of questions: give `battery` so that items of different batteries are
    not ranked together.
    """
    rows = _rows(results, survey, wave, district, battery)
    stated = rows["importance_share"].notna()
    if stated.any():
        frame = rows[stated].assign(importance=rows["importance_share"], importance_source="stated")
        rated = importance_satisfaction(frame)
    else:
        county = _rows(results, survey, wave, None, battery)[["service_area", "derived_importance"]]
        frame = rows.drop(columns="derived_importance").merge(county, on="service_area", how="left")
        frame = frame[frame["derived_importance"].notna()]
        frame = frame.assign(importance=frame["derived_importance"].clip(lower=0), importance_source="derived")
        rated = frame.assign(is_rating=frame["importance"] * (1 - frame["satisfied_share"]), tier=pd.NA)
        rated = rated.sort_values("is_rating", ascending=False, kind="stable")
    placed = quadrants(rated, importance="importance")
    columns = ["service_area", "importance", "importance_source", "satisfied_share", "n", "is_rating", "tier",
               "quadrant"]  # fmt: skip
    return placed[columns].reset_index(drop=True)


def opinions_by_area(
    results: pd.DataFrame, *, survey: str, wave: str, district: str | None = None, battery: str | None = None
) -> pd.DataFrame:
    """Return service_area, district_code, satisfied_share, margin: county-wide and every district, or one district."""
    rows = results[(results["survey"] == survey) & (results["wave"] == wave)]
    if battery is not None:
        rows = rows[battery_of(rows["question"]) == battery]
    if district is not None:
        rows = rows[rows["district_code"] == district]
    shares = with_margins(rows[rows["satisfied_share"].notna()])
    return shares[["service_area", "district_code", "satisfied_share", "margin"]].reset_index(drop=True)


def change_summary(compared: pd.DataFrame) -> str:
    """Say how many changes are real, and how many a 5% test would pass by chance alone."""
    tested = compared["p_value"].notna()
    if not tested.any():
        return ""
    real = int(compared.loc[tested, "significant"].sum())
    chance = tested.sum() * 0.05
    return (
        f"{real} of {int(tested.sum())} changes are larger than sampling noise at the 95% level; "
        f"with this many items, about {chance:.0f} could pass that test by chance alone."
    )


def district_summary(compared: pd.DataFrame) -> str:
    """Say how many district cells differ from the rest of the county, corrected and not, and what chance gives."""
    tested = compared["p_value"].notna()
    if not tested.any():
        return ""
    real = int(compared.loc[tested, "significant"].sum())
    alone = int((compared.loc[tested, "p_value"] < ALPHA).sum())
    return (
        f"{real} of {int(tested.sum())} cells differ from the rest of the county by more than sampling noise once "
        f"corrected for the number of cells compared (false-discovery rate 5%). Tested one at a time at the 95% level, "
        f"{alone} would, of which about {tested.sum() * ALPHA:.0f} could by chance alone."
    )
