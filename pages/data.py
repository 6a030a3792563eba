"""Data: the mappings an analyst keeps right, starting with request types -> categories."""

import streamlit as st

from voc import ui
from voc.errors import VocError
from voc.fields import CONTACT_TYPES
from voc.geo import import_districts, populations_by_code, set_populations
from voc.performance import save_targets
from voc.request_types import save_type_map

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
