"""Trends: contacts over time by category, department, district, channel or type, and what sits behind them."""

from dataclasses import replace
from datetime import date

import streamlit as st

from voc import ui
from voc.contacts.actions import add_action, list_actions
from voc.contacts.trends import action_effects, per_thousand, records, shares, top_groups, year_over_year
from voc.core.access import Role, allows
from voc.core.errors import VocError
from voc.core.fields import label, markdown_literal
from voc.core.periods import month_label, month_shift
from voc.present import charts

ui.require_frame()
st.title("Trends")
if not ui.choices()["month"]:
    st.info("No contacts yet. Upload a month's CRM export on the Upload page, or load the demo county with `voc demo`.")
    st.stop()

latest = ui.latest_month()
with st.expander(f"Emerging issues in {month_label(latest)}", expanded=True):
    ui.emerging_panel(latest, limit=12)
    st.caption(
        "Each series is compared with what its own history predicts for the same months (a seasonal model with a "
        "trend, as in public-health surveillance); a flag means the count is above the upper bound after "
        "correcting for the hundreds of series tested."
    )

filters = ui.trend_filters("trends")
split, period, measure = st.columns([3, 1.2, 1.2])
dimensions = ["category", "department", "district_code", "channel", "contact_type"]
ui.accept_values_in_url("trends_by", dimensions, label)
by = split.segmented_control(
    "Split by", dimensions, format_func=label, default="category", key="trends_by", bind="query-params"
)
ui.accept_values_in_url("trends_period", ["month", "week"], str.capitalize)
period_choice = period.segmented_control(
    "Period", ["month", "week"], format_func=str.capitalize, default="month", key="trends_period", bind="query-params"
)
per_1000 = measure.toggle("Per 1,000 residents", key="trends_per_1000", bind="query-params")
period_choice = period_choice or "month"

frame = top_groups(ui.trend_series(filters, by=by, period=period_choice))
lumped = "Other" in set(frame["group"])
frame = frame[frame["group"] != "Other"]
if frame.empty:
    st.info("No contacts match these filters.")
    st.stop()
value, title = ("contacts", "Contacts")
if per_1000:
    frame = per_thousand(frame, ui.district_populations(), by=by, districts=filters.districts)
    value, title = ("per_1000", "Contacts per 1,000 residents")
colours = charts.group_colours(ui.ranked_groups(by) if by else [], frame["group"].unique().tolist())
actions = list_actions(ui.engine(), category=filters.categories[0] if len(filters.categories) == 1 else None)
county_wide = not (filters.districts or filters.channels or filters.contact_types)
ahead = None
if by == "category" and period_choice == "month" and not per_1000 and county_wide and filters.last_month == latest:
    shown = tuple(sorted(set(frame["group"])))
    ahead = ui.forecast_for(latest, shown).rename(columns={"month": "period", "category": "group"})
ui.chart(
    charts.trend_lines(frame, colours, value=value, title=title, actions=actions, forecast=ahead),
    name=f"trends-by-{by or 'total'}-{filters.first_month}-to-{filters.last_month}",
    key="trends_chart",
    title=f"{title} by {label(by).lower()}" if by else title,
)
if ahead is not None and len(ahead):
    st.caption("Dashed: the next three months as the seasonal model expects them, with an 80% range.")
if lumped:
    st.caption(f"The 7 largest by {label(by).lower()}; choose others in the filters above to compare them.")

st.subheader("The records behind a point")
left, right = st.columns(2)
periods = sorted(frame["period"].unique(), reverse=True)
drill_months = [p[:7] for p in periods if period_choice == "month"] or sorted({p[:7] for p in periods}, reverse=True)
ui.accept_values_in_url("trends_drill_month", drill_months, month_label)
drill_month = left.selectbox(
    "Month", drill_months, format_func=month_label, key="trends_drill_month", bind="query-params"
)  # fmt: skip
drill_group = right.selectbox(
    "Series", ["(all)", *sorted(set(frame["group"]) - {"Other"})], key="trends_drill_group", bind="query-params"
)
behind = records(
    ui.engine(), filters, month=drill_month, by=by, group=None if drill_group == "(all)" else drill_group, limit=500
)
st.caption(f"The newest {len(behind):,} contacts (at most 500) of {month_label(drill_month)}.")
ui.table(behind, name=f"contacts-{drill_month}", key="trends_records")

yoy, mix, performance, words, actions_tab = st.tabs(
    ["Year over year", "Channel mix", "Service performance", "What residents write", "Actions"],
    key="trends_tab", bind="query-params",
)  # fmt: skip
with yoy:
    monthly_all = ui.trend_series(replace(filters, first_month=None, last_month=None), by=None, period="month")
    ui.chart(charts.year_over_year_lines(year_over_year(monthly_all)), name="year-over-year", key="trends_yoy",
             title="Contacts per month, year over year")  # fmt: skip
with mix:
    channels = shares(ui.trend_series(filters, by="channel", period=period_choice))
    ui.chart(charts.channel_mix(channels), name="channel-mix", key="trends_mix", title="Share of contacts by channel")
with performance:
    table = ui.performance(filters)
    ui.table(
        table,
        name=f"service-performance-{filters.first_month}-to-{filters.last_month}",
        key="trends_performance",
        column_config={
            "category": "Category",
            "contacts": st.column_config.NumberColumn("Contacts", format="%d"),
            "closed": st.column_config.NumberColumn("Closed", format="%d"),
            "median_days": st.column_config.NumberColumn("Median days", format="%.1f"),
            "p90_days": st.column_config.NumberColumn("90% closed within (days)", format="%.1f"),
            "target_days": st.column_config.NumberColumn("Target (days)", format="%.0f"),
            "within_target_share": st.column_config.NumberColumn("Closed within target", format="percent"),
            "closed_too_fast": st.column_config.NumberColumn("Closed in under 5 minutes", format="%d"),
            "still_open": st.column_config.NumberColumn("Never closed", format="%d"),
        },
    )
    st.caption(
        "Closed is not fixed: contacts closed within five minutes of opening (questions aside) and contacts "
        "never closed are counted apart. Targets are set on the Data page."
    )
with words:
    categories = ui.choices()["category"]
    chosen = st.selectbox(
        "Category",
        categories,
        key="trends_words_category",
        index=categories.index(filters.categories[0]) if filters.categories else 0,
        bind="query-params",
    )
    area = st.selectbox(
        "District", ["(county-wide)", *ui.choices()["district_code"]], key="trends_words_district", bind="query-params"
    )
    recent, before = ui.text_terms(chosen, latest, None if area == "(county-wide)" else area)
    left, right = st.columns(2)
    left.markdown(f"**Most frequent, {month_label(month_shift(latest, -2))}–{month_label(latest)}**")
    with left:
        ui.table(recent, name=f"frequent-terms-{latest}", key="trends_words_frequent")
    right.markdown("**Rising against the same months a year before**")
    if before.empty:
        right.info("No word or phrase rose more than chance allows.")
    else:
        with right:
            ui.table(before, name=f"rising-terms-{latest}", key="trends_words_rising")
with actions_tab:
    if allows(ui.role(), Role.ANALYST):
        with st.form("trends_action_form", clear_on_submit=True):
            st.markdown("Record a process change, a new procedure or an information campaign to see its effect.")
            when = st.date_input("Date", value=date.today(), key="trends_action_date")
            category = st.selectbox("Category", ["(all)", *ui.choices()["category"]], key="trends_action_category")
            district = st.selectbox(
                "District", ["(county-wide)", *ui.choices()["district_code"]], key="trends_action_district"
            )
            description = st.text_area("What changed", key="trends_action_description")
            if st.form_submit_button("Record the action", type="primary"):
                try:
                    add_action(
                        ui.engine(), action_date=when, description=description, user=ui.current_user(), role=ui.role(),
                        category=None if category == "(all)" else category,
                        district_code=None if district == "(county-wide)" else district,
                    )  # fmt: skip
                    st.success("Recorded. It appears as a dashed line on the chart.")
                except VocError as error:
                    st.error(str(error))
    else:
        st.caption("Analysts record actions here; your role shows them and their effects.")
    recorded = list_actions(ui.engine())
    ui.table(recorded, name="actions", key="trends_actions")
    effects = action_effects(ui.engine(), recorded, last_month=latest)
    for effect in effects.itertuples():
        st.markdown(
            f"**{markdown_literal(effect.action)}** ({effect.date:%d %b %Y}): {markdown_literal(effect.effect)}"
        )
