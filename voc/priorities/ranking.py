"""Rank candidates: criteria scored 0-100 on fixed scales, combined with weights, explained, tested for stability.

How a score is built is said once, in HOW_SCORES_ARE_BUILT and each criterion's scale (voc.priorities.scales),
which the page and the export show: fixed scales (missing: 50), relative weights, a weighted mean whose
points add up, and deterministic tie-breaks (demand score, lower cost, name, id).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.core.config import DEFAULT_CLOSURE_RULES, ClosureRules
from voc.core.errors import VocError
from voc.core.periods import month_label, month_shift
from voc.priorities.evidence import (
    DEFAULT_RADIUS_M,
    EVIDENCE_COLUMNS,
    HISTORY_COLUMNS,
    demand_evidence,
    demand_history,
    load_candidates,
)
from voc.priorities.scales import Linear, Logarithmic, Percentile, Scale, county_scale

NEUTRAL = 50.0
STABILITY_CHANGE = 0.10
# Weights moving together: every combination of each weight down or up, or this many drawn at random.
MAX_COMBINATIONS = 1024
IDENTITY_COLUMNS = [
    "id",
    "source_id",
    "name",
    "kind",
    "category",
    "district_code",
    "status",
    "estimated_cost",
    "fund",
    "fiscal_year",
]


@dataclass(frozen=True)
class Criterion:
    key: str  # the weight's name, as in `voc rank --weights key=40`
    label: str
    column: str  # the ranking input column holding the raw value
    default_weight: float
    meaning: str  # what the raw value is, for the breakdown
    scale: Scale  # how the raw value becomes a 0-100 score


BUILT_IN = (
    Criterion("trend", "Demand trend", "change_pct", 10, "% change of linked contacts on the 12 months before",
              Linear(-100, 100, "a fall to none scores 0, no change 50, doubling or more 100")),
    Criterion("repeat", "Repeat places", "repeat_places", 10, "places nearby with 3 or more linked contacts",
              Linear(0, 10, "none scores 0, 10 or more score 100, linearly between")),
    # Weighted 0 until the meeting raises it: a default weight would reorder every ranking saved before it.
    Criterion("reopened", "Reopened after closure", "reopened", 0,
              "linked contacts reported again nearby, or reopened, after closure",
              Linear(0, 10, "none scores 0, 10 or more score 100, linearly between")),
    Criterion("survey", "Survey priority", "is_rating", 10,
              "importance x dissatisfaction of its service area in the latest survey",
              Linear(0, 0.2, "0 scores 0, ETC's high-priority floor (0.10) 50, very high priority (0.20 up) 100")),
    Criterion("condition", "Condition", "condition", 15, "0 (failed) to 100 (as new)",
              Linear(100, 0, "as new (100) scores 0, failed (0) scores 100: worse scores higher")),
)  # fmt: skip
COST_PER_RESIDENT = Criterion(
    "cost", "Cost", "cost_per_resident", 10, "estimated cost in dollars per resident of the linked area",
    Logarithmic(1e5, 1, "$1 per resident or less scores 100, $100,000 or more 0; every tenfold costs 20 points"),
)  # fmt: skip
COST_IN_DOLLARS = Criterion(
    "cost", "Cost", "estimated_cost", 10, "estimated cost in dollars (no population known for some areas)",
    Logarithmic(1e9, 1e4, "$10,000 or less scores 100, $1 billion or more 0; every tenfold costs 20 points"),
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

    Adds contacts_per_million (linked contacts per $1 million of estimated cost: demand per dollar)
    and cost_per_resident (estimated cost per resident of the linked area; NaN without residents).
    """
    inputs = candidates.merge(evidence, on="id", how="left", validate="one_to_one")
    criteria = pd.DataFrame([c if isinstance(c, dict) else {} for c in inputs["criteria"]], index=inputs.index)
    for key in sorted(criteria.columns):
        inputs[f"county_{key}"] = pd.to_numeric(criteria[key], errors="coerce").astype(float)
    cost = pd.to_numeric(inputs["estimated_cost"]).astype(float)
    inputs["estimated_cost"] = cost
    inputs["condition"] = pd.to_numeric(inputs["condition"]).astype(float)
    inputs["contacts_per_million"] = inputs["contacts"] / cost.where(cost > 0) * 1e6
    residents = pd.to_numeric(inputs["residents"]).astype(float)
    inputs["cost_per_resident"] = cost / residents.where(residents > 0)
    return inputs


@dataclass(frozen=True)
class DemandReference:
    """The county's own demand over time that a candidate's demand is scored against, in both units."""

    per_1000: Percentile  # contacts per 1,000 residents
    contacts: Percentile  # contacts, when some area has no population


def demand_reference(history: pd.DataFrame) -> DemandReference:
    """Build the demand scales from the county's history (voc.priorities.evidence.demand_history)."""
    contacts = pd.to_numeric(history["contacts"]).astype(float)
    residents = pd.to_numeric(history["residents"]).astype(float)
    areas = history[["category", "district_code"]].drop_duplicates().shape[0]
    windows = history["window_end"].nunique()

    def scale(values: pd.Series, unit: str) -> Percentile:
        reference = np.sort(values.dropna().to_numpy(float))
        how = (
            f"the share of the county's own 12-month figures with fewer {unit}: {areas:,} category-district pairs "
            f"over {windows:,} rolling windows ({len(reference):,} figures)"
            if len(reference)
            else "no contacts stored yet: every candidate scores 50"
        )
        return Percentile(reference, how)

    per_1000 = contacts / residents.where(residents > 0) * 1000
    return DemandReference(scale(per_1000, "contacts per 1,000 residents"), scale(contacts, "contacts"))


def criteria_of(inputs: pd.DataFrame, reference: DemandReference) -> tuple[Criterion, ...]:
    """Return the criteria of a ranking: demand, the built-in ones, cost, then the county's own in name order.

    Demand is scored against the county's own history (`reference`). Demand and cost are per
    resident when every candidate's area has residents, otherwise in contacts and dollars. A county
    criterion's scale runs from 0 to its column's round top. Only the residents and county_ columns
    of `inputs` matter.
    """
    residents = inputs["residents"] if "residents" in inputs else pd.Series(dtype=float)
    per_resident = bool(len(inputs)) and bool((residents > 0).all())
    if per_resident:
        demand = Criterion(
            "demand",
            "Customer demand",
            "per_1000",
            30,
            "linked contacts in the last 12 months per 1,000 residents of the area",
            reference.per_1000,
        )
    else:
        demand = Criterion("demand", "Customer demand", "contacts", 30,
                           "linked contacts in the last 12 months (no population known for some areas)",
                           reference.contacts)  # fmt: skip
    built_in = (demand, *BUILT_IN, COST_PER_RESIDENT if per_resident else COST_IN_DOLLARS)
    taken = {c.key for c in built_in}
    county = []
    for column in (name for name in inputs.columns if name.startswith("county_")):
        key = column.removeprefix("county_")
        county.append(
            Criterion(column if key in taken else key, key.replace("_", " ").capitalize(), column, COUNTY_WEIGHT,
                      "the county's own score: higher is more deserving", county_scale(inputs[column]))
        )  # fmt: skip
    return (*built_in, *county)


def criteria_without_each(inputs: pd.DataFrame, reference: DemandReference) -> dict[int, tuple[Criterion, ...]]:
    """Return the criteria without each candidate whose removal would change them, by candidate id.

    A removal changes the criteria when it changes a county column's round top or whether every
    candidate's area has residents; the other candidates' scores then move. Usually empty.
    """
    deciding = inputs[[c for c in inputs.columns if c == "residents" or c.startswith("county_")]]
    criteria = criteria_of(deciding, reference)
    changed = {}
    for position, candidate in enumerate(inputs["id"]):
        without = criteria_of(deciding.drop(index=deciding.index[position]), reference)
        if without != criteria:
            changed[int(candidate)] = without
    return changed


@dataclass(frozen=True)
class RankingBasis:
    """Everything a ranking needs but the weights: computed once per data version and radius."""

    inputs: pd.DataFrame  # one row per stored candidate (ranking_inputs)
    criteria: tuple[Criterion, ...]
    scores: pd.DataFrame  # criterion_scores of every stored candidate
    last_month: str | None  # the last month of the demand window; None without contacts
    radius_m: float
    reference: DemandReference  # the county's demand over time that demand is scored against
    rescaled: dict[int, tuple[Criterion, ...]]  # criteria_without_each: the criteria a removal would change


def ranking_basis(
    engine: sa.Engine,
    *,
    last_month: str | None,
    radius_m: float = DEFAULT_RADIUS_M,
    rules: ClosureRules = DEFAULT_CLOSURE_RULES,
    timezone: str = "UTC",
) -> RankingBasis:
    """Load the candidates, their demand evidence over the 12 months up to `last_month`, and the county's history.

    Without contacts (`last_month` None) every candidate has 0 linked contacts. `rules` say what
    counts as reopened after closure; `timezone` is the county's (the closure roll-ups are counted in it).
    """
    candidates = load_candidates(engine)
    if last_month is None or candidates.empty:
        evidence = pd.DataFrame({"id": candidates["id"]}).reindex(columns=EVIDENCE_COLUMNS)
        evidence[["contacts", "contacts_before", "repeat_places", "reopened"]] = 0
        history = pd.DataFrame(columns=HISTORY_COLUMNS)
    else:
        evidence = demand_evidence(
            engine, candidates, last_month=last_month, radius_m=radius_m, rules=rules, timezone=timezone
        )
        history = demand_history(engine, last_month=last_month)
    inputs = ranking_inputs(candidates, evidence)
    reference = demand_reference(history)
    criteria = criteria_of(inputs, reference)
    scores = criterion_scores(inputs, criteria)
    rescaled = criteria_without_each(inputs, reference)
    return RankingBasis(inputs, criteria, scores, last_month, radius_m, reference, rescaled)


def criterion_scores(inputs: pd.DataFrame, criteria: tuple[Criterion, ...]) -> pd.DataFrame:
    """Score each criterion 0-100 on its scale (columns: criterion keys); a missing value scores NEUTRAL.

    A row's scores depend on that row and the criteria only, never on the other rows.
    """
    scores = {c.key: c.scale.score(pd.to_numeric(inputs[c.column]).astype(float)).fillna(NEUTRAL) for c in criteria}
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
    scale (how the value becomes the score), score (0-100), weight_share (0-1), points (score x share;
    a candidate's points add up to its total).
    """
    table = ranking.table
    parts = [
        pd.DataFrame({"id": table["id"], "rank": table["rank"], "name": table["name"], "order": position,
                      "criterion": c.label, "meaning": c.meaning, "value": table[c.column].astype(float),
                      "scale": c.scale.how, "score": table[f"score_{c.key}"], "weight_share": ranking.shares[c.key],
                      "points": table[f"points_{c.key}"]})
        for position, c in enumerate(ranking.criteria)
    ]  # fmt: skip
    long = pd.concat(parts, ignore_index=True).sort_values(["rank", "order"], kind="stable")
    return long.drop(columns="order").reset_index(drop=True)


def breakdown(ranking: Ranking, candidate_id: int) -> pd.DataFrame:
    """Return how one candidate's total is built: its rows of `breakdowns`, then a Total row.

    The Total row's score and points are both the candidate's score (the sum of the points); it has no value.
    """
    rows = breakdowns(ranking)
    rows = rows[rows["id"] == candidate_id].drop(columns=["id", "rank", "name"])
    points = rows["points"].sum()
    total = {"criterion": "Total", "meaning": "the candidate's score: the sum of the points", "value": np.nan,
             "scale": "", "score": points, "weight_share": 1.0, "points": points}  # fmt: skip
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def rank_ranges(
    inputs: pd.DataFrame,
    scores: pd.DataFrame,
    weights: Mapping[str, float],
    criteria: tuple[Criterion, ...],
    *,
    change: float = STABILITY_CHANGE,
) -> pd.DataFrame:
    """Return each candidate's best and worst rank when the weights move by up to ±change, alone and together.

    The moves: each weight by -change and +change alone, and every weight at once, each down or up
    (every combination; MAX_COMBINATIONS drawn with a fixed seed when there are more). Columns id,
    best_rank, worst_rank (the current rank lies between them), solid (True when no move changes
    the rank). Weights of 0 stay 0.
    """
    resolved = resolve_weights(weights, criteria)
    keys = [c.key for c in criteria]
    matrix = weight_moves(np.array([resolved[k] for k in keys]), change=change)
    scored = scores.loc[inputs.index, keys].to_numpy(float)
    totals = scored @ (matrix / matrix.sum(axis=1, keepdims=True)).T
    ties = _tie_keys(inputs, scores.loc[inputs.index])
    ranks = np.empty_like(totals, dtype=int)
    for column in range(totals.shape[1]):
        ranks[_order(totals[:, column], *ties), column] = np.arange(1, len(inputs) + 1)
    best, worst = ranks.min(axis=1), ranks.max(axis=1)
    return pd.DataFrame({"id": inputs["id"].to_numpy(), "best_rank": best, "worst_rank": worst, "solid": best == worst})


def weight_moves(base: np.ndarray, *, change: float) -> np.ndarray:
    """Return the weights as given, then each non-zero weight moved alone, then all of them moved together.

    One row per set of weights: the first is `base`; then each weight times (1 - change) and
    (1 + change) alone; then every combination of each weight down or up (MAX_COMBINATIONS of them,
    drawn with a fixed seed, when there are more).
    """
    moving = np.flatnonzero(base > 0)
    alone = [base]
    for position in moving:
        for factor in (1 - change, 1 + change):
            moved = base.copy()
            moved[position] *= factor
            alone.append(moved)
    if 2 ** len(moving) <= MAX_COMBINATIONS:
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=len(moving))))
    else:
        signs = np.random.default_rng(0).choice((-1.0, 1.0), size=(MAX_COMBINATIONS, len(moving)))
    together = np.repeat(base[None, :], len(signs), axis=0)
    together[:, moving] *= 1 + change * signs
    return np.vstack([np.array(alone), together])


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
        *(f"{c.label} ({c.meaning}): {c.scale.how}." for c in basis.criteria),
        f"Rank ranges: the best and worst rank when the weights move by ±{STABILITY_CHANGE:.0%}, one at a time "
        "and all together.",
    ]


HOW_SCORES_ARE_BUILT = (
    "Each criterion is scored 0-100 on a fixed scale of its own (below), never against the other candidates: adding "
    "or removing a candidate moves no other score, unless it changes the top of one of the county's own scoring "
    "columns. Worse condition and lower cost score higher. A missing value scores 50.",
    "Weights are relative: each counts by its share of their sum. The score is the weighted mean of the criterion "
    "scores, and the breakdown's points add up to it.",
    "Ties break by the demand score, then the lower cost, then the name and the id.",
)
