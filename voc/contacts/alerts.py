"""Emerging issues: which categories, county-wide and by district, are above what their own seasons predict.

A plain change against the previous period cannot tell a department head whether 148 drainage
complaints are normal for August. Here every series is compared with its own history: a seasonal
quasi-Poisson model (voc.contacts.forecast.fit_seasonal: month of year + trend, past spikes downweighted, in
the manner of the improved Farrington method) is fitted to up to `years` years ending three months
before the latest month, so that a rise under way cannot hide in its own baseline. The latest
month, and the three months ending there, are then tested against the model's negative binomial
predictive distribution, and the one-sided p-values of every test of the run (all series, both
periods) are corrected together with Benjamini-Hochberg at level `alpha`: among the flags, the
expected share of false alarms is at most alpha.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from voc.contacts.forecast import fit_seasonal, monthly_matrix, predict_total, predictive
from voc.core.errors import VocError
from voc.core.periods import month_label, month_shift

PERIOD_MONTHS = {"month": 1, "quarter": 3}
MODEL = "seasonal model"
# The model is fitted to months up to this many before the period tested, which the fit must not see.
_GAP = 3
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
]


@dataclass(frozen=True)
class AlertSettings:
    """How emerging issues are detected.

    min_monthly_mean: series averaging fewer contacts a month over the last 12 months are not tested.
    min_years: whole years of history (the tested month included) a series needs for the seasonal
        model, at least 2; shorter series get a plain comparison, which is never flagged.
    alpha: the false discovery rate (Benjamini-Hochberg) over all tests of one run.
    years: how many years of history, at most, the model is fitted to (at least 2).
    """

    min_monthly_mean: float = 5.0
    min_years: int = 3
    alpha: float = 0.05
    years: int = 5

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
    """Test every category, county-wide and in each district, for a rise above its seasonal expectation.

    counts has columns month ("YYYY-MM"), category, district_code ("" or missing for none) and
    contacts; months after `month` are ignored and months without a row count as zero. Each series
    (a category county-wide, and each category x district) averaging at least min_monthly_mean
    contacts a month gets two rows: period "month" (`month` alone) and "quarter" (the three months
    ending with it, summed).

    Modelled rows: expected is the predicted mean; upper is the count above which the row is
    flagged at this run's corrected level (so flagged == observed > upper); p_value is the
    uncorrected one-sided p-value; score is observed / (upper + 1), at least 1 exactly when flagged.
    Rows of series with less than min_years of history are plain comparisons: expected is the same
    period a year earlier (or, without one, the mean of the 12 months before), upper and p_value are
    NaN and flagged is False, because without a seasonal baseline a summer peak looks like a rise;
    their score is observed / expected, for a separate "too new to judge" list.

    Rows come flagged first, then modelled, then plain, each by score descending. labels maps
    district codes to the names used in sentences ("District 3" otherwise).
    """
    if counts.empty:
        return pd.DataFrame(columns=COLUMNS)
    wide = _series(counts, month=month)
    recent = wide.iloc[:, -12:]
    wide = wide[recent.mean(axis=1).fillna(0) >= settings.min_monthly_mean]
    if wide.empty:
        return pd.DataFrame(columns=COLUMNS)
    history_years = wide.notna().sum(axis=1).to_numpy() // 12
    modelled = history_years >= settings.min_years
    frames = []
    if modelled.any():
        frames.append(_model_rows(wide[modelled], month=month, settings=settings))
    if (~modelled).any():
        frames.append(_plain_rows(wide[~modelled], month=month, min_years=settings.min_years))
    rows = pd.concat(frames, ignore_index=True)
    rows["sentence"] = _sentences(rows, wide, month=month, labels=labels or {})
    order = rows.assign(_model=rows["method"] == MODEL).sort_values(
        ["flagged", "_model", "score"], ascending=False, na_position="last", kind="stable"
    )
    return order[COLUMNS].reset_index(drop=True)


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


def _period_months(month: str, length: int) -> list[str]:
    return [month_shift(month, step) for step in range(1 - length, 1)]


def _model_rows(wide: pd.DataFrame, *, month: str, settings: AlertSettings) -> pd.DataFrame:
    """Test each series' month and quarter against its seasonal model, corrected over all the tests."""
    fit_last = month_shift(month, -_GAP)
    fit_first = month_shift(fit_last, 1 - 12 * settings.years)
    history = wide.loc[:, (wide.columns >= fit_first) & (wide.columns <= fit_last)]
    fit = fit_seasonal(history.to_numpy(), list(history.columns), origin=month)
    frames = []
    for period, length in PERIOD_MONTHS.items():
        months = _period_months(month, length)
        expected, variance = predict_total(fit, months, origin=month)
        observed = wide[months].fillna(0).sum(axis=1).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "category": wide.index.get_level_values("category"),
                    "district_code": wide.index.get_level_values("district_code"),
                    "period": period,
                    "observed": observed.astype(int),
                    "expected": expected,
                    "p_value": predictive(expected, variance).sf(observed - 1),
                    "_variance": variance,
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    level = _corrected_level(rows["p_value"].to_numpy(), settings.alpha)
    rows["upper"] = predictive(rows["expected"].to_numpy(), rows["_variance"].to_numpy()).ppf(1 - level).astype(int)
    # Defined from the bound (not from p <= level) so that the sentence's bound and the flag always agree.
    rows["flagged"] = rows["observed"] > rows["upper"]
    rows["score"] = rows["observed"] / (rows["upper"] + 1)
    rows["method"] = MODEL
    return rows.drop(columns="_variance")


def _corrected_level(p_values: np.ndarray, alpha: float) -> float:
    """Return the Benjamini-Hochberg level: p-values at or below it are discoveries (alpha / m when none are)."""
    m = p_values.size
    passed = np.flatnonzero(np.sort(p_values) <= alpha * np.arange(1, m + 1) / m)
    return alpha * (passed[-1] + 1 if passed.size else 1) / m


def _plain_rows(wide: pd.DataFrame, *, month: str, min_years: int) -> pd.DataFrame:
    """Compare each short series with the same period a year earlier and the average of the year before."""
    frames = []
    for period, length in PERIOD_MONTHS.items():
        months = _period_months(month, length)
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


def _sentences(rows: pd.DataFrame, wide: pd.DataFrame, *, month: str, labels: Mapping[str, str]) -> list[str]:
    return [
        _sentence(row, wide.loc[(row.category, row.district_code)], month=month, labels=labels)
        for row in rows.itertuples()
    ]


def _sentence(row: Any, series: pd.Series, *, month: str, labels: Mapping[str, str]) -> str:
    """Explain one row: 'Potholes in District 3: 148 in Oct 2026 against 61 expected (upper bound 82); ...'."""
    length = PERIOD_MONTHS[row.period]
    code = row.district_code
    where = "county-wide" if code == "" else f"in {labels.get(code, f'District {code}')}"
    head = f"{row.category} {where}: {row.observed:,} in {_period_label(month, length)}"
    if row.method == MODEL:
        past = _same_period_totals(series, month, length)
        record = _superlative(row.observed, past, _season(month, length))
        return f"{head} against {row.expected:,.0f} expected (upper bound {row.upper:,.0f}){record}."
    return f"{head}{_plain_comparison(row, month, length)} ({row.method})."


def _plain_comparison(row: Any, month: str, length: int) -> str:
    parts = []
    if np.isfinite(row.last_year):
        parts.append(f"{row.last_year:,.0f} in {_period_label(month_shift(month, -12), length)}")
    if row.recent_months:
        per = "a month" if length == 1 else "per 3 months"
        span = f"{row.recent_months} months" if row.recent_months > 1 else "month"
        parts.append(f"a mean of {row.recent:,.0f} {per} over the {span} before")
    return " against " + " and ".join(parts) if parts else ", with no earlier months to compare"


def _period_label(month: str, length: int) -> str:
    """Return 'Oct 2026', 'Aug–Oct 2026' or 'Nov 2025–Jan 2026'."""
    start = month_shift(month, 1 - length)
    if start == month:
        return month_label(month)
    if start[:4] == month[:4]:
        return f"{calendar.month_abbr[int(start[5:])]}–{month_label(month)}"
    return f"{month_label(start)}–{month_label(month)}"


def _season(month: str, length: int) -> str:
    """Return the calendar period a record refers to: 'October' or 'Aug–Oct'."""
    if length == 1:
        return calendar.month_name[int(month[5:])]
    start = month_shift(month, 1 - length)
    return f"{calendar.month_abbr[int(start[5:])]}–{calendar.month_abbr[int(month[5:])]}"


def _same_period_totals(series: pd.Series, month: str, length: int) -> list[tuple[int, float]]:
    """Return (year, total) of the same period in each earlier year the series fully covers, newest first."""
    totals = []
    back = 12
    while True:
        values = series.reindex(_period_months(month_shift(month, -back), length))
        if values.isna().any():
            return totals
        totals.append((int(month_shift(month, -back)[:4]), float(values.sum())))
        back += 12


def _superlative(current: int, past: list[tuple[int, float]], season: str) -> str:
    """Return '; the highest October in 4 years', '; the highest October since 2024' or nothing."""
    if len(past) >= 2 and all(current > total for _, total in past):
        return f"; the highest {season} in {len(past) + 1} years"
    for index, (year, total) in enumerate(past):
        if total >= current:
            return f"; the highest {season} since {year}" if index >= 1 else ""
    return ""
