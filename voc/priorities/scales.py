"""Fixed scales that turn a criterion's raw value into a 0-100 score.

A scale is fixed by the criterion itself or by the county's own history, never by the other
candidates listed: adding or removing a candidate cannot move anyone else's score. Each scale
says in one sentence how it scores (`how`), for the breakdown and the export.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Linear:
    """0 at `zero`, 100 at `full` (either may be the larger), linear between and capped outside."""

    zero: float
    full: float
    how: str

    def score(self, values: pd.Series) -> pd.Series:
        """Score the values; missing values stay missing."""
        return ((values - self.zero) / (self.full - self.zero) * 100).clip(0, 100)


@dataclass(frozen=True)
class Logarithmic:
    """0 at `zero`, 100 at `full` (both positive), linear in the logarithm between and capped outside.

    For amounts that span decades, such as costs: every tenfold step moves the score by the same points.
    """

    zero: float
    full: float
    how: str

    def score(self, values: pd.Series) -> pd.Series:
        """Score the values; missing values stay missing, 0 and less score as the smaller anchor does."""
        logs = np.log10(values.where(values > 0, min(self.zero, self.full)))
        low, high = math.log10(self.zero), math.log10(self.full)
        return ((logs - low) / (high - low) * 100).clip(0, 100)


@dataclass(frozen=True, eq=False)
class Percentile:
    """The share of a reference distribution below the value, in percent (0 when nothing is below).

    `reference` is the county's own history (for demand: every district's rate of every category
    over rolling 12-month windows), so the score means the same whichever candidates are listed.
    An empty reference scores nothing (missing).
    """

    reference: np.ndarray  # sorted ascending
    how: str

    def score(self, values: pd.Series) -> pd.Series:
        """Score the values; missing values stay missing."""
        if not len(self.reference):
            return pd.Series(np.nan, index=values.index)
        below = np.searchsorted(self.reference, values.to_numpy(float), side="left") / len(self.reference) * 100
        return pd.Series(below, index=values.index).where(values.notna())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Percentile) and self.how == other.how and np.array_equal(self.reference, other.reference)
        )

    def __hash__(self) -> int:
        return hash((self.how, len(self.reference)))


Scale = Linear | Logarithmic | Percentile


def round_top(value: float) -> float:
    """Return the smallest of 1, 5, 10, 50, 100, 500, ... that is at least `value` (1 for 0 and less).

    The top of a county's own scoring column when the file does not say its scale: a column scored
    1-5 keeps a top of 5 whichever candidates are listed, unless one is scored above 5.
    """
    top, steps = 1.0, itertools.cycle((5, 2))
    while top < value:
        top *= next(steps)
    return top


def county_scale(values: pd.Series) -> Linear:
    """Return the scale of a county's own scoring column: 0 scores 0 and the column's round top 100."""
    top = round_top(float(values.max())) if values.notna().any() else 1.0
    return Linear(0.0, top, f"scored 0-{top:g} by the county: 0 scores 0, {top:g} scores 100, linearly between")
