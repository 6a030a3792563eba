"""Does a file belong to this county? Signs, before import, that an export is another place's or another era's.

A file from another city validates row by row (its dates, coordinates and types are all readable), so
no row is rejected; what gives it away is the file as a whole against what the store already holds:
points outside the county's districts, district values the county does not have, dates years away
from the store's months, request types the county has never used. Each sign is measured only when the
store has something to compare with: a first upload into an empty store shows none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from voc.core.periods import month_label
from voc.ingest.normalize import normalize_districts
from voc.store.models import District, MonthlyCount, RequestType

# Below this share of points inside, district values known or request types known, the file looks foreign:
# a county's own export has a few stray geocodes and new types, never a majority of them.
FOREIGN_SHARE = 0.5
# A file whose months are this far from every month the store holds is another era's (or another place's).
FOREIGN_GAP_MONTHS = 12


@dataclass(frozen=True)
class CountyKnown:
    """What the store already knows of its county, to compare a file with."""

    district_codes: tuple[str, ...] = ()
    boundaries: bool = False  # whether the districts have boundaries to place points in
    types: frozenset[str] = frozenset()  # raw request types mapped, and categories already in the store
    first_month: str | None = None  # YYYY-MM of the store's contacts
    last_month: str | None = None


@dataclass(frozen=True)
class CountyFit:
    """How well a file's rows fit the county; a share is None when there is nothing to compare."""

    points: int  # rows with coordinates
    points_inside: float | None  # of those, the share inside the county's districts
    districts_stated: int  # rows with a district value
    districts_known: float | None  # of those, the share naming one of the county's districts
    types_known: float | None  # share of rows whose request type the county knows
    first_month: str | None  # the file's months, YYYY-MM
    last_month: str | None
    months_apart: int | None  # months between the file's and the store's ranges; 0 when they touch or overlap
    signs: tuple[str, ...]  # one sentence per sign that the file is not this county's

    @property
    def looks_foreign(self) -> bool:
        return bool(self.signs)

    def summary(self) -> str:
        """Return what was measured as one sentence ("" when the store had nothing to compare with)."""
        facts = [
            f"{_share(self.points_inside)} of its points inside the county's districts"
            if self.points_inside is not None
            else "",
            f"{_share(self.districts_known)} of its district values known" if self.districts_known is not None else "",
            f"{_share(self.types_known)} of its request types known" if self.types_known is not None else "",
            f"its months {_span(self.first_month, self.last_month)}" if self.months_apart is not None else "",
        ]
        measured = [fact for fact in facts if fact]
        return f"Compared with what the store holds: {'; '.join(measured)}." if measured else ""

    def as_json(self) -> dict[str, Any]:
        """Return the check as the `county_check` object of `voc import requests --json`."""
        return {
            "looks_foreign": self.looks_foreign,
            "signs": list(self.signs),
            "points": self.points,
            "points_inside": self.points_inside,
            "districts_stated": self.districts_stated,
            "districts_known": self.districts_known,
            "types_known": self.types_known,
            "first_month": self.first_month,
            "last_month": self.last_month,
            "months_apart": self.months_apart,
        }


def load_county_known(connection: sa.Connection) -> CountyKnown:
    """Read the store's district codes, known request types and categories, and its range of months."""
    counts, districts = MonthlyCount.__table__, District.__table__
    codes = connection.execute(sa.select(districts.c.code)).scalars().all()
    mapped = sa.select(sa.func.count()).select_from(districts).where(districts.c.geometry.is_not(None))
    if not codes:  # districts named by the contacts themselves, without boundaries
        stated = sa.select(counts.c.district_code).where(counts.c.district_code != "").distinct()
        codes = connection.execute(stated).scalars().all()
    categories = connection.execute(sa.select(counts.c.category).distinct()).scalars().all()
    raw_types = connection.execute(sa.select(RequestType.__table__.c.raw_type)).scalars().all()
    first, last = connection.execute(sa.select(sa.func.min(counts.c.month), sa.func.max(counts.c.month))).one()
    return CountyKnown(
        district_codes=tuple(sorted(codes)), boundaries=bool(connection.execute(mapped).scalar()),
        types=frozenset(categories) | frozenset(raw_types),
        first_month=first, last_month=last,
    )  # fmt: skip


def county_fit(
    rows: pd.DataFrame, *, stated_districts: pd.Series | None, points: int, points_outside: int, county: CountyKnown
) -> CountyFit:
    """Measure how well accepted rows (request_type, category, opened_month) fit the county.

    `stated_districts` are the file's raw district values (None: no district column); `points` counts
    rows with coordinates and `points_outside` those outside every district.
    """
    inside = 1 - points_outside / points if county.boundaries and points else None
    stated, known = _districts_known(stated_districts, county.district_codes)
    types = _types_known(rows, county.types)
    months = rows["opened_month"].dropna()
    first, last = (months.min(), months.max()) if len(months) else (None, None)
    apart = _months_apart(first, last, county.first_month, county.last_month)
    signs = [
        *_share_sign(inside, f"of the {points:,} points fall inside the county's districts."),
        *_share_sign(
            known, f"of the {stated:,} district values name one of the county's districts "
            f"({', '.join(county.district_codes[:8])}{', ...' if len(county.district_codes) > 8 else ''})."
        ),
        *_share_sign(types, "of the rows have a request type this county has used or mapped."),
    ]  # fmt: skip
    if apart is not None and apart > FOREIGN_GAP_MONTHS:
        when = "before" if str(last) < str(county.first_month) else "after"
        held = _span(county.first_month, county.last_month)
        signs.append(f"Its dates ({_span(first, last)}) are {apart} months {when} the store's ({held}).")
    return CountyFit(
        points=points, points_inside=inside, districts_stated=stated, districts_known=known, types_known=types,
        first_month=first, last_month=last, months_apart=apart, signs=tuple(signs),
    )  # fmt: skip


def _districts_known(values: pd.Series | None, codes: Sequence[str]) -> tuple[int, float | None]:
    if values is None or not codes:
        return 0, None
    cleaned, unknown = normalize_districts(values, list(codes))
    stated = int(cleaned.notna().sum())
    return stated, (1 - int(unknown.sum()) / stated) if stated else None


def _types_known(rows: pd.DataFrame, types: frozenset[str]) -> float | None:
    if not types or rows.empty:
        return None
    known = rows["request_type"].isin(types) | rows["category"].isin(types)
    return float(known.mean())


def _months_apart(first: str | None, last: str | None, store_first: str | None, store_last: str | None) -> int | None:
    if None in (first, last, store_first, store_last):
        return None
    gap = max(_month_number(store_first) - _month_number(last), _month_number(first) - _month_number(store_last))
    return max(gap, 0)


def _month_number(month: str | None) -> int:
    year, number = str(month).split("-")
    return int(year) * 12 + int(number)


def _share_sign(share: float | None, rest: str) -> list[str]:
    """Return "Only 3% <rest>" ("None <rest>") when the share is below FOREIGN_SHARE, else nothing."""
    if share is None or share >= FOREIGN_SHARE:
        return []
    return [f"{'None' if share == 0 else f'Only {_share(share)}'} {rest}"]


def _share(share: float | None) -> str:
    return f"{share:.0%}"


def _span(first: str | None, last: str | None) -> str:
    if first is None or last is None:
        return "none"
    return month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"
