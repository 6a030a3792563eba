"""Seasonal models of monthly counts: a robust quasi-Poisson GLM fitted to many series at once, and forecasts.

The model of one series is log E[count] = month-of-year + linear trend (in years), fitted by
quasi-likelihood with the dispersion floored at 1, in the manner of the improved Farrington method
(Noufaily et al., Stat. Med. 2013): large standardised Anscombe residuals (a hurricane month, a CRM
outage) are downweighted so that they do not set the baseline for years. As in Farrington's method a
trend needs three years of data, and one steeper than doubling or halving a year is dropped; unlike
it, a trend is kept whether or not it is significant: a real trend that a significance test misses
leaves a biased baseline, which on simulated series raised the false alarms more than the trend's
wider prediction interval cost in power.
Predictions come with a negative binomial predictive distribution whose variance adds the
dispersion and the uncertainty of the fitted mean.
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
# The variance of a standard normal cut at +-2.58, to undo the shrinkage of a dispersion left without its tails.
_TRIMMED_VARIANCE = float(
    1 - 2 * _RESIDUAL_LIMIT * stats.norm.pdf(_RESIDUAL_LIMIT) / (2 * stats.norm.cdf(_RESIDUAL_LIMIT) - 1)
)
# A trend steeper than doubling or halving a year is a level shift, not growth to extrapolate.
_MAX_LOG_GROWTH = float(np.log(2.0))
# As in Farrington's method, a trend needs three years of data: over less it mostly extrapolates noise.
_TREND_MIN_MONTHS = 36
_RIDGE = 1e-8  # keeps X'WX invertible when a calendar month has (almost) no weight
FORECAST_MIN_MONTHS = 24
FORECAST_YEARS = 5


@dataclass(frozen=True)
class SeasonalFit:
    """Fitted models of S series: coefficients (S, 13), their covariance (S, 13, 13), dispersion (S,).

    Series whose trend was dropped have a zero trend coefficient and zero trend (co)variances.
    """

    coef: np.ndarray
    cov: np.ndarray
    dispersion: np.ndarray


def _month_number(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return year * 12 + number - 1


def design(months: Sequence[str], *, origin: str) -> np.ndarray:
    """Return the model's columns for months: intercept, 11 month-of-year indicators, trend in years from origin.

    January is the base month; the trend is 0 at `origin`, so a prediction there needs no extrapolation term.
    """
    index = np.array([_month_number(month) for month in months])
    calendar_month = index % 12
    dummies = (calendar_month[:, None] == np.arange(1, 12)).astype(float)
    trend = (index - _month_number(origin)) / 12
    return np.column_stack([np.ones(index.size), dummies, trend])


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
    for _ in range(iterations):
        mu = np.exp(eta)
        working = weights * mu
        info = np.einsum("sn,ni,nj->sij", working, x, x) + ridge
        rhs = np.einsum("sn,ni,sn->si", working, x, eta + (y - mu) / mu)
        coef = np.linalg.solve(info, rhs[..., None])[..., 0]
        # Clipping keeps a month with no contacts at all from running off to minus infinity.
        new = np.clip(coef @ x.T, -20.0, 20.0)
        converged = np.max(np.abs(new - eta), initial=0.0) < 1e-9
        eta = new
        if converged:
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


def _dispersion(y: np.ndarray, mu: np.ndarray, weights: np.ndarray, n_params: int) -> np.ndarray:
    """Return the Pearson dispersion of each series over its points at full weight, floored at 1.

    Downweighted points are left out: their Pearson residuals, far larger than the Anscombe ones
    they were judged by, would inflate the dispersion and, round after round, hide every spike.
    """
    inlier = weights >= 1.0
    pearson = np.where(inlier, (y - mu) ** 2 / mu, 0.0).sum(axis=1)
    return np.maximum(1.0, pearson / np.maximum(inlier.sum(axis=1) - n_params, 1.0) / _TRIMMED_VARIANCE)


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit with Farrington-style reweighting; return coefficients, their covariance and the dispersion."""
    weights = _start_weights(y, available, calendar_month)
    for _ in range(_ROBUST_ROUNDS):
        coef, _ = _irls(x, y, weights)
        mu = np.exp(np.clip(coef @ x.T, -20.0, 20.0))
        dispersion = _dispersion(y, mu, weights, x.shape[1])
        # Unlike Farrington, no leverage correction: the one October of two that is not a hurricane has
        # a leverage near 1, and dividing its tiny residual by sqrt(1 - h) would downweight it too.
        weights = available * _downweight(_anscombe(y, mu) / np.sqrt(dispersion[:, None]))
    coef, inverse = _irls(x, y, weights)
    mu = np.exp(np.clip(coef @ x.T, -20.0, 20.0))
    dispersion = _dispersion(y, mu, weights, x.shape[1])
    return coef, dispersion[:, None, None] * inverse, dispersion


def fit_seasonal(values: np.ndarray, months: Sequence[str], *, origin: str) -> SeasonalFit:
    """Fit the seasonal model to every row of values (S, n months; NaN where a series has no data).

    Every calendar month needs data in each series (two years of history are enough); the trend is
    measured in years from `origin`. Series with under 36 months of data, or whose fitted trend is
    steeper than doubling or halving a year, get the model without a trend.
    """
    x = design(months, origin=origin)
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
    )


def predict_total(fit: SeasonalFit, months: Sequence[str], *, origin: str) -> tuple[np.ndarray, np.ndarray]:
    """Return each series' predicted total over months and the variance of a new total around it.

    The variance adds the count's own (dispersion x mean) and that of the estimated mean (delta method).
    """
    x = design(months, origin=origin)
    mu = np.exp(np.clip(fit.coef @ x.T, -20.0, 20.0))  # (S, months)
    total = mu.sum(axis=1)
    gradient = mu @ x  # d total / d coef
    estimate_var = np.einsum("si,sij,sj->s", gradient, fit.cov, gradient)
    return total, fit.dispersion * total + estimate_var


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
    Categories with under two years of history get the mean of their last (up to 12) months, labelled so.
    """
    columns = ["category", "month", "forecast", "lower", "upper", "method"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    first = max(counts["month"].min(), month_shift(last_month, 1 - 12 * FORECAST_YEARS))
    wide = monthly_matrix(counts, keys=["category"], first=first, last=last_month).dropna(how="all")
    history = wide.notna().sum(axis=1).to_numpy()
    future = [month_shift(last_month, step) for step in range(1, horizon + 1)]
    modelled = history >= FORECAST_MIN_MONTHS
    mean, variance = np.empty((len(wide), horizon)), np.empty((len(wide), horizon))
    if modelled.any():
        fit = fit_seasonal(wide.to_numpy()[modelled], list(wide.columns), origin=last_month)
        for step, month in enumerate(future):
            mean[modelled, step], variance[modelled, step] = predict_total(fit, [month], origin=last_month)
    if (~modelled).any():
        mean[~modelled], variance[~modelled] = _recent_mean(wide.to_numpy()[~modelled], horizon)
    distribution = predictive(mean, variance)
    frame = pd.DataFrame(
        {
            "category": np.repeat(wide.index.to_numpy(), horizon),
            "month": np.tile(future, len(wide)),
            "forecast": mean.ravel(),
            "lower": distribution.ppf((1 - level) / 2).ravel().astype(int),
            "upper": distribution.ppf((1 + level) / 2).ravel().astype(int),
            "method": np.repeat(
                np.where(modelled, "seasonal model", "recent mean: less than 2 years of history"), horizon
            ),
        }
    )
    return frame.sort_values(["category", "month"], ignore_index=True)


def _recent_mean(values: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean of each series' last (up to 12) months and a new month's variance around it."""
    recent = pd.DataFrame(values[:, -12:])
    n = recent.count(axis=1).to_numpy()
    mean = recent.mean(axis=1).to_numpy()
    # One month gives no spread: assume Poisson.
    spread = recent.var(axis=1).fillna(0).to_numpy()
    dispersion = np.maximum(1.0, spread / np.maximum(mean, 1e-9))
    variance = dispersion * mean * (1 + 1 / n)
    return np.repeat(mean[:, None], horizon, axis=1), np.repeat(variance[:, None], horizon, axis=1)
