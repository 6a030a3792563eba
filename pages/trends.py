"""Trends: contacts over time by category, department, district, channel or type, and what sits behind them."""

from dataclasses import replace
from functools import partial

import streamlit as st

from voc.app import frame, loaders, show, triage, widgets
from voc.contacts.trends import shares, top_groups, year_over_year
from voc.core.access import Role, allows
from voc.core.fields import label
from voc.core.periods import month_label, month_shift
from voc.present import charts

frame.require_frame()
st.title("Trends")
if not loaders.choices()["month"]:
    st.info("No contacts yet. Upload a month's CRM export on the Upload page, or load the demo county with `voc demo`.")
    st.stop()

latest = loaders.latest_month()
with st.expander(f"Emerging issues in {month_label(latest)}", expanded=True):
    triage.emerging_panel(latest, page="trends", limit=12)
    st.caption(
        "Each category is compared with what its own history predicts for the same months (a seasonal model with "
        "a trend, as in public-health surveillance), and each district with its usual share of the category; an issue "
        "means a count above the upper bound after correcting for every series tested, category by category: in a "
        "month with no real rise anywhere, this list stays empty at least 19 times in 20."
    )

filters = widgets.trend_filters("trends")
split, period, measure = st.columns([3, 1.2, 1.2])
dimensions = ["category", "department", "district_code", "channel", "contact_type"]
widgets.accept_values_in_url("trends_by", dimensions, label)
by = split.segmented_control(
    "Split by", dimensions, format_func=label, default="category", key="trends_by", bind="query-params"
)
widgets.accept_values_in_url("trends_period", ["month", "week"], str.capitalize)
period_choice = period.segmented_control(
    "Period", ["month", "week"], format_func=str.capitalize, default="month", key="trends_period", bind="query-params"
) or "month"  # fmt: skip
per_1000 = measure.toggle("Per 1,000 residents", key="trends_per_1000", bind="query-params")

series = top_groups(loaders.trend_series(filters, by, period_choice))
lumped = "Other" in set(series["group"])
series = series[series["group"] != "Other"]
if series.empty:
    st.info("No contacts match these filters.")
    st.stop()
show.trend_chart(series, filters, by=by, period=period_choice, per_1000=per_1000, latest=latest)
if lumped:
    st.caption(f"The 7 largest by {label(by).lower()}; choose others in the filters above to compare them.")

st.subheader("The records behind a point")
left, right = st.columns(2)
drill_months = sorted(series["period"].astype(str).str[:7].unique(), reverse=True)
widgets.accept_values_in_url("trends_drill_month", drill_months, month_label)
drill_month = left.selectbox(
    "Month", drill_months, format_func=month_label, key="trends_drill_month", bind="query-params"
)  # fmt: skip
drill_group = right.selectbox(
    "Series", ["(all)", *sorted(set(series["group"]) - {"Other"})], key="trends_drill_group", bind="query-params"
)
behind = loaders.records_behind(filters, drill_month, by, None if drill_group == "(all)" else drill_group)
st.caption(f"The newest {len(behind):,} contacts (at most 500) of {month_label(drill_month)}.")
show.table(behind, name=f"contacts-{drill_month}", key="trends_records")


def year_over_year_tab() -> None:
    monthly_all = loaders.trend_series(replace(filters, first_month=None, last_month=None), None, "month")
    show.chart(partial(charts.year_over_year_lines, year_over_year(monthly_all)), name="year-over-year",
               key="trends_yoy", title="Contacts per month, year over year")  # fmt: skip


def channel_mix_tab() -> None:
    channels = shares(loaders.trend_series(filters, "channel", period_choice))
    show.chart(partial(charts.channel_mix, channels), name="channel-mix", key="trends_mix",
               title="Share of contacts by channel")  # fmt: skip


def service_performance_tab() -> None:
    show.service_performance_panel(filters)
    st.caption(
        "Closed is not fixed: contacts reopened or reported again after closure, contacts closed within five "
        "minutes of opening (questions aside) and contacts never closed are counted apart; reports of one problem "
        "by several residents count once as an incident. Time to acknowledge counts only the contacts whose export "
        "says when they were acknowledged. Targets are set on the Data page."
    )


def words_tab() -> None:
    categories = loaders.choices()["category"]
    chosen = st.selectbox(
        "Category", categories, key="trends_words_category", bind="query-params",
        index=categories.index(filters.categories[0]) if filters.categories else 0,
    )  # fmt: skip
    area = st.selectbox(
        "District", ["(county-wide)", *loaders.choices()["district_code"]], key="trends_words_district",
        bind="query-params",
    )  # fmt: skip
    show.terms(loaders.text_terms(chosen, latest, None if area == "(county-wide)" else area),
               first=month_shift(latest, -2), last=latest)  # fmt: skip


def themes_tab() -> None:
    show.themes(filters, latest=latest, key="trends_themes", name=f"{filters.first_month}-to-{filters.last_month}")
    st.caption(
        "Descriptions grouped by meaning, whatever words residents chose; each theme is named by the words that set it "
        "apart. Filtered by months, categories and districts only. Personal details in the examples are redacted."
    )


def actions_tab() -> None:
    if allows(frame.role(), Role.ANALYST):
        widgets.action_form(loaders.choices())
    else:
        st.caption("Analysts record actions here; your role shows them and their effects.")
    show.actions_and_effects(latest)


widgets.lazy_tabs(
    {
        "Year over year": year_over_year_tab, "Channel mix": channel_mix_tab,
        "Service performance": service_performance_tab, "What residents write": words_tab, "Themes": themes_tab,
        "Actions": actions_tab, "Questions to answer": partial(triage.questions_panel, latest),
    },
    key="trends_tab",
)  # fmt: skip
