"""Satisfied after closure: the share of residents who rated the handling of their closed contact well.

Ratings come from a post-closure survey (voc.survey.satisfaction). A share is given with its 90%
Wilson interval, and only from MIN_ANSWERS answers up: below that it reads "too few answers", never
a bare percentage. Comparing reopened contacts with the others tells whether "closed" was "fixed".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from scipy import stats

from voc.contacts.overview import Metric
from voc.store.ratings import read_ratings
from voc.survey.stats import wilson_interval

MIN_ANSWERS = 30
Z_90 = float(stats.norm.ppf(0.95))
TOO_FEW = "too few answers"
SATISFACTION_COLUMNS = ["answers", "satisfied_share", "satisfied_low", "satisfied_high", "satisfied_after_closure"]


@dataclass(frozen=True)
class Satisfaction:
    """A share satisfied (0-1) of `answers` ratings with its 90% Wilson interval; NaN below MIN_ANSWERS."""

    answers: int
    share: float
    low: float
    high: float

    @property
    def text(self) -> str:
        """'72% (68–76%)', or 'too few answers' below MIN_ANSWERS."""
        if math.isnan(self.share):
            return TOO_FEW
        return f"{self.share:.0%} ({self.low:.0%}–{self.high:.0%})"


def with_ratings(engine: sa.Engine, flags: pd.DataFrame) -> pd.DataFrame:
    """Add `satisfied` to contacts (with their store `id`): 1.0 or 0.0 where rated after closure, NaN elsewhere."""
    ratings = read_ratings(engine, flags["id"]).set_index("request_id")["satisfied"].astype(float)
    return flags.assign(satisfied=flags["id"].map(ratings).astype(float))


def satisfaction_of(answers: int, satisfied: int) -> Satisfaction:
    """Sum up `answers` ratings of which `satisfied` were satisfied."""
    if answers < MIN_ANSWERS:
        return Satisfaction(answers, math.nan, math.nan, math.nan)
    share = satisfied / answers
    low, high = wilson_interval(share, answers, z=Z_90)
    return Satisfaction(answers, share, float(low), float(high))


def satisfaction_by(answers: pd.Series, satisfied: pd.Series) -> pd.DataFrame:
    """Return SATISFACTION_COLUMNS per group from its answers and satisfied counts (aligned Series, by group);
    shares NaN below MIN_ANSWERS.

    satisfied_after_closure is the share as a reader sees it (see `Satisfaction.text`), empty without answers.
    """
    share = satisfied / answers.where(answers > 0)
    enough = answers >= MIN_ANSWERS
    low, high = wilson_interval(share, answers, z=Z_90)
    figures = pd.DataFrame({
        "answers": answers.astype(int),
        "satisfied_share": share.where(enough),
        "satisfied_low": pd.Series(low, index=answers.index).where(enough),
        "satisfied_high": pd.Series(high, index=answers.index).where(enough),
    })  # fmt: skip
    texts = [Satisfaction(row.answers, row.satisfied_share, row.satisfied_low, row.satisfied_high).text
             for row in figures.itertuples()]  # fmt: skip
    return figures.assign(satisfied_after_closure=texts).assign(
        satisfied_after_closure=lambda f: f["satisfied_after_closure"].where(f["answers"] > 0, "")
    )


def reopened_sentence(reopened: Satisfaction, rest: Satisfaction) -> str | None:
    """Whether reopened contacts were rated lower, in words; None when either group has too few answers."""
    if math.isnan(reopened.share) or math.isnan(rest.share):
        return None
    return (
        f"Residents whose contact was reopened or reported again after closure: {reopened.text} satisfied "
        f"({reopened.answers:,} answers), against {rest.text} of the others ({rest.answers:,} answers)."
    )


def satisfaction_metric(county: Satisfaction, reopened: Satisfaction, rest: Satisfaction) -> Metric:
    """The card of the share satisfied after closure, with reopened against the rest when both have enough answers."""
    if not county.answers:
        return Metric(
            "Satisfied after closure", "–", "no survey answers",
            "No post-closure survey answers are stored for these contacts: `voc import satisfaction` loads them.",
            delta_is_change=False,
        )  # fmt: skip
    few = math.isnan(county.share)
    value = TOO_FEW if few else f"{county.share:.0%}"
    interval = "" if few else f"{county.low:.0%}–{county.high:.0%} · "
    return Metric(
        "Satisfied after closure",
        value,
        f"{interval}{county.answers:,} answers",
        "Residents answering a survey after their contact was closed who chose one of the top two answers of five; "
        f"the range is the 90% interval. Shares of fewer than {MIN_ANSWERS} answers are not shown. "
        + (reopened_sentence(reopened, rest) or ""),
        delta_is_change=False,
    )
