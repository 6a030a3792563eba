"""An action's effect is judged against what the season predicted, and noise is called noise."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from voc.contacts.actions import action_effect, add_action, list_actions
from voc.core.access import Role
from voc.core.errors import VocError
from voc.core.periods import month_range


def _seasonal(seed: int, *, drop_from: str | None = None, factor: float = 1.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    months = month_range("2021-01", "2026-10")
    season = 1 + 0.4 * np.sin(np.arange(len(months)) / 12 * 2 * np.pi)
    mean = 200 * season * np.where([drop_from is not None and m >= drop_from for m in months], factor, 1.0)
    return pd.Series(rng.poisson(mean), index=months)


def test_a_real_drop_is_reported_with_its_size() -> None:
    effect = action_effect(_seasonal(1, drop_from="2026-05", factor=0.6), "2026-05", subject="Potholes")
    assert effect.months == ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
    assert effect.observed < effect.lower
    assert -50 < effect.change < -30
    assert effect.sentence.startswith("Potholes fell ")
    assert "May 2026–Oct 2026" in effect.sentence


def test_no_change_is_called_noise_most_of_the_time() -> None:
    verdicts = [action_effect(_seasonal(seed), "2026-05").sentence for seed in range(40)]
    noise = sum("cannot be told from noise" in v for v in verdicts)
    assert noise >= 32  # a 90% interval: about 36 of 40


def test_too_little_history_or_no_months_after() -> None:
    short = _seasonal(2).loc["2025-01":]
    effect = action_effect(short, "2026-03")
    assert "too little history" in effect.sentence and effect.observed == short.loc["2026-03":"2026-08"].sum()
    assert action_effect(_seasonal(2), "2026-11") is None


def test_actions_are_recorded_and_listed(engine) -> None:
    with pytest.raises(VocError, match="Describe the action"):
        add_action(engine, action_date=date(2026, 5, 1), description="  ", user="ana", role=Role.ANALYST)
    first = add_action(engine, action_date=date(2026, 5, 1), description="Night pothole crew", user="ana",
                       role=Role.ANALYST, category="Potholes")  # fmt: skip
    add_action(
        engine,
        action_date=date(2026, 6, 1),
        description="Drainage flyer",
        user="ana",
        role=Role.ANALYST,
        category="Flooding",
    )
    listed = list_actions(engine, category="Potholes")
    assert listed[["id", "description", "recorded_by"]].values.tolist() == [[first, "Night pothole crew", "ana"]]
    assert len(list_actions(engine)) == 2
