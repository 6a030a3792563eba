"""Seasonal models of monthly counts: a robust quasi-Poisson GLM fitted to many series at once, and forecasts.

The model of one series is log E[count] = month-of-year + linear trend (in years), fitted by
Poisson quasi-likelihood in the manner of the improved Farrington method
(Noufaily et al., Stat. Med. 2013): large standardised Anscombe residuals (a hurricane month, a CRM
outage) are downweighted so that they do not set the baseline for years. As in Farrington's method a
trend needs three years of data, and one steeper than doubling or halving a year is dropped; unlike
it, a trend is kept whether or not it is significant: a real trend that a significance test misses
leaves a biased baseline, which on simulated series raised the false alarms more than the trend's
wider prediction interval cost in power.
The variance of a count of mean mu is mu x (phi + kappa mu), phi >= 1 and kappa >= 0: the quasi-Poisson
(kappa = 0) and negative binomial (phi = 1) variances are special cases, fitted to the squared
residuals of the points at full weight. One dispersion for all seasons understates the variance at
a seasonal peak when, as in real counts, the extra variation grows with the volume (a wet month
adds contacts in proportion): on such series the peak month had ten times the promised false
alarms. Where the variation does not grow with the volume, kappa stays near 0.
Predictions come with a negative binomial predictive distribution whose variance adds this and the
uncertainty of the fitted mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from voc.core.periods import month_range, month_shift

# Residuals beyond 2.58 (the 99.5% normal quantile) are downweighted by (2.58 / s)^2, as Noufaily et al. do.
_RESIDUAL_LIMIT = 2.58
_ROBUST_ROUNDS = 3
_VARIANCE_ROUNDS = 4
# How much likelier (in deviance, -2 log likelihood) a constant dispersion must make the squared residuals
# to be chosen over the negative binomial. The two are hard to tell apart on five years: at no margin a
# quarter of simulated negative binomial series got a constant dispersion, which understates the
# seasonal peak's variance (p < 0.01 three times too often there, forecast bands covering 71% at the peak).
# At 4 (a likelihood ratio of e^2), 4% of them do, and 43% of constant-dispersion series keep theirs:
# the others get a variance that is too wide at their peak and too narrow in their quietest months.
_QUASI_POISSON_EVIDENCE = 4.0
# The variance of a standard normal cut at +-2.58, to undo the shrinkage of a variance left without its tails.
_TRIMMED_VARIANCE = float(
    1 - 2 * _RESIDUAL_LIMIT * stats.norm.pdf(_RESIDUAL_LIMIT) / (2 * stats.norm.cdf(_RESIDUAL_LIMIT) - 1)
)
# The kurtosis of a standard normal cut at +-2.58, against which the residuals' tails are judged.
_INSIDE = 2 * stats.norm.cdf(_RESIDUAL_LIMIT) - 1
_TRIMMED_KURTOSIS = float(
    _INSIDE
    * (3 * _INSIDE - 2 * stats.norm.pdf(_RESIDUAL_LIMIT) * (_RESIDUAL_LIMIT**3 + 3 * _RESIDUAL_LIMIT))
    / (_INSIDE - 2 * _RESIDUAL_LIMIT * stats.norm.pdf(_RESIDUAL_LIMIT)) ** 2
)
# A trend steeper than doubling or halving a year is a level shift, not growth to extrapolate.
_MAX_LOG_GROWTH = float(np.log(2.0))
# As in Farrington's method, a trend needs three years of data: over less it mostly extrapolates noise.
_TREND_MIN_MONTHS = 36
_SMALLEST_TAIL = 1e-300
_RIDGE = 1e-8  # keeps X'WX invertible when a calendar month has (almost) no weight
FORECAST_MIN_MONTHS = 24
FORECAST_YEARS = 5
# On 12-23 months each season's variance rests on one or two of its months, so the variance is less certain
# than its residual degrees of freedom say: at those, 80% bands from 18 months covered 75% of simulated
# peak months; at half of them, at least 78% in every calendar month (bench/forecast_bench.py).
_YEARLY_WAVE_DOF_SHARE = 0.5
SEASONAL = "seasonal model"
YEARLY_WAVE = "seasonal model with one yearly wave: less than 2 years of history"
RECENT_MEAN = "recent mean: less than a year of history, so the season is not known"


@dataclass(frozen=True)
class SeasonalFit:
    """Fitted models of S series: coefficients (S, 13), their covariance (S, 13, 13), variance parameters (S,).

    A count of mean mu has variance mu x (dispersion + excess x mu). Series whose trend was
    dropped have a zero trend coefficient and zero trend (co)variances.
    """

    coef: np.ndarray
    cov: np.ndarray
    dispersion: np.ndarray
    excess: np.ndarray
    dof: np.ndarray  # the degrees of freedom the variance was estimated on
    harmonic: bool = False  # a yearly wave for a season (see design) instead of one level per month

    def variance(self, mu: np.ndarray) -> np.ndarray:
        """Return the variance of counts with means mu (S, ...), each row by its own series' parameters."""
        shape = (-1,) + (1,) * (np.ndim(mu) - 1)
        return mu * (self.dispersion.reshape(shape) + self.excess.reshape(shape) * mu)


def _month_number(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return year * 12 + number - 1


def design(months: Sequence[str], *, origin: str, harmonic: bool = False) -> np.ndarray:
    """Return the model's columns for months: intercept, the season, trend in years from origin.

    The season is 11 month-of-year indicators (January the base month) or, when harmonic, one
    yearly wave (cosine and sine), which a single year of history can measure. The trend is 0 at
    `origin`, so a prediction there needs no extrapolation term.
    """
    index = np.array([_month_number(month) for month in months])
    calendar_month = index % 12
    if harmonic:
        angle = 2 * np.pi * calendar_month / 12
        season = np.column_stack([np.cos(angle), np.sin(angle)])
    else:
        season = (calendar_month[:, None] == np.arange(1, 12)).astype(float)
    trend = (index - _month_number(origin)) / 12
    return np.column_stack([np.ones(index.size), season, trend])


def monthly_matrix(counts: pd.DataFrame, *, keys: list[str], first: str, last: str) -> pd.DataFrame:
    """Return contacts by keys (rows) and month from first to last (columns), NaN before each series begins.

    Months without a row count as zero once a series has had its first contact; before that the series
    did not exist (a new category, a new district) and its months are missing, not zero.
    """
    months = month_range(first, last)
    wide = (
        counts[counts["month"].between(first, last)]
        .pivot_table(index=keys, columns="month", values="contacts", aggfunc="sum", fill_value=0)
        .reindex(columns=months, fill_value=0)
        .astype(float)
    )
    return wide.where((wide > 0).cummax(axis=1))


def _irls(x: np.ndarray, y: np.ndarray, weights: np.ndarray, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Fit a weighted Poisson log-linear model to every row of y; return coefficients and inverse information.

    x is (n, p) and shared; y and weights are (S, n), y zero where the weight is zero.
    """
    ridge = _RIDGE * np.eye(x.shape[1])
    eta = np.log(y + 0.5)
    objective = np.full(len(y), np.inf)
    for _ in range(iterations):
        mu = np.exp(eta)
        working = weights * mu
        info = np.einsum("sn,ni,nj->sij", working, x, x) + ridge
        rhs = np.einsum("sn,ni,sn->si", working, x, eta + (y - mu) / mu)
        coef = np.linalg.solve(info, rhs[..., None])[..., 0]
        # Clipping keeps a month with no contacts at all from running off to minus infinity.
        eta = np.clip(coef @ x.T, -20.0, 20.0)
        # Stopped on the likelihood, not on the coefficients: a calendar month with no contacts has no finite
        # coefficient, and once its fitted mean is ~1e-6 the solve's rounding (the other coefficients near
        # +-19) moves it by 1e-6 each round while the likelihood stays put to the last digit.
        previous, objective = objective, (weights * (np.exp(eta) - y * eta)).sum(axis=1)
        if np.all(np.abs(objective - previous) <= 1e-12 * (np.abs(objective) + 1.0)):
            break
    working = weights * np.exp(eta)
    return coef, np.linalg.inv(np.einsum("sn,ni,nj->sij", working, x, x) + ridge)


def _anscombe(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Return Poisson Anscombe residuals, nearly normal even for small counts."""
    return 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / mu ** (1 / 6)


def _downweight(standardised: np.ndarray) -> np.ndarray:
    """Return weight 1 up to the residual limit, (limit / s)^2 beyond it, in either direction."""
    size = np.maximum(np.abs(standardised), 1e-12)
    return np.clip((_RESIDUAL_LIMIT / size) ** 2, 1e-6, 1.0)


def variance_parameters(
    y: np.ndarray, mu: np.ndarray, inlier: np.ndarray, n_params: int, *, base: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each row's dispersion (at least 1), excess (at least 0) and their degrees of freedom, (S,) each.

    The variance of y around mu is modelled as base x dispersion (quasi-Poisson) or base x (1 + excess
    x mu) (negative binomial), base the Poisson variance mu unless given (a binomial one, say),
    whichever the squared standardised residuals fit better; one of the two is always at its floor.
    (A free fit of both, cut at the floors, tilts toward a constant dispersion and understates the
    peak.) Only the inlier points count (those within 2.58 robust standard deviations): the residuals
    of downweighted points would inflate the variance and, round after round, hide every spike. The
    residuals are scaled up for the tails so left out and for the mean's parameters.
    """
    base = mu if base is None else base
    inlier = (inlier > 0).astype(float)
    count = np.maximum(inlier.sum(axis=1), 1.0)
    dof = np.maximum(count - n_params, 1.0)
    scale = (count / dof / _TRIMMED_VARIANCE)[:, None]
    standard = np.where(inlier > 0, (y - mu) ** 2 / np.maximum(base, 1e-12), 0.0) * scale
    dispersion = np.maximum(1.0, standard.sum(axis=1) / count)
    excess = np.zeros(len(y))
    for _ in range(_VARIANCE_ROUNDS):
        # A squared residual's spread grows with its mean: weight each by the inverse square of its factor.
        w = inlier / (1 + excess[:, None] * mu) ** 2
        excess = np.maximum(0.0, (w * mu * (standard - 1)).sum(axis=1) / np.maximum((w * mu**2).sum(axis=1), 1e-12))
    # The negative binomial unless the squared residuals are clearly likelier under a constant dispersion.
    negative_binomial = _deviance(standard, 1 + excess[:, None] * mu, inlier) < _QUASI_POISSON_EVIDENCE + _deviance(
        standard, dispersion[:, None], inlier
    )
    dispersion = np.where(negative_binomial, 1.0, dispersion)
    excess = np.where(negative_binomial, excess, 0.0)
    return dispersion, excess, _effective_dof(standard / (dispersion[:, None] + excess[:, None] * mu), inlier, dof)


def _deviance(standard: np.ndarray, factor: np.ndarray, inlier: np.ndarray) -> np.ndarray:
    return (inlier * (np.log(factor) + standard / factor)).sum(axis=1)


def _effective_dof(ratio: np.ndarray, inlier: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """Return the degrees of freedom of the variance estimate, fewer when the residuals are heavy-tailed.

    A variance estimated from n normal residuals has relative variance 2 / n; from residuals of
    kurtosis k, (k - 1) / n. Overdispersed counts are heavy-tailed: at normal-theory degrees of freedom
    the peak months of simulated counties had twice or three times the promised false alarms at p < 0.001.
    """
    count = np.maximum(inlier.sum(axis=1), 1.0)
    second = (inlier * ratio).sum(axis=1) / count
    fourth = (inlier * ratio**2).sum(axis=1) / count
    kurtosis = fourth / np.maximum(second**2, 1e-12)
    # Measured on the points within the residual limit, so against a normal cut there.
    return np.clip(dof * (_TRIMMED_KURTOSIS - 1) / np.maximum(kurtosis - 1, 1e-12), 2.0, dof)


def _variance_factor(mu: np.ndarray, dispersion: np.ndarray, excess: np.ndarray) -> np.ndarray:
    return dispersion[:, None] + excess[:, None] * mu


def _start_weights(y: np.ndarray, available: np.ndarray, calendar_month: np.ndarray) -> np.ndarray:
    """Weight points against the median of their calendar month and its two neighbours over all years.

    Pooling neighbours (Farrington's window) gives even a series with only two Octobers, one of them a
    hurricane, a starting baseline the spike cannot move; the fit proper then uses one level per month.
    """
    observed = pd.DataFrame(np.where(available > 0, y, np.nan))
    distance = (calendar_month[:, None] - np.arange(12)) % 12
    medians = np.column_stack(
        [observed.loc[:, np.isin(distance[:, month], (0, 1, 11))].median(axis=1) for month in range(12)]
    )
    mu = np.maximum(np.nan_to_num(medians[:, calendar_month], nan=1.0), 0.5)
    residual = np.where(available > 0, _anscombe(y, mu), np.nan)
    spread = 1.4826 * np.nanmedian(np.abs(residual), axis=1, keepdims=True)
    return available * _downweight(np.nan_to_num(residual) / np.maximum(spread, 1.0))


def _robust_fit(
    x: np.ndarray, y: np.ndarray, available: np.ndarray, calendar_month: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Fit with Farrington-style reweighting; return coefficients, their covariance and the variance parameters."""
    weights = _start_weights(y, available, calendar_month)
    for _ in range(_ROBUST_ROUNDS):
        coef, _ = _irls(x, y, weights)
        mu = np.exp(np.clip(coef @ x.T, -20.0, 20.0))
        factor = _variance_factor(mu, *variance_parameters(y, mu, weights >= 1.0, x.shape[1])[:2])
        # Unlike Farrington, no leverage correction: the one October of two that is not a hurricane has
        # a leverage near 1, and dividing its tiny residual by sqrt(1 - h) would downweight it too.
        weights = available * _downweight(_anscombe(y, mu) / np.sqrt(factor))
    # The last fit weighs each month by its variance (quasi-likelihood), so the peak's noise counts as such.
    coef, _ = _irls(x, y, weights / factor)
    mu = np.exp(np.clip(coef @ x.T, -20.0, 20.0))
    dispersion, excess, dof = variance_parameters(y, mu, weights >= 1.0, x.shape[1])
    information = np.einsum("sn,ni,nj->sij", weights * mu / _variance_factor(mu, dispersion, excess), x, x)
    return coef, np.linalg.inv(information + _RIDGE * np.eye(x.shape[1])), dispersion, excess, dof


def fit_seasonal(values: np.ndarray, months: Sequence[str], *, origin: str, harmonic: bool = False) -> SeasonalFit:
    """Fit the seasonal model to every row of values (S, n months; NaN where a series has no data).

    Every calendar month needs data in each series (two years of history are enough, one with a
    harmonic season); the trend is measured in years from `origin`. Series with under 36 months of
    data, or whose fitted trend is steeper than doubling or halving a year, get the model without a trend.
    """
    x = design(months, origin=origin, harmonic=harmonic)
    available = np.isfinite(values).astype(float)
    y = np.nan_to_num(values)
    calendar_month = np.array([_month_number(month) % 12 for month in months])
    with_trend = _robust_fit(x, y, available, calendar_month)
    without = _robust_fit(x[:, :-1], y, available, calendar_month)
    keep = (available.sum(axis=1) >= _TREND_MIN_MONTHS) & (np.abs(with_trend[0][:, -1]) <= _MAX_LOG_GROWTH)
    padded_coef = np.pad(without[0], ((0, 0), (0, 1)))
    padded_cov = np.pad(without[1], ((0, 0), (0, 1), (0, 1)))
    return SeasonalFit(
        coef=np.where(keep[:, None], with_trend[0], padded_coef),
        cov=np.where(keep[:, None, None], with_trend[1], padded_cov),
        dispersion=np.where(keep, with_trend[2], without[2]),
        excess=np.where(keep, with_trend[3], without[3]),
        dof=np.where(keep, with_trend[4], without[4]),
        harmonic=harmonic,
    )


def fitted_means(fit: SeasonalFit, months: Sequence[str], *, origin: str) -> np.ndarray:
    """Return each series' fitted mean in each of months, (S, months)."""
    return np.exp(np.clip(fit.coef @ design(months, origin=origin, harmonic=fit.harmonic).T, -20.0, 20.0))


def predict_total(fit: SeasonalFit, months: Sequence[str], *, origin: str) -> tuple[np.ndarray, np.ndarray]:
    """Return each series' predicted total over months and the variance of a new total around it.

    The variance adds the counts' own (see SeasonalFit.variance) and that of the estimated mean (delta method).
    """
    mu = fitted_means(fit, months, origin=origin)
    gradient = mu @ design(months, origin=origin, harmonic=fit.harmonic)  # d total / d coef
    estimate_var = np.einsum("si,sij,sj->s", gradient, fit.cov, gradient)
    return mu.sum(axis=1), fit.variance(mu).sum(axis=1) + estimate_var


def widened_tail(p: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """Return the tail probability p of a predictive widened for a variance estimated on dof degrees of freedom.

    p's normal quantile is read on Student's t: a variance measured on 40 months is itself uncertain,
    and at the far tails alerts work at that uncertainty more than doubled the false alarms.
    """
    return stats.t.sf(stats.norm.isf(p), dof)


def narrowed_tail(level: float | np.ndarray, dof: np.ndarray) -> np.ndarray:
    """Return the predictive's tail probability whose widened tail (widened_tail) is level.

    Never below 1e-300: a strict level on few degrees of freedom lands beyond the normal's last float, and a
    tail of 0 has no finite bound (the bound at 1e-300 is the strictest one a float can state).
    """
    return np.maximum(stats.norm.sf(stats.t.isf(level, dof)), _SMALLEST_TAIL)


def predictive(mean: np.ndarray, variance: np.ndarray) -> stats.rv_discrete:
    """Return the negative binomial with this mean and variance (a Poisson in the limit variance = mean)."""
    mean = np.maximum(mean, 1e-9)
    extra = np.maximum(variance - mean, 1e-9 * mean)
    return stats.nbinom(mean**2 / extra, mean / (mean + extra))


def forecast(counts: pd.DataFrame, *, last_month: str, horizon: int = 3, level: float = 0.8) -> pd.DataFrame:
    """Forecast each category's county-wide contacts for the `horizon` months after last_month.

    counts has columns month ("YYYY-MM"), category and contacts (summed over any other columns; months
    without a row count as zero). Returns category, month, forecast (the mean), lower and upper (the
    central `level` prediction interval, whole contacts) and method, ordered by category and month.
    Categories with two years of history get the seasonal model; with one to two years, the model
    with one yearly wave for a season; with less, the mean of their months, which cannot know the
    season: each labelled so (see forecast_caption).
    """
    columns = ["category", "month", "forecast", "lower", "upper", "method"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    first = max(counts["month"].min(), month_shift(last_month, 1 - 12 * FORECAST_YEARS))
    wide = monthly_matrix(counts, keys=["category"], first=first, last=last_month).dropna(how="all")
    history = wide.notna().sum(axis=1).to_numpy()
    future = [month_shift(last_month, step) for step in range(1, horizon + 1)]
    mean, variance, dof = (np.empty((len(wide), horizon)) for _ in range(3))
    groups = {
        SEASONAL: history >= FORECAST_MIN_MONTHS,
        YEARLY_WAVE: (history >= 12) & (history < FORECAST_MIN_MONTHS),
    }
    for method, chosen in groups.items():
        if chosen.any():
            fit = fit_seasonal(
                wide.to_numpy()[chosen], list(wide.columns), origin=last_month, harmonic=method != SEASONAL
            )
            for step, month in enumerate(future):
                mean[chosen, step], variance[chosen, step] = predict_total(fit, [month], origin=last_month)
            dof[chosen] = fit.dof[:, None] * (1.0 if method == SEASONAL else _YEARLY_WAVE_DOF_SHARE)
    short = history < 12
    if short.any():
        mean[short], variance[short], dof[short] = _recent_mean(wide.to_numpy()[short], horizon)
    distribution = predictive(mean, variance)
    tail = narrowed_tail((1 - level) / 2, dof)
    method = np.where(groups[SEASONAL], SEASONAL, np.where(groups[YEARLY_WAVE], YEARLY_WAVE, RECENT_MEAN))
    frame = pd.DataFrame(
        {
            "category": np.repeat(wide.index.to_numpy(), horizon),
            "month": np.tile(future, len(wide)),
            "forecast": mean.ravel(),
            "lower": distribution.ppf(tail).ravel().astype(int),
            "upper": distribution.isf(tail).ravel().astype(int),
            "method": np.repeat(method, horizon),
        }
    )
    return frame.sort_values(["category", "month"], ignore_index=True)


def forecast_caption(methods: Sequence[str], *, level: float = 0.8) -> str:
    """Return the sentence that explains forecasts made by these methods (forecast's method column)."""
    used = set(methods)
    caption = f"Dashed: the next three months as the seasonal model expects them, with an {level:.0%} range."
    if used == {SEASONAL}:
        return caption
    notes = []
    if YEARLY_WAVE in used:
        notes.append(
            "categories with one to two years of history follow a single yearly wave: with under two years of "
            "history the seasonal pattern is uncertain, so their range is wider"
        )
    if RECENT_MEAN in used:
        notes.append(
            "categories with less than a year of history are drawn flat at their mean so far: their season is "
            "not known yet, so a peak month may fall outside the range"
        )
    first = caption if SEASONAL in used else f"Dashed: the next three months, with an {level:.0%} range."
    return f"{first} " + "; ".join(notes).capitalize() + "."


def _recent_mean(values: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the mean of each series' last (up to 12) months, a new month's variance around it and its dof."""
    recent = pd.DataFrame(values[:, -12:])
    n = recent.count(axis=1).to_numpy()
    mean = recent.mean(axis=1).to_numpy()
    # One month gives no spread: assume Poisson.
    spread = recent.var(axis=1).fillna(0).to_numpy()
    dispersion = np.maximum(1.0, spread / np.maximum(mean, 1e-9))
    variance = dispersion * mean * (1 + 1 / n)
    return tuple(np.repeat(v[:, None], horizon, axis=1) for v in (mean, variance, np.maximum(n - 1, 1.0)))
