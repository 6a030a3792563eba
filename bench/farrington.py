"""A Farrington Flexible reference detector (Noufaily et al., Stat. Med. 2013) for bench/alerts_bench.py.

Not used by voc: it is the literature's method, run on the same simulated series as voc's detector,
so that the two can be compared on false alarms and detection. For monthly counts, each series'
latest month is compared with a quasi-Poisson GLM (intercept, linear trend, a 10-level seasonal
factor: the tested calendar month with its two neighbours, then the other nine months each)
fitted to the b = 5 past years up to the same window a year earlier. Past outbreaks are downweighted
(Anscombe residuals above 2.58 get weight proportional to s^-2), the trend is kept only when
significant at 5% and its prediction stays within the data, and the upper threshold is the
2/3-power transformed one at level alpha per series, with no correction for the number of series.
As in the method, no alarm is raised when the last four months together have fewer than 5 counts.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

YEARS = 5
WINDOW = 1  # months either side of the tested calendar month that share its seasonal level
PERIODS = 10
RESIDUAL_LIMIT = 2.58
ROUNDS = 2


def farrington_flexible(values: np.ndarray, *, alpha: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """Return the upper threshold of each series' latest month and whether it alarms; values is (S, months).

    The baseline runs from YEARS years and WINDOW months before the latest month (or the series' start,
    which must be at least YEARS years back) to WINDOW months after it a year earlier; NaN counts as 0.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float))
    latest = values.shape[1] - 1
    if latest < 12 * YEARS:
        raise ValueError(f"Farrington Flexible needs {12 * YEARS + 1} months, got {values.shape[1]}")
    months = np.arange(max(latest - 12 * YEARS - WINDOW, 0), latest - 12 + WINDOW + 1)
    y = values[:, months]
    with_trend = _fit(_design(months, latest, trend=True), y, _design(np.array([latest]), latest, trend=True))
    without = _fit(_design(months, latest, trend=False), y, _design(np.array([latest]), latest, trend=False))
    keep = (with_trend["trend_p"] < 0.05) & (with_trend["mu0"] <= y.max(axis=1))
    mu0 = np.where(keep, with_trend["mu0"], without["mu0"])
    var_eta = np.where(keep, with_trend["var_eta"], without["var_eta"])
    phi = np.where(keep, with_trend["phi"], without["phi"])
    z = stats.norm.isf(alpha)
    spread = np.sqrt(4 / 9 * mu0 ** (1 / 3) * (phi + mu0 * var_eta))
    upper = (mu0 ** (2 / 3) + z * spread) ** 1.5
    recent = values[:, latest - 3 :].sum(axis=1)
    return upper, (values[:, latest] > upper) & (recent >= 5)


def _design(months: np.ndarray, latest: int, *, trend: bool) -> np.ndarray:
    """Return intercept, optional trend and the 10-period seasonal factor (the tested window is the reference)."""
    distance = (latest - months) % 12
    period = np.where((distance <= WINDOW) | (distance >= 12 - WINDOW), 0, distance - WINDOW)
    factor = (period[:, None] == np.arange(1, PERIODS)).astype(float)
    columns = [np.ones((len(months), 1)), factor]
    if trend:
        columns.append((months - latest)[:, None] / 12.0)
    return np.hstack(columns)


def _irls(x: np.ndarray, y: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit log-linear Poisson quasi-likelihood to every row of y; return coefficients, means and (X'WX)^-1."""
    mu = np.maximum(y, 0.5) + 0.0
    eta = np.log(mu)
    for _ in range(30):
        w = prior * mu
        z = eta + (y - mu) / mu
        xtwx = np.einsum("sn,ni,nj->sij", w, x, x) + 1e-8 * np.eye(x.shape[1])
        coef = np.linalg.solve(xtwx, np.einsum("sn,ni,sn->si", w, x, z)[:, :, None])[:, :, 0]
        eta = np.clip(coef @ x.T, -20, 20)
        mu = np.exp(eta)
    xtwx = np.einsum("sn,ni,nj->sij", prior * mu, x, x) + 1e-8 * np.eye(x.shape[1])
    return coef, mu, np.linalg.inv(xtwx)


def _fit(x: np.ndarray, y: np.ndarray, x0: np.ndarray) -> dict[str, np.ndarray]:
    n, p = x.shape
    prior = np.ones_like(y)
    for _ in range(ROUNDS):
        coef, mu, inverse = _irls(x, y, prior)
        phi = np.maximum(1.0, (prior * (y - mu) ** 2 / mu).sum(axis=1) / (n - p))
        leverage = np.clip(prior * mu * np.einsum("ni,sij,nj->sn", x, inverse, x), 0, 0.999)
        anscombe = 1.5 * (y ** (2 / 3) - mu ** (2 / 3)) / (mu ** (1 / 6) * np.sqrt(phi[:, None] * (1 - leverage)))
        raw = np.where(anscombe > RESIDUAL_LIMIT, np.maximum(anscombe, RESIDUAL_LIMIT) ** -2.0, 1.0)
        prior = raw * n / raw.sum(axis=1, keepdims=True)
    coef, mu, inverse = _irls(x, y, prior)
    phi = np.maximum(1.0, (prior * (y - mu) ** 2 / mu).sum(axis=1) / (n - p))
    covariance = phi[:, None, None] * inverse
    eta0 = coef @ x0[0]
    trend_se = np.sqrt(covariance[:, -1, -1])
    return {
        "mu0": np.exp(eta0),
        "var_eta": np.einsum("i,sij,j->s", x0[0], covariance, x0[0]),
        "phi": phi,
        "trend_p": 2 * stats.norm.sf(np.abs(coef[:, -1]) / np.maximum(trend_se, 1e-12)),
    }
