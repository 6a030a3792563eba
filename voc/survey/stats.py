"""Survey statistics: Wilson margins, effective sample sizes, two-proportion tests, importance.

Pure functions over shares (0-1) and sample sizes. A survey of a few hundred residents moves by
several points from sampling alone: every comparison here says whether a difference is larger
than that, at the 95% level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

Z_95 = float(stats.norm.ppf(0.975))
ALPHA = 0.05
# ETC Institute's tiers of the importance-satisfaction rating (stated importance shares only).
TIERS = ((0.20, "Very high priority"), (0.10, "High priority"), (0.0, "Medium priority"))
QUADRANTS = {
    (True, False): "Opportunities for improvement",
    (True, True): "Continued emphasis",
    (False, False): "Less important",
    (False, True): "Exceeded expectations",
}


def effective_n(weights: pd.Series | np.ndarray) -> float:
    """Return Kish's effective sample size (sum w)^2 / sum w^2; equals the count when all weights are equal."""
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    square_sum = float((w**2).sum())
    return float(w.sum() ** 2 / square_sum) if square_sum else 0.0


def wilson_interval(share: pd.Series | float, n: pd.Series | float, *, z: float = Z_95) -> tuple:
    """Return the Wilson score interval (low, high) of a share from a sample of (effective) size n.

    Works on scalars or aligned Series; n of 0 or a missing share gives NaN bounds. Unlike share ±
    1.96·SE it never leaves 0-1 and stays honest near 0% and 100%.
    """
    p = np.asarray(share, dtype=float)
    size = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = 1 + z**2 / size
        centre = (p + z**2 / (2 * size)) / denominator
        half = z * np.sqrt(p * (1 - p) / size + z**2 / (4 * size**2)) / denominator
        low, high = np.where(size > 0, centre - half, np.nan), np.where(size > 0, centre + half, np.nan)
    if np.ndim(low) == 0:
        return float(low), float(high)
    index = share.index if isinstance(share, pd.Series) else None
    return pd.Series(low, index=index), pd.Series(high, index=index)


def two_proportion_test(p1, n1, p2, n2) -> tuple:
    """Return (z, two-sided p-value) of the pooled two-proportion z-test of p2 - p1.

    Scalars or aligned Series. Missing inputs, empty samples or a pooled share of 0 or 1 give NaN
    z and a p-value of NaN (or 1.0 when both shares are equal at 0 or 1: no difference to test).
    """
    a, m, b, k = (np.asarray(v, dtype=float) for v in (p1, n1, p2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (a * m + b * k) / (m + k)
        se = np.sqrt(pooled * (1 - pooled) * (1 / m + 1 / k))
        z = np.where(se > 0, (b - a) / se, np.nan)
        p_value = np.where(np.isnan(z), np.where((se == 0) & (a == b), 1.0, np.nan), 2 * stats.norm.sf(np.abs(z)))
    if np.ndim(z) == 0:
        return float(z), float(p_value)
    index = p1.index if isinstance(p1, pd.Series) else None
    return pd.Series(z, index=index), pd.Series(p_value, index=index)


def with_margins(frame: pd.DataFrame, *, n: str = "n_effective") -> pd.DataFrame:
    """Add `low`, `high` (95% Wilson bounds) and `margin` (half their width) to rows with satisfied_share.

    Rows without a share (a published mean only) get NaN: no margin can be given without the spread.
    """
    low, high = wilson_interval(frame["satisfied_share"], frame[n])
    return frame.assign(low=low.to_numpy(), high=high.to_numpy(), margin=((high - low) / 2).to_numpy())


def verdict(change: float, p_value: float, *, alpha: float = ALPHA) -> str:
    """Say in words whether a change in points is real at the 95% level."""
    if np.isnan(change) or np.isnan(p_value):
        return "Not tested"
    points = f"{abs(change) * 100:.0f} point{'s' if round(abs(change) * 100) != 1 else ''}"
    if p_value < alpha:
        return f"{'Up' if change > 0 else 'Down'} {points}: a real change"
    return f"{'Up' if change > 0 else 'Down' if change < 0 else 'Level,'} {points}: within sampling noise"


def changes_between(current: pd.DataFrame, previous: pd.DataFrame, *, key: str = "service_area") -> pd.DataFrame:
    """Test each item's change from `previous` to `current` with a two-proportion test.

    Both frames hold key, satisfied_share and n_effective; the result is `current` with
    previous_share, previous_n, change (share points as 0-1), z, p_value, significant and verdict.
    Items missing from `previous` are not tested.
    """
    before = previous[[key, "satisfied_share", "n_effective"]].rename(
        columns={"satisfied_share": "previous_share", "n_effective": "previous_n"}
    )
    merged = current.merge(before, on=key, how="left")
    z, p_value = two_proportion_test(
        merged["previous_share"], merged["previous_n"], merged["satisfied_share"], merged["n_effective"]
    )
    merged["change"] = merged["satisfied_share"] - merged["previous_share"]
    merged["z"], merged["p_value"] = z.to_numpy(), p_value.to_numpy()
    merged["significant"] = merged["p_value"] < ALPHA
    merged["verdict"] = [verdict(c, p) for c, p in zip(merged["change"], merged["p_value"], strict=True)]
    return merged


def district_against_rest(county: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """Test each district's share against the rest of the county (the county without that district).

    `county` holds one row per service_area; `districts` one per service_area and district_code,
    both with satisfied_share, n_effective and (when weighted) weight_total, the sum of the
    respondents' weights; the county rows include the districts' respondents. Comparing with the
    rest, not the whole, keeps the two samples independent. The rest's share is built from weight
    totals (without them, from effective sizes: right when unweighted) and its effective size is
    Kish's, from the sums of weights and of squared weights that the two rows imply.

    The districts given are the cells shown together (a heat map): their p-values are corrected for
    false discoveries over all of them (Benjamini-Hochberg), and `significant` and `verdict` follow
    the corrected `q_value`. Adds rest_share, rest_n, difference, p_value, q_value, significant and verdict.
    """
    whole = county.assign(county_weight=_weight_totals(county))[
        ["service_area", "satisfied_share", "n_effective", "county_weight"]
    ].rename(columns={"satisfied_share": "county_share", "n_effective": "county_n"})
    merged = districts.merge(whole, on="service_area", how="left")
    weight = _weight_totals(merged)
    rest_weight = merged["county_weight"] - weight
    squares = merged["county_weight"] ** 2 / merged["county_n"] - weight**2 / merged["n_effective"]
    merged["rest_n"] = (rest_weight**2 / squares).where((rest_weight > 0) & (squares > 0))
    satisfied_rest = merged["county_share"] * merged["county_weight"] - merged["satisfied_share"] * weight
    merged["rest_share"] = (satisfied_rest / rest_weight).where(merged["rest_n"].notna()).clip(0, 1)
    _, p_value = two_proportion_test(
        merged["rest_share"], merged["rest_n"], merged["satisfied_share"], merged["n_effective"]
    )
    merged["difference"] = merged["satisfied_share"] - merged["rest_share"]
    merged["p_value"] = p_value.to_numpy()
    merged["q_value"] = false_discovery_q(merged["p_value"])
    merged["significant"] = merged["q_value"] < ALPHA
    compared = int(merged["p_value"].notna().sum())
    merged["verdict"] = [
        "Not tested" if np.isnan(q) else
        f"{abs(d) * 100:.0f} points {'above' if d > 0 else 'below'} the rest of the county"
        + ("" if q < ALPHA else ": within sampling noise" if p >= ALPHA else
           f": could be chance among {compared:,} comparisons")
        for d, p, q in zip(merged["difference"], merged["p_value"], merged["q_value"], strict=True)
    ]  # fmt: skip
    return merged


def _weight_totals(frame: pd.DataFrame) -> pd.Series:
    if "weight_total" not in frame:
        return frame["n_effective"]
    return frame["weight_total"].fillna(frame["n_effective"])


def false_discovery_q(p_values: pd.Series) -> pd.Series:
    """Return Benjamini-Hochberg adjusted p-values (q-values) over the p-values given; NaN stays NaN.

    Calling a result real when q < 0.05 keeps the expected share of false findings among those
    called real at 5% or less, however many are tested.
    """
    q = pd.Series(np.nan, index=p_values.index)
    tested = p_values.notna()
    if tested.any():
        q[tested] = stats.false_discovery_control(p_values[tested].to_numpy(float), method="bh")
    return q


def importance_satisfaction(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `is_rating` = importance_share x (1 - satisfied_share) and its priority `tier`, highest first.

    Shares are 0-1. Rows without an importance share get no rating and sort last. Tiers are ETC
    Institute's: at least 0.20 very high, at least 0.10 high, below that medium.
    """
    rated = frame.assign(is_rating=frame["importance_share"] * (1 - frame["satisfied_share"]))
    tier = pd.Series(pd.NA, index=rated.index, dtype="string")
    for floor, name in reversed(TIERS):
        tier = tier.mask(rated["is_rating"] >= floor, name)
    return rated.assign(tier=tier).sort_values("is_rating", ascending=False, na_position="last", kind="stable")


def quadrants(frame: pd.DataFrame, *, importance: str = "importance_share") -> pd.DataFrame:
    """Add `quadrant`: where each item sits against the mean importance and mean satisfaction.

    The quadrant chart's four areas, named as ETC Institute names them; rows missing either value get NA.
    """
    high_importance = frame[importance] >= frame[importance].mean()
    high_satisfaction = frame["satisfied_share"] >= frame["satisfied_share"].mean()
    names = [QUADRANTS[(i, s)] for i, s in zip(high_importance, high_satisfaction, strict=True)]
    known = frame[importance].notna() & frame["satisfied_share"].notna()
    return frame.assign(quadrant=pd.Series(names, index=frame.index, dtype="string").where(known))


def weighted_correlation(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Return the weighted Pearson correlation of x and y over the pairs where both are present."""
    keep = ~(np.isnan(x) | np.isnan(y) | np.isnan(w))
    x, y, w = x[keep], y[keep], w[keep]
    if len(x) < 3 or w.sum() == 0:
        return float("nan")
    dx, dy = x - np.average(x, weights=w), y - np.average(y, weights=w)
    denominator = np.sqrt(np.average(dx**2, weights=w) * np.average(dy**2, weights=w))
    return float(np.average(dx * dy, weights=w) / denominator) if denominator else float("nan")
