"""Committee weights: AHP against a published worked example, consistency, and members combined."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from voc.core.errors import VocError
from voc.priorities.committee import (
    JUDGEMENTS,
    ahp_weights,
    committee_weights,
    judgement_pairs,
    judgement_value,
    pairwise_matrix,
    whole_percents,
)

# Saaty, T. L. (1990). How to make a decision: The Analytic Hierarchy Process. European Journal of
# Operational Research 48(1), 9-26, the house example, Table 2 (criteria in the paper's order) and
# the priority vector, lambda max 9.669, C.I. 0.238 and C.R. 0.169 the paper gives beside it.
HOUSE = ("size", "transportation", "neighborhood", "age", "yard", "facilities", "condition", "financing")
HOUSE_MATRIX = """
1 5 3 7 6 6 1/3 1/4
1/5 1 1/3 5 3 3 1/5 1/7
1/3 3 1 6 3 4 6 1/5
1/7 1/5 1/6 1 1/3 1/4 1/7 1/8
1/6 1/3 1/3 3 1 1/2 1/5 1/6
1/6 1/3 1/4 4 2 1 1/5 1/6
3 5 1/6 7 5 5 1 1/2
4 7 5 8 6 6 2 1
"""
HOUSE_PRIORITIES = (0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333)


def _house_judgements() -> dict[tuple[str, str], float]:
    rows = [line.split() for line in HOUSE_MATRIX.strip().splitlines()]
    return {(HOUSE[i], HOUSE[j]): float(Fraction(rows[i][j])) for i, j in itertools.combinations(range(8), 2)}


def test_the_weights_and_consistency_match_saatys_house_example() -> None:
    matrix = pairwise_matrix(HOUSE, _house_judgements())  # only the upper triangle given: the rest is reciprocal
    result = ahp_weights(HOUSE, matrix)
    assert [round(result.weights[key], 3) for key in HOUSE] == list(HOUSE_PRIORITIES)
    assert round(result.lambda_max, 3) == 9.669
    assert round(result.consistency_index, 3) == 0.238
    assert round(result.consistency_ratio, 3) == 0.169
    assert not result.consistent  # above 0.1: the paper's judgements warrant a second look


def test_consistent_judgements_give_their_exact_ratios() -> None:
    # demand 4x cost, condition 2x cost, so demand 2x condition: perfectly consistent.
    judgements = {("demand", "condition"): 2.0, ("demand", "cost"): 4.0, ("condition", "cost"): 2.0}
    result = ahp_weights(["demand", "condition", "cost"], pairwise_matrix(["demand", "condition", "cost"], judgements))
    assert result.weights == pytest.approx({"demand": 4 / 7, "condition": 2 / 7, "cost": 1 / 7})
    assert result.lambda_max == pytest.approx(3.0)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9) and result.consistent
    # A pair judged backwards (cost over demand) says the same thing.
    backwards = {("cost", "demand"): 1 / 4, ("demand", "condition"): 2.0, ("condition", "cost"): 2.0}
    again = ahp_weights(["demand", "condition", "cost"], pairwise_matrix(["demand", "condition", "cost"], backwards))
    assert again.weights == pytest.approx(result.weights)


def test_judgements_are_read_from_saatys_scale_only() -> None:
    assert [judgement_value(text) for text in ("9", "1", "1/3")] == pytest.approx([9, 1, 1 / 3])
    assert len(JUDGEMENTS) == 17
    with pytest.raises(VocError, match="not on Saaty's scale"):
        judgement_value("10")
    with pytest.raises(VocError, match="from 1/9 to 9"):
        pairwise_matrix(["a", "b"], {("a", "b"): 12.0})
    with pytest.raises(VocError, match="No criterion 'c'"):
        pairwise_matrix(["a", "b"], {("a", "c"): 3.0})
    assert judgement_pairs(["a", "b", "c"]) == [("a", "b"), ("a", "c"), ("b", "c")]


def test_the_committee_is_the_normalised_geometric_mean_of_its_members() -> None:
    members = {"Ana": {"demand": 0.6, "cost": 0.4}, "Ben": {"demand": 20.0, "cost": 80.0}}  # Ben's in percent
    combined = committee_weights(members)
    demand, cost = np.sqrt(0.6 * 0.2), np.sqrt(0.4 * 0.8)
    assert combined == pytest.approx({"demand": demand / (demand + cost), "cost": cost / (demand + cost)})
    assert committee_weights({"Ana": {"demand": 1.0, "cost": 3.0}}) == pytest.approx({"demand": 0.25, "cost": 0.75})
    with pytest.raises(VocError, match="at least one member"):
        committee_weights({})


def test_whole_percents_sum_to_100_and_round_the_largest_remainders_up() -> None:
    shares = {key: round(value, 3) for key, value in zip(HOUSE, HOUSE_PRIORITIES, strict=True)}
    percents = whole_percents(shares)
    assert sum(percents.values()) == 100
    assert percents == {"size": 17, "transportation": 5, "neighborhood": 19, "age": 2, "yard": 3, "facilities": 4,
                        "condition": 17, "financing": 33}  # fmt: skip
