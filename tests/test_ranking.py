"""Scores, weights, tie-breaks, rank ranges, scenarios and the export of a ranking."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.rankings import REFERENCE, candidate_inputs
from voc.core.access import Role
from voc.core.errors import VocError
from voc.priorities.ranking import (
    HOW_SCORES_ARE_BUILT,
    MAX_COMBINATIONS,
    breakdown,
    breakdowns,
    criteria_of,
    criterion_scores,
    parse_weights,
    rank_candidates,
    rank_ranges,
    resolve_weights,
    weight_moves,
)
from voc.priorities.scales import Linear, Logarithmic, Percentile, county_scale, round_top
from voc.priorities.scenarios import delete_scenario, load_scenarios, save_scenario
from voc.priorities.workbook import ranking_workbook


def _ranked(rows: list[dict[str, object]], weights: dict[str, float]):
    inputs = candidate_inputs(rows)
    criteria = criteria_of(inputs, REFERENCE)
    return inputs, criteria, rank_candidates(inputs, criterion_scores(inputs, criteria), weights, criteria)


ONLY = {"demand": 0, "trend": 0, "repeat": 0, "reopened": 0, "survey": 0, "condition": 0, "cost": 0}


def test_criteria_are_scored_on_fixed_scales_with_direction_and_neutral_missing_values() -> None:
    inputs = candidate_inputs([
        {"contacts": 0, "cost": 1e6, "condition": 20, "change_pct": 50.0},
        {"contacts": 5, "cost": 1e5, "condition": None, "change_pct": np.nan, "residents": 100.0},
        {"contacts": 20, "cost": 1e8, "condition": 80, "change_pct": -50.0},
    ])  # fmt: skip
    criteria = criteria_of(inputs, REFERENCE)
    assert [c.key for c in criteria] == ["demand", "trend", "repeat", "reopened", "survey", "condition", "cost"]
    assert (criteria[0].column, criteria[-1].column) == ("per_1000", "cost_per_resident")
    scores = criterion_scores(inputs, criteria)
    assert scores["demand"].tolist() == [0.0, 50.0, 20.0]  # 0, 50 and 20 per 1,000 against history of 0..99
    # $1,000, $1,000 and $100,000 per resident: 20 points per tenfold from $100,000 (0) to $1 (100).
    assert scores["cost"].tolist() == pytest.approx([40.0, 40.0, 0.0])
    assert scores["condition"].tolist() == [80.0, 50.0, 20.0]  # worse condition scores higher; missing: 50
    assert scores["trend"].tolist() == [75.0, 50.0, 25.0]
    assert scores["repeat"].tolist() == [0.0, 0.0, 0.0]  # no repeat place anywhere: 0, not the middle
    assert scores["reopened"].tolist() == [0.0, 0.0, 0.0]  # nothing reopened: 0, not the middle
    assert scores["survey"].tolist() == [50.0, 50.0, 50.0]  # no survey: missing everywhere


def test_scales_score_exact_values_and_cap_outside_their_anchors() -> None:
    values = pd.Series([-5.0, 0.0, 2.5, 10.0, 40.0, np.nan])
    assert Linear(0, 10, "").score(values).tolist()[:5] == [0.0, 0.0, 25.0, 100.0, 100.0]
    assert Linear(100, 0, "").score(pd.Series([0.0, 25.0, 100.0])).tolist() == [100.0, 75.0, 0.0]
    dollars = Logarithmic(1e5, 1, "").score(pd.Series([0.0, 1.0, 10.0, 1e3, 1e5, 1e7]))
    assert dollars.tolist() == pytest.approx([100.0, 100.0, 80.0, 40.0, 0.0, 0.0])
    reference = Percentile(np.array([1.0, 2.0, 2.0, 3.0]), "")
    assert reference.score(pd.Series([0.0, 1.0, 2.0, 2.5, 9.0])).tolist() == [0.0, 0.0, 25.0, 75.0, 100.0]
    assert Percentile(np.array([]), "").score(pd.Series([1.0])).isna().all()
    assert all(np.isnan(scale.score(values).iloc[-1]) for scale in (Linear(0, 1, ""), reference))


@pytest.mark.parametrize(
    ("top", "expected"), [(-3, 1), (0, 1), (1, 1), (3, 5), (5, 5), (5.5, 10), (10, 10), (11, 50), (51, 100),
                          (100, 100), (101, 500), (2_000, 5_000)],
)  # fmt: skip
def test_a_county_column_is_scored_up_to_its_round_top(top: float, expected: float) -> None:
    assert round_top(top) == expected
    assert county_scale(pd.Series([0.0, top])).full == expected


def test_demand_counts_contacts_when_a_population_is_unknown() -> None:
    inputs = candidate_inputs([{"contacts": 3}, {"contacts": 6, "residents": np.nan}])
    criteria = criteria_of(inputs, REFERENCE)
    demand, cost = criteria[0], criteria[-1]
    assert (demand.column, cost.column) == ("contacts", "estimated_cost")
    # Against the history's contacts (0, 10, ..., 990): 3 and 6 are above only the 0.
    assert criterion_scores(inputs, (demand,))["demand"].tolist() == [1.0, 1.0]
    assert criterion_scores(inputs, (cost,))["cost"].tolist() == pytest.approx([60.0, 60.0])  # $1 million


def test_the_countys_own_criteria_join_and_never_shadow_built_in_ones() -> None:
    inputs = candidate_inputs([{"criteria": {"equity": 1, "cost": 9}}, {"criteria": {"equity": 5}}])
    keys = [c.key for c in criteria_of(inputs, REFERENCE)]
    assert keys[-2:] == ["county_cost", "equity"]
    assert resolve_weights({"equity": 40}, criteria_of(inputs, REFERENCE))["equity"] == 40


@settings(max_examples=60, deadline=None)
@given(
    contacts=st.lists(st.integers(0, 500), min_size=1, max_size=12),
    residents=st.lists(st.floats(100, 1e6), min_size=12, max_size=12),
    pick=st.integers(0, 11),
    more=st.integers(0, 500),
)
def test_more_linked_contacts_never_lower_a_candidates_demand_score(contacts, residents, pick, more) -> None:
    pick %= len(contacts)
    rows = [{"contacts": c, "residents": r} for c, r in zip(contacts, residents, strict=False)]
    before = criterion_scores(candidate_inputs(rows), criteria_of(candidate_inputs(rows), REFERENCE))["demand"].iloc[
        pick
    ]
    rows[pick] = {**rows[pick], "contacts": rows[pick]["contacts"] + more}
    after = criterion_scores(candidate_inputs(rows), criteria_of(candidate_inputs(rows), REFERENCE))["demand"].iloc[
        pick
    ]
    assert after >= before


ROWS = [
    {"contacts": 10, "cost": 4e6, "condition": 30, "change_pct": 20.0, "criteria": {"equity": 2}},
    {"contacts": 2, "cost": 5e5, "condition": 70, "change_pct": -10.0, "criteria": {"equity": 5}},
    {"contacts": 6, "cost": 2e6, "condition": 10, "change_pct": 0.0, "criteria": {"equity": 3}},
    {"contacts": 0, "cost": 9e6, "condition": 90, "change_pct": 80.0, "criteria": {"equity": 1}},
]


def test_the_total_is_the_weighted_mean_and_the_points_add_up_to_it() -> None:
    weights = {"demand": 40, "condition": 30, "cost": 10, "equity": 20, "trend": 0, "repeat": 0, "survey": 0}
    inputs, criteria, ranking = _ranked(ROWS, weights)
    scores = criterion_scores(inputs, criteria)
    expected = sum(scores[key] * weight for key, weight in weights.items()) / 100
    totals = ranking.table.set_index("id")["total"].sort_index()
    np.testing.assert_allclose(totals.to_numpy(), expected.to_numpy())
    for candidate in ranking.table["id"]:
        parts = breakdown(ranking, candidate)
        assert parts["points"].iloc[:-1].sum() == pytest.approx(parts["points"].iloc[-1])
        assert parts["points"].iloc[-1] == pytest.approx(totals[candidate])
        assert parts["score"].iloc[-1] == pytest.approx(totals[candidate])  # the Total row shows the score
        np.testing.assert_allclose(
            parts["points"].iloc[:-1], parts["score"].iloc[:-1] * parts["weight_share"].iloc[:-1]
        )
    assert ranking.shares == {"demand": 0.4, "trend": 0.0, "repeat": 0.0, "reopened": 0.0, "survey": 0.0,
                              "condition": 0.3, "cost": 0.1, "equity": 0.2}  # fmt: skip
    assert ranking.table["rank"].tolist() == [1, 2, 3, 4]
    assert ranking.table["total"].is_monotonic_decreasing


def test_weights_are_relative_zero_leaves_a_criterion_out_and_one_alone_decides() -> None:
    weights = {"demand": 40, "trend": 5, "repeat": 5, "survey": 5, "condition": 30, "cost": 10, "equity": 20}
    _, _, base = _ranked(ROWS, weights)
    _, _, doubled = _ranked(ROWS, {key: value * 2 for key, value in weights.items()})
    pd.testing.assert_frame_equal(base.table, doubled.table)

    no_trend = {**weights, "trend": 0}
    changed = [{**row, "change_pct": -row["change_pct"]} for row in ROWS]
    pd.testing.assert_series_equal(
        _ranked(ROWS, no_trend)[2].table["total"], _ranked(changed, no_trend)[2].table["total"]
    )

    inputs, criteria, alone = _ranked(ROWS, {**ONLY, "equity": 0, "condition": 100})
    assert alone.table["condition"].tolist() == [10, 30, 70, 90]
    assert alone.table["total"].tolist() == pytest.approx(alone.table["score_condition"].tolist())


def test_raising_a_weight_moves_every_total_toward_that_criterions_score() -> None:
    _, _, low = _ranked(ROWS, {"demand": 10})
    _, _, high = _ranked(ROWS, {"demand": 60})
    low_t, high_t = (r.table.set_index("id") for r in (low, high))
    score = low_t["score_demand"]
    assert ((high_t["total"] - low_t["total"]) * (score - low_t["total"]) >= -1e-9).all()


def test_wrong_weights_are_refused_with_a_message() -> None:
    criteria = criteria_of(candidate_inputs(ROWS), REFERENCE)
    with pytest.raises(VocError, match="No criterion 'speed'"):
        resolve_weights({"speed": 1}, criteria)
    with pytest.raises(VocError, match="must be 0 or more"):
        resolve_weights({"cost": -1}, criteria)
    with pytest.raises(VocError, match="Every weight is 0"):
        resolve_weights({c.key: 0 for c in criteria}, criteria)
    assert parse_weights("demand=40, condition=30") == {"demand": 40.0, "condition": 30.0}
    with pytest.raises(VocError, match="criterion=weight"):
        parse_weights("demand:40")


def test_ties_break_by_demand_then_lower_cost_then_name_whatever_the_input_order() -> None:
    rows = [
        {"name": "Beta", "contacts": 5, "cost": 2e6},
        {"name": "Alpha", "contacts": 5, "cost": 2e6},
        {"name": "Gamma", "contacts": 5, "cost": 1e6},
        {"name": "Delta", "contacts": 9, "cost": 3e6},
    ]
    weights = {**ONLY, "condition": 100}  # every condition is 50: all totals tie
    _, _, ranking = _ranked(rows, weights)
    assert ranking.table["name"].tolist() == ["Delta", "Gamma", "Alpha", "Beta"]
    _, _, reversed_ranking = _ranked(rows[::-1], weights)
    assert reversed_ranking.table["name"].tolist() == ["Delta", "Gamma", "Alpha", "Beta"]


def test_rank_ranges_show_which_positions_hold_when_each_weight_moves_ten_percent() -> None:
    rows = [
        {"contacts": 100, "cost": 1e5, "condition": 0},  # best on everything
        {"contacts": 50, "cost": 1e6, "condition": 51},  # 50 + 25 ...
        {"contacts": 48, "cost": 1e6, "condition": 49},  # ... and a near tie with the one above
        {"contacts": 0, "cost": 2e6, "condition": 100},  # worst on everything
    ]
    inputs = candidate_inputs(rows)
    criteria = criteria_of(inputs, REFERENCE)
    scores = criterion_scores(inputs, criteria)
    weights = {**ONLY, "demand": 50, "condition": 50}
    ranges = rank_ranges(inputs, scores, weights, criteria).set_index("id")
    assert ranges.loc[1, ["best_rank", "worst_rank"]].tolist() == [1, 1]
    assert ranges.loc[4, ["best_rank", "worst_rank"]].tolist() == [4, 4]
    assert ranges.loc[2, ["best_rank", "worst_rank"]].tolist() == [2, 3]
    assert ranges.loc[3, ["best_rank", "worst_rank"]].tolist() == [2, 3]
    assert ranges["solid"].tolist() == [True, False, False, True]
    current = rank_candidates(inputs, scores, weights, criteria).table.set_index("id")["rank"]
    assert (ranges["best_rank"] <= current).all() and (current <= ranges["worst_rank"]).all()


def test_rank_ranges_catch_an_order_that_only_weights_moving_together_can_flip() -> None:
    # Scores (demand, condition, trend): A (60, 60, 27) totals 49, B (50, 50, 50) totals 50. Each weight alone
    # moving 10% closes at most 2.3 of A's 3-point gap to B at equal weights; all three together close 4.3.
    rows = [{"name": "A", "contacts": 60, "condition": 40, "change_pct": -46.0},
            {"name": "B", "contacts": 50, "condition": 50, "change_pct": 0.0}]  # fmt: skip
    inputs = candidate_inputs(rows)
    criteria = criteria_of(inputs, REFERENCE)
    scores = criterion_scores(inputs, criteria)
    weights = {**ONLY, "demand": 1, "condition": 1, "trend": 1}
    assert rank_candidates(inputs, scores, weights, criteria).table["name"].tolist() == ["B", "A"]
    keys = [c.key for c in criteria]
    moves = weight_moves(np.array([float(weights[k]) for k in keys]), change=0.10)
    assert len(moves) == 1 + 2 * 3 + 2**3
    alone = moves[: 1 + 2 * 3]
    gaps = scores.to_numpy() @ (alone / alone.sum(axis=1, keepdims=True)).T
    assert (gaps[1] > gaps[0]).all()  # no single weight's move puts A first
    ranges = rank_ranges(inputs, scores, weights, criteria)
    assert ranges[["best_rank", "worst_rank"]].values.tolist() == [[1, 2], [1, 2]]
    assert not ranges["solid"].any()


def test_weights_moving_together_are_sampled_with_a_fixed_seed_beyond_the_combination_limit() -> None:
    base = np.arange(1.0, 13.0)  # 12 weights: 4,096 combinations
    moves = weight_moves(base, change=0.10)
    assert len(moves) == 1 + 2 * 12 + MAX_COMBINATIONS
    np.testing.assert_array_equal(moves, weight_moves(base, change=0.10))
    ratios = moves[25:] / base
    assert np.isin(np.round(ratios, 9), [0.9, 1.1]).all()
    assert weight_moves(np.array([0.0, 2.0]), change=0.10)[:, 0].tolist() == [0.0] * 5  # a 0 weight stays 0


def test_weight_scenarios_save_replace_load_and_delete(engine: sa.Engine) -> None:
    save_scenario(engine, " Safety first ", {"demand": 20, "health_safety": 60}, user="ana", role=Role.ANALYST)
    save_scenario(engine, "Demand", {"demand": 80}, user="ana", role=Role.ANALYST)
    save_scenario(engine, "Safety first", {"demand": 30, "health_safety": 50}, user="ben", role=Role.ANALYST)
    assert load_scenarios(engine) == {
        "Demand": {"demand": 80.0},
        "Safety first": {"demand": 30.0, "health_safety": 50.0},
    }
    delete_scenario(engine, "Demand", user="ana", role=Role.ANALYST)
    assert list(load_scenarios(engine)) == ["Safety first"]
    with pytest.raises(VocError, match="no saved scenario"):
        delete_scenario(engine, "Demand", user="ana", role=Role.ANALYST)
    with pytest.raises(VocError, match="1 to 100 characters"):
        save_scenario(engine, "  ", {"demand": 1}, user="ana", role=Role.ANALYST)


def test_the_export_holds_the_ranking_breakdown_and_weights_cell_by_cell() -> None:
    rows = [dict(ROWS[0], name='=HYPERLINK("http://evil.example","Click")'), *ROWS[1:]]
    weights = {"demand": 40, "condition": 30, "cost": 10, "equity": 20, "trend": 0, "repeat": 0, "survey": 0}
    inputs, criteria, ranking = _ranked(rows, weights)
    ranges = rank_ranges(inputs, criterion_scores(inputs, criteria), weights, criteria)
    about = ["Priorities: 4 of 4 candidates", "+cmd|' /C calc'!A0", *HOW_SCORES_ARE_BUILT]
    book = load_workbook(io.BytesIO(ranking_workbook(ranking, ranges, resolve_weights(weights, criteria), about=about)))
    assert book.sheetnames == ["Ranking", "Breakdown", "Weights", "About"]

    sheet = book["Ranking"]
    header = [cell.value for cell in sheet[1]]
    assert header[:8] == ["Rank", "Project", "Id", "Kind", "Category", "District", "Status", "Score (0-100)"]
    table = ranking.table.merge(ranges, on="id")
    for number, row in enumerate(table.itertuples(), start=2):
        cells = {name: sheet.cell(row=number, column=header.index(name) + 1) for name in header}
        assert cells["Rank"].value == row.rank
        assert cells["Project"].value == row.name and cells["Project"].data_type == "s"
        assert cells["Id"].value == row.source_id
        assert cells["Score (0-100)"].value == pytest.approx(row.total)
        assert cells["Score (0-100)"].number_format == "0.0"
        assert cells["Estimated cost"].value == row.estimated_cost
        assert cells["Estimated cost"].number_format == "$#,##0"
        assert (cells["Best rank (weights ±10%)"].value, cells["Worst rank (weights ±10%)"].value) == (
            row.best_rank, row.worst_rank,
        )  # fmt: skip
    assert sheet.max_row == 5
    evil = next(c for c in sheet["B"] if str(c.value).startswith("=HYPERLINK"))
    assert evil.data_type == "s" and evil.value == '=HYPERLINK("http://evil.example","Click")'
    assert sheet.freeze_panes == "C2"
    assert all(cell.data_type != "f" for ws in book for line in ws.iter_rows() for cell in line)

    details = pd.DataFrame(book["Breakdown"].values)
    details = details.iloc[1:].set_axis(details.iloc[0].tolist(), axis=1)
    assert len(details) == len(table) * len(criteria)
    expected = breakdowns(ranking)
    assert details["Criterion"].tolist() == expected["criterion"].tolist()
    np.testing.assert_allclose(details["Points"].astype(float), expected["points"])
    by_rank = details.groupby("Rank")["Points"].sum().astype(float)
    np.testing.assert_allclose(by_rank.to_numpy(), table["total"].to_numpy())

    weight_rows = list(book["Weights"].values)
    assert weight_rows[0] == ("Criterion", "Key (voc rank --weights)", "Weight", "Share", "What the value is",
                              "How the value scores")  # fmt: skip
    assert [r[5] for r in weight_rows[1:]] == [c.scale.how for c in criteria]
    assert weight_rows[-1][5] == "scored 0-5 by the county: 0 scores 0, 5 scores 100, linearly between"
    assert [(r[1], r[2], r[3]) for r in weight_rows[1:]] == [
        ("demand", 40, 0.4), ("trend", 0, 0), ("repeat", 0, 0), ("reopened", 0, 0), ("survey", 0, 0),
        ("condition", 30, 0.3), ("cost", 10, 0.1), ("equity", 20, 0.2),
    ]  # fmt: skip
    notes = book["About"]
    assert [notes.cell(row=r, column=1).value for r in range(1, len(about) + 1)] == about
    assert notes["A2"].data_type == "s"
