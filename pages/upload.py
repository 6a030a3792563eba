"""Upload: import CRM exports with a mapping preview, record stakeholder sessions, undo uploads."""

import streamlit as st

from voc import ui
from voc.core.errors import VocError
from voc.core.fields import markdown_literal
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.sessions import one_session, read_sessions, save_sessions
from voc.priorities.candidates import CandidateOptions, import_candidates, propose_mapping
from voc.store.uploads import sha256_of, undo
from voc.survey.store import import_survey

ui.require_frame()
st.title("Upload")
exports, survey, sessions, candidates, history = st.tabs(
    ["Contacts export", "Survey results", "Stakeholder session", "Project candidates", "History and undo"]
)

with exports:
    files = st.file_uploader(
        "Drop this month's CRM export here (xlsx, xlsm, xls, ods, csv or txt); several files at once are fine.",
        type=["xlsx", "xlsm", "xls", "ods", "csv", "txt"],
        accept_multiple_files=True,
        key="upload_files",
    )
    for file in files or []:
        data = file.getvalue()
        key = f"upload_{sha256_of(data)[:12]}"
        st.subheader(markdown_literal(file.name))
        overrides = st.session_state.get(f"{key}_overrides", {})
        try:
            plan = ui.upload_preview(data, file.name, sheet=st.session_state.get(f"{key}_sheet"), overrides=overrides)
        except VocError as error:
            st.error(f"{file.name} cannot be imported. {error}")
            continue
        if len(plan.raw.sheets) > 1:
            st.selectbox("Sheet", plan.raw.sheets, index=plan.raw.sheets.index(plan.raw.sheet), key=f"{key}_sheet")
        layout = f"Recognised layout: **{plan.mapping.layout}**. " if plan.mapping.layout else ""
        remembered = f"Mapping remembered from profile **{plan.profile}**. " if plan.profile else ""
        st.caption(
            f"{layout}{remembered}{len(plan.raw.frame):,} rows under the header on row {plan.raw.header_row}. "
            "Check each field's column; change any that is wrong, then import."
        )
        changes = ui.mapping_editor(plan, f"{key}_mapping")
        if changes:
            st.session_state[f"{key}_overrides"] = {**overrides, **changes}
            st.rerun()
        with st.expander("First rows of the file"):
            st.dataframe(plan.raw.frame.head(8).astype(str), hide_index=True)
        if st.button("Import", key=f"{key}_import", type="primary", disabled=bool(plan.mapping.missing_required())):
            bar = st.progress(0.0, text="Starting")
            try:
                st.session_state[f"{key}_report"] = import_requests(
                    ui.engine(), data, file.name, ui.settings(),
                    ImportOptions(sheet=plan.raw.sheet, overrides=overrides), role=ui.role(),
                    progress=lambda stage, fraction, bar=bar: bar.progress(fraction, text=stage),
                )  # fmt: skip
            except VocError as error:
                st.error(f"{file.name} was refused and nothing was written. {error}")
        if f"{key}_report" in st.session_state:
            ui.import_report(st.session_state[f"{key}_report"], key)

with survey:
    st.markdown(
        "A respondent-level file (one row per resident, a column per question) with its question dictionary, or a "
        "published summary table (service area, wave, district, percent satisfied or mean, importance, n)."
    )
    survey_file = st.file_uploader("Survey file", type=["csv", "xlsx", "xls", "ods", "txt"], key="upload_survey_file")
    dictionary = st.file_uploader(
        "Question dictionary (optional: else the one kept on the Data page, else the file's own headers)",
        type=["csv", "xlsx", "xls", "ods", "txt"],
        key="upload_survey_dictionary",
    )
    name_box, wave_box, year_box = st.columns([2, 1, 1])
    survey_name = name_box.text_input("Survey name (blank: from the file name)", key="upload_survey_name")
    wave = wave_box.text_input("Wave (blank: from the file)", key="upload_survey_wave")
    year = year_box.number_input("Year (blank: from the wave)", min_value=1990, max_value=2100, value=None,
                                 key="upload_survey_year")  # fmt: skip
    if st.button("Import the survey", key="upload_survey_import", type="primary", disabled=survey_file is None):
        try:
            st.session_state["upload_survey_report"] = import_survey(
                ui.engine(), survey_file.getvalue(), survey_file.name, user=ui.current_user(), role=ui.role(),
                dictionary=dictionary.getvalue() if dictionary else None,
                dictionary_name=dictionary.name if dictionary else "", survey=survey_name or None,
                wave=wave.strip() or None, year=int(year) if year else None,
            )  # fmt: skip
        except VocError as error:
            st.error(f"{survey_file.name} was refused and nothing was written. {error}")
    if "upload_survey_report" in st.session_state:
        ui.survey_import_report(st.session_state["upload_survey_report"], "upload_survey")

with sessions:
    st.markdown(
        "Record what residents raised at a stakeholder session or public meeting. Each resident who "
        "raised it counts as one contact of the channel *stakeholder session*."
    )
    districts, categories = ui.district_and_category_choices()
    with st.form("upload_session_form", clear_on_submit=True):
        day = st.date_input("Date of the session", key="upload_session_date")
        district = st.selectbox("District", ["(county-wide)", *districts], key="upload_session_district")
        if categories:
            category = st.selectbox("Category", categories, key="upload_session_category", accept_new_options=True)
        else:
            category = st.text_input("Category", key="upload_session_category")
        summary = st.text_area("What was raised", key="upload_session_summary")
        raised = st.number_input("How many residents raised it", min_value=1, value=1, key="upload_session_raised")
        if st.form_submit_button("Record the session", type="primary"):
            session = one_session(
                day=day, district=None if district == "(county-wide)" else district,
                category=category or "", summary=summary.strip(), raised=int(raised),
            )  # fmt: skip
            try:
                saved = save_sessions(ui.engine(), session, user=ui.current_user(), role=ui.role(),
                                      timezone=ui.settings().timezone, file_name="session form")  # fmt: skip
                st.success(f"Recorded as upload {saved.upload_id}: {saved.contacts} contacts.")
            except VocError as error:
                st.error(str(error))
    sheet = st.file_uploader(
        "Or upload a sheet of sessions (columns: date, district, category, summary, raised)",
        type=["xlsx", "csv"],
        key="upload_sessions_file",
    )
    if sheet is not None and st.button("Import the sessions", key="upload_sessions_import"):
        try:
            saved = save_sessions(
                ui.engine(), read_sessions(sheet.getvalue(), sheet.name), user=ui.current_user(), role=ui.role(),
                timezone=ui.settings().timezone, file_name=sheet.name, data=sheet.getvalue(),
            )  # fmt: skip
            st.success(f"Imported {saved.sessions} sessions as upload {saved.upload_id}: {saved.contacts} contacts.")
        except VocError as error:
            st.error(str(error))

with candidates:
    st.markdown(
        "Upload the county's list of maintenance and capital projects to rank on the Priorities page. Each row "
        "needs a project id and a name; voc also reads the kind, category or asset type, district, latitude and "
        "longitude, estimated cost, condition (0 failed to 100 as new), status, description and the county's own "
        "scoring columns (higher is more deserving). Importing an updated list changes only what changed."
    )
    listing = st.file_uploader(
        "Candidate list (xlsx, xlsm, xls, ods, csv or txt)", type=["xlsx", "xlsm", "xls", "ods", "csv", "txt"],
        key="upload_candidates_file",
    )  # fmt: skip
    proposed = None
    if listing is not None:
        try:
            columns, proposed = propose_mapping(listing.getvalue(), listing.name, CandidateOptions())
        except VocError as error:
            st.error(f"{listing.name} cannot be imported. {error}")
    if listing is not None and proposed is not None:
        st.caption("Columns read: " + "; ".join(f"{field} ← {column}" for field, column in proposed.columns.items()))
        scoring = st.multiselect("The county's own scoring columns", columns, default=list(proposed.criteria.values()),
                                 key="upload_candidates_criteria")  # fmt: skip
        kind = st.segmented_control("Kind of a row that does not say", ["capital", "maintenance"], default="capital",
                                    key="upload_candidates_kind")  # fmt: skip
        if st.button("Import the candidates", key="upload_candidates_import", type="primary"):
            options = CandidateOptions(criteria=tuple(scoring), default_kind=kind or "capital")
            try:
                st.session_state["upload_candidates_report"] = import_candidates(
                    ui.engine(),
                    listing.getvalue(),
                    listing.name,
                    user=ui.current_user(),
                    role=ui.role(),
                    options=options,
                )
            except VocError as error:
                st.error(f"{listing.name} was refused and nothing was written. {error}")
    if "upload_candidates_report" in st.session_state:
        ui.import_report(st.session_state["upload_candidates_report"], "upload_candidates")

with history:
    past = ui.uploads()
    if past.empty:
        st.info("No uploads yet.")
    else:
        st.dataframe(past, hide_index=True, key="upload_history")
        committed = past[past["status"] == "committed"].set_index("id")
        choice = st.selectbox(
            "Undo an upload",
            committed.index.tolist(),
            format_func=lambda upload_id: f"{upload_id}: {committed.loc[upload_id, 'file_name']}",
            index=None,
            key="upload_undo_choice",
        )
        sure = st.checkbox("Yes, put the store back as it was before this upload", key="upload_undo_confirm")
        if st.button("Undo", key="upload_undo", disabled=choice is None or not sure):
            try:
                result = undo(ui.engine(), int(choice), user=ui.current_user(), role=ui.role())
                st.success(f"Undid upload {choice}: removed {result.deleted:,} contacts, restored {result.restored:,}.")
            except VocError as error:
                st.error(str(error))
