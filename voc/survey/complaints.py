"""Complaints beside opinions: satisfaction next to contacts per 1,000 residents, per service area and district.

Contacts are read from the monthly roll-up for the complaint categories linked to each service
area (Data page), over the 12 months to a given month and the 12 months before (the trend).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from voc.core.periods import month_shift
from voc.store.districts import load_districts, populations_by_code
from voc.store.models import MonthlyCount
from voc.store.query import read_frame
from voc.survey.compare import opinions_by_area
from voc.survey.store import current_results, load_links

ROLLUP = MonthlyCount.__table__
COLUMNS = (
    "service_area", "area", "district_code", "satisfied_share", "margin", "categories", "contacts", "per_1000",
    "previous_per_1000", "trend", "unhappy_and_calling",
)  # fmt: skip


def linked_contacts(engine: sa.Engine, links: pd.DataFrame, *, last_month: str) -> pd.DataFrame:
    """Return contacts of the linked categories per service area and district, this year and the year before.

    Columns service_area, district_code ("" for unknown), contacts (12 months to last_month),
    previous (the 12 months before that).
    """
    columns = ["service_area", "district_code", "contacts", "previous"]
    if links.empty:
        return pd.DataFrame(columns=columns)
    first, before = month_shift(last_month, -11), month_shift(last_month, -23)
    recent = sa.case((ROLLUP.c.month >= first, ROLLUP.c.contacts), else_=0)
    earlier = sa.case((ROLLUP.c.month < first, ROLLUP.c.contacts), else_=0)
    query = (
        sa.select(ROLLUP.c.category, ROLLUP.c.district_code, sa.func.sum(recent).label("contacts"),
                  sa.func.sum(earlier).label("previous"))
        .where(ROLLUP.c.month.between(before, last_month), ROLLUP.c.category.in_(links["category"].unique().tolist()))
        .group_by(ROLLUP.c.category, ROLLUP.c.district_code)
    )  # fmt: skip
    counts = read_frame(engine, query)
    if counts.empty:
        return pd.DataFrame(columns=columns)
    joined = links.merge(counts, on="category")
    return joined.groupby(["service_area", "district_code"], as_index=False)[["contacts", "previous"]].sum()


def beside_opinions(
    opinions: pd.DataFrame, contacts: pd.DataFrame, links: pd.DataFrame, populations: dict[str, int]
) -> pd.DataFrame:
    """Set each linked service area's satisfaction (county-wide and per district) beside its contacts per 1,000.

    `opinions` holds service_area, district_code (None: county-wide), satisfied_share, margin;
    `contacts` comes from linked_contacts. County-wide rates use the districts with a population.
    `trend` is the change of the rate against the year before (0.12 = +12%). `unhappy_and_calling`
    marks rows in the lower half of satisfaction and the upper half of contacts per 1,000 among
    those shown at the same level (county-wide, or districts). Rows without a rate are left out.
    """
    linked = opinions[opinions["service_area"].isin(links["service_area"])]
    if linked.empty or contacts.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    known = contacts[contacts["district_code"].isin(list(populations))]
    county = known.groupby("service_area", as_index=False)[["contacts", "previous"]].sum().assign(district_code=None)
    rates = pd.concat([county, known], ignore_index=True)
    population = rates["district_code"].map(populations).fillna(sum(populations.values()))
    rates["per_1000"] = rates["contacts"] / population * 1000
    rates["previous_per_1000"] = rates["previous"] / population * 1000
    rates["trend"] = (rates["per_1000"] / rates["previous_per_1000"] - 1).where(rates["previous"] > 0)
    rates["district_code"] = rates["district_code"].astype(object).where(rates["district_code"].notna(), None)
    merged = linked.assign(key=linked["district_code"].fillna("")).merge(
        rates.assign(key=rates["district_code"].fillna("")).drop(columns="district_code"), on=["service_area", "key"]
    )
    categories = links.groupby("service_area")["category"].agg(lambda names: ", ".join(sorted(names)))
    merged["categories"] = merged["service_area"].map(categories)
    level = merged["district_code"].isna()
    flags = pd.Series(False, index=merged.index)
    for mask in (level, ~level):
        part = merged[mask]
        if len(part):
            flags[mask] = (part["satisfied_share"] < part["satisfied_share"].median()) & (
                part["per_1000"] > part["per_1000"].median()
            )
    merged["unhappy_and_calling"] = flags
    merged["area"] = ["County-wide" if pd.isna(code) else f"District {code}" for code in merged["district_code"]]
    ordered = merged.sort_values(["district_code", "per_1000"], ascending=[True, False], na_position="first")
    return ordered.reindex(columns=list(COLUMNS)).reset_index(drop=True)


def complaints_beside(
    engine: sa.Engine, *, survey: str, wave: str, district: str | None, battery: str | None, last_month: str
) -> pd.DataFrame:
    """Set a survey wave's satisfaction beside the linked complaints over the 12 months to `last_month`.

    `district` None gives the county-wide rows and every district's; see `beside_opinions` for the
    columns. Districts without a population (or with 0) have no rate and are left out.
    """
    opinions = opinions_by_area(current_results(engine), survey=survey, wave=wave, district=district, battery=battery)
    links = load_links(engine)
    populations = {code: people for code, people in populations_by_code(load_districts(engine)).items() if people}
    return beside_opinions(opinions, linked_contacts(engine, links, last_month=last_month), links, populations)
