"""The funding line: the candidates that give the most total score within a budget.

A 0-1 knapsack solved exactly by mixed-integer programming (scipy.optimize.milp, HiGHS, with no
optimality gap): maximise the sum of the funded candidates' scores with their estimated costs
within the budget, and within any budget set for a fund or a fiscal year (one more constraint
each: the costs of that fund's or year's candidates; a candidate without a fund or year counts
only against the total). Mandated candidates are forced in, excluded ones kept out, and a candidate
without an estimated cost cannot be placed against a budget, so it is never funded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from voc.core.errors import VocError

BUDGET_MOVE = 0.10
LIMIT_EXAMPLES = {"--fund-budget": '"General Fund=2000000"', "--year-budget": "2027=5000000"}
Key = TypeVar("Key", str, int)


@dataclass(frozen=True)
class FundingRules:
    """What the committee decided before the optimiser runs: the money, and who is in or out whatever it scores."""

    budget: float  # dollars
    mandated: tuple[str, ...] = ()  # candidate source ids funded whatever their score
    excluded: tuple[str, ...] = ()  # candidate source ids never funded
    fund_budgets: tuple[tuple[str, float], ...] = ()  # (fund, dollars): the most its candidates may cost
    year_budgets: tuple[tuple[int, float], ...] = ()  # (fiscal year, dollars)

    def moved(self, factor: float) -> FundingRules:
        """The same rules with all the money, total and per fund or year, moved by `factor`."""
        return FundingRules(
            self.budget * factor, self.mandated, self.excluded,
            tuple((fund, money * factor) for fund, money in self.fund_budgets),
            tuple((year, money * factor) for year, money in self.year_budgets),
        )  # fmt: skip


@dataclass(frozen=True)
class Limit:
    """A budget for part of the candidates (one fund's, or one fiscal year's): a constraint beside the total."""

    label: str  # "General Fund", "FY2027"
    members: np.ndarray  # bool per candidate
    budget: float  # dollars


@dataclass(frozen=True)
class NextBuy:
    """The best-scoring candidate left unfunded, and the money it needs beyond what is left."""

    source_id: str
    name: str
    total: float
    cost: float
    extra: float  # dollars to add to the budget to fund it on top of the funded set


@dataclass(frozen=True)
class FundingLine:
    """Who is funded within a budget, and what it costs."""

    rules: FundingRules
    funded: pd.Series  # bool by source id, in the ranking's order
    spent: float
    score: float  # the sum of the funded candidates' totals
    next_buy: NextBuy | None  # None when every candidate that can be funded is


@dataclass(frozen=True)
class BudgetMove:
    """How the funded set changes when the budget moves by `factor`."""

    factor: float
    budget: float
    entering: tuple[str, ...]  # names, in rank order
    leaving: tuple[str, ...]
    refusal: str | None  # why no set fits (the mandated candidates alone cost more), else None


def best_set(
    scores: np.ndarray, costs: np.ndarray, budget: float, *, forced: np.ndarray, barred: np.ndarray,
    limits: Sequence[Limit] = (),
) -> np.ndarray:  # fmt: skip
    """Return which items to take (bool) for the most total score with total cost within `budget`.

    Each of `limits` also caps the cost of the items it covers. `forced` items are taken, `barred`
    ones left, items with a NaN cost never taken. Raises VocError when the forced items alone cost
    more than the budget or a limit, or have no cost. Exact: no optimality gap.
    """
    costs = np.asarray(costs, dtype=float)
    forced, barred = np.asarray(forced, dtype=bool), np.asarray(barred, dtype=bool)
    unknown = np.isnan(costs)
    if (forced & unknown).any():
        raise VocError("A mandated candidate has no estimated cost: give it one, or stop marking it mandated.")
    every = [Limit("", np.ones(len(costs), dtype=bool), budget), *limits]
    for limit in every:
        committed = costs[forced & limit.members].sum()
        if committed > limit.budget:
            within, which = (
                (f" in {limit.label}", f"the budget of {limit.label}") if limit.label else ("", "the budget")
            )
            raise VocError(
                f"The mandated candidates{within} alone cost ${committed:,.0f}, more than the budget of "
                f"${limit.budget:,.0f}: raise {which} or mark fewer candidates mandated."
            )
    if not len(costs):
        return np.zeros(0, dtype=bool)
    # Costs in units of the budget keep the constraints well scaled whatever the currency's size.
    unit = budget if budget > 0 else 1.0
    known = np.nan_to_num(costs, nan=0.0)
    rows = np.array([np.where(limit.members, known, 0.0) for limit in every]) / unit
    upper = np.where(barred | unknown, 0.0, 1.0)
    with _solver_output_to_stderr():
        result = milp(
            c=-np.asarray(scores, dtype=float),
            integrality=np.ones(len(costs)),
            bounds=Bounds(forced.astype(float), upper),
            constraints=LinearConstraint(rows, -np.inf, np.array([limit.budget for limit in every]) / unit),
            options={"mip_rel_gap": 0.0},
        )
    if result.x is None:
        raise RuntimeError(f"The funding optimiser failed: {result.message}")
    taken = result.x > 0.5
    # The solver's feasibility tolerance could admit a set a few dollars over: drop the cheapest-scoring then.
    return _within(taken, np.asarray(scores, dtype=float), known, every, forced)


@contextmanager
def _solver_output_to_stderr() -> Iterator[None]:
    """Send what the solver prints to standard error while it runs.

    HiGHS sometimes prints a stray line straight to file descriptor 1 from C (ERGO-Code/HiGHS#2783),
    which would break `voc rank --json`; Python's sys.stdout cannot catch it, so the descriptor moves.
    """
    sys.stdout.flush()
    kept = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(kept, 1)
        os.close(kept)


def _within(
    taken: np.ndarray, scores: np.ndarray, costs: np.ndarray, limits: Sequence[Limit], forced: np.ndarray
) -> np.ndarray:
    taken = taken.copy()
    for limit in limits:
        for position in np.argsort(scores, kind="stable"):
            if costs[taken & limit.members].sum() <= limit.budget:
                break
            if taken[position] and limit.members[position] and not forced[position]:
                taken[position] = False
    return taken


def budget_limits(table: pd.DataFrame, rules: FundingRules) -> list[Limit]:
    """Return the rules' per-fund and per-year budgets as limits over the table's candidates.

    Raises VocError for a fund or year that no candidate of the table has (a mistyped name).
    """
    limits = []
    for column, given, label in (("fund", rules.fund_budgets, str), ("fiscal_year", rules.year_budgets, fiscal_label)):
        values = table[column] if column in table else pd.Series(pd.NA, index=table.index)
        for key, money in given:
            members = (values == key).fillna(False).to_numpy(bool)
            if not members.any():
                known = ", ".join(sorted({label(v) for v in values.dropna()})) or "none"
                raise VocError(f"No candidate ranked is in {label(key)}, so it cannot have a budget. Known: {known}.")
            if not money >= 0:
                raise VocError(f"The budget of {label(key)} must be 0 dollars or more.")
            limits.append(Limit(label(key), members, float(money)))
    return limits


def parse_limits(given: Sequence[str], option: str, key: Callable[[str], Key]) -> tuple[tuple[Key, float], ...]:
    """Read "NAME=AMOUNT" budgets ("General Fund=2000000", "2027=5e6", "FY2027=5e6"); VocError for one unreadable."""
    limits = []
    for text in given:
        name, _, amount = text.rpartition("=")
        name = name.strip().removeprefix("FY") if key is int else name.strip()
        try:
            limits.append((key(name), float(amount.replace(",", "").replace("$", ""))))
        except ValueError:
            name = ""
        if not name:
            raise VocError(f"{option} {text!r}: give NAME=AMOUNT in dollars, e.g. {option} {LIMIT_EXAMPLES[option]}.")
    return tuple(limits)


def fiscal_label(year: object) -> str:
    """Name a fiscal year as budgets do: FY2027."""
    return f"FY{int(year)}"


def funding_line(table: pd.DataFrame, rules: FundingRules) -> FundingLine:
    """Fund the candidates of a ranking table (source_id, name, total, estimated_cost, in rank order).

    Raises VocError for a negative budget, a mandated or excluded id not in the table, an id both
    mandated and excluded, and as best_set does.
    """
    if not rules.budget >= 0:
        raise VocError("The budget must be 0 dollars or more.")
    ids = table["source_id"].astype(str)
    _check_ids(set(ids), rules.mandated, "mandated")
    _check_ids(set(ids), rules.excluded, "excluded")
    both = sorted(set(rules.mandated) & set(rules.excluded))
    if both:
        raise VocError(f"{both[0]} is both mandated and excluded: choose one.")
    costs = pd.to_numeric(table["estimated_cost"]).to_numpy(float)
    totals = table["total"].to_numpy(float)
    limits = budget_limits(table, rules)
    taken = best_set(totals, costs, rules.budget, forced=ids.isin(rules.mandated).to_numpy(),
                     barred=ids.isin(rules.excluded).to_numpy(), limits=limits)  # fmt: skip
    funded = pd.Series(taken, index=ids.to_numpy(), name="funded")
    spent = float(np.nan_to_num(costs)[taken].sum())
    left = np.flatnonzero(~taken & ~ids.isin(rules.excluded).to_numpy() & ~np.isnan(costs))
    next_buy = None
    if left.size:
        best, position = table.iloc[left[0]], left[0]
        cost = float(best["estimated_cost"])
        # What the tightest budget it counts against (the total, its fund's, its year's) lacks to fund it too.
        room = min([rules.budget - spent, *(limit.budget - float(costs[taken & limit.members].sum())
                                            for limit in limits if limit.members[position])])  # fmt: skip
        next_buy = NextBuy(str(best["source_id"]), str(best["name"]), float(best["total"]), cost, max(0.0, cost - room))
    return FundingLine(rules, funded, spent, float(totals[taken].sum()), next_buy)


def limit_spending(table: pd.DataFrame, line: FundingLine) -> pd.DataFrame:
    """Return each per-fund and per-year budget and what the funded set spends of it: limit, budget, spent."""
    costs = pd.to_numeric(table["estimated_cost"]).fillna(0.0).to_numpy(float)
    taken = line.funded.to_numpy(bool)
    rows = [(limit.label, limit.budget, float(costs[taken & limit.members].sum()))
            for limit in budget_limits(table, line.rules)]  # fmt: skip
    return pd.DataFrame(rows, columns=["limit", "budget", "spent"])


def _check_ids(known: set[str], given: Sequence[str], what: str) -> None:
    unknown = [source_id for source_id in given if source_id not in known]
    if unknown:
        raise VocError(f"No candidate {unknown[0]!r} among those ranked, so it cannot be {what}.")


def budget_moves(table: pd.DataFrame, line: FundingLine, *, change: float = BUDGET_MOVE) -> list[BudgetMove]:
    """Return how the funded set changes with the budget `change` lower and higher, lower first."""
    names = dict(zip(table["source_id"].astype(str), table["name"].astype(str), strict=True))
    moves = []
    for factor in (1 - change, 1 + change):
        rules = line.rules.moved(factor)
        try:
            other = funding_line(table, rules).funded
        except VocError as reason:
            moves.append(BudgetMove(factor, rules.budget, (), (), str(reason)))
            continue
        entering = tuple(names[i] for i in other.index[other & ~line.funded])
        leaving = tuple(names[i] for i in other.index[line.funded & ~other])
        moves.append(BudgetMove(factor, rules.budget, entering, leaving, None))
    return moves


def describe_move(move: BudgetMove) -> str:
    """Say in one sentence what a budget move changes."""
    head = f"At ${move.budget:,.0f} ({move.factor - 1:+.0%})"
    if move.refusal:
        return f"{head}: {move.refusal}"
    if not move.entering and not move.leaving:
        return f"{head}: the same candidates are funded."
    parts = [f"{verb} {', '.join(names)}" for verb, names in (("in:", move.entering), ("out:", move.leaving)) if names]
    return f"{head}: " + "; ".join(parts) + "."


def funding_summary(line: FundingLine) -> str:
    """Say what the budget funds and what the next dollar would buy."""
    count = int(line.funded.sum())
    said = (
        f"A budget of ${line.rules.budget:,.0f} funds {count} candidate{'s' * (count != 1)} for ${line.spent:,.0f} "
        f"(${line.rules.budget - line.spent:,.0f} left), {len(line.rules.mandated)} of them mandated."
    )
    if line.next_buy is None:
        return f"{said} Every candidate that can be funded is."
    buy = line.next_buy
    return (
        f"{said} The next dollar would go to {buy.name} ({buy.source_id}, score {buy.total:.1f}, ${buy.cost:,.0f}): "
        f"it needs ${buy.extra:,.0f} more."
    )


def describe_limits(spending: pd.DataFrame) -> str:
    """Say what the funded set spends of each per-fund and per-year budget ("" without any)."""
    if spending.empty:
        return ""
    parts = [f"{row.limit} ${row.spent:,.0f} of ${row.budget:,.0f}" for row in spending.itertuples()]
    return "Within the budgets by fund and fiscal year: " + "; ".join(parts) + "."


def funding_record(line: FundingLine, moves: Sequence[BudgetMove], spending: pd.DataFrame) -> dict:
    """Return the funding line as plain values for JSON: budget, spent, score, mandated, excluded, next_buy, moves,
    and each per-fund or per-year budget with what is spent of it (limits)."""
    buy = line.next_buy
    return {
        "budget": line.rules.budget, "spent": line.spent, "score": line.score, "mandated": list(line.rules.mandated),
        "excluded": list(line.rules.excluded),
        "fund_budgets": dict(line.rules.fund_budgets),
        "year_budgets": {str(year): money for year, money in line.rules.year_budgets},
        "limits": spending.to_dict("records"),
        "next_buy": buy and {"source_id": buy.source_id, "name": buy.name, "total": buy.total, "cost": buy.cost,
                             "extra": buy.extra},
        "moves": [{"budget": m.budget, "entering": list(m.entering), "leaving": list(m.leaving),
                   "refusal": m.refusal} for m in moves],
    }  # fmt: skip


FUNDED, MANDATED, NOT_FUNDED, EXCLUDED, NO_COST = "Funded", "Funded (mandated)", "Not funded", "Excluded", "No cost"


def funding_status(table: pd.DataFrame, line: FundingLine) -> pd.Series:
    """Return each candidate's place against the line, in the table's order (FUNDED, MANDATED, ... NO_COST)."""
    ids = table["source_id"].astype(str)
    status = np.select(
        [ids.isin(line.rules.mandated), line.funded.to_numpy(), ids.isin(line.rules.excluded),
         table["estimated_cost"].isna()],
        [MANDATED, FUNDED, EXCLUDED, NO_COST], NOT_FUNDED,
    )  # fmt: skip
    return pd.Series(status, index=table.index, name="funding")


def funding_steps(table: pd.DataFrame, line: FundingLine, *, unfunded: int = 10) -> pd.DataFrame:
    """Return the funding line as cost steps: the funded in rank order, then the first `unfunded` left out.

    Columns label ("rank. name"), rank, status, cost, start and end (the cumulative cost before and
    after it, dollars). Funded steps end within the budget; the rest start beyond what was spent.
    Excluded candidates and those without a cost are left out: no budget could fund them.
    """
    status = funding_status(table, line)
    funded = table[status.isin([FUNDED, MANDATED])]
    rest = table[status == NOT_FUNDED].head(unfunded)
    steps = pd.concat([funded, rest])
    cost = steps["estimated_cost"].astype(float)
    return pd.DataFrame({
        "label": steps["rank"].astype(str) + ". " + steps["name"].astype(str), "rank": steps["rank"],
        "status": status.loc[steps.index], "cost": cost, "start": cost.cumsum() - cost, "end": cost.cumsum(),
    }).reset_index(drop=True)  # fmt: skip
