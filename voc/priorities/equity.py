"""The equity view of demand: contacts and service times per 1,000 residents by small area and income tier.

Demand evidence counts contacts; areas whose residents contact the county less look less in need.
Contacts are placed in areas by their stored H3 cells (about 66 m across), grouped in SQL, so the
frame read follows the county's area, not its number of contacts.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats

from voc.contacts.overview import current_month
from voc.core.errors import VocError
from voc.core.periods import month_shift
from voc.store.areas import load_areas
from voc.store.cell_closing import CELL_CLOSING, STEPS_PER_DAY, STILL_OPEN
from voc.store.districts import WGS84
from voc.store.models import Candidate
from voc.store.query import read_frame

CANDIDATES = Candidate.__table__
TIERS = 5
TIER_NAMES = {1: "1 lowest", 2: "2", 3: "3", 4: "4", 5: "5 highest"}
AREA_COLUMNS = ["code", "name", "population", "income", "income_tier", "contacts", "per_1000", "median_days"]
CANDIDATE_COLUMNS = ["id", "source_id", "area", "area_per_1000", "income_tier"]
TIER_COLUMNS = [
    "income_tier", "areas", "population", "lowest_income", "highest_income", "contacts", "per_1000", "median_days",
]  # fmt: skip


@dataclass(frozen=True)
class RateRatio:
    """Contacts per resident of the lowest-income fifth of areas over those of the highest, with its interval."""

    ratio: float
    low: float
    high: float
    level: float
    dispersion: float  # how much more areas vary than chance alone would make them (1 = not more)


@dataclass(frozen=True)
class Equity:
    first_month: str
    last_month: str
    areas: pd.DataFrame  # AREA_COLUMNS, one row per small area, lowest income first (unknown last)
    tiers: pd.DataFrame  # TIER_COLUMNS, one row per income fifth (empty without incomes)
    ratio: RateRatio | None  # None without five areas with incomes and contacts in both ends
    outside: int  # located contacts in no small area
    sentence: str  # the finding in words the committee can read
    candidates: pd.DataFrame  # CANDIDATE_COLUMNS: each stored candidate's small area (candidate_areas)

    def as_json(self) -> dict[str, object]:
        return {
            "first_month": self.first_month,
            "last_month": self.last_month,
            "areas": _records(self.areas),
            "tiers": _records(self.tiers),
            "rate_ratio": None if self.ratio is None else vars(self.ratio),
            "outside_areas": self.outside,
            "finding": self.sentence,
            "candidates": _records(self.candidates),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {key: None if isinstance(value, float) and math.isnan(value) else value for key, value in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def located_contacts(engine: sa.Engine, first_month: str, last_month: str) -> pd.DataFrame:
    """Count located contacts opened in the months by H3 cell and quarter day to close (NaN while open).

    Columns cell, steps (quarter days to close), contacts; read from the closing roll-up of located contacts.
    """
    steps = sa.func.nullif(CELL_CLOSING.c.steps, STILL_OPEN).label("steps")
    query = (
        sa.select(CELL_CLOSING.c.cell, steps, sa.func.sum(CELL_CLOSING.c.contacts).label("contacts"))
        .where(CELL_CLOSING.c.month.between(first_month, last_month))
        .group_by(CELL_CLOSING.c.cell, CELL_CLOSING.c.steps)
    )
    return read_frame(engine, query, dtypes={"cell": "int64", "steps": "float64", "contacts": "int64"})


# The area of every cell placed so far, for the areas last placed in (keyed by their codes and shapes): cells
# never move and areas seldom change, yet each first view after an upload placed a year's located cells again
# (45,000 at 5,000,000 contacts, 0.15 s of spatial join).
_PLACED: dict[bytes, pd.Series] = {}


def place_cells(cells: pd.Series, areas: gpd.GeoDataFrame) -> pd.Series:
    """Return the code of the small area holding each H3 cell's centre (NaN outside every area)."""
    key = _areas_key(areas)
    known = _PLACED.get(key)
    distinct = pd.Series(cells.unique())
    missing = distinct if known is None else distinct[~distinct.isin(known.index)]
    if known is None or len(missing):
        placed = _cell_areas(missing, areas)
        known = placed if known is None else pd.concat([known, placed])
        _PLACED.clear()
        _PLACED[key] = known
    return cells.map(known)


def _areas_key(areas: gpd.GeoDataFrame) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for code, shape in zip(areas["code"], areas.geometry.to_wkb(), strict=True):
        digest.update(f"{code}\0".encode())
        digest.update(shape)
    return digest.digest()


def _cell_areas(cells: pd.Series, areas: gpd.GeoDataFrame) -> pd.Series:
    """The area code of each distinct cell, indexed by cell (NaN outside every area)."""
    centres = np.array([h3_int.cell_to_latlng(int(cell)) for cell in cells]).reshape(-1, 2)
    points = gpd.GeoDataFrame(
        {"cell": cells.to_numpy()}, geometry=gpd.points_from_xy(centres[:, 1], centres[:, 0]), crs=WGS84
    )
    joined = gpd.sjoin(points, areas[["code", "geometry"]], how="left", predicate="within")
    return joined.drop_duplicates("cell").set_index("cell")["code"]


def income_tiers(incomes: pd.Series) -> pd.Series:
    """Return each area's income fifth, 1 (lowest) to 5, by rank among areas with an income (NaN without)."""
    known = incomes.dropna()
    if len(known) < TIERS:
        return pd.Series(np.nan, index=incomes.index)
    tiers = pd.qcut(known.rank(method="first"), TIERS, labels=False) + 1
    return tiers.reindex(incomes.index).astype("float")


def median_days(placed: pd.DataFrame, by: str) -> pd.Series:
    """Return the median days to close of the closed contacts of each value of `by`, from quarter-day groups.

    Days are counted to the quarter day (voc.store.cell_closing): medians are exact to within three hours.
    """
    closed = placed.dropna(subset=["steps", by]).groupby([by, "steps"], as_index=False)["contacts"].sum()
    closed = closed.sort_values([by, "steps"])
    reached = closed.groupby(by)["contacts"].cumsum() >= closed.groupby(by)["contacts"].transform("sum") / 2
    middle = closed[reached].groupby(by)["steps"].first()
    return middle / STEPS_PER_DAY


def rate_ratio(
    low: pd.DataFrame,
    high: pd.DataFrame,
    *,
    dispersion: float = 1.0,
    dispersion_df: float = math.inf,
    level: float = 0.95,
) -> RateRatio | None:
    """Compare contacts per resident of two groups of areas (columns contacts, population).

    The interval is the Poisson one on the log scale, widened by the square root of the
    dispersion when areas vary more than chance would make them, and then taken from Student's t
    with the dispersion's degrees of freedom (quasi-Poisson). None when a group made no contacts.
    """
    low_contacts, high_contacts = float(low["contacts"].sum()), float(high["contacts"].sum())
    if low_contacts == 0 or high_contacts == 0:
        return None
    ratio = (low_contacts / float(low["population"].sum())) / (high_contacts / float(high["population"].sum()))
    widened = dispersion > 1.0
    spread = math.sqrt(max(dispersion, 1.0) * (1 / low_contacts + 1 / high_contacts))
    z = float(stats.t.ppf(0.5 + level / 2, dispersion_df) if widened else stats.norm.ppf(0.5 + level / 2))
    return RateRatio(ratio, ratio * math.exp(-z * spread), ratio * math.exp(z * spread), level, dispersion)


def dispersion(areas: pd.DataFrame) -> float:
    """Return the Pearson dispersion of area contacts around their income fifth's rate (1 for Poisson counts)."""
    tiered = areas.dropna(subset=["income_tier"])
    tiered = tiered[tiered["population"] > 0]
    if len(tiered) <= TIERS:
        return 1.0
    rate = tiered.groupby("income_tier")["contacts"].transform("sum") / tiered.groupby("income_tier")[
        "population"
    ].transform("sum")
    expected = tiered["population"] * rate
    pearson = ((tiered["contacts"] - expected) ** 2 / expected.where(expected > 0)).sum()
    return float(pearson / (len(tiered) - TIERS))


def dispersion_df(areas: pd.DataFrame) -> int:
    """Return the degrees of freedom of the dispersion: areas in the fifths, less one rate per fifth."""
    tiered = areas.dropna(subset=["income_tier"])
    return max(int((tiered["population"] > 0).sum()) - TIERS, 1)


def tier_table(areas: pd.DataFrame, days: pd.Series) -> pd.DataFrame:
    """Sum the areas by income fifth: TIER_COLUMNS, lowest fifth first; `days` is median days by fifth."""
    tiered = areas.dropna(subset=["income_tier"])
    table = tiered.groupby("income_tier").agg(
        areas=("code", "size"),
        population=("population", "sum"),
        lowest_income=("income", "min"),
        highest_income=("income", "max"),
        contacts=("contacts", "sum"),
    )
    table["per_1000"] = table["contacts"] / table["population"].where(table["population"] > 0) * 1000
    table["median_days"] = table.index.map(days)
    table = table.reset_index()
    table["income_tier"] = table["income_tier"].astype(int).map(TIER_NAMES)
    return table[TIER_COLUMNS]


def equity_sentence(ratio: RateRatio | None, tiers: pd.DataFrame, months: int) -> str:
    """Say in one plain sentence whether the lowest-income fifth of areas contacts the county less per resident."""
    if tiers.empty or tiers["contacts"].sum() == 0:
        return (
            "No located contact of the period falls in a small area with a median income: check that the areas "
            "imported cover the county and give incomes."
        )
    if ratio is None:
        return "Too few small areas have a median income and contacts to compare income fifths."
    low, high = tiers["per_1000"].iloc[0], tiers["per_1000"].iloc[-1]
    figures = (
        f"Over {months} months the lowest-income fifth of small areas made {low:,.0f} contacts per 1,000 residents "
        f"and the highest-income fifth {high:,.0f}: a rate ratio of {ratio.ratio:.2f} "
        f"({ratio.level:.0%} interval {ratio.low:.2f} to {ratio.high:.2f})."
    )
    if ratio.high < 1:
        return f"{figures} Lower-income areas contact the county less per resident, so demand may under-count them."
    if ratio.low > 1:
        return f"{figures} Lower-income areas contact the county more per resident."
    return f"{figures} The data show no clear difference between them."


def equity_view(engine: sa.Engine, *, last_month: str, months: int = 12) -> Equity | None:
    """Return the equity view of contacts opened in the `months` months up to last_month; None without areas."""
    areas = load_areas(engine)
    if areas.empty:
        return None
    first_month = month_shift(last_month, -(months - 1))
    contacts = located_contacts(engine, first_month, last_month)
    placed = contacts.assign(code=place_cells(contacts["cell"], areas) if len(contacts) else pd.Series(dtype=str))
    outside = int(placed.loc[placed["code"].isna(), "contacts"].sum())
    placed = placed.dropna(subset=["code"])
    figures = pd.DataFrame(areas.drop(columns="geometry"))
    figures["income_tier"] = income_tiers(figures["income"])
    figures["contacts"] = figures["code"].map(placed.groupby("code")["contacts"].sum()).fillna(0).astype(int)
    figures["per_1000"] = figures["contacts"] / figures["population"].where(figures["population"] > 0) * 1000
    figures["median_days"] = figures["code"].map(median_days(placed, "code"))
    placed = placed.assign(income_tier=placed["code"].map(figures.set_index("code")["income_tier"]))
    tiers = tier_table(figures, median_days(placed, "income_tier"))
    ratio = None
    if len(tiers) == TIERS:
        ends = [figures[figures["income_tier"] == tier] for tier in (1, TIERS)]
        ratio = rate_ratio(ends[0], ends[1], dispersion=dispersion(figures), dispersion_df=dispersion_df(figures))
    figures = figures[AREA_COLUMNS].sort_values(["income", "code"], na_position="last").reset_index(drop=True)
    stored = read_frame(engine, sa.select(CANDIDATES.c.id, CANDIDATES.c.source_id, CANDIDATES.c.latitude,
                                          CANDIDATES.c.longitude).order_by(CANDIDATES.c.id))  # fmt: skip
    candidates = stored[["id", "source_id"]].merge(candidate_areas(stored, areas, figures), on="id")
    sentence = equity_sentence(ratio, tiers, months)
    return Equity(first_month, last_month, figures, tiers, ratio, outside, sentence, candidates[CANDIDATE_COLUMNS])


def candidate_areas(candidates: pd.DataFrame, areas: gpd.GeoDataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Return each candidate's small area (point in polygon) with its per_1000 and income fifth.

    candidates has columns id, latitude, longitude; the result has id, area, area_per_1000 and
    income_tier ("1 lowest" ... "5 highest"), NaN for a candidate without a location or outside every area.
    """
    points = gpd.GeoDataFrame(
        {"id": candidates["id"].to_numpy()},
        geometry=gpd.points_from_xy(
            pd.to_numeric(candidates["longitude"]).astype(float), pd.to_numeric(candidates["latitude"]).astype(float)
        ),
        crs=WGS84,
    )
    joined = gpd.sjoin(points, areas[["code", "geometry"]], how="left", predicate="within").drop_duplicates("id")
    by_code = figures.set_index("code")
    return pd.DataFrame(
        {
            "id": joined["id"].to_numpy(),
            "area": joined["code"].to_numpy(),
            "area_per_1000": joined["code"].map(by_code["per_1000"]).to_numpy(),
            "income_tier": joined["code"].map(by_code["income_tier"].map(TIER_NAMES)).to_numpy(),
        }
    )


def stored_equity(engine: sa.Engine, *, today: date, timezone: str, months: int = 12) -> Equity | None:
    """Return the equity view of the `months` complete months up to today, as the page and `voc equity` show it.

    None without small areas. Raises VocError without contacts or for a period under one month.
    """
    if months < 1:
        raise VocError(f"The period must be at least one month, not {months}.")
    last_month = current_month(engine, today=today, timezone=timezone)
    if last_month is None:
        raise VocError("No contacts yet: import service requests first.")
    return equity_view(engine, last_month=last_month, months=months)
