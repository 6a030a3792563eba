"""The funding line: the optimiser against brute force, mandated and excluded candidates, refusals."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from voc.cli import main
from voc.core.access import Role
from voc.core.errors import VocError
from voc.priorities.funding import (
    FundingRules,
    best_set,
    budget_moves,
    describe_limits,
    describe_move,
    funding_line,
    limit_spending,
)
from voc.priorities.scenarios import delete_scenario, load_funding, save_scenario
from voc.priorities.view import stored_funding_rules


def _brute_force(scores: np.ndarray, costs: np.ndarray, budget: float, forced: np.ndarray, barred: np.ndarray) -> float:
    best = -np.inf
    for choice in itertools.product((False, True), repeat=len(scores)):
        taken = np.array(choice)
        if (forced & ~taken).any() or (barred & taken).any() or (taken & np.isnan(costs)).any():
            continue
        if np.nan_to_num(costs)[taken].sum() <= budget:
            best = max(best, scores[taken].sum())
    return best


@pytest.mark.parametrize("seed", range(60))
def test_the_optimiser_finds_the_best_set_that_brute_force_finds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 11))
    scores = np.round(rng.uniform(0, 100, size), 1)
    costs = rng.integers(1, 50, size).astype(float) * 100_000  # whole dollars, as a county's list has them
    costs[rng.random(size) < 0.1] = np.nan
    forced = (rng.random(size) < 0.15) & ~np.isnan(costs)
    barred = (rng.random(size) < 0.15) & ~forced
    budget = float(rng.uniform(0.1, 0.8) * np.nansum(costs)) if np.nansum(costs) else 0.0
    budget = max(budget, float(costs[forced].sum()))
    taken = best_set(scores, costs, budget, forced=forced, barred=barred)
    assert np.nan_to_num(costs)[taken].sum() <= budget
    assert taken[forced].all() and not taken[barred].any() and not taken[np.isnan(costs)].any()
    assert scores[taken].sum() == pytest.approx(_brute_force(scores, costs, budget, forced, barred))


def test_a_budget_spent_to_the_dollar_is_within_it() -> None:
    costs = np.array([3_000_001.0, 2_999_999.0, 4_000_000.0])
    taken = best_set(np.array([10.0, 10.0, 15.0]), costs, 6_000_000, forced=np.zeros(3, bool), barred=np.zeros(3, bool))
    assert taken.tolist() == [True, True, False]


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_id": ["A", "B", "C", "D", "E"],
            "name": ["Bridge", "Road", "Park", "Drain", "Library"],
            "total": [80.0, 70.0, 60.0, 50.0, 40.0],
            "estimated_cost": [6e6, 3e6, 3e6, 1e6, np.nan],
        }
    )


def test_the_line_funds_the_best_set_and_says_what_the_next_dollar_buys() -> None:
    line = funding_line(_table(), FundingRules(7e6))
    # B + C + D (180 points, $7M) beat A + D (130 points, $7M).
    assert line.funded[line.funded].index.tolist() == ["B", "C", "D"]
    assert (line.spent, line.score) == (7e6, 180.0)
    assert line.next_buy is not None
    assert (line.next_buy.source_id, line.next_buy.extra) == ("A", 6e6)


def test_mandated_are_funded_and_excluded_are_not_whatever_they_score() -> None:
    line = funding_line(_table(), FundingRules(7e6, mandated=("A",), excluded=("D",)))
    assert line.funded[line.funded].index.tolist() == ["A"]
    assert line.next_buy is not None and line.next_buy.source_id == "B"
    assert line.next_buy.extra == pytest.approx(2e6)  # $3M, with $1M left


def test_refusals_say_what_to_change() -> None:
    with pytest.raises(VocError, match=r"mandated candidates alone cost \$9,000,000, more than the budget of \$7,"):
        funding_line(_table(), FundingRules(7e6, mandated=("A", "B")))
    with pytest.raises(VocError, match="has no estimated cost"):
        funding_line(_table(), FundingRules(7e6, mandated=("E",)))
    with pytest.raises(VocError, match="No candidate 'Z' among those ranked, so it cannot be excluded"):
        funding_line(_table(), FundingRules(7e6, excluded=("Z",)))
    with pytest.raises(VocError, match="B is both mandated and excluded"):
        funding_line(_table(), FundingRules(7e6, mandated=("B",), excluded=("B",)))
    with pytest.raises(VocError, match="0 dollars or more"):
        funding_line(_table(), FundingRules(-1))


def test_budget_moves_name_who_enters_and_leaves() -> None:
    table = _table()
    line = funding_line(table, FundingRules(7e6, mandated=("D",)))
    lower, higher = budget_moves(table, line)
    assert (lower.budget, lower.entering, lower.leaving) == (6.3e6, (), ("Park",))
    assert higher.budget == pytest.approx(7.7e6) and (higher.entering, higher.leaving) == ((), ())
    assert describe_move(lower) == "At $6,300,000 (-10%): out: Park."
    tight = funding_line(table, FundingRules(1e6, mandated=("D",)))
    assert budget_moves(table, tight)[0].refusal is not None


def test_funding_rules_are_saved_with_their_scenario_and_go_with_it(engine: sa.Engine) -> None:
    rules = FundingRules(12.5e6, mandated=("CIP-026",), excluded=("CIP-014", "CIP-029"))
    save_scenario(engine, "Wall", {"demand": 40}, funding=rules, user="ana", role=Role.ANALYST)
    save_scenario(engine, "Sliders", {"demand": 10}, user="ana", role=Role.ANALYST)
    assert load_funding(engine) == {"Wall": rules}
    assert stored_funding_rules(engine, scenario="Wall", budget=9e6) == FundingRules(
        9e6, rules.mandated, rules.excluded
    )
    assert stored_funding_rules(engine, scenario="Sliders") is None
    with pytest.raises(VocError, match="need a budget"):
        stored_funding_rules(engine, scenario="Sliders", mandated=("CIP-026",))
    save_scenario(engine, "Wall", {"demand": 50}, user="ben", role=Role.ANALYST)  # replaced without a budget
    assert load_funding(engine) == {}
    save_scenario(engine, "Wall", {"demand": 50}, funding=rules, user="ben", role=Role.ANALYST)
    delete_scenario(engine, "Wall", user="ana", role=Role.ANALYST)
    assert load_funding(engine) == {}


def test_voc_rank_marks_the_funded_set_within_the_budget(monkeypatch: pytest.MonkeyPatch, demo_store_url: str) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)
    runner = CliRunner()
    arguments = ["rank", "--budget", "20000000", "--mandated", "CIP-026", "--excluded", "CIP-007", "--json"]
    printed = runner.invoke(main, arguments)
    assert printed.exit_code == 0, printed.output
    result = json.loads(printed.output)
    funded = [c for c in result["candidates"] if c["funded"] is True]
    assert {c["source_id"] for c in funded} >= {"CIP-026"}
    assert "CIP-007" not in {c["source_id"] for c in funded}
    assert sum(c["estimated_cost"] for c in funded) == result["funding"]["spent"] <= 20e6
    assert result["funding"]["score"] == pytest.approx(sum(c["total"] for c in funded))
    unfunded = [c for c in result["candidates"] if c["funded"] is False and c["source_id"] != "CIP-007"]
    assert result["funding"]["next_buy"]["source_id"] == unfunded[0]["source_id"]  # the best left out
    assert [m["budget"] for m in result["funding"]["moves"]] == pytest.approx([18e6, 22e6])
    refused = runner.invoke(main, ["rank", "--budget", "1000", "--mandated", "CIP-026", "--json"])
    assert refused.exit_code == 2
    assert json.loads(refused.output) == {
        "error": "The mandated candidates alone cost $18,892,000, more than the budget of $1,000: raise the budget "
        "or mark fewer candidates mandated.",
        "kind": "input",
    }
    plain = runner.invoke(main, ["rank", "--budget", "20000000"])
    assert plain.exit_code == 0 and "A budget of $20,000,000 funds " in plain.output
    assert "funded  Stormwater pond expansion near Moon Lake" in plain.output


def _brute_force_within(
    scores: np.ndarray, costs: np.ndarray, budget: float, groups: list[tuple[np.ndarray, float]], forced: np.ndarray
) -> float:
    best = -np.inf
    for choice in itertools.product((False, True), repeat=len(scores)):
        taken = np.array(choice)
        if (forced & ~taken).any() or (taken & np.isnan(costs)).any():
            continue
        spent = np.nan_to_num(costs) * taken
        if spent.sum() <= budget and all(spent[members].sum() <= money for members, money in groups):
            best = max(best, scores[taken].sum())
    return best


@pytest.mark.parametrize("seed", range(60))
def test_the_optimiser_with_fund_and_year_budgets_finds_what_brute_force_finds(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    size = int(rng.integers(2, 12))
    table = pd.DataFrame({
        "source_id": [f"P{i}" for i in range(size)], "name": [f"Project {i}" for i in range(size)],
        "total": np.round(rng.uniform(0, 100, size), 1),
        "estimated_cost": rng.integers(1, 50, size).astype(float) * 100_000,
        "fund": pd.Series(rng.choice(["General Fund", "Stormwater", "Impact fees", None], size), dtype="object"),
        "fiscal_year": pd.Series(rng.choice([2027, 2028, 0], size)).replace(0, pd.NA).astype("Int64"),
    })  # fmt: skip
    table.loc[rng.random(size) < 0.1, "estimated_cost"] = np.nan
    costs = table["estimated_cost"].to_numpy(float)
    forced = (rng.random(size) < 0.15) & ~np.isnan(costs)
    share = lambda: float(rng.uniform(0.2, 0.9))  # noqa: E731
    funds = [
        (f, share() * np.nansum(np.where(table["fund"] == f, costs, 0))) for f in sorted(set(table["fund"].dropna()))
    ]
    in_year = {int(y): (table["fiscal_year"] == y).fillna(False).to_numpy(bool) for y in table["fiscal_year"].dropna()}
    years = [(y, share() * np.nansum(np.where(members, costs, 0))) for y, members in sorted(in_year.items())]
    rules = FundingRules(share() * np.nansum(costs), fund_budgets=tuple(funds), year_budgets=tuple(years),
                         mandated=tuple(table["source_id"][forced]))  # fmt: skip
    groups = [((table["fund"] == f).to_numpy(), m) for f, m in funds]
    groups += [(in_year[y], m) for y, m in years]
    best = _brute_force_within(table["total"].to_numpy(), costs, rules.budget, groups, forced)
    if best == -np.inf:  # the mandated alone break a budget: refused, and saying which
        with pytest.raises(VocError, match="mandated candidates"):
            funding_line(table, rules)
        return
    line = funding_line(table, rules)
    taken = line.funded.to_numpy()
    assert line.score == pytest.approx(best)
    spent = np.nan_to_num(costs) * taken
    assert spent.sum() <= rules.budget and all(spent[members].sum() <= money for members, money in groups)
    assert taken[forced].all()


def test_a_fund_budget_keeps_its_candidates_within_it_and_the_others_count_only_against_the_total() -> None:
    table = _table().assign(fund=["Bonds", "Gas tax", "Gas tax", None, None])
    # B + C + D (180 points, $7M) is best overall; with Gas tax capped at $3M only one of B, C fits.
    line = funding_line(table, FundingRules(7e6, fund_budgets=(("Gas tax", 3e6),)))
    assert line.funded[line.funded].index.tolist() == ["A", "D"]  # 130 points: B + D (120) would leave $3M unspent
    assert line.next_buy is not None and line.next_buy.source_id == "B"
    assert line.next_buy.extra == pytest.approx(3e6)  # the total is spent: B needs its whole $3M more
    with pytest.raises(VocError, match=r"No candidate ranked is in Parks, so it cannot have a budget. Known: Bonds"):
        funding_line(table, FundingRules(7e6, fund_budgets=(("Parks", 1e6),)))
    with pytest.raises(VocError, match=r"mandated candidates in Gas tax alone cost \$6,000,000, more than the budget"):
        funding_line(table, FundingRules(9e6, mandated=("B", "C"), fund_budgets=(("Gas tax", 3e6),)))
    spending = limit_spending(table, line)
    assert spending.to_dict("records") == [{"limit": "Gas tax", "budget": 3e6, "spent": 0.0}]
    assert describe_limits(spending) == "Within the budgets by fund and fiscal year: Gas tax $0 of $3,000,000."


def test_voc_rank_keeps_each_fund_and_year_within_its_budget(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str
) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)
    runner = CliRunner()
    arguments = ["rank", "--budget", "30000000", "--fund-budget", "Stormwater utility=5,000,000",
                 "--year-budget", "FY2027=8000000", "--json"]  # fmt: skip
    printed = runner.invoke(main, arguments)
    assert printed.exit_code == 0, printed.output
    result = json.loads(printed.output)
    funded = [c for c in result["candidates"] if c["funded"]]
    storm = sum(c["estimated_cost"] for c in funded if c["fund"] == "Stormwater utility")
    first_year = sum(c["estimated_cost"] for c in funded if c["fiscal_year"] == 2027)
    assert result["funding"]["limits"] == [
        {"limit": "Stormwater utility", "budget": 5e6, "spent": storm}, {"limit": "FY2027", "budget": 8e6,
                                                                         "spent": first_year},
    ]  # fmt: skip
    assert storm <= 5e6 and first_year <= 8e6 and sum(c["estimated_cost"] for c in funded) <= 30e6
    assert (result["funding"]["fund_budgets"], result["funding"]["year_budgets"]) == (
        {"Stormwater utility": 5e6}, {"2027": 8e6},
    )  # fmt: skip
    unlimited = json.loads(runner.invoke(main, ["rank", "--budget", "30000000", "--json"]).output)
    assert unlimited["funding"]["score"] > result["funding"]["score"]  # the limits cost the committee points
    refused = runner.invoke(main, ["rank", "--budget", "30000000", "--fund-budget", "Stormwater", "--json"])
    assert refused.exit_code == 2
    assert json.loads(refused.output)["error"] == (
        "--fund-budget 'Stormwater': give NAME=AMOUNT in dollars, e.g. --fund-budget \"General Fund=2000000\"."
    )
    unknown = runner.invoke(main, ["rank", "--budget", "30000000", "--fund-budget", "Parks=1", "--json"])
    assert json.loads(unknown.output)["error"].startswith(
        "No candidate ranked is in Parks, so it cannot have a budget."
    )
    plain = runner.invoke(main, arguments[:-1])
    assert "Within the budgets by fund and fiscal year: Stormwater utility $" in plain.output


def test_what_the_solver_prints_from_c_never_reaches_standard_output(monkeypatch, capfd) -> None:
    import os

    from voc.priorities import funding

    solve = funding.milp

    def printing_solver(*args, **options):  # as HiGHS does now and then (ERGO-Code/HiGHS#2783)
        os.write(1, b"HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();\n")
        return solve(*args, **options)

    monkeypatch.setattr(funding, "milp", printing_solver)
    taken = best_set(np.array([10.0, 20.0]), np.array([1e6, 2e6]), 2e6, forced=np.zeros(2, bool),
                     barred=np.zeros(2, bool))  # fmt: skip
    print("after the solve")
    printed = capfd.readouterr()
    assert taken.tolist() == [False, True]
    assert printed.out == "after the solve\n" and "tmpSolver" in printed.err
