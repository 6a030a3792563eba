"""The pages' data: each loader reads the store through the library, cached by the store's data version."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from voc.app.cache import by_data_version, county_today, engine
from voc.contacts.actions import list_actions
from voc.contacts.closure import ClosureSummary
from voc.contacts.closure_months import service_report
from voc.contacts.mapdata import district_figures, hex_cells, repeat_locations
from voc.contacts.overview import Overview, current_month, load_overview
from voc.contacts.performance import load_targets
from voc.contacts.profile import DistrictProfile, district_profile
from voc.contacts.questions import opportunities
from voc.contacts.theming import ThemeView, theme_view
from voc.contacts.trends import (
    DescriptionTerms,
    Filters,
    action_effects,
    category_forecast,
    description_terms,
    emerging_report,
    filter_choices,
    groups_by_size,
    populations,
    records,
    series,
)
from voc.contacts.trends import (
    district_names as names_of_districts,
)
from voc.contacts.triage import with_states
from voc.contacts.watches import SavedWatch, list_watches
from voc.core.config import ClosureRules, load_settings
from voc.core.fields import Measure
from voc.ingest.pipeline import ImportOptions, Preview, preview, rejected_rows
from voc.ingest.request_types import categories_in_use, type_table, unmapped_types
from voc.ingest.taxonomy import type_suggestions
from voc.priorities.funding import FundingRules
from voc.priorities.ranking import CandidateFilters, RankingBasis, ranking_basis
from voc.priorities.scenarios import load_funding, load_scenarios
from voc.priorities.view import RankView, rank_view
from voc.store.cells import cell_resolution
from voc.store.districts import load_districts
from voc.store.feeds import list_feeds
from voc.store.triage import state_history
from voc.store.uploads import list_uploads, sha256_of, upload_provenance
from voc.survey.complaints import complaints_beside as complaints_beside_in
from voc.survey.store import current_results, load_benchmarks, load_links, load_questions


@by_data_version()
def _latest_month(engine: sa.Engine, today: date) -> str | None:
    return current_month(engine, today=today, timezone=load_settings().timezone)


def latest_month() -> str | None:
    """Return the latest complete month of the stored contacts (see voc.contacts.overview.current_month)."""
    return _latest_month(county_today())


@by_data_version(max_entries=32)
def _overview(engine: sa.Engine, today: date) -> Overview | None:
    return load_overview(engine, today=today, timezone=load_settings().timezone)


def overview() -> Overview | None:
    """Return the Overview figures."""
    return _overview(county_today())


@st.cache_resource(show_spinner=False, max_entries=8)
def _preview(url: str, digest: str, _data: bytes, name: str, sheet: str | None, overrides: tuple) -> Preview:
    options = ImportOptions(sheet=sheet, overrides=dict(overrides))
    return preview(engine(), _data, name, load_settings(), options)


def upload_preview(data: bytes, name: str, *, sheet: str | None, overrides: dict[str, str | None]) -> Preview:
    """Read an uploaded file and propose its mapping, once per file and choice of sheet and mapping.

    Cached as a resource keyed by the file's digest, not by data version: a preview holds the
    whole raw table, which must be neither copied on every rerun nor hashed.
    """
    key = tuple(sorted(overrides.items()))
    return _preview(load_settings().database_url, sha256_of(data), data, name, sheet, key)


def rejected(upload_id: int) -> pd.DataFrame:
    """Return an upload's rejected rows as they were in the file (read only when downloaded)."""
    return rejected_rows(engine(), upload_id)


@by_data_version()
def uploads(engine: sa.Engine) -> pd.DataFrame:
    """Return the upload history, newest first."""
    return list_uploads(engine)


@by_data_version()
def feeds(engine: sa.Engine) -> pd.DataFrame:
    """Return the saved open-data feeds with their last pull."""
    return list_feeds(engine)


@by_data_version()
def request_type_table(engine: sa.Engine) -> pd.DataFrame:
    """Return the request-type mapping table with unmapped types first."""
    return type_table(engine)


@by_data_version()
def request_type_suggestions(engine: sa.Engine) -> pd.DataFrame:
    """Return a suggested category and department for each raw type not mapped yet (voc.ingest.taxonomy)."""
    return type_suggestions(engine)


@by_data_version()
def unmapped_type_names(engine: sa.Engine) -> list[str]:
    """Return the stored raw request types not mapped yet: each is a category of its own until it is."""
    with engine.connect() as connection:
        return unmapped_types(connection)["raw_type"].tolist()


@by_data_version()
def district_and_category_choices(engine: sa.Engine) -> tuple[list[str], list[str]]:
    """Return the stored district codes and mapped categories, for forms."""
    return load_districts(engine)["code"].tolist(), categories_in_use(engine)


@by_data_version()
def choices(engine: sa.Engine) -> dict[str, list[str]]:
    """Return the values each trend filter can take, and the months the store covers."""
    return filter_choices(engine)


@by_data_version(max_entries=64)
def trend_series(engine: sa.Engine, filters: Filters, by: str | None, period: str) -> pd.DataFrame:
    """Return the series for a view (see voc.contacts.trends.series)."""
    return series(engine, filters, by=by, period=period)


@by_data_version()
def district_names(engine: sa.Engine) -> dict[str, str]:
    """Return each district's display name by code."""
    return names_of_districts(engine)


@by_data_version()
def district_populations(engine: sa.Engine) -> dict[str, int]:
    """Return each district's population (districts without one are left out)."""
    return populations(engine)


@by_data_version()
def ranked_groups(engine: sa.Engine, dimension: str) -> list[str]:
    """Return a dimension's values by total contacts, largest first: the key to stable colours."""
    return groups_by_size(series(engine, Filters(), by=dimension))


@by_data_version()
def _service_report(
    engine: sa.Engine, filters: Filters, rules: ClosureRules, timezone: str
) -> tuple[ClosureSummary, pd.DataFrame]:
    figures, table = service_report(engine, filters, rules=rules, timezone=timezone)
    return figures.summary, table


def service(filters: Filters) -> tuple[ClosureSummary, pd.DataFrame]:
    """Return what "closed" meant under the filters (the sums) and each category's service performance with its
    closure figures (voc.contacts.closure_months.service_report)."""
    settings = load_settings()
    return _service_report(filters, settings.closure, settings.timezone)


@by_data_version(max_entries=64)
def records_behind(engine: sa.Engine, filters: Filters, month: str, by: str | None, group: str | None) -> pd.DataFrame:
    """Return the newest 500 contacts behind a chart point (the drill-down)."""
    return records(engine, filters, month=month, by=by, group=group, limit=500)


@by_data_version()
def actions(engine: sa.Engine, category: str | None = None) -> pd.DataFrame:
    """Return the recorded actions, of one category (and the county-wide ones) when given."""
    return list_actions(engine, category=category)


@by_data_version(max_entries=8)
def effects(engine: sa.Engine, last_month: str) -> pd.DataFrame:
    """Return each recorded action's effect on its category's series, up to `last_month`."""
    return action_effects(engine, list_actions(engine), last_month=last_month)


@by_data_version()
def targets(engine: sa.Engine) -> pd.DataFrame:
    """Return the category targets (category, target_days)."""
    return load_targets(engine)


@by_data_version(max_entries=8)
def emerging(engine: sa.Engine, month: str) -> pd.DataFrame:
    """Return the emerging issues of a month, one row each, strongest first, with their triage (voc.contacts.triage)."""
    return with_states(engine, emerging_report(engine, month=month).issues, last_month=month)


@by_data_version(max_entries=8)
def information_opportunities(engine: sa.Engine, month: str) -> pd.DataFrame:
    """Return the questions worth a published answer in `month`, with any information action's effect."""
    return opportunities(engine, month=month)


@by_data_version()
def issue_history(engine: sa.Engine, issue_ids: tuple[str, ...]) -> pd.DataFrame:
    """Return every state the given issues were given, newest first."""
    return state_history(engine, issue_ids)


@by_data_version()
def watches(engine: sa.Engine) -> list[SavedWatch]:
    """Return the saved watches by name."""
    return list_watches(engine)


@by_data_version()
def forecast_for(engine: sa.Engine, last_month: str, categories: tuple[str, ...]) -> pd.DataFrame:
    """Return the next 3 months' forecasts of the given categories."""
    return category_forecast(engine, last_month=last_month, categories=categories)


@by_data_version()
def text_terms(engine: sa.Engine, category: str, month: str, district: str | None) -> DescriptionTerms:
    """Return the most frequent and the rising terms of a category's three months to `month`."""
    return description_terms(engine, category=category, month=month, district=district)


@by_data_version(max_entries=32)
def themes(engine: sa.Engine, filters: Filters, last_month: str) -> ThemeView | None:
    """Return the stored themes under the filters' months, categories and districts; None before any build."""
    return theme_view(engine, filters, last_month=last_month)


@by_data_version(max_entries=32)
def map_figures(engine: sa.Engine, filters: Filters, measure: Measure) -> gpd.GeoDataFrame:
    """Return each district's figures and display geometry for the Map page (voc.contacts.mapdata)."""
    return district_figures(engine, filters, measure=measure)


@by_data_version(max_entries=32)
def map_cells(engine: sa.Engine, filters: Filters) -> pd.DataFrame:
    """Return contacts per hexagon, at the finest resolution that keeps the county under 5,000 cells."""
    return hex_cells(engine, filters, resolution=cell_resolution(load_districts(engine)))


@by_data_version()
def repeat_places(engine: sa.Engine, filters: Filters, min_contacts: int, by: str) -> pd.DataFrame:
    """Return every place with at least `min_contacts` contacts (see voc.contacts.mapdata.repeat_locations)."""
    return repeat_locations(engine, filters, min_contacts=min_contacts, by=by, limit=None)


@by_data_version(max_entries=32)
def _profile(
    engine: sa.Engine, code: str, filters: Filters, rules: ClosureRules, timezone: str
) -> DistrictProfile | None:
    return district_profile(engine, code, filters, rules=rules, timezone=timezone)


def profile(code: str, filters: Filters) -> DistrictProfile | None:
    """Return a district's profile under the Map page's filters."""
    settings = load_settings()
    return _profile(code, filters, settings.closure, settings.timezone)


@by_data_version(max_entries=8)
def district_populations_table(engine: sa.Engine) -> pd.DataFrame:
    """Return the stored districts' code, name and population, for the Data page's editor."""
    return pd.DataFrame(load_districts(engine)[["code", "name", "population"]])


@by_data_version()
def survey_results(engine: sa.Engine) -> pd.DataFrame:
    """Return the current survey figures (voc.survey.store.current_results)."""
    return current_results(engine)


@by_data_version()
def survey_benchmarks(engine: sa.Engine) -> pd.DataFrame:
    """Return the benchmark values per survey item."""
    return load_benchmarks(engine)


@by_data_version()
def survey_links(engine: sa.Engine) -> pd.DataFrame:
    """Return the service area -> complaint category links."""
    return load_links(engine)


@by_data_version()
def survey_questions(engine: sa.Engine, survey: str) -> pd.DataFrame:
    """Return a survey's question dictionary."""
    return load_questions(engine, survey)


@by_data_version()
def _complaints_beside(
    engine: sa.Engine, last_month: str, survey: str, wave: str, district: str | None, battery: str
) -> pd.DataFrame:
    return complaints_beside_in(engine, survey=survey, wave=wave, district=district, battery=battery,
                                last_month=last_month)  # fmt: skip


def complaints_beside(*, survey: str, wave: str, district: str | None, battery: str) -> pd.DataFrame:
    """Set a survey's satisfaction beside contacts per 1,000 residents over the 12 months to the latest month."""
    month = latest_month()
    if month is None:
        return pd.DataFrame()
    return _complaints_beside(month, survey, wave, district, battery)


@by_data_version(max_entries=8)
def _ranking_basis(
    engine: sa.Engine, last_month: str | None, radius_m: float, rules: ClosureRules, timezone: str
) -> RankingBasis:
    return ranking_basis(engine, last_month=last_month, radius_m=radius_m, rules=rules, timezone=timezone)


def priorities_basis(radius_m: float) -> RankingBasis:
    """Return the candidates, their demand evidence and scores, recomputed only when the data or radius change."""
    settings = load_settings()
    return _ranking_basis(latest_month(), radius_m, settings.closure, settings.timezone)


@by_data_version(max_entries=64)
def _rank_view(
    engine: sa.Engine, radius_m: float, filters: CandidateFilters, weights: tuple[tuple[str, float], ...]
) -> RankView:
    return rank_view(priorities_basis(radius_m), filters, dict(weights))


def priorities_view(radius_m: float, filters: CandidateFilters, weights: Mapping[str, float]) -> RankView:
    """Return the ranking under these filters and weights: ranked once, shared by every session asking the same.

    Raises VocError as voc.priorities.view.rank_view does.
    """
    return _rank_view(radius_m, filters, tuple(sorted(weights.items())))


@by_data_version()
def scenarios(engine: sa.Engine) -> dict[str, dict[str, float]]:
    """Return the saved weight scenarios by name."""
    return load_scenarios(engine)


@by_data_version()
def scenario_funding(engine: sa.Engine) -> dict[str, FundingRules]:
    """Return the funding rules saved with scenarios, by scenario name."""
    return load_funding(engine)


@by_data_version()
def provenance(engine: sa.Engine) -> pd.DataFrame:
    """Return the committed uploads with the months of contacts each holds (for the meeting pack)."""
    return upload_provenance(engine)
