"""A district's profile for the Map page: its top categories, its trend, its survey results and its candidates."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import sqlalchemy as sa

from voc.contacts.closure import ClosureSummary
from voc.contacts.closure_months import closure_figures
from voc.contacts.mapdata import month_span, span_counts
from voc.contacts.trends import Filters, series
from voc.core.config import ClosureRules
from voc.store.models import Candidate, District
from voc.store.query import read_frame
from voc.survey.compare import districts_against_county
from voc.survey.store import current_results

CATEGORY_COLUMNS = ["category", "contacts", "contacts_year_earlier", "change_pct"]
CANDIDATE_COLUMNS = ["name", "kind", "category", "estimated_cost"]
SURVEY_COLUMNS = ["service_area", "satisfied_share", "margin", "rest_share", "verdict", "n"]


@dataclass(frozen=True)
class DistrictProfile:
    """What the Map page shows when a district is selected.

    categories: category, contacts, contacts_year_earlier, change_pct (most contacts first, at most
    `top`); trend: period, contacts, every month of the filter's span; survey: SURVEY_COLUMNS of
    the latest wave with results for the district, tested against the rest of the county (shares
    and 95% margins 0-1, least satisfied first; see voc.survey.compare.districts_against_county);
    candidates: CANDIDATE_COLUMNS, costliest first; closure: what "closed" meant for its contacts
    (see voc.contacts.closure).
    """

    code: str
    name: str
    population: int | None
    survey_wave: str | None
    categories: pd.DataFrame
    trend: pd.DataFrame
    survey: pd.DataFrame
    candidates: pd.DataFrame
    closure: ClosureSummary


def district_profile(
    engine: sa.Engine, code: str, filters: Filters, *, rules: ClosureRules, timezone: str, top: int = 8
) -> DistrictProfile | None:
    """Return the profile of district `code` under the filter (its own district choice is replaced); None if unknown.

    `rules` and `timezone` decide its closure figures (see voc.contacts.closure_months.closure_figures).
    """
    districts = District.__table__
    with engine.connect() as connection:
        district = connection.execute(
            sa.select(districts.c.name, districts.c.population).where(districts.c.code == code)
        ).first()
        if district is None:
            return None
        own = replace(filters, districts=(code,))
        span = month_span(connection, own)
        categories = _top_categories(connection, own, span, top) if span else pd.DataFrame(columns=CATEGORY_COLUMNS)
        candidates = _candidates(connection, code)
    wave, survey = _survey(current_results(engine), code)
    return DistrictProfile(
        code=code,
        name=district.name,
        population=district.population,
        survey_wave=wave,
        categories=categories,
        trend=series(engine, own),
        survey=survey,
        candidates=candidates,
        closure=closure_figures(engine, own, rules=rules, timezone=timezone).summary,
    )


def _top_categories(connection: sa.Connection, filters: Filters, span: tuple[str, str], top: int) -> pd.DataFrame:
    counts = span_counts(connection, filters, span, by="category").reset_index()
    counts = counts[counts["contacts"] > 0].rename(columns={"earlier": "contacts_year_earlier"})
    earlier = counts["contacts_year_earlier"]
    counts["change_pct"] = (counts["contacts"] - earlier) / earlier.where(earlier > 0) * 100
    ordered = counts.sort_values(["contacts", "category"], ascending=[False, True], kind="stable")
    return ordered.head(top).reset_index(drop=True)[CATEGORY_COLUMNS]


def _survey(results: pd.DataFrame, code: str) -> tuple[str | None, pd.DataFrame]:
    """Return the latest survey wave with results for the district, and its items against the rest of the county."""
    own = results[results["district_code"] == code]
    if own.empty:
        return None, pd.DataFrame(columns=SURVEY_COLUMNS)
    latest = own.sort_values(["year", "wave"], kind="stable").iloc[-1]
    compared = districts_against_county(results, survey=latest["survey"], wave=latest["wave"])
    rows = compared[compared["district_code"] == code]
    ordered = rows.sort_values(["satisfied_share", "service_area"], kind="stable")
    return f"{latest['survey']} {latest['wave']}", ordered[SURVEY_COLUMNS].reset_index(drop=True)


def _candidates(connection: sa.Connection, code: str) -> pd.DataFrame:
    candidates = Candidate.__table__
    query = (
        sa.select(*(candidates.c[name] for name in CANDIDATE_COLUMNS))
        .where(candidates.c.district_code == code)
        .order_by(candidates.c.estimated_cost.desc().nulls_last(), candidates.c.name)
    )
    return read_frame(connection, query)
