"""Priorities: maintenance and capital candidates ranked by customer demand beside the county's own criteria."""

import streamlit as st

from voc import ui
from voc.present import charts
from voc.priorities import ranking
from voc.priorities.evidence import DEFAULT_RADIUS_M
from voc.priorities.workbook import ranking_workbook

ui.require_frame()
present = ui.presenting()
SIZE = 26 if present else charts.LABEL_SIZE
SCREENS = {"ranking": "The ranking", "value": "Demand per dollar", "stability": "How solid",
           "candidate": "One project", "weights": "The weights"}  # fmt: skip
if present:
    ui.presentation_style()
else:
    st.title("Priorities")
top, bottom = st.container(), st.container()
controls, results = (bottom.expander("Filters, weights and the project shown"), top) if present else (top, bottom)

with controls:
    radius = st.select_slider(
        "Count contacts within this distance of a candidate's location",
        options=[400, 800, 1600, 3200, 6400], value=DEFAULT_RADIUS_M, format_func=lambda m: f"{m:,} m",
        key="priorities_radius", bind="query-params",
    )  # fmt: skip
basis = ui.priorities_basis(float(radius))
if basis.inputs.empty:
    results.info(
        "No candidates yet. Upload a list of maintenance and capital projects on the Upload page, "
        "or run `voc import candidates FILE`."
    )
    st.stop()
with controls:
    filters = ui.candidate_filters("priorities", ranking.filter_choices(basis.inputs))
    st.markdown("**Weights**: each counts by its share of their sum; the ranking follows at once.")
    weights = ui.weight_sliders("priorities", basis.criteria)
    ui.scenario_controls("priorities", basis.criteria, weights)
shown = ranking.filter_inputs(basis.inputs, filters)
if shown.empty or not sum(weights.values()):
    results.info("No candidate matches these filters." if shown.empty else "Every weight is 0: raise one.")
    st.stop()
ranked = ranking.rank_candidates(shown, basis.scores, weights, basis.criteria)
table = ranked.table.merge(ranking.rank_ranges(shown, basis.scores, weights, basis.criteria), on="id")
colours = charts.criterion_colours([c.label for c in basis.criteria])
names = dict(zip(table["source_id"], table["name"], strict=True))
summary = results.container()  # the ranking goes above the one candidate picked below
with controls if present else results:
    if not present:
        st.subheader("How one candidate's score is built")
    picked = st.selectbox("Candidate", list(names), format_func=lambda i: f"{names[i]} ({i})",
                          key="priorities_candidate", bind="query-params")  # fmt: skip
parts = ranking.breakdown(ranked, int(table.loc[table["source_id"] == picked, "id"].iloc[0]))
top10 = table.head(10)
solid = f"{int(top10['solid'].sum())} of the top {len(top10)} keep their rank whatever any one weight does (±10%)."
about = ranking.about_lines(basis, filters, shown=len(table))
bars = parts.iloc[:-1].assign(label=parts["criterion"], value=parts["points"])

if present:
    with results:
        screen = st.segmented_control(
            "Screen", list(SCREENS), format_func=SCREENS.get, default="ranking", key="priorities_screen",
            bind="query-params", label_visibility="collapsed",
        )  # fmt: skip
        if screen == "value":
            st.title("Linked contacts per $1 million")
            value = table.dropna(subset=["contacts_per_million"]).nlargest(10, "contacts_per_million")
            frame = value.assign(label=value["name"], value=value["contacts_per_million"])[["label", "value"]]
            chart = charts.labelled_bars(frame, title="Contacts per $1 million", value_format=",.1f", size=SIZE)
        elif screen == "stability":
            st.title(f"{int(top10['solid'].sum())} of the top {len(top10)} hold their rank")
            frame = top10.assign(candidate=top10["rank"].astype(str) + ". " + top10["name"])
            chart = charts.rank_range_chart(frame, size=SIZE)
        elif screen == "candidate":
            st.title(f"{names[picked]}: {parts['points'].iloc[-1]:.0f} points")
            chart = charts.labelled_bars(bars[["label", "value"]], title="Points", value_format=".1f", size=SIZE)
        elif screen == "weights":
            st.title("The weights")
            frame = bars.assign(value=bars["weight_share"])[["label", "value"]]
            chart = charts.labelled_bars(frame, title="Share of the score", value_format=".0%", size=SIZE)
        else:
            st.title("The ten strongest candidates")
            chart = charts.score_bars(ranking.points_long(ranked, top=10), colours, size=SIZE)
        ui.chart(chart, name=f"priorities-{screen}", key="priorities_present_chart")
        st.caption(about[1])
    controls.button("Leave the presentation", key="priorities_leave", on_click=ui.leave_presentation)
    st.stop()

with summary:
    st.caption(f"{about[0]}. {about[1]}")
    ui.chart(charts.score_bars(ranking.points_long(ranked, top=15), colours), name="priorities", key="priorities_chart",
             title="The fifteen strongest candidates")  # fmt: skip
    st.caption(solid)
    ui.table(
        table[["rank", "name", "kind", "category", "district_code", "total", "best_rank", "worst_rank", "contacts",
               "per_1000", "change_pct", "repeat_places", "is_rating", "estimated_cost", "contacts_per_million",
               "linked_by", "status", "source_id"]],
        name="priorities-ranking", key="priorities_table",
        column_config={
            "rank": "Rank", "name": "Candidate", "kind": "Kind", "category": "Category", "district_code": "District",
            "total": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%.1f"),
            "best_rank": "Best rank ±10%", "worst_rank": "Worst rank ±10%", "contacts": "Contacts (12 months)",
            "per_1000": st.column_config.NumberColumn("Per 1,000 residents", format="%.1f"),
            "change_pct": st.column_config.NumberColumn("Change on year before", format="%+.0f%%"),
            "repeat_places": "Repeat places", "is_rating": st.column_config.NumberColumn("Survey I-S", format="%.3f"),
            "estimated_cost": st.column_config.NumberColumn("Estimated cost", format="dollar"),
            "contacts_per_million": st.column_config.NumberColumn("Contacts per $1M", format="%.1f"),
            "linked_by": "Contacts linked", "status": "Status", "source_id": "Id",
        },
    )  # fmt: skip
with results:
    ui.table(
        parts, name="priorities-breakdown", key="priorities_breakdown",
        column_config={
            "criterion": "Criterion", "meaning": "What the value is",
            "value": st.column_config.NumberColumn("Value", format="localized"),
            "score": st.column_config.NumberColumn("Score (0-100)", format="%.1f"),
            "weight_share": st.column_config.NumberColumn("Weight share", format="percent"),
            "points": st.column_config.NumberColumn("Points", format="%.1f"),
        },
    )  # fmt: skip
    for line in ranking.HOW_SCORES_ARE_BUILT:
        st.caption(line)
    left, right = st.columns(2)
    left.download_button(
        "Download the ranking, breakdown and weights (XLSX)",
        lambda: ranking_workbook(ranked, table, weights, about=about), file_name="priorities.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="priorities_workbook",
    )  # fmt: skip
    right.link_button("Open the presentation view", ui.presentation_link(), key="priorities_present")
