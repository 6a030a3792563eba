"""Emerging issues: which categories, county-wide and by district, are above what their own seasons predict.

A plain change against the previous period cannot tell a department head whether 148 drainage
complaints are normal for August. Here every series is compared with its own history:

- Each category's county-wide total is compared with a seasonal model (voc.contacts.forecast.
  fit_seasonal: month of year + trend, past spikes downweighted, in the manner of the improved
  Farrington method; a variance that grows with the season's volume) fitted to up to `years` years
  ending three months before the latest month, so that a rise under way cannot hide in its own
  baseline. The latest month and the three months ending there are tested against the model's
  negative binomial predictive distribution.
- Each district is tested against its usual share of that county-wide total (voc.contacts.shares):
  it says where a rise is; a rise spread over the county lifts no district above its share.

The tests are corrected in two stages, by category first (Benjamini & Bogomolov 2014): a category's
tests are combined (weighted Simes: its county-wide tests carry `county_weight` of its level, its
district tests share the rest) into one p-value per category; Benjamini-Hochberg at `alpha` picks
the categories, and within each of the R picked of m categories weighted Benjamini-Hochberg at
alpha x R / m picks the tests. In a month without any rise a flag needs a category picked, so the
chance of any flag is at most alpha; with rises, the expected share of false flags is about alpha.
On simulated counties (bench/alerts_bench.py: strongly seasonal, overdispersed, every category
peaking in July) the earlier design, county-wide and district tests as two families at alpha each
with districts tested only where the county-wide total was up (p <= 0.2), flagged something in 7%
of the months without a rise and 14% at the peak; this one in 1.8% overall and at most 6% (3 of 50)
in any calendar month, the peak's excess coming from county-wide predictive tails still a little
too light there (p < 0.001 two or three times as often as promised in some months). As districts
no longer wait for the county-wide total to be up, a rise in one district is found more often
(a tripling at 100 a month: 100% against 56%); a county-wide doubling a little less often, as its
tests now carry 30% of their category's level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from voc.contacts.alert_text import MODEL, PERIOD_MONTHS, SHARE, period_months, row_sentences
from voc.contacts.forecast import (
    SeasonalFit,
    fit_seasonal,
    monthly_matrix,
    narrowed_tail,
    predict_total,
    predictive,
    widened_tail,
)
from voc.contacts.shares import ShareDistribution, fit_shares, share_distribution
from voc.core.errors import VocError
from voc.core.periods import month_shift

# The model is fitted to months up to this many before the period tested, which the fit must not see.
_GAP = 3
# On simulated counties the variance a county-wide series predicts for the month tested strays about 30%
# from the truth, as an estimate on half its residual degrees of freedom would: p < 0.001 came 2.5 times
# too often on the full ones, about as often as promised on half (bench/alerts_bench.py).
_TAIL_DOF_SHARE = 0.5
# A function from the run's corrected level to rows' upper bounds.
Bounds = Callable[[float], np.ndarray]
COLUMNS = [
    "category",
    "district_code",
    "period",
    "observed",
    "expected",
    "upper",
    "p_value",
    "flagged",
    "score",
    "method",
    "sentence",
    "p_fall",
    "county_observed",
]


@dataclass(frozen=True)
class AlertSettings:
    """How emerging issues are detected.

    min_monthly_mean: county-wide series averaging fewer contacts a month are not tested, nor shown.
    min_district_mean: district series averaging fewer contacts a month are not tested. Both averages
        are over the 12 months before the fitting window's end, so a rise cannot lift a series over the bar.
    min_years: whole years of history (the tested month included) a series needs for the seasonal
        model, at least 2; shorter series get a plain comparison, which is never flagged.
    alpha: the false discovery rate of one run's flags, and the chance of any flag in a month without rises.
    years: how many years of history, at most, the model is fitted to (at least 2).
    county_weight: the share of a category's level given to its county-wide tests (month and quarter);
        its district tests share the rest.
    """

    min_monthly_mean: float = 5.0
    min_district_mean: float = 1.0
    min_years: int = 3
    alpha: float = 0.05
    years: int = 5
    county_weight: float = 0.3

    def __post_init__(self) -> None:
        if min(self.min_years, self.years) < 2:
            raise VocError(
                "Alert settings: min_years and years must be at least 2, so that the model sees every month."
            )


def detect_emerging(
    counts: pd.DataFrame,
    *,
    month: str,
    settings: AlertSettings = AlertSettings(),
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Test every category county-wide and in each district for a rise above expectation, category by category.

    counts has columns month ("YYYY-MM"), category, district_code ("" or missing for none) and
    contacts; months after `month` are ignored and months without a row count as zero. Each tested
    series gets two rows: period "month" (`month` alone) and "quarter" (the three months ending with
    it, summed).

    County-wide rows (method MODEL): expected is the predicted mean; upper is the count above which
    the row is flagged at this run's corrected level (so flagged == observed > upper); p_value is the
    uncorrected one-sided p-value of a rise and p_fall that of a fall; score is observed / (upper + 1),
    at least 1 exactly when flagged. District rows (method SHARE) are the same against the district's
    usual share of the county-wide total, county_observed. Rows of series with less than min_years
    of history are plain comparisons: expected is the same period a year earlier (or, without one, the
    mean of the 12 months before), upper and p_value are NaN and flagged is False, because without a
    seasonal baseline a summer peak looks like a rise; their score is observed / expected, for a
    separate "too new to judge" list.

    Rows come flagged first, then modelled, then plain, each by score descending. labels maps
    district codes to the names used in sentences ("District 3" otherwise).
    """
    if counts.empty:
        return pd.DataFrame(columns=COLUMNS)
    wide = _series(counts, month=month)
    modelled = wide.notna().sum(axis=1).to_numpy() // 12 >= settings.min_years
    county = wide.index.get_level_values("district_code") == ""
    baseline = _baseline_mean(wide, month=month)
    tested = modelled & np.where(county, baseline >= settings.min_monthly_mean, baseline >= settings.min_district_mean)
    recent = wide.iloc[:, -12:].mean(axis=1).fillna(0).to_numpy()
    plain = ~modelled & (recent >= settings.min_monthly_mean)
    frames = []
    if (tested & county).any():
        frames.append(_tested_rows(wide[tested], month=month, settings=settings))
    if plain.any():
        frames.append(_plain_rows(wide[plain], month=month, min_years=settings.min_years))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    rows = pd.concat(frames, ignore_index=True)
    rows["sentence"] = row_sentences(rows, wide, month=month, labels=labels or {})
    order = rows.assign(_model=rows["method"].isin([MODEL, SHARE])).sort_values(
        ["flagged", "_model", "score"], ascending=False, na_position="last", kind="stable"
    )
    return order.reindex(columns=COLUMNS).reset_index(drop=True)


def _series(counts: pd.DataFrame, *, month: str) -> pd.DataFrame:
    """Return the monthly series, county-wide (district "") and by district, indexed (category, district_code)."""
    counts = counts.assign(district_code=counts["district_code"].fillna("").astype(str))
    first = counts["month"].min()
    county = monthly_matrix(counts, keys=["category"], first=first, last=month)
    county.index = pd.MultiIndex.from_arrays([county.index, [""] * len(county)], names=["category", "district_code"])
    local = counts[counts["district_code"] != ""]
    if local.empty:
        return county.dropna(how="all")
    by_district = monthly_matrix(local, keys=["category", "district_code"], first=first, last=month)
    return pd.concat([county, by_district]).dropna(how="all")


def _baseline_mean(wide: pd.DataFrame, *, month: str) -> np.ndarray:
    """Return each series' mean over the 12 months ending where the model's fitting window ends."""
    fit_last = month_shift(month, -_GAP)
    window = wide.reindex(columns=[month_shift(fit_last, -step) for step in range(12)])
    return window.mean(axis=1).fillna(0).to_numpy()


def _fitting_window(wide: pd.DataFrame, *, month: str, years: int) -> pd.DataFrame:
    fit_last = month_shift(month, -_GAP)
    fit_first = month_shift(fit_last, 1 - 12 * years)
    return wide.loc[:, (wide.columns >= fit_first) & (wide.columns <= fit_last)]


def _tested_rows(wide: pd.DataFrame, *, month: str, settings: AlertSettings) -> pd.DataFrame:
    """Test the county-wide series and the districts, category by category first (see the module docstring)."""
    county = wide[wide.index.get_level_values("district_code") == ""]
    history = _fitting_window(county, month=month, years=settings.years)
    county_fit = fit_seasonal(history.to_numpy(), list(history.columns), origin=month)
    stages = [_county_rows(county, county_fit, month=month)]
    local = wide[wide.index.get_level_values("district_code") != ""]
    if len(local):
        stages.append(_district_rows(local, county, month=month, settings=settings))
    rows = pd.concat([frame for frame, _ in stages], ignore_index=True)
    levels = _gatekept_levels(rows, settings)
    ends = np.cumsum([len(frame) for frame, _ in stages])[:-1]
    bounds = [upper(part) for (_, upper), part in zip(stages, np.split(levels, ends), strict=True)]
    rows["upper"] = np.concatenate(bounds).astype(int)
    # Defined from the bound (not from p <= level) so that the sentence's bound and the flag always agree.
    rows["flagged"] = rows["observed"] > rows["upper"]
    rows["score"] = rows["observed"] / (rows["upper"] + 1)
    return rows


def _gatekept_levels(rows: pd.DataFrame, settings: AlertSettings) -> np.ndarray:
    """Return each row's level: its p-value is a discovery when at or below it (Benjamini & Bogomolov 2014).

    Each test gets a weight within its category (county_weight for the county-wide tests together, the
    rest shared by the district tests, weights summing to 1). A category's p-value is the weighted Simes
    combination of its tests; the categories are selected by Benjamini-Hochberg at alpha, and within
    each of the R selected ones of m the tests by weighted Benjamini-Hochberg at alpha x R / m. The rows
    of a category not selected get the level it would have needed to be next, alpha x (R + 1) / m.
    """
    county = (rows["district_code"] == "").to_numpy()
    category = rows["category"].to_numpy()
    has_districts = pd.Series(~county).groupby(category).transform("any").to_numpy()
    mass = np.where(county, np.where(has_districts, settings.county_weight, 1.0), 1 - settings.county_weight)
    group_size = pd.Series(1, index=rows.index).groupby([category, county]).transform("size").to_numpy()
    weight = mass / group_size
    ratio = pd.Series(rows["p_value"].fillna(1.0).to_numpy() / weight)
    rank = ratio.groupby(category).rank(method="first").to_numpy()
    simes = (ratio / rank).groupby(category).min()
    selected = simes.to_numpy() <= _corrected_level(simes.to_numpy(), settings.alpha)
    within = settings.alpha * selected.sum() / len(simes)
    chosen = pd.Series(selected, index=simes.index).reindex(category).to_numpy()
    # Within a selected category: the number of its tests that weighted Benjamini-Hochberg rejects.
    passing = pd.Series(np.where(ratio <= within * rank, rank, 0)).groupby(category).transform("max")
    rejected = np.where(chosen, passing.to_numpy(), 1)
    level = np.where(chosen, within, settings.alpha * (selected.sum() + 1) / len(simes))
    return weight * level * rejected


def _county_rows(county: pd.DataFrame, fit: SeasonalFit, *, month: str) -> tuple[pd.DataFrame, Bounds]:
    """Return the county-wide rows (both periods) and a function from a level to their bounds."""
    dof = fit.dof * _TAIL_DOF_SHARE
    frames, distributions = [], []
    for period, length in PERIOD_MONTHS.items():
        months = period_months(month, length)
        expected, variance = predict_total(fit, months, origin=month)
        observed = county[months].fillna(0).sum(axis=1).to_numpy()
        distribution = predictive(expected, variance)
        distributions.append(distribution)
        frames.append(
            _frame(county, period, observed, expected, (distribution, dof), method=MODEL, county_observed=observed)
        )
    return pd.concat(frames, ignore_index=True), _bounds(distributions, dof)


def _district_rows(
    local: pd.DataFrame, county: pd.DataFrame, *, month: str, settings: AlertSettings
) -> tuple[pd.DataFrame, Bounds]:
    """Return the district rows (both periods), each against its usual share, and their bounds by level."""
    history = _fitting_window(local, month=month, years=settings.years)
    position = county.index.get_level_values("category").get_indexer(local.index.get_level_values("category"))
    their_county = county.iloc[position]
    model = fit_shares(history.to_numpy(), their_county.reindex(columns=history.columns).to_numpy())
    frames, distributions = [], []
    for period, length in PERIOD_MONTHS.items():
        tested = period_months(month, length)
        total = their_county[tested].fillna(0).sum(axis=1).to_numpy()
        observed = local[tested].fillna(0).sum(axis=1).to_numpy()
        distribution = share_distribution(model, total)
        distributions.append(distribution)
        expected = total * model.share
        frames.append(
            _frame(local, period, observed, expected, (distribution, model.dof), method=SHARE, county_observed=total)
        )
    return pd.concat(frames, ignore_index=True), _bounds(distributions, model.dof)


def _bounds(distributions: list[stats.rv_discrete | ShareDistribution], dof: np.ndarray) -> Bounds:
    """Return the function from the rows' levels (in the order of distributions) to their upper bounds."""

    def upper(levels: np.ndarray) -> np.ndarray:
        parts = np.split(levels, len(distributions))
        return np.concatenate([d.isf(narrowed_tail(part, dof)) for d, part in zip(distributions, parts, strict=True)])

    return upper


def _frame(
    wide: pd.DataFrame,
    period: str,
    observed: np.ndarray,
    expected: np.ndarray,
    predicted: tuple[stats.rv_discrete | ShareDistribution, np.ndarray],
    *,
    method: str,
    county_observed: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": wide.index.get_level_values("category"),
            "district_code": wide.index.get_level_values("district_code"),
            "period": period,
            "observed": observed.astype(int),
            "expected": expected,
            "p_value": widened_tail(predicted[0].sf(observed - 1), predicted[1]),
            "p_fall": widened_tail(predicted[0].cdf(observed), predicted[1]),
            "method": method,
            "county_observed": county_observed,
        }
    )


def _corrected_level(p_values: np.ndarray, alpha: float) -> float:
    """Return the Benjamini-Hochberg level: p-values at or below it are discoveries (alpha / m when none are)."""
    m = p_values.size
    passed = np.flatnonzero(np.sort(p_values) <= alpha * np.arange(1, m + 1) / m)
    return alpha * (passed[-1] + 1 if passed.size else 1) / m


def _plain_rows(wide: pd.DataFrame, *, month: str, min_years: int) -> pd.DataFrame:
    """Compare each short series with the same period a year earlier and the average of the year before."""
    frames = []
    for period, length in PERIOD_MONTHS.items():
        months = period_months(month, length)
        year_before = [month_shift(m, -12) for m in months]
        last_year = wide.reindex(columns=year_before).sum(axis=1, min_count=length).to_numpy()
        before = wide.reindex(columns=[month_shift(months[0], -step) for step in range(1, 13)])
        recent = before.mean(axis=1).to_numpy() * length
        expected = np.where(np.isfinite(last_year), last_year, recent)
        observed = wide.reindex(columns=months).fillna(0).sum(axis=1).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "category": wide.index.get_level_values("category"),
                    "district_code": wide.index.get_level_values("district_code"),
                    "period": period,
                    "observed": observed.astype(int),
                    "expected": expected,
                    "upper": np.nan,
                    "p_value": np.nan,
                    "flagged": False,
                    "score": np.where(expected > 0, observed / np.where(expected > 0, expected, 1), np.nan),
                    "method": f"plain comparison: less than {min_years} years of history",
                    "last_year": last_year,
                    "recent": recent,
                    "recent_months": before.count(axis=1).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
