"""The district shares' beta-binomial: its cdf, sf and quantiles (lower and upper) are SciPy's, from pmf tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from voc.contacts.shares import ShareDistribution


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cdf_sf_and_quantiles_equal_scipys_betabinom(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Rows of their own, and rows sharing n, as the districts of a category share their county total.
    n = np.concatenate([[0, 1, 2], rng.integers(0, 3_000, size=27), np.repeat(rng.integers(0, 3_000, size=6), 5)])
    share = rng.uniform(0.001, 0.6, size=n.size)
    concentration = np.exp(rng.uniform(np.log(2), np.log(1e7), size=n.size))
    a, b = share * concentration, (1 - share) * concentration
    ours, scipys = ShareDistribution(n, a, b), stats.betabinom(n, a, b)
    # Levels as the alerts ask them: far tails (1 - 1e-7) to the middle; counts from below the support to above it.
    q = 1 - np.exp(rng.uniform(np.log(1e-7), np.log(0.5), size=n.size))
    k = np.floor(n * rng.uniform(-0.1, 1.1, size=n.size))
    np.testing.assert_array_equal(ours.ppf(q), scipys.ppf(q))
    tail = np.exp(rng.uniform(np.log(1e-7), np.log(0.5), size=n.size))
    np.testing.assert_array_equal(ours.isf(tail), scipys.isf(tail))
    np.testing.assert_array_equal(ours.cdf(k), scipys.cdf(k))
    np.testing.assert_array_equal(ours.sf(k - 1), scipys.sf(k - 1))
