"""District shares of a category's county-wide total: is a district taking more than its usual share?

The second stage of the emerging-issue detection (voc.contacts.alerts). Given the county-wide
total of a period, a district's count is compared with its usual share of it: its share of the
county's contacts over the last two years of the fitting window. Conditioning on the county total
makes the test answer "where" rather than "how much" (a county-wide rise lifts every district, none
more than its share) and keeps it valid after the county-wide test chose the category: that choice
depends on the total only. The count given the total is beta-binomial, its variance the binomial
one times (dispersion + excess x expected), estimated over the whole fitting window, so that a
share that wanders (with the seasons, or drifting) widens the bound instead of raising alarms; the
variance also carries the uncertainty of the share itself.
One share per district, not one per calendar month: twelve shares from five years each overfit, and
on simulated counties they raised ten times the promised false alarms at p < 0.001.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln

from voc.contacts.forecast import variance_parameters

# Beyond this concentration a beta-binomial is a binomial, and scipy's beta functions lose precision.
_MAX_CONCENTRATION = 1e7
# Squared standardised residuals beyond 2.58^2 (times a robust first dispersion) leave the variance estimate.
_RESIDUAL_LIMIT = 2.58
_ROUNDS = 3


# The share is measured over this many of the fitting window's latest months, so that a drift does not bias it.
SHARE_MONTHS = 24


@dataclass(frozen=True)
class ShareModel:
    """Each district's usual share of its county-wide total and the spread around it, (S,) each.

    weight is the county-wide total the share was measured on (its precision).
    """

    share: np.ndarray
    weight: np.ndarray
    dispersion: np.ndarray
    excess: np.ndarray
    dof: np.ndarray


def fit_shares(local: np.ndarray, county: np.ndarray) -> ShareModel:
    """Fit each district's share of the county total from monthly counts (S, months each; NaN: none).

    Months more than 2.58 standard deviations from the share (a storm in one district) are left out of
    the share and of the spread, as the seasonal model does (voc.contacts.forecast).
    """
    available = np.isfinite(local) & np.isfinite(county) & (county > 0)
    total, counts = np.where(available, county, 0.0), np.where(available, np.nan_to_num(local), 0.0)
    weights = available.astype(float)
    for _ in range(_ROUNDS):
        recent = np.zeros_like(weights)
        recent[:, -SHARE_MONTHS:] = weights[:, -SHARE_MONTHS:]
        weight = (recent * total).sum(axis=1)
        share = np.clip((recent * counts).sum(axis=1) / np.maximum(weight, 1.0), 1e-9, 1 - 1e-9)[:, None]
        expected, base = total * share, np.maximum(total * share * (1 - share), 1e-9)
        dispersion, excess, dof = variance_parameters(counts, expected, weights, 1, base=base)
        squared = (counts - expected) ** 2 / base / (dispersion[:, None] + excess[:, None] * expected)
        weights = (available & (squared <= _RESIDUAL_LIMIT**2)).astype(float)
    return ShareModel(share=share[:, 0], weight=weight, dispersion=dispersion, excess=excess, dof=dof)


class ShareDistribution:
    """Beta-binomials, one per row, with cdf, sf, ppf and isf read from each row's pmf table, from 0 up.

    SciPy's betabinom has no cdf or quantile of its own: its generic ones sum the pmf from 0 to k at every
    evaluation, and the quantile bisects over such sums, so their cost grew with the counts (at 5M contacts,
    3.4 s of an alert run). A pmf table per row gives the same sums: the quantile is the smallest k whose
    cdf, summed as SciPy sums it, reaches q. A table reaches only as far as an evaluation has needed (the
    support of a county-wide count runs far past any district's share of it), growing by half when it must
    grow, by the values past its end only (at 5M contacts the tables hold a million values). The pmf is
    SciPy's betabinom._pmf term by term, in its order of operations, so its values are the same floats; its
    binomial-coefficient term depends on n and k only, and is computed once for the rows sharing n (the
    districts of a category share their county total).
    """

    _FIRST_TABLE = 64

    def __init__(self, n: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        # Floats, as SciPy evaluates the pmf: integer arguments give other roundings.
        self._n, self._a, self._b = np.asarray(n, dtype=float), np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        self._tables: dict[int, np.ndarray] = {}
        self._log_combinations: dict[float, np.ndarray] = {}

    def cdf(self, k: np.ndarray) -> np.ndarray:
        # Clipped as SciPy clips it (a sum of pmf can pass 1 by rounding); the quantile compares the sums themselves.
        sums = [self._cdf(row, int(v)) for row, v in enumerate(np.floor(k))]
        return np.clip(np.array(sums, dtype=float), 0.0, 1.0)

    def sf(self, k: np.ndarray) -> np.ndarray:
        return 1.0 - self.cdf(k)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.array([self._ppf(row, level) for row, level in enumerate(q)], dtype=float)

    def isf(self, q: np.ndarray) -> np.ndarray:
        # As the p-values read the tail (1 - cdf): below 1e-16 it is where the cdf's sum reaches 1.
        return self.ppf(1.0 - np.asarray(q, dtype=float))

    def _table(self, row: int, k: int) -> np.ndarray:
        """The row's pmf at 0, 1, ... at least to k (to n at most)."""
        table = self._tables.get(row, np.empty(0))
        if len(table) <= k:
            n, a, b = self._n[row], self._a[row], self._b[row]
            last = min(n, max(k, self._grown(len(table))))
            counts = np.arange(len(table), last + 1.0)
            combinations = self._log_combination(n, int(last))[len(table) : int(last) + 1]
            more = np.exp(combinations + betaln(counts + a, n - counts + b) - betaln(a, b))
            table = self._tables[row] = np.concatenate([table, more])
        return table

    def _log_combination(self, n: float, last: int) -> np.ndarray:
        """log C(n, k) for k = 0..last at least, as SciPy's betabinom._logpmf computes it."""
        known = self._log_combinations.get(n, np.empty(0))
        if len(known) <= last:
            counts = np.arange(len(known), last + 1.0)
            known = self._log_combinations[n] = np.concatenate(
                [known, -np.log(n + 1) - betaln(n - counts + 1, counts + 1)]
            )
        return known

    def _grown(self, length: int) -> int:
        """The length a table grows to at least: each value is computed once, so a growth need not double."""
        return max(length + length // 2, self._FIRST_TABLE)

    def _cdf(self, row: int, k: int) -> float:
        return 0.0 if k < 0 else 1.0 if k >= self._n[row] else float(np.sum(self._table(row, k)[: k + 1]))

    def _ppf(self, row: int, q: float) -> float:
        n = int(self._n[row])
        table = self._table(row, 0)
        while len(table) <= n and np.cumsum(table)[-1] < q:  # a table of n + 1 values is the whole support
            table = self._table(row, self._grown(len(table)))
        k = int(np.searchsorted(np.cumsum(table), q))
        while k > 0 and self._cdf(row, k - 1) >= q:
            k -= 1
        while k < n and self._cdf(row, k) < q:
            k += 1
        return float(k)


def share_distribution(model: ShareModel, total: np.ndarray) -> ShareDistribution:
    """Return the beta-binomial of each district's count given its county total (S,) and its usual share."""
    total = np.maximum(np.asarray(total, dtype=int), 0)
    share = model.share
    factor = (model.dispersion + model.excess * total * share) * (1 + total / np.maximum(model.weight, 1))
    correlation = np.clip(np.where(total > 1, (factor - 1) / np.maximum(total - 1, 1), 0.0), 0.0, 0.999)
    concentration = np.minimum(1 / np.maximum(correlation, 1 / _MAX_CONCENTRATION) - 1, _MAX_CONCENTRATION)
    return ShareDistribution(total, share * concentration, (1 - share) * concentration)
