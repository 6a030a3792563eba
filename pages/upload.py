"""Upload: import CRM exports with a mapping preview, record stakeholder sessions, undo uploads."""

import streamlit as st

from voc.app import equity, frame, upload

frame.require_frame()
st.title("Upload")
exports, feeds, survey, sessions, candidates, areas, history = st.tabs(
    ["Contacts export", "Open-data feeds", "Survey results", "Stakeholder session", "Project candidates",
     "Small areas", "History and undo"]
)  # fmt: skip

with exports:
    files = st.file_uploader(
        "Drop this month's CRM export here (xlsx, xlsm, xls, ods, csv or txt); several files at once are fine.",
        type=["xlsx", "xlsm", "xls", "ods", "csv", "txt"],
        accept_multiple_files=True,
        key="upload_files",
    )
    for file in files or []:
        upload.contacts_file(file)

with feeds:
    st.markdown(
        "Pull service requests from the county's open-data portal: a Socrata dataset, an ArcGIS layer or an Open311 "
        "endpoint. Each pull fetches only what changed since the last one and is undone like an upload; "
        "`voc pull saved` on a schedule keeps every feed current (see the README)."
    )
    upload.feeds_panel()

with survey:
    st.markdown(
        "A respondent-level file (one row per resident, a column per question) with its question dictionary, or a "
        "published summary table (service area, wave, district, percent satisfied or mean, importance, n)."
    )
    upload.survey_import()
    st.divider()
    st.markdown(
        "**After closure.** A post-closure survey: one row per answer with the contact's record id (ticket, case or "
        "service request number) and a score (1-5, 1-10 or *very satisfied* to *very dissatisfied*). Answers are "
        "joined to the stored contacts; those matching none are listed and not stored."
    )
    upload.satisfaction_import()

with sessions:
    st.markdown(
        "Record what residents raised at a stakeholder session or public meeting. Each resident who "
        "raised it counts as one contact of the channel *stakeholder session*."
    )
    upload.session_form()
    upload.session_sheet()

with candidates:
    st.markdown(
        "Upload the county's list of maintenance and capital projects to rank on the Priorities page. Each row "
        "needs a project id and a name; voc also reads the kind, category or asset type, district, latitude and "
        "longitude, estimated cost, condition (0 failed to 100 as new), status, description and the county's own "
        "scoring columns (higher is more deserving). Importing an updated list changes only what changed."
    )
    upload.candidates_import()

with areas:
    equity.areas_import()

with history:
    upload.upload_history()
