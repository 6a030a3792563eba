"""Surveys: satisfaction with its margin of error, real changes only, districts, priorities, complaints beside."""

from functools import partial

import streamlit as st

from voc.app import columns, frame, loaders, plain, show
from voc.present import survey_charts
from voc.survey.compare import (
    batteries,
    change_summary,
    compare_waves,
    default_view,
    district_summary,
    districts_against_county,
    districts_of,
    priorities,
    waves_of,
)

frame.require_frame()
st.title("Surveys")
results = loaders.survey_results()
if results.empty:
    st.info("No survey results yet. Import a survey on the Upload page, or with `voc import survey FILE`.")
    st.stop()

first_survey, _ = default_view(results, survey=None, wave=None)
surveys = sorted(results["survey"].unique())
pick_survey, pick_wave, pick_area, pick_questions = st.columns([2, 1, 1, 2])
survey = pick_survey.selectbox(
    "Survey", surveys, index=surveys.index(first_survey), key="surveys_survey", bind="query-params"
)
waves = waves_of(results, survey)
wave = pick_wave.selectbox("Wave", waves, index=len(waves) - 1, key="surveys_wave", bind="query-params")
areas = ["County-wide", *districts_of(results, survey)]
area = pick_area.selectbox("Area", areas, key="surveys_area", bind="query-params")
district = None if area == "County-wide" else area
groups = batteries(results, survey=survey, wave=wave).set_index("battery")
battery = pick_questions.selectbox(
    "Questions",
    groups.index.tolist(),
    format_func=lambda b: f"{b}: {groups.loc[b, 'label']}" if b in groups.index else b,
    key="surveys_battery",
    bind="query-params",
)

compared = compare_waves(
    results, survey=survey, wave=wave, district=district, battery=battery, benchmarks=loaders.survey_benchmarks()
)
plain.show(f"How satisfied residents are, {wave} ({area.lower() if district is None else 'district ' + area})",
           kind="heading")  # fmt: skip
show.chart(partial(survey_charts.satisfaction_chart, compared), name=f"satisfaction-{wave}", key="surveys_satisfaction",
           title=f"{survey}: residents satisfied, {wave}")  # fmt: skip
st.caption(
    "Each dot is the share rating the item 4 or 5 out of 5 (don't know and skipped answers left out); the bar is its "
    "95% margin of error. A change since the wave before counts as real only when a two-proportion test says it is "
    "larger than sampling noise (p < 0.05). A black tick is the benchmark entered on the Data page."
)
if summary := change_summary(compared):
    st.markdown(summary)
with st.expander("The figures"):
    show.table(compared, name=f"survey-{wave}", key="surveys_table", column_order=columns.SURVEY_ORDER,
               column_config=columns.SURVEY)  # fmt: skip

if district is None and len(areas) > 1:
    st.subheader("Each district against the rest of the county")
    by_district = districts_against_county(results, survey=survey, wave=wave, battery=battery)
    names = dict(loaders.district_populations_table()[["code", "name"]].itertuples(index=False))
    show.chart(
        partial(survey_charts.district_heatmap, by_district, names), name=f"districts-{wave}", key="surveys_districts",
        title=f"{survey} {wave}: each district against the rest of the county",
    )  # fmt: skip
    st.caption(
        "Each cell is shaded by how far the district's share lies above (blue) or below (orange) the rest of the "
        "county. With this many cells compared, some differences look real by chance alone, so each test is corrected "
        "for the number of cells (Benjamini-Hochberg, false-discovery rate 5%): only the outlined cells in bold differ "
        "by more than sampling noise; the faint ones may not. Hover a cell for its margin."
    )
    st.markdown(district_summary(by_district))

st.subheader("What residents value most")
ranked = priorities(results, survey=survey, wave=wave, district=district, battery=battery)
if ranked.empty:
    st.info("These questions have neither an importance question nor an overall-satisfaction rating to derive it from.")
else:
    derived = ranked["importance_source"].iloc[0] == "derived"
    title = "Derived importance (correlation with overall)" if derived else "Named among the most important"
    show.chart(partial(survey_charts.quadrant_chart, ranked, importance_title=title, derived=derived),
               name=f"importance-satisfaction-{wave}", key="surveys_quadrant",
               title=f"{survey} {wave}: importance and satisfaction")  # fmt: skip
    st.caption(
        "Derived importance: this survey asked no importance question, so importance is the correlation of each item's "
        "ratings with overall satisfaction with services. Items are ranked by importance × (1 − satisfaction); "
        "ETC's tiers are defined for stated importance only."
        if derived
        else "I-S rating = share naming the item among the most important × (1 − share satisfied), as ETC Institute "
        "computes it: 0.20 and above very high priority, 0.10-0.20 high, below 0.10 medium. Up to the 8 highest are "
        "named."
    )
    show.table(ranked, name=f"priorities-{wave}", key="surveys_priorities", column_config=columns.SURVEY_PRIORITIES)

st.subheader("Complaints beside opinions")
beside = loaders.complaints_beside(survey=survey, wave=wave, district=district, battery=battery)
if beside.empty:
    st.info(
        "No service area of this survey is linked to a complaint category with contacts yet: link them on the Data "
        "page to see where residents are both unhappy and calling."
    )
else:
    shown = beside[beside["district_code"].isna()] if district is None else beside
    show.chart(
        partial(survey_charts.complaints_chart, shown), name=f"complaints-beside-opinions-{wave}",
        key="surveys_complaints", title=f"{survey} {wave}: satisfaction and contacts per 1,000 residents",
    )  # fmt: skip
    st.caption(
        "Contacts of the linked categories over the last 12 months, per 1,000 residents; the trend compares them with "
        "the 12 months before. Red: satisfaction in the lower half and contacts in the upper half of those shown."
    )
    show.table(beside, name=f"complaints-beside-opinions-{wave}", key="surveys_beside", column_config=columns.BESIDE)
