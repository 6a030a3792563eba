"""Tests of the seasonal count model and the category forecasts built on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from tests.simulated import simulate_county
from voc.contacts.forecast import (
    RECENT_MEAN,
    SEASONAL,
    YEARLY_WAVE,
    design,
    fit_seasonal,
    forecast,
    forecast_caption,
)
from voc.core.periods import month_range, month_shift

HISTORY = month_range("2021-11", "2026-10")
FUTURE = ["2026-11", "2026-12", "2027-01"]


def seasonal_means(rng: np.random.Generator, n: int, months: int) -> np.ndarray:
    """Return the means (n, months) of seasonal series with a trend, 5 to 500 contacts a month."""
    t = np.arange(months)
    level = np.exp(rng.uniform(np.log(5), np.log(500), n))
    amplitude, phase = rng.uniform(0, 0.5, n), rng.uniform(0, 2 * np.pi, n)
    growth = rng.uniform(-0.1, 0.1, n)
    return level[:, None] * np.exp(
        amplitude[:, None] * np.sin(2 * np.pi * t / 12 + phase[:, None]) + np.outer(growth, t) / 12
    )


def as_counts(values: np.ndarray, months: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": np.tile(months, len(values)),
            "category": np.repeat([f"Series {i:03d}" for i in range(len(values))], len(months)),
            "contacts": values.ravel(),
        }
    )


def test_the_80_percent_interval_covers_about_80_percent_of_new_months() -> None:
    rng = np.random.default_rng(3)
    mu = seasonal_means(rng, 300, len(HISTORY) + len(FUTURE))
    # Half Poisson, half negative binomial (var = mu + mu^2 / size).
    size = np.where(np.arange(300) % 2 == 0, 1e9, rng.uniform(10, 200, 300))[:, None]
    values = rng.negative_binomial(size, size / (size + mu))
    result = forecast(as_counts(values[:, : len(HISTORY)], HISTORY), last_month=HISTORY[-1])
    truth = values[:, len(HISTORY) :].ravel()  # categories sort like the series, months in order
    covered = (result["lower"] <= truth) & (truth <= result["upper"])
    assert 0.72 <= covered.mean() <= 0.88, covered.mean()
    assert (result["method"] == "seasonal model").all()


def test_forecast_frame_shape_and_order() -> None:
    rng = np.random.default_rng(4)
    values = rng.poisson(seasonal_means(rng, 3, len(HISTORY)))
    result = forecast(as_counts(values, HISTORY), last_month=HISTORY[-1], horizon=4, level=0.9)
    assert list(result.columns) == ["category", "month", "forecast", "lower", "upper", "method"]
    assert len(result) == 12
    assert list(result["month"].iloc[:4]) == [*FUTURE, "2027-02"]
    assert result["category"].is_monotonic_increasing
    assert (result["lower"] >= 0).all() and (result["upper"] > 0).all()
    assert ((result["lower"] <= result["forecast"]) & (result["forecast"] <= result["upper"])).all()


def test_short_history_gets_a_labelled_simpler_forecast() -> None:
    counts = pd.concat(
        [
            pd.DataFrame({"month": month_range("2025-11", "2026-10"), "category": "Year", "contacts": 10}),
            pd.DataFrame({"month": month_range("2026-02", "2026-10"), "category": "New", "contacts": 10}),
            pd.DataFrame({"month": HISTORY, "category": "Old", "contacts": 50}),
        ]
    )
    result = forecast(counts, last_month="2026-10").set_index(["category", "month"])
    new = result.loc["New"]
    assert (new["method"] == RECENT_MEAN).all()
    assert new["forecast"].tolist() == [10.0, 10.0, 10.0]
    assert (new["lower"] < 10).all() and (new["upper"] > 10).all()
    year = result.loc["Year"]
    assert (year["method"] == YEARLY_WAVE).all()
    assert year["forecast"].to_numpy() == pytest.approx(10, rel=1e-6)
    assert (result.loc["Old", "method"] == SEASONAL).all()
    assert result.loc["Old", "forecast"].to_numpy() == pytest.approx(50, rel=1e-6)


@pytest.mark.parametrize(
    ("methods", "caption"),
    [
        ([SEASONAL], "Dashed: the next three months as the seasonal model expects them, with an 80% range."),
        (
            [SEASONAL, RECENT_MEAN],
            "Dashed: the next three months as the seasonal model expects them, with an 80% range. Categories "
            "with less than a year of history are drawn flat at their mean so far: their season is not known "
            "yet, so a peak month may fall outside the range.",
        ),
        (
            [YEARLY_WAVE],
            "Dashed: the next three months, with an 80% range. Categories with one to two years of history "
            "follow a single yearly wave: with under two years of history the seasonal pattern is uncertain, so "
            "their range is wider.",
        ),
    ],
)
def test_the_caption_says_how_each_forecast_was_made(methods: list[str], caption: str) -> None:
    assert forecast_caption(methods) == caption


@pytest.mark.parametrize("history", [18, 24, 60])
def test_the_band_covers_at_least_75_percent_in_every_calendar_month(history: int) -> None:
    """Strongly seasonal, overdispersed counties (peak in July), from 18 months, two and five years of history."""
    covered = []
    for seed in range(4):
        for last_month in ["2026-01", "2026-04", "2026-07", "2026-10"]:
            rng = np.random.default_rng([seed, history, int(last_month[5:])])
            county = simulate_county(rng, last_month=month_shift(last_month, 3), categories=90)
            totals = county.counts.groupby(["category", "month"], as_index=False)["contacts"].sum()
            start = month_shift(last_month, 1 - history)
            result = forecast(totals[totals["month"].between(start, last_month)], last_month=last_month)
            truth = totals.set_index(["category", "month"])["contacts"]
            actual = truth.reindex(pd.MultiIndex.from_frame(result[["category", "month"]])).to_numpy()
            covered.append(result.assign(covered=(result["lower"] <= actual) & (actual <= result["upper"])))
    result = pd.concat(covered)
    assert (result["method"] == (SEASONAL if history >= 24 else YEARLY_WAVE)).all()
    by_month = result.groupby(result["month"].str[5:])["covered"].mean()
    assert len(by_month) == 12 and by_month.min() >= 0.75, by_month.round(3).to_dict()


def test_a_past_spike_does_not_inflate_the_forecast() -> None:
    rng = np.random.default_rng(5)
    values = rng.poisson(np.full(len(HISTORY), 40.0))
    values[HISTORY.index("2024-11")] = 2000  # a hurricane two Novembers ago
    values[HISTORY.index("2024-12")] = 600
    result = forecast(as_counts(values[None, :], HISTORY), last_month=HISTORY[-1])
    assert result["forecast"].to_numpy() == pytest.approx(40, rel=0.2)
    assert (result["upper"] < 60).all()


def test_empty_counts_give_an_empty_forecast() -> None:
    empty = pd.DataFrame(columns=["month", "category", "contacts"])
    assert forecast(empty, last_month="2026-10").empty


def test_a_clean_fit_matches_statsmodels() -> None:
    rng = np.random.default_rng(6)
    mu = seasonal_means(rng, 1, len(HISTORY))[0] + 100
    y = np.round(mu)  # residuals this small leave every weight at 1 and the dispersion at its floor of 1
    fit = fit_seasonal(y[None, :], HISTORY, origin="2026-10")
    reference = sm.GLM(y, design(HISTORY, origin="2026-10"), family=sm.families.Poisson()).fit()
    assert fit.coef[0] == pytest.approx(reference.params, rel=1e-6, abs=1e-9)
    assert fit.cov[0] == pytest.approx(reference.cov_params(), rel=1e-6, abs=1e-12)
    assert fit.dispersion[0] == 1.0
