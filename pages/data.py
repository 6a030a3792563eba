"""Data: the mappings an analyst keeps right, starting with request types -> categories."""

import streamlit as st

from voc.app import actions, columns, frame, loaders, show, triage, widgets
from voc.contacts.performance import save_targets
from voc.ingest.boundaries import import_districts
from voc.ingest.request_types import save_type_map
from voc.ingest.taxonomy import accept_suggestions
from voc.survey.store import save_benchmarks, save_links, save_questions

frame.require_frame()
st.title("Data")
st.subheader("Request types")
st.markdown(
    "Each raw request type of your CRM maps onto one of the county's categories, a department and a "
    "type of contact. New types from an upload appear at the top with blank category: fill them in and save. "
    "Saving re-categorises the stored contacts at once."
)
# Accepting suggestions changes the table below: it is loaded after them.
suggestions = loaders.request_type_suggestions()
suggested = suggestions[suggestions["category"] != ""]
if len(suggested):
    st.markdown(
        "**Suggested categories** for the types not mapped yet: the county's own categories by name, else a starter "
        "list of common local-government categories. Accept them all at once, then correct any below."
    )
    show.table(suggestions, name="suggestions", key="data_suggestions", column_config=columns.SUGGESTIONS)
    if st.button(f"Accept the {len(suggested)} suggestions", key="data_accept_suggestions", type="primary"):
        actions.act(accept_suggestions, suggested,
                    done=lambda changed: f"Accepted. {changed:,} stored contacts changed category.")  # fmt: skip
table = loaders.request_type_table()
unmapped = int((table["category"] == "").sum())
if unmapped:
    st.warning(
        f"{unmapped} request types have no category yet: until they have one, each counts as a category of its "
        "own (not yet mapped) in trends, maps and alerts."
    )
widgets.saved_editor(
    table, key="data_request_types", save="Save request types", action=save_type_map,
    done=lambda changed: f"Saved. {changed:,} stored contacts changed category, department or type.",
    num_rows="dynamic", disabled=["contacts"], column_config=columns.REQUEST_TYPES,
)  # fmt: skip

st.subheader("Service targets")
st.markdown(
    "The number of days within which a category's contacts should be closed; the Trends page reports the share met."
)
categories = loaders.choices()["category"]
widgets.saved_editor(
    loaders.targets(), key="data_targets", save="Save targets", action=save_targets, done="Saved.",
    num_rows="dynamic", column_config=columns.targets(categories),
    empty="No targets yet, so Trends cannot say which share of contacts closed in time. Add a row per category "
    "(the + under the table): the category and its days, then save.",
)  # fmt: skip

st.subheader("Districts")
st.markdown(
    "The boundaries the Map page draws and contacts with coordinates are placed in: GeoJSON, a zipped shapefile or a "
    "GeoPackage, in any coordinate system. A new file replaces the districts; populations entered here are kept "
    "for codes the file gives none."
)
boundaries = st.file_uploader(
    "Boundary file", type=["geojson", "json", "zip", "gpkg"], key="data_districts_file", max_upload_size=50
)
if boundaries is not None and st.button("Replace the districts", key="data_districts_import", type="primary"):
    actions.act(import_districts, boundaries.getvalue(), boundaries.name,
                done=lambda imported: " ".join(imported.report(boundaries.name)))  # fmt: skip
widgets.saved_editor(
    loaders.district_populations_table(), key="data_populations", save="Save populations",
    action=actions.save_populations, done="Saved. Rates per 1,000 residents use them at once.",
    disabled=["code", "name"], column_config=columns.POPULATIONS,
)  # fmt: skip

st.subheader("Survey service areas and complaint categories")
st.markdown(
    "Link each survey service area to the complaint categories that speak to it: the Surveys page then sets "
    "satisfaction beside contacts per 1,000 residents."
)
results = loaders.survey_results()
areas = sorted(results["service_area"].unique())
widgets.saved_editor(
    loaders.survey_links(), key="data_links", save="Save links", action=save_links, done="Saved.",
    num_rows="dynamic", column_config=columns.links(areas, categories),
    empty="No links yet, so the Surveys page cannot set complaints beside opinions. Add a row per pair (the + under "
    "the table): a survey service area and a complaint category that speaks to it, then save.",
)  # fmt: skip

st.subheader("Survey question dictionary")
surveys = sorted(results["survey"].unique())
chosen = st.selectbox(
    "Survey", surveys, key="data_survey", index=None, placeholder="Choose a survey", bind="query-params"
)
questions = loaders.survey_questions(chosen) if chosen else None
if questions is not None and questions.empty:
    st.info("This survey was imported as a published table: its items need no dictionary.")
elif questions is not None:
    st.markdown(
        "The label and kind of each column of the survey's file. Labels apply at once; a changed kind applies when "
        "the file is imported again (ratings are 1-5 with 5 best; importance picks name items of *picks from*)."
    )
    widgets.saved_editor(
        questions, key="data_questions", save="Save the dictionary", action=save_questions, args=(chosen,),
        done=lambda changed: f"Saved. {changed:,} stored figures were relabelled.",
        disabled=["question", "position"], column_config=columns.QUESTIONS,
    )  # fmt: skip

st.subheader("Survey benchmarks")
st.markdown("A reference value per item, e.g. a national benchmark: the Surveys page marks it beside the item.")
widgets.saved_editor(
    loaders.survey_benchmarks(), key="data_benchmarks", save="Save benchmarks", action=save_benchmarks,
    done="Saved.", num_rows="dynamic", column_config=columns.benchmarks(areas),
    empty="No benchmarks yet, so the Surveys page marks none. Add a row per item (the + under the table): the item, "
    "the benchmark's percent satisfied and where it comes from, then save.",
)  # fmt: skip

st.subheader("Watches")
st.markdown(
    "A watch follows some departments, categories or districts and e-mails its digest (what is emerging, what was "
    "acted on and its effect) to the people named, each time `voc digest` runs on its schedule."
)
triage.watches_panel()
