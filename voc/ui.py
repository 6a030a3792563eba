"""The only Streamlit adapter: cached engine and loaders shared by the pages."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import altair as alt
import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from voc.contacts.mapdata import district_figures, hex_cells, repeat_locations
from voc.contacts.overview import Overview, current_month, load_overview
from voc.contacts.performance import load_targets, service_performance
from voc.contacts.profile import DistrictProfile, district_profile
from voc.contacts.textmine import frequent_terms, rising_terms
from voc.contacts.trends import (
    Filters,
    category_forecast,
    descriptions,
    emerging_issues,
    filter_choices,
    populations,
    series,
)
from voc.core.access import Actor, Mode, Role, SignInThrottle, allows, role_from_claims
from voc.core.access import access_mode as access_mode_for
from voc.core.config import PROJECT_ROOT, Settings, load_settings
from voc.core.errors import NotAllowed, VocError
from voc.core.fields import Measure, markdown_literal
from voc.core.periods import month_label, month_shift
from voc.core.users import UsersFile, check_sign_in, load_users
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
from voc.ingest.request_types import categories_in_use, type_table
from voc.present import charts
from voc.present.export import chart_png, csv_bytes, local_times, xlsx_bytes
from voc.priorities.ranking import CandidateFilters, Criterion, RankingBasis, ranking_basis
from voc.priorities.scenarios import load_scenarios, save_scenario
from voc.store.cells import cell_resolution
from voc.store.districts import load_districts
from voc.store.engine import data_version, open_store
from voc.store.uploads import list_uploads, sha256_of
from voc.survey.complaints import beside_opinions, linked_contacts
from voc.survey.store import SurveyImport, current_results, load_benchmarks, load_links, load_questions

_IN_FRAME: ContextVar[bool] = ContextVar("voc_in_frame", default=False)
_ACTOR: ContextVar[Actor | None] = ContextVar("voc_actor", default=None)
_LOG = logging.getLogger("voc.access")


class Page(NamedTuple):
    """A page of the navigation and the least role that may open it."""

    path: str
    title: str
    icon: str
    role: Role


# The navigation, in order; the first page a role may open is its home. Adding a page is one line:
# its file, title, icon and the least role that may open it. A user's navigation holds only the
# pages their role allows, so the others are not routable: their URL runs the home page instead.
PAGES = (
    Page("pages/overview.py", "Overview", ":material/dashboard:", Role.VIEWER),
    Page("pages/trends.py", "Trends", ":material/trending_up:", Role.VIEWER),
    Page("pages/map.py", "Map", ":material/map:", Role.VIEWER),
    Page("pages/surveys.py", "Surveys", ":material/reviews:", Role.VIEWER),
    Page("pages/priorities.py", "Priorities", ":material/format_list_numbered:", Role.VIEWER),
    Page("pages/upload.py", "Upload", ":material/upload_file:", Role.ANALYST),
    Page("pages/data.py", "Data", ":material/tune:", Role.ANALYST),
    Page("pages/users.py", "Users", ":material/manage_accounts:", Role.ADMIN),
)
# The only page of someone who has not signed in, whatever URL they open.
SIGN_IN = Page("pages/sign_in.py", "Sign in", ":material/login:", Role.VIEWER)
SESSION_USER = "voc_user"  # the one thing sign-in keeps in the session: the local user's name


def run_app() -> None:
    """Set the page frame, find who is visiting, and run the page the URL asks for among those their role allows."""
    # A shipped file, not a Material icon: those favicons are fetched from Google's servers.
    icon = str(PROJECT_ROOT / "data" / "voc-icon.png")
    present = presenting()
    st.set_page_config(
        page_title="voc · Voice of the Customer", page_icon=icon, layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
    )  # fmt: skip
    token = _IN_FRAME.set(True)
    try:
        try:
            actor = _visitor()
        except VocError as error:
            _refuse(str(error))
            return
        actor_token = _ACTOR.set(actor)
        try:
            if actor is None:
                pages = [st.Page(SIGN_IN.path, title=SIGN_IN.title, icon=SIGN_IN.icon, default=True)]
            else:
                allowed = [page for page in PAGES if allows(actor.role, page.role)]
                pages = [
                    st.Page(page.path, title=page.title, icon=page.icon, default=index == 0)
                    for index, page in enumerate(allowed)
                ]
                _account_panel(actor)
            st.navigation(pages, position="hidden" if present else "sidebar").run()
        finally:
            _ACTOR.reset(actor_token)
    finally:
        _IN_FRAME.reset(token)


def require_frame() -> None:
    """Run the app frame first when a page script is started on its own.

    Streamlit runs a file of pages/ directly when the first request of a server process asks for
    its URL; the frame must decide what runs (page config, sign-in, the role's navigation), so a
    page the role may not open does not run even then.
    """
    if not _IN_FRAME.get():
        run_app()
        st.stop()


def _refuse(message: str) -> None:
    """Serve nothing but the reason (no page of the app is routable), with a way out for a signed-in user."""

    def refused() -> None:
        st.title("voc")
        st.error(message)
        if _oidc_configured() and st.user.get("is_logged_in"):
            st.button("Sign out", key="refused_sign_out", on_click=st.logout)

    st.navigation([st.Page(refused, title="voc", url_path="refused")], position="hidden").run()


def access_mode() -> Mode:
    """Return how people sign in here (raises NotServing when voc must not serve)."""
    return access_mode_for(
        oidc_configured=_oidc_configured(),
        local_users=len(users_file().users),
        address=st.get_option("server.address"),
    )


def _visitor() -> Actor | None:
    """Return who is visiting and their role, or None when they must sign in first.

    The role is looked up again on every run, so a removed user or a changed role takes effect at
    their next click. Raises VocError when voc must not serve, or the visitor has no role.
    """
    mode = access_mode()
    if mode == Mode.DEMO:
        # Nobody is configured and only this machine can connect: its operator, as on the command line.
        return Actor(load_settings().user, Role.ADMIN)
    if mode == Mode.LOCAL:
        user = users_file().users.get(st.session_state.get(SESSION_USER, ""))
        if user is None:
            st.session_state.pop(SESSION_USER, None)
            return None
        return Actor(user.name, user.role)
    if not st.user.get("is_logged_in"):
        return None
    claims = st.user.to_dict()
    name = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub") or "")
    role = role_from_claims(claims, users_file().rules)
    if role is None:
        raise NotAllowed(
            f"You are signed in as {name}, but voc gives your account no role. Ask a voc admin to add your "
            "e-mail address or one of your groups (see the README, Access)."
        )
    return Actor(name, role)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def _account_panel(actor: Actor) -> None:
    """Say in the sidebar who is signed in, with which role, and offer to sign out."""
    mode = access_mode()
    with st.sidebar:
        if mode == Mode.DEMO:
            st.caption("Open demo on this machine: nobody signs in. Add a user to require sign-in (README, Access).")
            return
        st.caption(f"Signed in as **{actor.name}** ({actor.role})")
        st.button("Sign out", key="account_sign_out", on_click=_sign_out, args=(mode,))


def _sign_out(mode: Mode) -> None:
    # A callback, so the run the click starts already sees the visitor signed out.
    st.session_state.clear()
    if mode == Mode.OIDC:
        st.logout()


@st.cache_resource(show_spinner=False)
def _throttle() -> SignInThrottle:
    return SignInThrottle()


def sign_in(name: str, password: str) -> None:
    """Sign a local user in for this session; raises VocError without saying whether name or password was wrong."""
    try:
        user = check_sign_in(users_file(), _throttle(), name, password, now=time.monotonic())
    except VocError:
        _LOG.warning("Failed local sign-in")  # never the name typed (it may be a password) nor the password
        raise
    # A new session state on sign-in: nothing chosen before it carries over into the signed-in session.
    st.session_state.clear()
    st.session_state[SESSION_USER] = user.name
    _LOG.info("Local user %s signed in", user.name)


@st.cache_data(show_spinner=False, max_entries=4)
def _users_file(path: str, modified: int) -> UsersFile:
    return load_users(Path(path))


def users_file() -> UsersFile:
    """Return the users file's content, read again whenever the file changes."""
    path = load_settings().users_file
    modified = path.stat().st_mtime_ns if path.exists() else 0
    return _users_file(str(path), modified)


def actor() -> Actor:
    """Return who is using the page; only pages run inside the frame have one."""
    visitor = _ACTOR.get()
    if visitor is None:
        raise NotAllowed("Sign in first.")
    return visitor


def role() -> Role:
    """Return the signed-in user's role, which the library checks before any change."""
    return actor().role


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
    """Return the settings, with the signed-in user as the one who makes changes (upload history, audit log)."""
    return replace(load_settings(), user=current_user())


def current_user() -> str:
    """Return who is making a change, for the upload history and the audit log."""
    return actor().name


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


def accept_values_in_url(
    key: str, options: Sequence[Any], format_func: Callable[[Any], str], *, as_range: bool = False
) -> None:
    """Let a URL name a bound widget's options by value (`?trends_by=district_code`) as well as by label.

    Streamlit reads a bound widget's URL parameter as the option's label (format_func's text,
    "District") and drops anything else. On a session's first run, a URL naming options by value
    seeds the widget through session state instead (a pair for a range slider). Call before the widget.
    """
    wanted = st.query_params.get_all(key)
    by_value = {str(option): option for option in options}
    if key in st.session_state or not wanted or not all(value in by_value for value in wanted):
        return
    if {format_func(option) for option in options} & set(wanted):
        return  # a value that is also a label: Streamlit reads it already
    chosen = [by_value[value] for value in wanted]
    st.session_state[key] = (chosen[0], chosen[-1]) if as_range else chosen[0]


def trend_filters(page: str) -> Filters:
    """Lay out the shared filters (months, department, district, category, type); they live in the URL."""
    options = choices()
    months = options["month"]
    accept_values_in_url(f"{page}_months", months, month_label, as_range=True)
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
    """Return the cached series for a view (see voc.contacts.trends.series)."""
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


def _deferred_download(container, label: str, make, *, file_name: str, mime: str, key: str, icon: str) -> None:  # type: ignore[no-untyped-def]
    # A callable is run only when clicked, not on every rerun, and clicking does not rerun the page.
    container.download_button(label, make, file_name=file_name, mime=mime, key=key, on_click="ignore", icon=icon)


def download_buttons(frame: pd.DataFrame, name: str, key: str) -> None:
    """Offer a table as CSV and XLSX, formula-safe, times in the county's zone; keys `<key>_csv`, `<key>_xlsx`."""
    left, right = st.columns(2)
    timezone = load_settings().timezone
    _deferred_download(
        left, "Download CSV", partial(csv_bytes, frame, timezone=timezone),
        file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", icon=":material/download:",
    )  # fmt: skip
    _deferred_download(
        right, "Download XLSX", partial(xlsx_bytes, frame, timezone=timezone), file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}_xlsx",
        icon=":material/download:",
    )  # fmt: skip


def table(frame: pd.DataFrame, *, name: str, key: str, **options: object) -> None:
    """Show a table with its CSV and XLSX downloads under it: the way every page shows a table.

    `key` (`<page>_<thing>`) is the table's key and the stem of its buttons' keys; `name` is the
    downloaded file's name without extension. Timestamps show in the county's zone, as downloaded.
    `options` go to st.dataframe (column_config, column_order, ...); the index is never shown.
    """
    st.dataframe(local_times(frame, load_settings().timezone), hide_index=True, key=key, **options)
    download_buttons(frame, name, key)


def chart(figure: alt.TopLevelMixin, *, name: str, key: str, title: str | None = None) -> None:
    """Show an Altair chart full width with a "Download PNG" button under it: the way every page shows a chart.

    Build the chart in voc.present.charts; `key` (`<page>_<thing>`) is the chart's key, its button's is
    `<key>_png`; `name` is the file name without extension; `title` is printed on the PNG, since
    the page's heading does not travel with a picture pasted into slides. The PNG (see
    voc.present.export.chart_png) is rendered only when clicked: about 0.2 s a chart.
    """
    st.altair_chart(figure, theme=None, width="stretch", key=key)
    _deferred_download(
        st, "Download PNG", partial(chart_png, figure, title=title),
        file_name=f"{name}.png", mime="image/png", key=f"{key}_png", icon=":material/image:",
    )  # fmt: skip


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
        st.warning(markdown_literal(sentence), icon=":material/trending_up:")
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


@st.cache_data(show_spinner=False, max_entries=32)
def _map_figures(url: str, version: int, filters: Filters, measure: Measure) -> gpd.GeoDataFrame:
    return district_figures(_engine_for(url), filters, measure=measure)


def map_figures(filters: Filters, measure: Measure) -> gpd.GeoDataFrame:
    """Return each district's figures and display geometry for the Map page (voc.contacts.mapdata)."""
    url = load_settings().database_url
    return _map_figures(url, data_version(_engine_for(url)), filters, measure)


@st.cache_data(show_spinner=False, max_entries=32)
def _map_cells(url: str, version: int, filters: Filters) -> pd.DataFrame:
    engine = _engine_for(url)
    return hex_cells(engine, filters, resolution=cell_resolution(load_districts(engine)))


def map_cells(filters: Filters) -> pd.DataFrame:
    """Return contacts per hexagon, at the finest resolution that keeps the county under 5,000 cells."""
    url = load_settings().database_url
    return _map_cells(url, data_version(_engine_for(url)), filters)


@st.cache_data(show_spinner=False, max_entries=16)
def _repeat_places(url: str, version: int, filters: Filters, min_contacts: int, by: str) -> pd.DataFrame:
    return repeat_locations(_engine_for(url), filters, min_contacts=min_contacts, by=by, limit=None)


def repeat_places(filters: Filters, *, min_contacts: int, by: str) -> pd.DataFrame:
    """Return every place with at least `min_contacts` contacts (see voc.contacts.mapdata.repeat_locations)."""
    url = load_settings().database_url
    return _repeat_places(url, data_version(_engine_for(url)), filters, min_contacts, by)


@st.cache_data(show_spinner=False, max_entries=32)
def _profile(url: str, version: int, code: str, filters: Filters) -> DistrictProfile | None:
    return district_profile(_engine_for(url), code, filters)


def profile(code: str, filters: Filters) -> DistrictProfile | None:
    """Return a district's profile under the Map page's filters."""
    url = load_settings().database_url
    return _profile(url, data_version(_engine_for(url)), code, filters)


DISTRICT_TABLE_COLUMNS = {
    "name": "District",
    "contacts": st.column_config.NumberColumn("Contacts", format="localized"),
    "per_1000": st.column_config.NumberColumn("Per 1,000", format="%.1f", help="Contacts per 1,000 residents"),
    "contacts_year_earlier": st.column_config.NumberColumn(
        "Year before", format="localized", help="Contacts in the same months a year earlier"
    ),
    "change_pct": st.column_config.NumberColumn("Change", format="%+.1f%%"),
}
PLACE_COLUMNS = {
    "place": "Place",
    "contacts": st.column_config.NumberColumn("Contacts", format="%d"),
    "departments": st.column_config.NumberColumn("Departments", format="%d"),
    "categories": "Categories",
    "first_opened": st.column_config.DatetimeColumn("First contact", format="D MMM YYYY"),
    "last_opened": st.column_config.DatetimeColumn("Latest contact", format="D MMM YYYY"),
}


def district_table(figures: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the Map page's district figures as a plain table, in DISTRICT_TABLE_COLUMNS order."""
    return pd.DataFrame(figures[list(DISTRICT_TABLE_COLUMNS)])


def selected_district(event: object) -> str | None:
    """Return the code of the district clicked on a map drawn with on_select="rerun", if any."""
    picked = event.selection.get("objects", {}).get("districts", []) if event else []  # type: ignore[attr-defined]
    return str(picked[0]["properties"]["code"]) if picked else None


def district_profile_panel(code: str, filters: Filters) -> None:
    """Show a district's top categories, trend, survey results and candidates."""
    found = profile(code, filters)
    if found is None:
        st.warning("That district is no longer stored: choose another.")
        return
    residents = f"{found.population:,} residents" if found.population else "population not entered"
    st.subheader(f"{found.name} ({residents})")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Top categories**, with the change on the same months a year earlier")
        if found.categories.empty:
            st.info("No contacts in this district in these months.")
        else:
            top = found.categories.rename(columns={"change_pct": "change_vs_last_year"})
            chart(
                charts.category_bars(top, height=320), name=f"top-categories-{code}", key="map_profile_categories",
                title=f"Top categories in {found.name}",
            )  # fmt: skip
    with right:
        st.markdown("**Contacts per month**")
        monthly = found.trend.rename(columns={"period": "month"})
        last = monthly["month"].max() if len(monthly) else ""
        chart(
            charts.monthly_bars(monthly, highlight=last, height=320), name=f"contacts-per-month-{code}",
            key="map_profile_trend", title=f"Contacts per month in {found.name}",
        )  # fmt: skip
    left, right = st.columns(2, gap="large")
    with left:
        if found.survey.empty:
            st.markdown("**Citizen survey**")
            st.info("No survey results for this district yet.")
        else:
            st.markdown(
                f"**{markdown_literal(found.survey_wave)}**: residents satisfied here, least satisfied first, "
                "against the rest of the county"
            )
            table(
                found.survey,
                name=f"survey-{code}",
                key="map_profile_survey",
                column_config={
                    "service_area": "Service area",
                    "satisfied_share": st.column_config.NumberColumn("Satisfied here", format="percent"),
                    "margin": st.column_config.NumberColumn("± (95%)", format="percent"),
                    "rest_share": st.column_config.NumberColumn("Rest of county", format="percent"),
                    "verdict": "Difference",
                    "n": st.column_config.NumberColumn("Respondents here", format="%d"),
                },
            )
    with right:
        st.markdown("**Candidate projects in this district**")
        if found.candidates.empty:
            st.info("No maintenance or capital candidates in this district.")
        else:
            table(
                found.candidates,
                name=f"candidates-{code}",
                key="map_profile_candidates",
                column_config={
                    "name": "Project",
                    "kind": "Kind",
                    "category": "Category",
                    "estimated_cost": st.column_config.NumberColumn("Estimated cost", format="dollar"),
                },
            )


@st.cache_data(show_spinner=False, max_entries=8)
def _district_table(url: str, version: int) -> pd.DataFrame:
    return pd.DataFrame(load_districts(_engine_for(url))[["code", "name", "population"]])


def district_populations_table() -> pd.DataFrame:
    """Return the stored districts' code, name and population, for the Data page's editor."""
    url = load_settings().database_url
    return _district_table(url, data_version(_engine_for(url)))


@st.cache_data(show_spinner=False, max_entries=16)
def _survey_tables(url: str, version: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    engine = _engine_for(url)
    return current_results(engine), load_benchmarks(engine), load_links(engine)


def survey_results() -> pd.DataFrame:
    """Return the current survey figures (voc.survey.store.current_results), cached by data version."""
    url = load_settings().database_url
    return _survey_tables(url, data_version(_engine_for(url)))[0]


def survey_benchmarks() -> pd.DataFrame:
    """Return the benchmark values per survey item."""
    url = load_settings().database_url
    return _survey_tables(url, data_version(_engine_for(url)))[1]


def survey_links() -> pd.DataFrame:
    """Return the service area -> complaint category links."""
    url = load_settings().database_url
    return _survey_tables(url, data_version(_engine_for(url)))[2]


@st.cache_data(show_spinner=False, max_entries=16)
def _questions(url: str, version: int, survey: str) -> pd.DataFrame:
    return load_questions(_engine_for(url), survey)


def survey_questions(survey: str) -> pd.DataFrame:
    """Return a survey's question dictionary."""
    url = load_settings().database_url
    return _questions(url, data_version(_engine_for(url)), survey)


@st.cache_data(show_spinner=False, max_entries=16)
def _linked_contacts(url: str, version: int, last_month: str) -> pd.DataFrame:
    engine = _engine_for(url)
    return linked_contacts(engine, load_links(engine), last_month=last_month)


def complaints_beside(opinions: pd.DataFrame) -> pd.DataFrame:
    """Set survey satisfaction beside contacts per 1,000 residents over the 12 months to the latest complete month."""
    month = latest_month()
    if month is None:
        return pd.DataFrame()
    url = load_settings().database_url
    contacts = _linked_contacts(url, data_version(_engine_for(url)), month)
    return beside_opinions(opinions, contacts, survey_links(), district_populations())


def survey_import_report(report: SurveyImport, key: str) -> None:
    """Show a survey import's outcome: its message, notes and the rows left out."""
    (st.success if report.upload_id else st.info)(report.message)
    for note in report.notes:
        st.caption(note)
    if len(report.problems):
        st.warning(f"{report.problems['row'].nunique()} rows were left out:")
        st.dataframe(
            report.problems,
            hide_index=True,
            key=f"{key}_problems",
            column_config={"row": "Row", "column": "Column", "message": "Problem"},
        )


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
    if not allows(role(), Role.ANALYST):
        save.caption("Analysts save named scenarios; share these weights by copying the page's address.")
        return
    name = save.text_input("Save the weights above as", key=f"{page}_scenario_name", max_chars=100)
    if save.button("Save scenario", key=f"{page}_scenario_save", disabled=not name.strip()):
        save_scenario(engine(), name, weights, user=current_user(), role=role())
        save.success(f"Saved “{name.strip()}”.")
