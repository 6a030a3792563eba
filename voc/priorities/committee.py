"""Weights a committee agrees on: each member's pairwise judgements of the criteria (AHP), combined.

A member says, for each pair of criteria, how many times more important the first is than the
second on Saaty's 1-9 scale (1/9 to 9). Their weights are the principal eigenvector of the
reciprocal matrix; the consistency ratio (Saaty's consistency index over his random index for
that many criteria) above 0.1 means the judgements contradict each other too much to trust.
The committee's weights are the geometric mean of the members' weights, normalised: the
aggregation of individual priorities that keeps the AHP's ratio meaning (Forman & Peniwati, 1998).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from voc.core.errors import VocError

CONSISTENCY_LIMIT = 0.10
# Saaty's random consistency index by number of criteria (The Analytic Hierarchy Process, 1980, p. 21).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49, 11: 1.51,
                12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}  # fmt: skip
# Saaty's scale, strongest for the first criterion first: what a judgement can say.
JUDGEMENTS = (*(str(n) for n in range(9, 0, -1)), *(f"1/{n}" for n in range(2, 10)))


@dataclass(frozen=True)
class PairwiseWeights:
    """One member's weights from pairwise judgements, and how consistent the judgements are."""

    weights: dict[str, float]  # criterion key -> weight, summing to 1
    lambda_max: float  # the principal eigenvalue: n when perfectly consistent
    consistency_index: float  # (lambda_max - n) / (n - 1)
    consistency_ratio: float  # the index over Saaty's random index; 0 for 1 or 2 criteria

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio <= CONSISTENCY_LIMIT


def judgement_value(text: str) -> float:
    """Read one judgement of JUDGEMENTS ("3", "1/5") as a number; raise VocError for anything else."""
    if text not in JUDGEMENTS:
        raise VocError(f"{text!r} is not on Saaty's scale: use one of {', '.join(JUDGEMENTS)}.")
    return float(Fraction(text))


def pairwise_matrix(keys: Sequence[str], judgements: Mapping[tuple[str, str], float]) -> np.ndarray:
    """Build the reciprocal matrix of `keys` from judgements (first, second) -> times more important.

    A pair judged in either order counts; a pair not judged counts as equally important (1).
    Raises VocError for an unknown criterion or a judgement outside 1/9-9.
    """
    where = {key: position for position, key in enumerate(keys)}
    matrix = np.ones((len(keys), len(keys)))
    for (first, second), value in judgements.items():
        unknown = [key for key in (first, second) if key not in where]
        if unknown:
            raise VocError(f"No criterion {unknown[0]!r}: the criteria are {', '.join(keys)}.")
        if not 1 / 9 - 1e-9 <= value <= 9 + 1e-9 or first == second:
            raise VocError(f"Judge {first} against {second} from 1/9 to 9 (Saaty's scale), a criterion not itself.")
        matrix[where[first], where[second]] = value
        matrix[where[second], where[first]] = 1 / value
    return matrix


def ahp_weights(keys: Sequence[str], matrix: np.ndarray) -> PairwiseWeights:
    """Return the weights of a reciprocal pairwise matrix (principal eigenvector) and its consistency."""
    size = len(keys)
    if size not in RANDOM_INDEX:
        raise VocError(f"Pairwise comparison takes 1 to {max(RANDOM_INDEX)} criteria; there are {size}.")
    values, vectors = np.linalg.eig(matrix)
    principal = int(np.argmax(values.real))
    vector = np.abs(vectors[:, principal].real)
    lambda_max = float(values[principal].real)
    index = (lambda_max - size) / (size - 1) if size > 1 else 0.0
    ratio = index / RANDOM_INDEX[size] if RANDOM_INDEX[size] else 0.0
    weights = dict(zip(keys, (vector / vector.sum()).tolist(), strict=True))
    return PairwiseWeights(weights, lambda_max, index, ratio)


def committee_weights(members: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Combine members' weights by the geometric mean of each criterion's weight, normalised to sum 1.

    Each member's weights are first made shares of their own sum, so scales do not matter. A
    criterion missing from a member, or weighted 0 by any, gets 0. Raises VocError without members.
    """
    if not members:
        raise VocError("Choose at least one member's weights to combine.")
    shares = pd.DataFrame([{k: v / sum(w.values()) for k, v in w.items()} for w in members.values()]).fillna(0.0)
    with np.errstate(divide="ignore"):
        mean = np.exp(np.log(shares.to_numpy(float)).mean(axis=0))
    if not mean.sum():
        raise VocError("The members share no criterion they all weight above 0: nothing to combine.")
    return dict(zip(shares.columns, (mean / mean.sum()).tolist(), strict=True))


def whole_percents(weights: Mapping[str, float]) -> dict[str, float]:
    """Return weights as whole percentages summing to 100 (largest remainders round up), as the sliders show them.

    A saved scenario holds these, so the page's sliders and `voc rank --scenario` rank with the same weights.
    """
    keys = list(weights)
    exact = np.array([weights[k] for k in keys], dtype=float)
    exact = exact / exact.sum() * 100
    whole = np.floor(exact)
    short = int(round(100 - whole.sum()))
    whole[np.argsort(-(exact - whole), kind="stable")[:short]] += 1
    return dict(zip(keys, whole.tolist(), strict=True))


def judgement_pairs(keys: Sequence[str]) -> list[tuple[str, str]]:
    """Return every pair of criteria once, in the criteria's order: what a member judges."""
    return list(itertools.combinations(keys, 2))
