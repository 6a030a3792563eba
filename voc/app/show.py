"""How the pages show things: tables and charts with their downloads, and the panels several pages share."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st

from voc.app import columns, loaders, plain
from voc.app.cache import engine
from voc.contacts.closure import ClosureSummary, closure_metrics
from voc.contacts.forecast import forecast_caption
from voc.contacts.overview import Metric
from voc.contacts.regrouping import BuildStatus, build_status, status_sentence
from voc.contacts.satisfaction import reopened_sentence
from voc.contacts.trends import DescriptionTerms, Filters, forecast_fits, per_thousand, series_names
from voc.core.access import RoleRules
from voc.core.config import load_settings
from voc.core.fields import Measure, label
from voc.core.periods import month_label
from voc.core.users import LocalUser
from voc.ingest.pipeline import ImportReport
from voc.present import charts
from voc.present.export import chart_png, csv_bytes, local_times, vega_lite_spec, xlsx_bytes
from voc.present.maps import legend
from voc.survey.store import SurveyImport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def deferred_download(
    container: Any, label: str, make: Callable[[], bytes], *, file_name: str, mime: str, key: str, icon: str
) -> None:
    """Offer a file made only when clicked (not on every rerun); clicking does not rerun the page."""
    container.download_button(label, make, file_name=file_name, mime=mime, key=key, on_click="ignore", icon=icon)


def download_buttons(frame: pd.DataFrame, name: str, key: str) -> None:
    """Offer a table as CSV and XLSX, formula-safe, times in the county's zone; keys `<key>_csv`, `<key>_xlsx`."""
    left, right = st.columns(2)
    timezone = load_settings().timezone
    deferred_download(
        left, "Download CSV", partial(csv_bytes, frame, timezone=timezone),
        file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", icon=":material/download:",
    )  # fmt: skip
    deferred_download(
        right, "Download XLSX", partial(xlsx_bytes, frame, timezone=timezone), file_name=f"{name}.xlsx",
        mime=XLSX, key=f"{key}_xlsx", icon=":material/download:",
    )  # fmt: skip


def table(
    frame: pd.DataFrame, *, name: str, key: str, column_config: columns.Columns | None = None, downloads: bool = True,
    **options: Any,
) -> None:  # fmt: skip
    """Show a table with its CSV and XLSX downloads under it: the way every page shows a table.

    `key` (`<page>_<thing>`) is the table's key and the stem of its buttons' keys; `name` is the
    downloaded file's name without extension (`downloads=False`: no buttons, for a preview or a
    report shown once). Timestamps show in the county's zone, as downloaded. Columns that
    `column_config` (from voc.app.columns) leaves out get a label and a number format there too; an
    empty cell shows a dash. `options` go to st.dataframe (column_order, ...); the index is never shown.
    """
    st.dataframe(
        local_times(frame, load_settings().timezone), hide_index=True, key=key,
        column_config=columns.configured(frame, column_config), placeholder=columns.MISSING, **options,
    )  # fmt: skip
    if downloads:
        download_buttons(frame, name, key)


def chart(build: partial[alt.TopLevelMixin], *, name: str, key: str, title: str | None = None) -> None:
    """Show a chart full width with a "Download PNG" button under it: the way every page shows a chart.

    `build` is a functools.partial of a voc.present chart function and its data: the chart is built
    and checked once per distinct data and shared by every session (with eight people browsing,
    building charts was half of a page's time). `key` (`<page>_<thing>`) is the chart's key, its
    button's is `<key>_png`; `name` is the file name without extension; `title` is printed on the
    PNG, since the page's heading does not travel with a picture pasted into slides. The PNG (see
    voc.present.export.chart_png) is rendered only when clicked: about 0.2 s a chart.
    """
    st.vega_lite_chart(spec=_spec_of(build), theme=None, width="stretch", key=key)
    deferred_download(
        st, "Download PNG", partial(_png, build, title),
        file_name=f"{name}.png", mime="image/png", key=f"{key}_png", icon=":material/image:",
    )  # fmt: skip


def _spec_of(build: partial[alt.TopLevelMixin]) -> dict[str, object]:
    return _spec(f"{build.func.__module__}.{build.func.__qualname__}", build.args, build.keywords, build)


@st.cache_data(show_spinner=False, max_entries=512)
def _spec(
    builder: str, args: tuple[object, ...], keywords: dict[str, object], _build: partial[alt.TopLevelMixin]
) -> dict[str, object]:
    """The chart's spec, keyed by its builder's name and the data it is given (hashed by content)."""
    return vega_lite_spec(_build())


def _png(build: partial[alt.TopLevelMixin], title: str | None) -> bytes:
    return chart_png(build(), title=title)


# More cards than this side by side cut their labels short on a projected page: they wrap into rows.
CARDS_IN_A_ROW = 4


def metric_row(metrics: list[Metric]) -> None:
    """Show headline figures side by side in bordered cards; a side-note delta is drawn without an arrow.

    More than CARDS_IN_A_ROW figures wrap into rows of equal cards, as few rows as fit.
    """
    rows = math.ceil(len(metrics) / CARDS_IN_A_ROW)
    width = math.ceil(len(metrics) / rows)
    columns = [column for _ in range(rows) for column in st.columns(width)]
    for column, metric in zip(columns, metrics, strict=False):
        column.metric(
            metric.label,
            metric.value,
            metric.delta,
            delta_color="off",
            delta_arrow="auto" if metric.delta_is_change else "off",
            help=metric.help,
            border=True,
        )


def service_performance_panel(filters: Filters) -> None:
    """Show what "closed" meant under the filters, then each category's service performance."""
    summary, performance = loaders.service(filters)
    if summary.contacts == 0:
        st.info("No contacts match these filters.")
        return
    metric_row(closure_metrics(summary, load_settings().closure))
    _reopened_rating(summary)
    table(
        performance, name=f"service-performance-{filters.first_month}-to-{filters.last_month}",
        key="trends_performance", column_config=columns.performance(summary.acknowledge_unit),
        column_order=columns.PERFORMANCE_ORDER,
    )  # fmt: skip


def _reopened_rating(summary: ClosureSummary) -> None:
    """Say whether reopened contacts were rated lower after closure, when both groups answered enough."""
    compared = reopened_sentence(summary.satisfaction_reopened, summary.satisfaction_not_reopened)
    if compared:
        plain.show(compared, kind="caption")


def trend_chart(
    series: pd.DataFrame, filters: Filters, *, by: str | None, period: str, per_1000: bool, latest: str | None
) -> None:
    """Show the Trends page's lines with the recorded actions and, where it fits, the category forecast."""
    value, title = ("per_1000", "Contacts per 1,000 residents") if per_1000 else ("contacts", "Contacts")
    if per_1000:
        series = per_thousand(series, loaders.district_populations(), by=by, districts=filters.districts)
    colours = charts.group_colours(loaders.ranked_groups(by) if by else [], series["group"].unique().tolist())
    names = series_names(list(colours), by, loaders.district_names())
    series = series.assign(group=series["group"].map(names))
    colours = {names[group]: colour for group, colour in colours.items()}
    actions = loaders.actions(filters.categories[0] if len(filters.categories) == 1 else None)
    ahead = None
    if latest and forecast_fits(filters, by=by, period=period, per_1000=per_1000, latest=latest):
        shown = tuple(sorted(set(series["group"])))
        ahead = loaders.forecast_for(latest, shown).rename(columns={"month": "period", "category": "group"})
    chart(
        partial(charts.trend_lines, series, colours, value=value, title=title, actions=actions, forecast=ahead),
        name=f"trends-by-{by or 'total'}-{filters.first_month}-to-{filters.last_month}",
        key="trends_chart",
        title=f"{title} by {label(by).lower()}" if by else title,
    )
    if ahead is not None and len(ahead):
        st.caption(forecast_caption(ahead["method"].unique().tolist()))


def terms(found: DescriptionTerms, *, first: str, last: str) -> None:
    """Show the most frequent terms of the months `first` to `last` beside those rising on the year before."""
    left, right = st.columns(2)
    left.markdown(f"**Most frequent, {month_label(first)}–{month_label(last)}**")
    with left:
        table(found.frequent, name=f"frequent-terms-{last}", key="trends_words_frequent",
              column_config=columns.FREQUENT_TERMS)  # fmt: skip
    right.markdown("**Rising against the same months a year before**")
    if found.rising.empty:
        right.info("No word or phrase rose more than chance allows.")
    else:
        with right:
            table(found.rising, name=f"rising-terms-{last}", key="trends_words_rising",
                  column_config=columns.RISING_TERMS)  # fmt: skip
    st.caption(found.read.sentence)


THEMES_REFRESH_SECONDS = 5


def themes_status(status: BuildStatus) -> str:
    """Return the sentence saying which data the themes cover and whether they are being regrouped.

    It may hold a failed build's reason (data): show it with voc.app.plain.
    """
    return status_sentence(status, timezone=load_settings().timezone)


def themes(filters: Filters, *, latest: str, key: str, name: str) -> None:
    """Show the themes of the described contacts under the filters: over time, largest, and rising.

    While a build runs in the background, the panel looks again every THEMES_REFRESH_SECONDS and the
    page reruns once the build has ended, so the fresh themes replace the previous ones by themselves.
    """
    # Read on every run, not cached: a build in the background changes it without a new data version.
    status = build_status(engine())
    if status.running_since is None:
        _themes_panel(filters, status, latest=latest, key=key, name=name)
    else:
        st.fragment(_watched_themes_panel, run_every=THEMES_REFRESH_SECONDS)(filters, latest=latest, key=key, name=name)


def _watched_themes_panel(filters: Filters, *, latest: str, key: str, name: str) -> None:
    status = build_status(engine())
    if status.running_since is None:
        st.rerun()  # the whole page: other panels (alerts' themes) change with the new themes too
    _themes_panel(filters, status, latest=latest, key=key, name=name)


def _themes_panel(filters: Filters, build: BuildStatus, *, latest: str, key: str, name: str) -> None:
    view = loaders.themes(filters, latest)
    status = themes_status(build)
    if view is None:
        plain.show(status or "No themes yet: they are grouped when described contacts are imported.", kind="info")
        return
    plain.show(status, kind="caption")
    if view.themes.empty:
        st.info("No described contacts match these filters.")
        return
    chart(partial(charts.theme_lines, view.monthly), name=f"themes-{name}", key=f"{key}_chart",
          title="Contacts per month by theme")  # fmt: skip
    if len(view.themes) > charts.MAX_THEME_LINES:
        st.caption(f"The {charts.MAX_THEME_LINES} largest themes here; the table lists {len(view.themes)}.")
    table(view.themes, name=f"themes-{name}", key=f"{key}_table", column_config=columns.THEMES)
    if view.rising.empty:
        st.caption("No theme's share rose more than chance allows against the same three months a year before.")
    else:
        st.markdown(f"**Rising in the three months to {month_label(latest)}**, against the same months a year before")
        table(view.rising, name=f"rising-themes-{name}", key=f"{key}_rising", column_config=columns.RISING_THEMES)


def actions_and_effects(last_month: str | None) -> None:
    """Show the recorded actions, then each one's effect on its category's series up to `last_month`."""
    recorded = loaders.actions()
    if recorded.empty:
        st.info(
            "No actions recorded yet. An action is a process change, a new procedure or an information campaign: "
            "record one with its date (the form above, or `voc action add`) and its effect on the category's "
            "contacts appears here, against what the season predicted."
        )
        return
    table(recorded, name="actions", key="trends_actions")
    for effect in (loaders.effects(last_month) if last_month else pd.DataFrame()).itertuples():
        plain.show(f"{effect.action} ({effect.date:%d %b %Y}): {effect.effect}")


def county_check(check: ImportReport, key: str) -> bool:
    """Show a dry run's figures and whether the file looks like this county's; return whether it may be imported.

    A file that looks like another place's needs the analyst's confirmation (a checkbox) first.
    """
    st.caption(
        f"Checked before import: {check.inserted:,} rows would be imported, {check.rejected:,} rejected, "
        f"{check.warnings:,} kept with a warning."
    )
    fit = check.county_check
    if fit is None or not fit.looks_foreign:
        if fit is not None and fit.summary():
            plain.show(fit.summary(), kind="caption")
        return True
    plain.show("This file may not be this county's:\n" + "\n".join(f"• {sign}" for sign in fit.signs), kind="warning")
    return st.checkbox("I have checked: this file is this county's; import it anyway", key=f"{key}_foreign_confirmed")


def import_report(report: ImportReport, key: str) -> None:
    """Show an import's outcome: counts, the row-by-row report, rejected rows, unmapped types."""
    plain.show(report.message, kind="success" if report.upload_id else "info")
    figures = [
        ("Rows read", report.rows_read),
        ("New", report.inserted),
        ("Updated", report.updated),
        ("Unchanged", report.unchanged),
        ("Rejected", report.rejected),
        ("Warnings", report.warnings),
    ]
    for column, (name, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(name, f"{value:,}")
    if len(report.problems):
        st.markdown("**Row-by-row report** (row numbers as in the spreadsheet)")
        table(report.problems, name="row-problems", key=f"{key}_problems", column_config=columns.ROW_PROBLEMS)
    if report.rejected and report.upload_id:
        upload_id = report.upload_id
        deferred_download(
            st, "Download the rejected rows to fix and upload again", lambda: csv_bytes(loaders.rejected(upload_id)),
            file_name=f"rejected-rows-upload-{upload_id}.csv", mime="text/csv", key=f"{key}_rejected",
            icon=":material/download:",
        )  # fmt: skip
    if len(report.unmapped_types):
        st.warning(
            f"{len(report.unmapped_types)} request types have no category yet. Until they have one, each counts "
            "as a category of its own (not yet mapped) in trends, maps and alerts; the Data page suggests "
            "categories to accept in bulk."
        )
        table(report.unmapped_types, name="unmapped-types", key=f"{key}_unmapped", column_config=columns.UNMAPPED_TYPES)


def survey_import_report(report: SurveyImport, key: str) -> None:
    """Show a survey import's outcome: its message, notes and the rows left out."""
    plain.show(report.message, kind="success" if report.upload_id else "info")
    for note in report.notes:
        plain.show(note, kind="caption")
    if len(report.problems):
        st.warning(f"{report.problems['row'].nunique()} rows were left out:")
        table(report.problems, name="survey-problems", key=f"{key}_problems", column_config=columns.SURVEY_PROBLEMS)


def district_table(figures: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the Map page's district figures as a plain table, in columns.DISTRICTS order."""
    return pd.DataFrame(figures[list(columns.DISTRICTS)])


def map_legend(figures: gpd.GeoDataFrame, cells: pd.DataFrame | None, *, measure: Measure) -> None:
    """Show the map's colour classes: of the hexagons' contacts when `cells` are drawn, else of the districts'."""
    if cells is None:
        classes, title = legend(figures["value"], measure=measure), label(measure)
    else:
        classes, title = legend(cells["contacts"], measure="contacts"), "Contacts per hexagon"
    st.vega_lite_chart(spec=_spec_of(partial(charts.map_legend, classes, title=title)), theme=None, width="content",
                       key="map_legend")  # fmt: skip


def selected_district(event: object) -> str | None:
    """Return the code of the district clicked on a map drawn with on_select="rerun", if any."""
    picked = event.selection.get("objects", {}).get("districts", []) if event else []  # type: ignore[attr-defined]
    return str(picked[0]["properties"]["code"]) if picked else None


def district_profile_panel(code: str, filters: Filters) -> None:
    """Show a district's top categories, trend, survey results and candidates."""
    found = loaders.profile(code, filters)
    if found is None:
        st.warning("That district is no longer stored: choose another.")
        return
    residents = f"{found.population:,} residents" if found.population else "population not entered"
    plain.show(f"{found.name} ({residents})", kind="heading")
    if found.closure.contacts:
        metric_row(closure_metrics(found.closure, load_settings().closure))
        _reopened_rating(found.closure)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Top categories**, with the change on the same months a year earlier")
        if found.categories.empty:
            st.info("No contacts in this district in these months.")
        else:
            top = found.categories.rename(columns={"change_pct": "change_vs_last_year"})
            chart(
                partial(charts.category_bars, top, height=320), name=f"top-categories-{code}",
                key="map_profile_categories", title=f"Top categories in {found.name}",
            )  # fmt: skip
    with right:
        st.markdown("**Contacts per month**")
        monthly = found.trend.rename(columns={"period": "month"})
        last = monthly["month"].max() if len(monthly) else ""
        chart(
            partial(charts.monthly_bars, monthly, highlight=last, height=320), name=f"contacts-per-month-{code}",
            key="map_profile_trend", title=f"Contacts per month in {found.name}",
        )  # fmt: skip
    left, right = st.columns(2, gap="large")
    with left:
        if found.survey.empty:
            st.markdown("**Citizen survey**")
            st.info("No survey results for this district yet.")
        else:
            st.markdown("**Citizen survey**: residents satisfied here, least satisfied first, against the county")
            plain.show(found.survey_wave, kind="caption")
            table(found.survey, name=f"survey-{code}", key="map_profile_survey", column_config=columns.PROFILE_SURVEY)
    with right:
        st.markdown("**Candidate projects in this district**")
        if found.candidates.empty:
            st.info("No maintenance or capital candidates in this district.")
        else:
            table(
                found.candidates, name=f"candidates-{code}", key="map_profile_candidates",
                column_config=columns.PROFILE_CANDIDATES,
            )  # fmt: skip
    latest = loaders.latest_month()
    if latest:
        st.markdown("**What residents here write about**: themes of their descriptions")
        themes(replace(filters, districts=(code,)), latest=latest, key="map_profile_themes", name=f"district-{code}")


def role_rules(rules: RoleRules) -> None:
    """Show which groups and e-mail addresses get which role."""
    rows = [{"rule": "group", "name": k, "role": v} for k, v in rules.groups.items()]
    rows += [{"rule": "e-mail", "name": k, "role": v} for k, v in rules.emails.items()]
    table(pd.DataFrame(rows, columns=["rule", "name", "role"]), name="role-rules", key="users_rules", downloads=False)


def local_users(users: dict[str, LocalUser]) -> None:
    """Show the local users and their roles, by name."""
    rows = pd.DataFrame([{"user": u.name, "role": str(u.role)} for u in users.values()], columns=["user", "role"])
    table(rows.sort_values("user"), name="users", key="users_table", downloads=False)
