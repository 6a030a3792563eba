"""The demo county's post-closure survey: about 8% of closed contacts answered one question, 1-5.

Residents whose contact took longer than usual for its category to close rate lower, and those whose
contact the CRM reopened rate much lower: the demo shows a county where "closed" was not always
"fixed". A generator of its own keeps every other demo column identical to a build without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.demo.timeline import TIMEZONE

ANSWERED = 0.08
_CONTENT = 4.3  # the latent score of a contact closed in its category's usual time
_SLOWNESS = 0.7  # less per doubling of the time to close against the category's median
_REOPENED = 1.8
_SPREAD = 1.0


def draw_closure_ratings(requests: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Return source, source_id, score (1-5), answered_on (a local date after closure) of the answering contacts."""
    rng = np.random.default_rng([seed, 4])
    closed = requests[requests["closed_at"].notna()]
    answering = closed[rng.random(len(closed)) < ANSWERED]
    usual = closed.groupby("category")["days_to_close"].median()
    slowness = np.log2((answering["days_to_close"] + 1) / (answering["category"].map(usual) + 1)).clip(lower=0)
    reopened = (answering["status"] == "Reopened").to_numpy()
    latent = _CONTENT - _SLOWNESS * slowness.to_numpy() - _REOPENED * reopened + rng.normal(0, _SPREAD, len(answering))
    # Whole local days after the closing day: adding 24 hours to a local midnight would miss the day after a DST change.
    closed_on = answering["closed_at"].dt.tz_convert(TIMEZONE).dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    answered = pd.Series(closed_on + rng.integers(1, 15, len(answering)).astype("timedelta64[D]"))
    return pd.DataFrame({
        "source": answering["source"].to_numpy(),
        "source_id": answering["source_id"].to_numpy(),
        "score": np.clip(np.rint(latent), 1, 5),
        "answered_on": answered.dt.date.to_numpy(),
    })  # fmt: skip
