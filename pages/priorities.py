"""Priorities: maintenance and capital candidates ranked by customer demand beside the county's own criteria."""

from functools import partial

import streamlit as st

from voc.app import columns, committee, equity, frame, funding, loaders, plain, show, widgets
from voc.core.errors import VocError
from voc.present import priority_charts
from voc.present.screens import SCREENS, priorities_screen
from voc.priorities import ranking
from voc.priorities.evidence import DEFAULT_RADIUS_M
from voc.priorities.stability import removal_summary
from voc.priorities.workbook import ranking_workbook

frame.require_frame()
present = frame.presenting()
if present:
    frame.presentation_style()
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
basis = loaders.priorities_basis(float(radius))
if basis.inputs.empty:
    results.info(
        "No candidates yet. Upload a list of maintenance and capital projects on the Upload page, "
        "or run `voc import candidates FILE`."
    )
    st.stop()
with controls:
    filters = widgets.candidate_filters("priorities", ranking.filter_choices(basis.inputs))
    st.markdown("**Weights**: each counts by its share of their sum; the ranking follows at once.")
    weights = widgets.weight_sliders("priorities", basis.criteria)
    st.markdown("**Funding**: the best set within the budget; mandated candidates in, excluded ones out.")
    rules = funding.funding_controls("priorities", basis.inputs)
    widgets.scenario_controls("priorities", basis.criteria, weights, rules)
try:
    view = loaders.priorities_view(float(radius), filters, weights)
except VocError as reason:
    plain.show(reason, kind="info", where=results)
    st.stop()
line = funding.funded_line(view.table, rules)
table, ranking_columns = funding.with_funding(view.table, line)
areas = equity.equity()
table, ranking_columns = equity.with_area_columns(table, ranking_columns, areas)
colours = priority_charts.criterion_colours([c.label for c in basis.criteria])
names = dict(zip(table["source_id"], table["name"], strict=True))
summary = results.container()  # the ranking goes above the one candidate picked below
with controls if present else results:
    if not present:
        st.subheader("How one candidate's score is built")
    picked = st.selectbox("Candidate", list(names), format_func=lambda i: f"{names[i]} ({i})",
                          key="priorities_candidate", bind="query-params")  # fmt: skip
parts = ranking.breakdown(view.ranking, int(table.loc[table["source_id"] == picked, "id"].iloc[0]))
top10 = table.head(10)
solid = (f"{int(top10['solid'].sum())} of the top {len(top10)} keep their rank whatever the weights do within ±10%, "
         f"one at a time or all together. {removal_summary(view.removals)}")  # fmt: skip

if present:
    with results:
        screen = st.segmented_control(
            "Screen", list(SCREENS), format_func=SCREENS.get, default="ranking", key="priorities_screen",
            bind="query-params", label_visibility="collapsed",
        )  # fmt: skip
        heading, chart = priorities_screen(screen, table=table, points=ranking.points_long(view.ranking, top=10),
                                           parts=parts, picked=names[picked], colours=colours)  # fmt: skip
        plain.show(heading, kind="title")
        show.chart(chart, name=f"priorities-{screen}", key="priorities_present_chart")
        plain.show(view.about[1], kind="caption")
    controls.button("Leave the presentation", key="priorities_leave", on_click=frame.leave_presentation)
    st.stop()

with summary:
    plain.show(f"{view.about[0]}. {view.about[1]}", kind="caption")
    show.chart(
        partial(priority_charts.score_bars, ranking.points_long(view.ranking, top=15), colours), name="priorities",
        key="priorities_chart", title="The fifteen strongest candidates",
    )  # fmt: skip
    st.caption(solid)
    if line:
        funding.funding_panel(table, line, key="priorities_funding")
        funding.pack_buttons(basis, view, line, key="priorities_pack")
    show.table(
        table[list(ranking_columns)], name="priorities-ranking", key="priorities_table", column_config=ranking_columns,
    )  # fmt: skip
with results:
    show.table(
        parts, name="priorities-breakdown", key="priorities_breakdown", column_config=columns.BREAKDOWN,
        column_order=columns.BREAKDOWN_ORDER,
    )  # fmt: skip
    for line in view.about[2:]:
        plain.show(line, kind="caption")
    left, right = st.columns(2)
    left.download_button(
        "Download the ranking, breakdown and weights (XLSX)",
        lambda: ranking_workbook(view.ranking, table, view.weights, about=view.about), file_name="priorities.xlsx",
        mime=show.XLSX, key="priorities_workbook",
    )  # fmt: skip
    right.link_button("Open the presentation view", frame.presentation_link(), key="priorities_present")
    with st.expander("Equity: do lower-income areas contact the county less per resident?"):
        equity.equity_section(areas)
    with st.expander("Committee weights: pairwise judgements per member (AHP)"):
        committee.committee_section("priorities", basis.criteria)
