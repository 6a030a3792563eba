"""The ranking as the Priorities page and `voc rank` show it: filtered, weighted, with rank ranges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from voc.contacts.overview import current_month
from voc.core.config import DEFAULT_CLOSURE_RULES, ClosureRules
from voc.core.errors import NotFound, VocError
from voc.priorities.evidence import DEFAULT_RADIUS_M
from voc.priorities.funding import FundingRules
from voc.priorities.ranking import (
    CandidateFilters,
    Ranking,
    RankingBasis,
    about_lines,
    filter_inputs,
    rank_candidates,
    rank_ranges,
    ranking_basis,
    resolve_weights,
)
from voc.priorities.scenarios import load_funding, load_scenarios
from voc.priorities.stability import removal_effects


@dataclass(frozen=True)
class RankView:
    """One ranking as shown: who was ranked, how, and what it covers."""

    ranking: Ranking
    table: pd.DataFrame  # ranking.table in rank order, with best_rank, worst_rank and solid
    weights: dict[str, float]  # criterion key -> weight, every criterion
    about: list[str]  # the sentences saying what the ranking covers (about_lines)
    removals: pd.DataFrame  # how the others would reorder without each stored candidate (removal_effects)


def rank_view(basis: RankingBasis, filters: CandidateFilters, weights: Mapping[str, float]) -> RankView:
    """Rank the candidates the filters keep with the given weights (defaults for the criteria not given).

    Raises VocError when the filters keep no candidate, a weight is unknown or negative, or every weight is 0.
    """
    resolved = resolve_weights(weights, basis.criteria)
    shown = filter_inputs(basis.inputs, filters)
    if shown.empty:
        raise VocError(f"No candidate matches {filters.describe()}.")
    ranking = rank_candidates(shown, basis.scores, resolved, basis.criteria)
    table = ranking.table.merge(rank_ranges(shown, basis.scores, resolved, basis.criteria), on="id")
    removals = removal_effects(basis, shown, resolved)
    return RankView(ranking, table, resolved, about_lines(basis, filters, shown=len(table)), removals)


def stored_rank_view(
    engine: sa.Engine,
    *,
    today: date,
    timezone: str,
    weights: Mapping[str, float] | None = None,
    scenario: str | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    filters: CandidateFilters = CandidateFilters(),  # noqa: B008 - frozen, so one shared default is safe
    rules: ClosureRules = DEFAULT_CLOSURE_RULES,
) -> tuple[RankingBasis, RankView]:
    """Rank the stored candidates on demand up to the latest complete month, as `voc rank` does.

    `weights` override those of the saved `scenario`, which override the defaults. Raises VocError
    without candidates, for an unknown scenario, and as rank_view does.
    """
    last_month = current_month(engine, today=today, timezone=timezone)
    basis = ranking_basis(engine, last_month=last_month, radius_m=radius_m, rules=rules, timezone=timezone)
    if basis.inputs.empty:
        raise VocError("No candidates yet: import a list with `voc import candidates FILE`.")
    start: dict[str, float] = {}
    if scenario:
        saved = load_scenarios(engine)
        if scenario not in saved:
            raise NotFound(f"No saved scenario {scenario!r}; saved: {', '.join(saved) or 'none'}.")
        start = saved[scenario]
    return basis, rank_view(basis, filters, {**start, **(weights or {})})


def stored_funding_rules(
    engine: sa.Engine,
    *,
    scenario: str | None,
    budget: float | None = None,
    mandated: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    fund_budgets: tuple[tuple[str, float], ...] = (),
    year_budgets: tuple[tuple[int, float], ...] = (),
) -> FundingRules | None:
    """Return the funding rules of a ranking: those saved with `scenario`, each part replaced when given.

    None when neither a budget nor a scenario saved with one is given.
    """
    saved = load_funding(engine).get(scenario or "")
    if budget is None and saved is None:
        if mandated or excluded or fund_budgets or year_budgets:
            raise VocError(
                "Mandated and excluded candidates, and budgets by fund or year, need a budget: give one with --budget."
            )
        return None
    start = saved or FundingRules(0.0)
    return FundingRules(
        start.budget if budget is None else budget, mandated or start.mandated, excluded or start.excluded,
        fund_budgets or start.fund_budgets, year_budgets or start.year_budgets,
    )  # fmt: skip
