"""A district's profile for the Map page: its top categories, its trend, its survey results and its candidates."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import sqlalchemy as sa

from voc.mapdata import month_span, span_counts
from voc.models import Candidate, District, SurveyResult
from voc.trends import Filters, series

CANDIDATE_COLUMNS = ["name", "kind", "category", "estimated_cost"]
SURVEY_COLUMNS = ["service_area", "satisfied_share", "county_satisfied_share", "difference", "n"]


@dataclass(frozen=True)
class DistrictProfile:
    """What the Map page shows when a district is selected.

    categories: category, contacts, contacts_year_earlier, change_pct (most contacts first, at most
    `top`); trend: period, contacts, every month of the filter's span; survey: SURVEY_COLUMNS of
    the latest wave that has district results (shares 0-1, difference in points, worst first);
    candidates: CANDIDATE_COLUMNS, costliest first.
    """

    code: str
    name: str
    population: int | None
    survey_wave: str | None
    categories: pd.DataFrame
    trend: pd.DataFrame
    survey: pd.DataFrame
    candidates: pd.DataFrame


def district_profile(engine: sa.Engine, code: str, filters: Filters, *, top: int = 8) -> DistrictProfile | None:
    """Return the profile of district `code` under the filter (its own district choice is replaced); None if unknown."""
    districts = District.__table__
    with engine.connect() as connection:
        district = connection.execute(
            sa.select(districts.c.name, districts.c.population).where(districts.c.code == code)
        ).first()
        if district is None:
            return None
        own = replace(filters, districts=(code,))
        span = month_span(connection, own)
        categories = _top_categories(connection, own, span, top) if span else _top_categories_empty()
        wave, survey = _survey(connection, code)
        candidates = _candidates(connection, code)
    return DistrictProfile(
        code=code,
        name=district.name,
        population=district.population,
        survey_wave=wave,
        categories=categories,
        trend=series(engine, own),
        survey=survey,
        candidates=candidates,
    )


def _top_categories_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["category", "contacts", "contacts_year_earlier", "change_pct"])


def _top_categories(connection: sa.Connection, filters: Filters, span: tuple[str, str], top: int) -> pd.DataFrame:
    counts = span_counts(connection, filters, span, by="category").reset_index()
    counts = counts[counts["contacts"] > 0].rename(columns={"earlier": "contacts_year_earlier"})
    earlier = counts["contacts_year_earlier"]
    counts["change_pct"] = (counts["contacts"] - earlier) / earlier.where(earlier > 0) * 100
    ordered = counts.sort_values(["contacts", "category"], ascending=[False, True], kind="stable")
    return ordered.head(top).reset_index(drop=True)


def _survey(connection: sa.Connection, code: str) -> tuple[str | None, pd.DataFrame]:
    """Return the latest wave with results for the district, and its service areas beside the county's."""
    results = SurveyResult.__table__
    latest = connection.execute(
        sa.select(results.c.year, results.c.wave)
        .where(results.c.district_code == code)
        .order_by(results.c.year.desc(), results.c.wave.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None, pd.DataFrame(columns=SURVEY_COLUMNS)
    wave_rows = sa.select(
        results.c.service_area, results.c.district_code, results.c.satisfied_share, results.c.n
    ).where(results.c.wave == latest.wave, results.c.year == latest.year)
    rows = pd.DataFrame(connection.execute(wave_rows).all(), columns=["service_area", "district_code", "share", "n"])
    own = rows[rows["district_code"] == code].set_index("service_area")
    county = rows[rows["district_code"].isna()].set_index("service_area")["share"]
    survey = pd.DataFrame(
        {
            "service_area": own.index,
            "satisfied_share": own["share"].to_numpy(dtype=float),
            "county_satisfied_share": county.reindex(own.index).to_numpy(dtype=float),
            "n": own["n"].to_numpy(),
        }
    )
    survey["difference"] = (survey["satisfied_share"] - survey["county_satisfied_share"]) * 100
    ordered = survey.sort_values(["satisfied_share", "service_area"], kind="stable")
    return latest.wave, ordered[SURVEY_COLUMNS].reset_index(drop=True)


def _candidates(connection: sa.Connection, code: str) -> pd.DataFrame:
    candidates = Candidate.__table__
    query = (
        sa.select(*(candidates.c[name] for name in CANDIDATE_COLUMNS))
        .where(candidates.c.district_code == code)
        .order_by(candidates.c.estimated_cost.desc().nulls_last(), candidates.c.name)
    )
    return pd.DataFrame(connection.execute(query).all(), columns=CANDIDATE_COLUMNS)
