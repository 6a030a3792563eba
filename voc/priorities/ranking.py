"""Rank candidates: criteria scored 0-100, combined with weights, explained, and tested for stability.

How a score is built is said once, in HOW_SCORES_ARE_BUILT, which the page and the export show:
min-max scores over all stored candidates (missing: 50), relative weights, a weighted mean whose
points add up, and deterministic tie-breaks (demand score, lower cost, name, id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.errors import VocError
from voc.core.periods import month_label, month_shift
from voc.priorities.evidence import DEFAULT_RADIUS_M, EVIDENCE_COLUMNS, demand_evidence, load_candidates

NEUTRAL = 50.0
STABILITY_CHANGE = 0.10
IDENTITY_COLUMNS = ["id", "source_id", "name", "kind", "category", "district_code", "status", "estimated_cost"]


@dataclass(frozen=True)
class Criterion:
    key: str  # the weight's name, as in `voc rank --weights key=40`
    label: str
    column: str  # the ranking input column holding the raw value
    higher_is_better: bool
    default_weight: float
    meaning: str  # what the raw value is, for the breakdown


DEMAND = Criterion("demand", "Customer demand", "per_1000", True, 30,
                   "linked contacts in the last 12 months per 1,000 residents of the area")  # fmt: skip
DEMAND_BY_COUNT = Criterion("demand", "Customer demand", "contacts", True, 30,
                            "linked contacts in the last 12 months (no population known for some areas)")  # fmt: skip
BUILT_IN = (
    Criterion("trend", "Demand trend", "change_pct", True, 10, "% change of linked contacts on the 12 months before"),
    Criterion("repeat", "Repeat places", "repeat_places", True, 10, "places nearby with 3 or more linked contacts"),
    Criterion("survey", "Survey priority", "is_rating", True, 10,
              "importance x dissatisfaction of its service area in the latest survey"),
    Criterion("condition", "Condition", "condition", False, 15, "0 (failed) to 100 (as new): worse scores higher"),
    Criterion("cost", "Cost", "estimated_cost", False, 10, "estimated cost in dollars: cheaper scores higher"),
)  # fmt: skip
COUNTY_WEIGHT = 15.0


@dataclass(frozen=True)
class Ranking:
    """A ranking of candidates: `table` in rank order, and the weights' shares that built it."""

    table: pd.DataFrame  # IDENTITY_COLUMNS, rank, total, score_<key>, points_<key>, evidence columns
    criteria: tuple[Criterion, ...]
    shares: dict[str, float]  # criterion key -> its share of the weights, 0-1


def ranking_inputs(candidates: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """Join candidates and their evidence; the county's criteria become `county_<key>` columns.

    Adds contacts_per_million: linked contacts per $1 million of estimated cost (demand per dollar).
    """
    inputs = candidates.merge(evidence, on="id", how="left", validate="one_to_one")
    criteria = pd.DataFrame([c if isinstance(c, dict) else {} for c in inputs["criteria"]], index=inputs.index)
    for key in sorted(criteria.columns):
        inputs[f"county_{key}"] = pd.to_numeric(criteria[key], errors="coerce").astype(float)
    cost = pd.to_numeric(inputs["estimated_cost"]).astype(float)
    inputs["estimated_cost"] = cost
    inputs["condition"] = pd.to_numeric(inputs["condition"]).astype(float)
    inputs["contacts_per_million"] = inputs["contacts"] / cost.where(cost > 0) * 1e6
    return inputs


def criteria_of(inputs: pd.DataFrame) -> tuple[Criterion, ...]:
    """Return the criteria of a ranking: demand, the built-in ones, then the county's own in name order."""
    residents = inputs["residents"] if "residents" in inputs else pd.Series(dtype=float)
    demand = DEMAND if len(inputs) and (residents > 0).all() else DEMAND_BY_COUNT
    taken = {demand.key, *(c.key for c in BUILT_IN)}
    county = []
    for column in (name for name in inputs.columns if name.startswith("county_")):
        key = column.removeprefix("county_")
        county.append(
            Criterion(column if key in taken else key, key.replace("_", " ").capitalize(), column, True,
                      COUNTY_WEIGHT, "the county's own score: higher is more deserving")
        )  # fmt: skip
    return (demand, *BUILT_IN, *county)


@dataclass(frozen=True)
class RankingBasis:
    """Everything a ranking needs but the weights: computed once per data version and radius."""

    inputs: pd.DataFrame  # one row per stored candidate (ranking_inputs)
    criteria: tuple[Criterion, ...]
    scores: pd.DataFrame  # criterion_scores over all stored candidates
    last_month: str | None  # the last month of the demand window; None without contacts
    radius_m: float


def ranking_basis(engine: sa.Engine, *, last_month: str | None, radius_m: float = DEFAULT_RADIUS_M) -> RankingBasis:
    """Load the candidates and their demand evidence over the 12 months up to `last_month`.

    Without contacts (`last_month` None) every candidate has 0 linked contacts.
    """
    candidates = load_candidates(engine)
    if last_month is None or candidates.empty:
        evidence = pd.DataFrame({"id": candidates["id"]}).reindex(columns=EVIDENCE_COLUMNS)
        evidence[["contacts", "contacts_before", "repeat_places"]] = 0
    else:
        evidence = demand_evidence(engine, candidates, last_month=last_month, radius_m=radius_m)
    inputs = ranking_inputs(candidates, evidence)
    criteria = criteria_of(inputs)
    return RankingBasis(inputs, criteria, criterion_scores(inputs, criteria), last_month, radius_m)


def criterion_scores(inputs: pd.DataFrame, criteria: tuple[Criterion, ...]) -> pd.DataFrame:
    """Score each criterion 0-100 by min-max over the rows given (columns: criterion keys)."""
    scores = {}
    for criterion in criteria:
        values = pd.to_numeric(inputs[criterion.column]).astype(float)
        low, high = values.min(), values.max()
        if pd.isna(low) or high == low:
            scores[criterion.key] = pd.Series(NEUTRAL, index=inputs.index)
            continue
        scaled = (values - low) / (high - low) if criterion.higher_is_better else (high - values) / (high - low)
        scores[criterion.key] = (scaled * 100).fillna(NEUTRAL)
    return pd.DataFrame(scores, index=inputs.index)


def resolve_weights(weights: Mapping[str, float] | None, criteria: tuple[Criterion, ...]) -> dict[str, float]:
    """Return a weight for every criterion: the given ones, defaults for the rest.

    Raises VocError for an unknown criterion, a negative weight, or weights that are all 0.
    """
    keys = [c.key for c in criteria]
    given = dict(weights or {})
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise VocError(f"No criterion {unknown[0]!r}: the criteria are {', '.join(keys)}.")
    resolved = {c.key: float(given.get(c.key, c.default_weight)) for c in criteria}
    negative = [key for key, weight in resolved.items() if weight < 0 or np.isnan(weight)]
    if negative:
        raise VocError(f"The weight of {negative[0]} must be 0 or more.")
    if sum(resolved.values()) <= 0:
        raise VocError("Every weight is 0: give at least one criterion a weight.")
    return resolved


def parse_weights(text: str) -> dict[str, float]:
    """Read "demand=40,condition=30" into {"demand": 40.0, "condition": 30.0}; raise VocError if malformed."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, separator, value = part.partition("=")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            separator = ""
        if not separator:
            raise VocError(f"{part!r}: write criterion=weight, for example demand=40,condition=30.")
    return weights


def _order(totals: np.ndarray, demand: np.ndarray, cost: np.ndarray, names: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Return row positions in rank order: total, then demand score, cheaper, name, id."""
    # Rounded so that totals equal in exact arithmetic tie, whatever the floating-point order of sums.
    return np.lexsort((ids, names, np.nan_to_num(cost, nan=np.inf), -demand, -np.round(totals, 9)))


def _tie_keys(inputs: pd.DataFrame, scores: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return (
        scores["demand"].to_numpy(float),
        inputs["estimated_cost"].to_numpy(float),
        inputs["name"].astype("str").str.casefold().to_numpy(dtype=str),
        inputs["source_id"].astype("str").to_numpy(dtype=str),
    )


def rank_candidates(
    inputs: pd.DataFrame, scores: pd.DataFrame, weights: Mapping[str, float], criteria: tuple[Criterion, ...]
) -> Ranking:
    """Rank the rows of `inputs` (scored by criterion_scores) with the given weights.

    `scores` may cover more rows than `inputs` (scores are relative to all candidates; the ranking
    only to the rows given). Ranks run 1..n with no shared ranks (ties break as documented).
    """
    resolved = resolve_weights(weights, criteria)
    total_weight = sum(resolved.values())
    shares = {key: weight / total_weight for key, weight in resolved.items()}
    scores = scores.loc[inputs.index]
    points = scores.mul(pd.Series(shares), axis=1)
    table = inputs.copy()
    table["total"] = points.sum(axis=1)
    for criterion in criteria:
        table[f"score_{criterion.key}"] = scores[criterion.key]
        table[f"points_{criterion.key}"] = points[criterion.key]
    order = _order(table["total"].to_numpy(float), *_tie_keys(inputs, scores))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return Ranking(table=table, criteria=criteria, shares=shares)


def breakdowns(ranking: Ranking) -> pd.DataFrame:
    """Return how every candidate's total is built, in rank order: one row per candidate and criterion.

    Columns: id, rank, name, criterion (label), meaning, value (the raw value, NaN when missing),
    score (0-100), weight_share (0-1), points (score x share; a candidate's points add up to its total).
    """
    table = ranking.table
    parts = [
        pd.DataFrame({"id": table["id"], "rank": table["rank"], "name": table["name"], "order": position,
                      "criterion": c.label, "meaning": c.meaning, "value": table[c.column].astype(float),
                      "score": table[f"score_{c.key}"], "weight_share": ranking.shares[c.key],
                      "points": table[f"points_{c.key}"]})
        for position, c in enumerate(ranking.criteria)
    ]  # fmt: skip
    long = pd.concat(parts, ignore_index=True).sort_values(["rank", "order"], kind="stable")
    return long.drop(columns="order").reset_index(drop=True)


def breakdown(ranking: Ranking, candidate_id: int) -> pd.DataFrame:
    """Return how one candidate's total is built: its rows of `breakdowns`, then a Total row."""
    rows = breakdowns(ranking)
    rows = rows[rows["id"] == candidate_id].drop(columns=["id", "rank", "name"])
    total = {"criterion": "Total", "meaning": "the sum of the points", "value": np.nan, "score": np.nan,
             "weight_share": 1.0, "points": rows["points"].sum()}  # fmt: skip
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def rank_ranges(
    inputs: pd.DataFrame,
    scores: pd.DataFrame,
    weights: Mapping[str, float],
    criteria: tuple[Criterion, ...],
    *,
    change: float = STABILITY_CHANGE,
) -> pd.DataFrame:
    """Return each candidate's best and worst rank when each weight moves by -change and +change alone.

    Columns id, best_rank, worst_rank (the current rank lies between them), solid (True when no
    single move of a weight changes the rank). Weights of 0 stay 0.
    """
    resolved = resolve_weights(weights, criteria)
    keys = [c.key for c in criteria]
    base = np.array([resolved[k] for k in keys])
    variants = [base]
    for position in np.flatnonzero(base > 0):
        for factor in (1 - change, 1 + change):
            moved = base.copy()
            moved[position] *= factor
            variants.append(moved)
    matrix = np.array(variants)
    scored = scores.loc[inputs.index, keys].to_numpy(float)
    totals = scored @ (matrix / matrix.sum(axis=1, keepdims=True)).T
    ties = _tie_keys(inputs, scores.loc[inputs.index])
    ranks = np.empty_like(totals, dtype=int)
    for column in range(totals.shape[1]):
        ranks[_order(totals[:, column], *ties), column] = np.arange(1, len(inputs) + 1)
    best, worst = ranks.min(axis=1), ranks.max(axis=1)
    return pd.DataFrame({"id": inputs["id"].to_numpy(), "best_rank": best, "worst_rank": worst, "solid": best == worst})


def points_long(ranking: Ranking, *, top: int) -> pd.DataFrame:
    """Return the top candidates' points per criterion, long: candidate, rank, criterion, points, total."""
    table = ranking.table.head(top)
    label = table["rank"].astype(str) + ". " + table["name"].astype(str)
    parts = [
        pd.DataFrame({"candidate": label, "rank": table["rank"], "criterion": c.label,
                      "points": table[f"points_{c.key}"], "total": table["total"]})
        for c in ranking.criteria
    ]  # fmt: skip
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class CandidateFilters:
    """Which candidates a ranking shows; an empty tuple keeps all."""

    kinds: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [f"{name}: {', '.join(values)}" for name, values in (
            ("kind", self.kinds), ("district", self.districts), ("category", self.categories),
            ("status", self.statuses)) if values]  # fmt: skip
        return "; ".join(parts) or "all candidates"


def filter_inputs(inputs: pd.DataFrame, filters: CandidateFilters) -> pd.DataFrame:
    """Keep the candidates the filters select (a candidate without a value matches no chosen value)."""
    keep = pd.Series(True, index=inputs.index)
    for column, values in (("kind", filters.kinds), ("district_code", filters.districts),
                           ("category", filters.categories), ("status", filters.statuses)):  # fmt: skip
        if values:
            keep &= inputs[column].isin(values)
    return inputs[keep]


def filter_choices(inputs: pd.DataFrame) -> dict[str, list[str]]:
    """Return the values each candidate filter can take, sorted."""
    return {
        column: sorted(inputs[column].dropna().astype(str).unique())
        for column in ("kind", "district_code", "category", "status")
    }


def about_lines(basis: RankingBasis, filters: CandidateFilters, *, shown: int) -> list[str]:
    """Return the sentences saying what a ranking covers and how its scores are built."""
    window = "no contacts stored yet"
    if basis.last_month:
        first = month_shift(basis.last_month, -11)
        window = f"linked contacts from {month_label(first)} to {month_label(basis.last_month)}"
    return [
        f"Priorities: {shown} of {len(basis.inputs)} candidates ({filters.describe()})",
        f"Demand evidence: {window}; contacts within {basis.radius_m:,.0f} m of a candidate's location, "
        "otherwise in its district, otherwise county-wide; compared with the 12 months before.",
        *(line.strip() for line in HOW_SCORES_ARE_BUILT),
        f"Rank ranges: the best and worst rank when each weight alone moves by ±{STABILITY_CHANGE:.0%}.",
    ]


HOW_SCORES_ARE_BUILT = (
    "Each criterion is scored 0-100 across all stored candidates: 0 for the least deserving value, 100 for the "
    "most, linearly between. Worse condition and lower cost score higher. A missing value scores 50.",
    "Weights are relative: each counts by its share of their sum. The score is the weighted mean of the criterion "
    "scores, and the breakdown's points add up to it.",
    "Ties break by the demand score, then the lower cost, then the name and the id.",
)
