"""Simulated counties for the alert and forecast checks: strongly seasonal, overdispersed counts.

Real monthly counts vary more than Poisson, and more so at the seasonal peak: a wet month adds
contacts in proportion to the month's volume. Each category's month is drawn with a gamma factor
(shape `category_shape`, so variance = mu + mu^2 / shape: negative binomial), shared by its
districts, and each district's month with a gamma factor of its own (its share wanders a little).
Every category peaks in July, so that "the peak month" is one calendar month for the whole county.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from voc.core.periods import month_range

PEAK_MONTH = 7
DISTRICTS = [str(code) for code in range(1, 9)]


@dataclass(frozen=True)
class Rise:
    """A planted rise: category, district ("" for every district at once), factor, first month (YYYY-MM)."""

    category: str
    district_code: str
    factor: float
    first_month: str
    last_month: str | None = None  # None: to the end of the series


@dataclass(frozen=True)
class County:
    """Simulated monthly counts (month, category, department, district_code, contacts) and what was planted."""

    counts: pd.DataFrame
    means: pd.DataFrame  # the same rows' expected contacts before any rise
    rises: list[Rise] = field(default_factory=list)


def simulate_county(
    rng: np.random.Generator,
    *,
    last_month: str,
    years: int = 5,
    categories: int = 30,
    category_base: tuple[float, float] = (20.0, 2000.0),
    bases: dict[str, float] | None = None,
    category_shape: tuple[float, float] = (8.0, 40.0),
    district_shape: float = 60.0,
    amplitude: tuple[float, float] = (0.3, 0.8),
    rises: list[Rise] | None = None,
) -> County:
    """Draw a county of `categories` categories x 8 districts over `years` years ending at last_month.

    bases fixes chosen categories' county-wide monthly mean (over a year); the others are log-uniform
    in category_base. Categories come in departments of three, in order ("Dept 00": categories 0-2).
    """
    months = month_range(_shift_years(last_month, years), last_month)
    n, t = len(months), np.arange(len(months))
    names = [f"Cat {i:02d}" for i in range(categories)]
    base = np.exp(rng.uniform(*np.log(category_base), categories))
    for name, value in (bases or {}).items():
        base[names.index(name)] = value
    amp = rng.uniform(*amplitude, categories)
    calendar_month = np.array([int(month[5:]) for month in months])
    season = np.exp(amp[:, None] * np.cos(2 * np.pi * (calendar_month - PEAK_MONTH) / 12))
    season /= season.mean(axis=1, keepdims=True)
    trend = np.exp(np.outer(rng.uniform(-0.05, 0.05, categories), t / 12))
    shape = rng.uniform(*category_shape, categories)[:, None]
    share = rng.lognormal(0, 0.5, (categories, len(DISTRICTS)))
    share /= share.sum(axis=1, keepdims=True)
    mean = (base[:, None] * season * trend)[:, :, None] * share[:, None, :]  # (category, month, district)
    planted = mean * _rise_factors(rises or [], names, months)
    category_noise = rng.gamma(shape, 1 / shape, (categories, n))[:, :, None]
    district_noise = rng.gamma(district_shape, 1 / district_shape, planted.shape)
    contacts = rng.poisson(planted * category_noise * district_noise)
    index = pd.MultiIndex.from_product([names, months, DISTRICTS], names=["category", "month", "district_code"])
    frame = pd.DataFrame({"contacts": contacts.ravel(), "mean": mean.ravel()}, index=index).reset_index()
    frame["department"] = "Dept " + (frame["category"].str[4:].astype(int) // 3).astype(str).str.zfill(2)
    columns = ["month", "category", "department", "district_code"]
    return County(counts=frame[[*columns, "contacts"]], means=frame[[*columns, "mean"]], rises=list(rises or []))


def _rise_factors(rises: list[Rise], names: list[str], months: list[str]) -> np.ndarray:
    factors = np.ones((len(names), len(months), len(DISTRICTS)))
    for rise in rises:
        during = np.array([rise.first_month <= m <= (rise.last_month or m) for m in months])
        where = slice(None) if rise.district_code == "" else DISTRICTS.index(rise.district_code)
        factors[names.index(rise.category), during, where] *= rise.factor
    return factors


def _shift_years(last_month: str, years: int) -> str:
    """Return the first month of `years` whole years ending at last_month, plus the tested month itself."""
    year, month = int(last_month[:4]), int(last_month[5:])
    return f"{year - years:04d}-{month:02d}"


def demo_counts(requests: pd.DataFrame) -> pd.DataFrame:
    """Return the demo county's contacts as detect_emerging takes them: month, category, district_code, contacts."""
    return (
        requests.groupby(["opened_month", "category", "district_code"])
        .size()
        .rename("contacts")
        .reset_index()
        .rename(columns={"opened_month": "month"})
    )
