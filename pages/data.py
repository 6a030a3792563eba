"""Data: the mappings an analyst keeps right, starting with request types -> categories."""

import streamlit as st

from voc import ui
from voc.contacts.performance import save_targets
from voc.core.errors import VocError
from voc.core.fields import CONTACT_TYPES
from voc.ingest.boundaries import import_districts
from voc.ingest.request_types import save_type_map
from voc.store.districts import populations_by_code, set_populations
from voc.survey.dictionary import KINDS
from voc.survey.store import save_benchmarks, save_links, save_questions

ui.require_frame()
st.title("Data")
st.subheader("Request types")
st.markdown(
    "Each raw request type of your CRM maps onto one of the county's categories, a department and a "
    "type of contact. New types from an upload appear at the top with blank category: fill them in and save. "
    "Saving re-categorises the stored contacts at once."
)
table = ui.request_type_table()
unmapped = int((table["category"] == "").sum())
if unmapped:
    st.warning(f"{unmapped} request types have no category yet.")
edited = st.data_editor(
    table,
    key="data_request_types",
    hide_index=True,
    num_rows="dynamic",
    disabled=["contacts"],
    column_config={
        "raw_type": st.column_config.TextColumn("Raw request type", required=True),
        "category": st.column_config.TextColumn("Category"),
        "department": st.column_config.TextColumn("Department"),
        "contact_type": st.column_config.SelectboxColumn("Type", options=list(CONTACT_TYPES), required=True),
        "contacts": st.column_config.NumberColumn("Stored contacts", format="%d"),
    },
)
if st.button("Save request types", key="data_request_types_save", type="primary"):
    try:
        changed = save_type_map(ui.engine(), edited, user=ui.current_user(), role=ui.role())
        st.success(f"Saved. {changed:,} stored contacts changed category, department or type.")
    except VocError as error:
        st.error(str(error))

st.subheader("Service targets")
st.markdown(
    "The number of days within which a category's contacts should be closed; the Trends page reports the share met."
)
targets = st.data_editor(
    ui.targets(),
    key="data_targets",
    hide_index=True,
    num_rows="dynamic",
    column_config={
        "category": st.column_config.SelectboxColumn("Category", options=ui.choices()["category"], required=True),
        "target_days": st.column_config.NumberColumn("Target (days)", min_value=0.1, step=0.5, required=True),
    },
)
if st.button("Save targets", key="data_targets_save", type="primary"):
    try:
        save_targets(ui.engine(), targets, user=ui.current_user(), role=ui.role())
        st.success("Saved.")
    except VocError as error:
        st.error(str(error))

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
    try:
        imported = import_districts(
            ui.engine(), boundaries.getvalue(), boundaries.name, user=ui.current_user(), role=ui.role()
        )
        st.success(" ".join(imported.report(boundaries.name)))
    except VocError as error:
        st.error(str(error))
populations = st.data_editor(
    ui.district_populations_table(),
    key="data_populations",
    hide_index=True,
    disabled=["code", "name"],
    column_config={
        "code": "Code",
        "name": "District",
        "population": st.column_config.NumberColumn("Residents", min_value=0, step=1, format="localized"),
    },
)
if st.button("Save populations", key="data_populations_save", type="primary"):
    try:
        set_populations(ui.engine(), populations_by_code(populations), user=ui.current_user(), role=ui.role())
        st.success("Saved. Rates per 1,000 residents use them at once.")
    except VocError as error:
        st.error(str(error))

st.subheader("Survey service areas and complaint categories")
st.markdown(
    "Link each survey service area to the complaint categories that speak to it: the Surveys page then sets "
    "satisfaction beside contacts per 1,000 residents."
)
areas = sorted(ui.survey_results()["service_area"].unique())
links = st.data_editor(
    ui.survey_links(),
    key="data_links",
    hide_index=True,
    num_rows="dynamic",
    column_config={
        "service_area": st.column_config.SelectboxColumn("Survey service area", options=areas, required=True),
        "category": st.column_config.SelectboxColumn("Category", options=ui.choices()["category"], required=True),
    },
)
if st.button("Save links", key="data_links_save", type="primary"):
    try:
        save_links(ui.engine(), links, user=ui.current_user(), role=ui.role())
        st.success("Saved.")
    except VocError as error:
        st.error(str(error))

st.subheader("Survey question dictionary")
surveys = sorted(ui.survey_results()["survey"].unique())
chosen = st.selectbox(
    "Survey", surveys, key="data_survey", index=None, placeholder="Choose a survey", bind="query-params"
)
questions = ui.survey_questions(chosen) if chosen else None
if chosen and questions is not None and questions.empty:
    st.info("This survey was imported as a published table: its items need no dictionary.")
elif chosen:
    st.markdown(
        "The label and kind of each column of the survey's file. Labels apply at once; a changed kind applies when "
        "the file is imported again (ratings are 1-5 with 5 best; importance picks name items of *picks from*)."
    )
    edited_questions = st.data_editor(
        questions,
        key="data_questions",
        hide_index=True,
        disabled=["question", "position"],
        column_config={
            "question": "Column", "label": st.column_config.TextColumn("Label", required=True),
            "kind": st.column_config.SelectboxColumn("Kind", options=list(KINDS), required=True),
            "codes": "Response codes", "picks_from": "Picks from", "position": None,
        },
    )  # fmt: skip
    if st.button("Save the dictionary", key="data_questions_save", type="primary"):
        try:
            changed = save_questions(ui.engine(), chosen, edited_questions, user=ui.current_user(), role=ui.role())
            st.success(f"Saved. {changed:,} stored figures were relabelled.")
        except VocError as error:
            st.error(str(error))

st.subheader("Survey benchmarks")
st.markdown("A reference value per item, e.g. a national benchmark: the Surveys page marks it beside the item.")
benchmarks = st.data_editor(
    ui.survey_benchmarks(),
    key="data_benchmarks",
    hide_index=True,
    num_rows="dynamic",
    column_config={
        "service_area": st.column_config.SelectboxColumn("Item", options=areas, required=True),
        "benchmark_share": st.column_config.NumberColumn("Percent satisfied (0-1 or 0-100)", min_value=0.0,
                                                         max_value=100.0, required=True),
        "source": "Source",
    },
)  # fmt: skip
if st.button("Save benchmarks", key="data_benchmarks_save", type="primary"):
    try:
        save_benchmarks(ui.engine(), benchmarks, user=ui.current_user(), role=ui.role())
        st.success("Saved.")
    except VocError as error:
        st.error(str(error))
