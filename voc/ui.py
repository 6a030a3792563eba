"""The only Streamlit adapter: cached engine and loaders shared by the pages."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from voc.config import Settings, load_settings
from voc.export import csv_bytes, xlsx_bytes
from voc.geo import load_districts
from voc.ingest.pipeline import (
    NOT_MAPPED,
    ImportOptions,
    ImportReport,
    Preview,
    mapping_rows,
    overrides_from_rows,
    preview,
    rejected_rows,
)
from voc.overview import Overview, current_month, load_overview
from voc.performance import load_targets, service_performance
from voc.periods import month_label, month_shift
from voc.ranking import CandidateFilters, Criterion, RankingBasis, load_scenarios, ranking_basis, save_scenario
from voc.request_types import categories_in_use, type_table
from voc.store import data_version, open_store
from voc.textmine import frequent_terms, rising_terms
from voc.trends import Filters, category_forecast, descriptions, emerging_issues, filter_choices, populations, series
from voc.uploads import list_uploads, sha256_of

_IN_FRAME: ContextVar[bool] = ContextVar("voc_in_frame", default=False)
PAGES = (
    ("pages/overview.py", "Overview", ":material/dashboard:"),
    ("pages/trends.py", "Trends", ":material/trending_up:"),
    ("pages/priorities.py", "Priorities", ":material/format_list_numbered:"),
    ("pages/upload.py", "Upload", ":material/upload_file:"),
    ("pages/data.py", "Data", ":material/tune:"),
)


def run_app() -> None:
    """Set the page frame and run the page the URL asks for, from the navigation list."""
    present = presenting()
    st.set_page_config(
        page_title="voc · Voice of the Customer", page_icon=":material/forum:", layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
    )  # fmt: skip
    pages = [
        st.Page(path, title=title, icon=icon, default=index == 0) for index, (path, title, icon) in enumerate(PAGES)
    ]
    token = _IN_FRAME.set(True)
    try:
        st.navigation(pages, position="hidden" if present else "sidebar").run()
    finally:
        _IN_FRAME.reset(token)


def require_frame() -> None:
    """Run the app frame first when a page script is started on its own.

    Streamlit runs a file of pages/ directly when the first request of a server process asks for
    its URL; the frame must decide what runs (page config, navigation, and later sign-in).
    """
    if not _IN_FRAME.get():
        run_app()
        st.stop()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> sa.Engine:
    return open_store(url)


def engine() -> sa.Engine:
    """Return the store's engine, upgrading the schema on first use."""
    return _engine_for(load_settings().database_url)


def county_today() -> date:
    """Return today's date in the county's timezone."""
    return datetime.now(ZoneInfo(load_settings().timezone)).date()


@st.cache_data(show_spinner=False, max_entries=32)
def _overview(url: str, version: int, today: date) -> Overview | None:
    return load_overview(_engine_for(url), today=today, timezone=load_settings().timezone)


def overview() -> Overview | None:
    """Return the Overview figures, recomputed only when the store's data changes."""
    url = load_settings().database_url
    return _overview(url, data_version(_engine_for(url)), county_today())


def settings() -> Settings:
    return load_settings()


def current_user() -> str:
    """Return who is making a change, for the upload history and the audit log."""
    return load_settings().user


def version() -> int:
    """Return the store's data version, the key of every cached frame."""
    return data_version(engine())


@st.cache_resource(show_spinner=False, max_entries=8)
def _preview(url: str, digest: str, _data: bytes, name: str, sheet: str | None, overrides: tuple) -> Preview:
    options = ImportOptions(sheet=sheet, overrides=dict(overrides))
    return preview(_engine_for(url), _data, name, load_settings(), options)


def upload_preview(data: bytes, name: str, *, sheet: str | None, overrides: dict[str, str | None]) -> Preview:
    """Read an uploaded file and propose its mapping, once per file and choice of sheet and mapping.

    Cached as a resource (not copied on every rerun): a preview holds the whole raw table.
    """
    key = tuple(sorted(overrides.items()))
    return _preview(load_settings().database_url, sha256_of(data), data, name, sheet, key)


@st.cache_data(show_spinner=False, max_entries=16)
def _uploads(url: str, version: int) -> pd.DataFrame:
    return list_uploads(_engine_for(url))


def uploads() -> pd.DataFrame:
    """Return the upload history, newest first."""
    url = load_settings().database_url
    return _uploads(url, data_version(_engine_for(url)))


@st.cache_data(show_spinner=False, max_entries=16)
def _type_table(url: str, version: int) -> pd.DataFrame:
    return type_table(_engine_for(url))


def request_type_table() -> pd.DataFrame:
    """Return the request-type mapping table with unmapped types first."""
    url = load_settings().database_url
    return _type_table(url, data_version(_engine_for(url)))


@st.cache_data(show_spinner=False, max_entries=16)
def _choices(url: str, version: int) -> tuple[list[str], list[str]]:
    engine = _engine_for(url)
    return load_districts(engine)["code"].tolist(), categories_in_use(engine)


def district_and_category_choices() -> tuple[list[str], list[str]]:
    """Return the stored district codes and mapped categories, for forms."""
    url = load_settings().database_url
    return _choices(url, data_version(_engine_for(url)))


def mapping_editor(plan: Preview, key: str) -> dict[str, str | None]:
    """Show the proposed mapping as an editable table; return the analyst's changes."""
    columns = [NOT_MAPPED, *map(str, plan.raw.frame.columns)]
    edited = st.data_editor(
        mapping_rows(plan.mapping),
        key=key,
        hide_index=True,
        disabled=["field", "label", "confidence", "reason"],
        column_order=["label", "column", "confidence", "reason"],
        column_config={
            "label": st.column_config.TextColumn("Field"),
            "column": st.column_config.SelectboxColumn("Column in the file", options=columns, required=True),
            "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="percent"),
            "reason": st.column_config.TextColumn("Why"),
        },
    )
    return overrides_from_rows(edited, plan.mapping)


def import_report(report: ImportReport, key: str) -> None:
    """Show an import's outcome: counts, the row-by-row report, rejected rows, unmapped types."""
    (st.success if report.upload_id else st.info)(report.message)
    figures = [
        ("Rows read", report.rows_read),
        ("New", report.inserted),
        ("Updated", report.updated),
        ("Unchanged", report.unchanged),
        ("Rejected", report.rejected),
    ]
    for column, (name, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(name, f"{value:,}")
    if len(report.problems):
        st.markdown("**Row-by-row report** (row numbers as in the spreadsheet)")
        st.dataframe(
            report.problems,
            hide_index=True,
            key=f"{key}_problems",
            column_config={"row": "Row", "column": "Column", "message": "Problem", "severity": "Outcome"},
        )
    if report.rejected and report.upload_id:
        st.download_button(
            "Download the rejected rows to fix and upload again",
            csv_bytes(rejected_rows(engine(), report.upload_id)),
            file_name=f"rejected-rows-upload-{report.upload_id}.csv",
            mime="text/csv",
            key=f"{key}_rejected",
        )
    if len(report.unmapped_types):
        st.warning(
            f"{len(report.unmapped_types)} request types have no category yet. They are stored and counted "
            "as Unmapped: give them a category on the Data page."
        )
        st.dataframe(
            report.unmapped_types,
            hide_index=True,
            key=f"{key}_unmapped",
            column_config={"raw_type": "Raw request type", "contacts": st.column_config.NumberColumn("Contacts")},
        )


@st.cache_data(show_spinner=False, max_entries=16)
def _filter_choices(url: str, version: int) -> dict[str, list[str]]:
    return filter_choices(_engine_for(url))


def choices() -> dict[str, list[str]]:
    """Return the values each trend filter can take, and the months the store covers."""
    url = load_settings().database_url
    return _filter_choices(url, data_version(_engine_for(url)))


def trend_filters(page: str) -> Filters:
    """Lay out the shared filters (months, department, district, category, type); they live in the URL."""
    options = choices()
    months = options["month"]
    first, last = st.select_slider(
        "Months",
        options=months,
        value=(months[max(0, len(months) - 24)], months[-1]),
        format_func=month_label,
        key=f"{page}_months",
        bind="query-params",
    )
    columns = st.columns(4)
    picks = {}
    for column, (dimension, label) in zip(
        columns,
        [
            ("department", "Department"),
            ("district_code", "District"),
            ("category", "Category"),
            ("contact_type", "Type"),
        ],
        strict=True,
    ):
        picks[dimension] = column.multiselect(
            label, options[dimension], key=f"{page}_{dimension}", placeholder="All", bind="query-params"
        )
    return Filters(
        first_month=first,
        last_month=last,
        departments=tuple(picks["department"]),
        districts=tuple(picks["district_code"]),
        categories=tuple(picks["category"]),
        contact_types=tuple(picks["contact_type"]),
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _series(url: str, version: int, filters: Filters, by: str | None, period: str) -> pd.DataFrame:
    return series(_engine_for(url), filters, by=by, period=period)


def trend_series(filters: Filters, *, by: str | None, period: str) -> pd.DataFrame:
    """Return the cached series for a view (see voc.trends.series)."""
    url = load_settings().database_url
    return _series(url, data_version(_engine_for(url)), filters, by, period)


@st.cache_data(show_spinner=False, max_entries=16)
def _populations(url: str, version: int) -> dict[str, int]:
    return populations(_engine_for(url))


def district_populations() -> dict[str, int]:
    url = load_settings().database_url
    return _populations(url, data_version(_engine_for(url)))


@st.cache_data(show_spinner=False, max_entries=16)
def _ranked(url: str, version: int, dimension: str) -> list[str]:
    return (
        series(_engine_for(url), Filters(), by=dimension)
        .groupby("group")["contacts"]
        .sum()
        .sort_values(ascending=False)
        .index.tolist()
    )


def ranked_groups(dimension: str) -> list[str]:
    """Return a dimension's values by total contacts, largest first: the key to stable colours."""
    url = load_settings().database_url
    return _ranked(url, data_version(_engine_for(url)), dimension)


@st.cache_data(show_spinner=False, max_entries=16)
def _performance(url: str, version: int, filters: Filters) -> pd.DataFrame:
    return service_performance(_engine_for(url), filters)


def performance(filters: Filters) -> pd.DataFrame:
    url = load_settings().database_url
    return _performance(url, data_version(_engine_for(url)), filters)


def download_buttons(frame: pd.DataFrame, name: str, key: str) -> None:
    """Offer a table as CSV and XLSX, formula-safe."""
    left, right = st.columns(2)
    timezone = load_settings().timezone
    left.download_button(
        "Download CSV", csv_bytes(frame, timezone=timezone), file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv"
    )
    right.download_button(
        "Download XLSX",
        xlsx_bytes(frame, timezone=timezone),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _targets(url: str, version: int) -> pd.DataFrame:
    return load_targets(_engine_for(url))


def targets() -> pd.DataFrame:
    """Return the category targets (category, target_days)."""
    url = load_settings().database_url
    return _targets(url, data_version(_engine_for(url)))


@st.cache_data(show_spinner=False, max_entries=8)
def _emerging(url: str, version: int, month: str) -> pd.DataFrame:
    return emerging_issues(_engine_for(url), month=month)


def latest_month() -> str | None:
    """Return the latest complete month of the stored contacts."""
    settings = load_settings()
    return current_month(engine(), today=county_today(), timezone=settings.timezone)


def emerging(month: str) -> pd.DataFrame:
    """Return the emerging-issue table for a month (flagged rows first), cached by data version."""
    url = load_settings().database_url
    return _emerging(url, data_version(_engine_for(url)), month)


def emerging_panel(month: str, *, limit: int = 5) -> None:
    """Show the flagged emerging issues of a month as plain sentences."""
    table = emerging(month)
    flagged = table[table["flagged"]] if len(table) else table
    if flagged.empty:
        st.success(
            f"Nothing unusual in {month_label(month)}: every series is within what its own seasonal history predicts."
        )
        return
    for sentence in flagged["sentence"].head(limit):
        st.warning(sentence, icon=":material/trending_up:")
    if len(flagged) > limit:
        st.caption(f"{len(flagged) - limit} more on the Trends page.")


@st.cache_data(show_spinner=False, max_entries=16)
def _forecast(url: str, version: int, last_month: str, categories: tuple[str, ...]) -> pd.DataFrame:
    return category_forecast(_engine_for(url), last_month=last_month, categories=categories)


def forecast_for(last_month: str, categories: tuple[str, ...]) -> pd.DataFrame:
    """Return the next 3 months' forecasts of the given categories."""
    url = load_settings().database_url
    return _forecast(url, data_version(_engine_for(url)), last_month, categories)


@st.cache_data(show_spinner=False, max_entries=16)
def _text_terms(
    url: str, version: int, category: str, month: str, district: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = _engine_for(url)
    first = month_shift(month, -2)
    recent = descriptions(engine, category=category, first_month=first, last_month=month, district=district)
    before = descriptions(
        engine,
        category=category,
        first_month=month_shift(first, -12),
        last_month=month_shift(month, -12),
        district=district,
    )
    columns = ["term", "documents"]
    rising = rising_terms(recent, before)[["term", "current", "previous", "status"]] if len(recent) else pd.DataFrame()
    return frequent_terms(recent)[columns] if len(recent) else pd.DataFrame(columns=columns), rising


def text_terms(category: str, month: str, district: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the most frequent and the rising terms of a category's last three months of descriptions."""
    url = load_settings().database_url
    return _text_terms(url, data_version(_engine_for(url)), category, month, district)


# Priorities ----------------------------------------------------------------------------------------

# The budget meeting's wall: large type, the whole width, no sidebar control. Static CSS only.
_PRESENTATION_CSS = """<style>
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 3.5rem 3rem 1.5rem; }
[data-testid="stSidebarCollapsedControl"], [data-testid="stSidebar"] { display: none; }
[data-testid="stMain"] h1 { font-size: 3.6rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.6rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] button p { font-size: 1.7rem; }
</style>"""


def presenting() -> bool:
    """Tell whether the URL asks for the presentation view (?present=1): large type, no sidebar."""
    return st.query_params.get("present", "0") not in ("", "0")


def presentation_link() -> str:
    """Return the relative URL of this view in presentation mode, keeping its filters and weights."""
    from urllib.parse import urlencode

    pairs = [(key, value) for key in st.query_params if key != "present" for value in st.query_params.get_all(key)]
    return "?" + urlencode([*pairs, ("present", "1")])


def leave_presentation() -> None:
    """Drop the presentation mode from the URL (a button's callback)."""
    st.query_params.pop("present", None)


def presentation_style() -> None:
    """Set the presentation view's large type and hide the sidebar."""
    st.html(_PRESENTATION_CSS)


@st.cache_data(show_spinner=False, max_entries=8)
def _ranking_basis(url: str, version: int, last_month: str | None, radius_m: float) -> RankingBasis:
    return ranking_basis(_engine_for(url), last_month=last_month, radius_m=radius_m)


def priorities_basis(radius_m: float) -> RankingBasis:
    """Return the candidates, their demand evidence and scores, recomputed only when the data or radius change."""
    url = load_settings().database_url
    return _ranking_basis(url, data_version(_engine_for(url)), latest_month(), radius_m)


@st.cache_data(show_spinner=False, max_entries=16)
def _scenarios(url: str, version: int) -> dict[str, dict[str, float]]:
    return load_scenarios(_engine_for(url))


def candidate_filters(page: str, choices: dict[str, list[str]]) -> CandidateFilters:
    """Lay out the candidate filters (kind, district, category, status); they live in the URL."""
    picks = {}
    fields = [("kind", "Kind"), ("district_code", "District"), ("category", "Category"), ("status", "Status")]
    for column, (name, label) in zip(st.columns(len(fields)), fields, strict=True):
        picks[name] = column.multiselect(label, choices[name], key=f"{page}_{name}", placeholder="All",
                                         bind="query-params")  # fmt: skip
    return CandidateFilters(
        kinds=tuple(picks["kind"]), districts=tuple(picks["district_code"]),
        categories=tuple(picks["category"]), statuses=tuple(picks["status"]),
    )  # fmt: skip


def weight_sliders(page: str, criteria: tuple[Criterion, ...]) -> dict[str, float]:
    """Lay out one weight slider per criterion (0-100, in the URL); return the weights by criterion key."""
    weights = {}
    columns = st.columns(min(len(criteria), 5))
    for index, criterion in enumerate(criteria):
        weights[criterion.key] = columns[index % len(columns)].slider(
            criterion.label, 0, 100, int(criterion.default_weight), step=5, key=f"{page}_w_{criterion.key}",
            help=criterion.meaning, bind="query-params",
        )  # fmt: skip
    return {key: float(value) for key, value in weights.items()}


def _load_scenario(page: str, weights: dict[str, float]) -> None:
    for key, value in weights.items():
        st.session_state[f"{page}_w_{key}"] = int(value)


def scenario_controls(page: str, criteria: tuple[Criterion, ...], weights: dict[str, float]) -> None:
    """Offer saved weight scenarios to load, and a name to save the current weights under."""
    url = load_settings().database_url
    saved = _scenarios(url, data_version(_engine_for(url)))
    keys = {c.key for c in criteria}
    load, save = st.columns(2)
    chosen = load.selectbox("Saved scenarios", list(saved), index=None, key=f"{page}_scenario",
                            placeholder="Choose one to load")  # fmt: skip
    load.button(
        "Load these weights", key=f"{page}_scenario_load", disabled=chosen is None, on_click=_load_scenario,
        args=(page, {k: v for k, v in saved.get(chosen or "", {}).items() if k in keys}),
    )  # fmt: skip
    name = save.text_input("Save the weights above as", key=f"{page}_scenario_name", max_chars=100)
    if save.button("Save scenario", key=f"{page}_scenario_save", disabled=not name.strip()):
        save_scenario(engine(), name, weights, user=current_user())
        save.success(f"Saved “{name.strip()}”.")
