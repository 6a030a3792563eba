"""Actions the county took (process changes, procedures, information campaigns), to check their effect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from voc.contacts.forecast import fit_seasonal, predict_total, predictive
from voc.core.access import Role, require
from voc.core.errors import VocError
from voc.core.periods import month_label, month_range, month_shift
from voc.store.engine import record_audit, write_transaction
from voc.store.models import Action, utc_now
from voc.store.query import read_frame

ACTIONS = Action.__table__
ACTION_COLUMNS = ["id", "action_date", "category", "district_code", "description", "recorded_by"]


def add_action(
    engine: sa.Engine, *, action_date: date, description: str, user: str, role: Role, category: str | None = None,
    district_code: str | None = None,
) -> int:  # fmt: skip
    """Record an action and return its id; a blank description is refused, and so is a role below analyst."""
    require(role, Role.ANALYST, doing="record actions")
    description = description.strip()
    if not description:
        raise VocError("Describe the action in a few words (what changed, for whom).")
    with write_transaction(engine) as connection:
        action_id = connection.execute(
            sa.insert(ACTIONS)
            .values(
                action_date=action_date,
                category=category or None,
                district_code=district_code or None,
                description=description,
                recorded_by=user,
                recorded_at=utc_now(),
            )  # fmt: skip
            .returning(ACTIONS.c.id)
        ).scalar_one()
        record_audit(connection, user=user, action="add action", detail=f"action {action_id}")
    return action_id


def list_actions(engine: sa.Engine, *, category: str | None = None) -> pd.DataFrame:
    """Return recorded actions, newest first; with a category, those for it and county-wide ones."""
    query = sa.select(*(ACTIONS.c[name] for name in ACTION_COLUMNS)).order_by(ACTIONS.c.action_date.desc())
    if category:
        query = query.where(sa.or_(ACTIONS.c.category == category, ACTIONS.c.category.is_(None)))
    return read_frame(engine, query)


@dataclass(frozen=True)
class Effect:
    """Contacts after an action against what the series' own seasonal history predicted for them."""

    months: tuple[str, ...]
    observed: int
    expected: float
    lower: float
    upper: float
    sentence: str

    @property
    def change(self) -> float:
        return (self.observed - self.expected) / self.expected * 100 if self.expected else float("nan")


EFFECT_LEVEL = 0.9
MIN_HISTORY_MONTHS = 24


def action_effect(monthly: pd.Series, action_month: str, *, after: int = 6, subject: str = "Contacts") -> Effect | None:
    """Compare up to `after` months from the action's month on with the seasonal model fitted on the months before.

    `monthly` is contacts indexed by YYYY-MM (complete months only; missing months count as zero).
    Returns None when there is no month after the action yet. The interval is the central 90% of
    what the model predicts; an observed total inside it cannot be told from noise.
    """
    last = monthly.index.max()
    before = month_range(max(monthly.index.min(), month_shift(action_month, -60)), month_shift(action_month, -1))
    later = [m for m in month_range(action_month, month_shift(action_month, after - 1)) if m <= last]
    if not later:
        return None
    observed = int(monthly.reindex(later, fill_value=0).sum())
    if len(before) < MIN_HISTORY_MONTHS:
        sentence = (
            f"{subject}: {observed:,} in the {len(later)} months since; too little history before the action "
            f"({len(before)} months, {MIN_HISTORY_MONTHS} needed) to say what to expect."
        )
        return Effect(tuple(later), observed, float("nan"), float("nan"), float("nan"), sentence)
    values = monthly.reindex(before, fill_value=0).to_numpy(dtype=float)[None, :]
    fit = fit_seasonal(values, before, origin=before[-1])
    mean, variance = predict_total(fit, later, origin=before[-1])
    distribution = predictive(mean, variance)
    lower, upper = (float(v[0]) for v in distribution.interval(EFFECT_LEVEL))
    expected = float(mean[0])
    return Effect(
        tuple(later), observed, expected, lower, upper, _verdict(subject, later, observed, expected, lower, upper)
    )


def _verdict(subject: str, later: list[str], observed: int, expected: float, lower: float, upper: float) -> str:
    span = f"{month_label(later[0])}–{month_label(later[-1])}" if len(later) > 1 else month_label(later[0])
    likely = f"likely range {lower:,.0f}–{upper:,.0f}"
    figures = f"{observed:,} in {span} against {expected:,.0f} expected from the season ({likely})"
    change = (observed - expected) / expected * 100 if expected else 0.0
    if observed < lower:
        return f"{subject} fell {abs(change):.0f}% below what the season predicts: {figures}."
    if observed > upper:
        return f"{subject} rose {change:.0f}% above what the season predicts: {figures}."
    return f"{subject}: the change cannot be told from noise yet: {figures}."
