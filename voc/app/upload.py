"""The Upload page's panels: a file's mapping preview and import, survey and session forms, the history."""

from __future__ import annotations

from typing import Any

import streamlit as st

from voc.app import columns, loaders, plain, show, widgets
from voc.app.actions import act, check_contacts, import_contacts, pull, refusals, regroup_themes, undo_upload
from voc.app.frame import settings
from voc.ingest.mapping import NOT_IMPORTED, column_roles, mapping_doubts
from voc.ingest.pipeline import ImportOptions, Preview
from voc.ingest.pull import FeedSpec
from voc.ingest.sessions import one_session, read_sessions, save_sessions
from voc.priorities.candidates import CandidateOptions, import_candidates, propose_mapping
from voc.priorities.candidates import mapping_table as candidate_mapping_table
from voc.survey.satisfaction import import_satisfaction
from voc.survey.store import import_survey

COUNTY_WIDE = "(county-wide)"


def _describe(plan: Preview) -> str:
    layout = f"Recognised layout: {plan.mapping.layout}. " if plan.mapping.layout else ""
    remembered = f"Mapping remembered from profile {plan.profile}. " if plan.profile else ""
    return (
        f"{layout}{remembered}{len(plan.raw.frame):,} rows under the header on row {plan.raw.header_row}. "
        "Check each field's column; change any that is wrong, then import."
    )


def contacts_file(file: Any) -> None:
    """Preview an uploaded CRM export's mapping, let the analyst correct it, import it and show the report.

    Its widgets' keys start `upload_<digest>` (widgets.file_key), so each file keeps its own choices.
    """
    data = file.getvalue()
    key = widgets.file_key(data)
    plain.show(file.name, kind="heading")
    overrides = st.session_state.get(f"{key}_overrides", {})
    plan = None
    with refusals(f"{file.name} cannot be imported."):
        plan = loaders.upload_preview(data, file.name, sheet=st.session_state.get(f"{key}_sheet"), overrides=overrides)
    if plan is None:
        return
    if len(plan.raw.sheets) > 1:
        st.selectbox("Sheet", plan.raw.sheets, index=plan.raw.sheets.index(plan.raw.sheet), key=f"{key}_sheet")
    plain.show(_describe(plan), kind="caption")
    for doubt in mapping_doubts(plan.mapping):
        plain.show(doubt, kind="warning")
    # The editor shows what each mapped column becomes and why; the rest of the file is named once here.
    roles = column_roles(plan.mapping, list(plan.raw.frame.columns))
    unused = roles.loc[roles["becomes"] == NOT_IMPORTED, "column"].astype(str).tolist()
    if unused:
        plain.show(f"Not imported ({len(unused)} columns): {', '.join(unused)}.", kind="caption")
    changes = widgets.mapping_editor(plan, f"{key}_mapping")
    if changes:
        st.session_state[f"{key}_overrides"] = {**overrides, **changes}
        st.rerun()
    with st.expander("First rows of the file"):
        show.table(plan.raw.frame.head(8).astype(str), name="first-rows", key=f"{key}_first_rows", downloads=False)
    options = ImportOptions(sheet=plan.raw.sheet, overrides=overrides)
    missing = bool(plan.mapping.missing_required())
    check = None if missing else check_contacts(data, file.name, options)
    confirmed = show.county_check(check, key) if check else not missing
    if st.button("Import", key=f"{key}_import", type="primary", disabled=not confirmed):
        bar = st.progress(0.0, text="Starting")
        report = import_contacts(data, file.name, options, lambda stage, fraction: bar.progress(fraction, text=stage))
        if report is not None:
            st.session_state[f"{key}_report"] = report
    if f"{key}_report" in st.session_state:
        show.import_report(st.session_state[f"{key}_report"], key)


def survey_import() -> None:
    """Offer a survey file and its optional question dictionary to import, and show the last import's report."""
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
        report = act(
            import_survey, survey_file.getvalue(), survey_file.name,
            refused=f"{survey_file.name} was refused and nothing was written.",
            dictionary=dictionary.getvalue() if dictionary else None,
            dictionary_name=dictionary.name if dictionary else "", survey=survey_name or None,
            wave=wave.strip() or None, year=int(year) if year else None,
        )  # fmt: skip
        if report is not None:
            st.session_state["upload_survey_report"] = report
    if "upload_survey_report" in st.session_state:
        show.survey_import_report(st.session_state["upload_survey_report"], "upload_survey")


def satisfaction_import() -> None:
    """Offer a post-closure survey file to import, joined to the stored contacts, and show the last import's report."""
    answers = st.file_uploader("Post-closure survey file", type=["csv", "xlsx", "xls", "ods", "txt"],
                               key="upload_satisfaction_file")  # fmt: skip
    source_box, scale_box = st.columns(2)
    source = source_box.text_input("Source system (blank: any)", key="upload_satisfaction_source")
    scale_max = scale_box.number_input("Best score (blank: 5, or the file's top)", min_value=2, max_value=100,
                                       value=None, key="upload_satisfaction_scale")  # fmt: skip
    if st.button("Import the answers", key="upload_satisfaction_import", type="primary", disabled=answers is None):
        report = act(
            import_satisfaction, answers.getvalue(), answers.name,
            refused=f"{answers.name} was refused and nothing was written.", source=source.strip() or None,
            scale_max=int(scale_max) if scale_max else None,
        )  # fmt: skip
        if report is not None:
            st.session_state["upload_satisfaction_report"] = report
    if "upload_satisfaction_report" in st.session_state:
        report = st.session_state["upload_satisfaction_report"]
        plain.show(report.message, kind="success" if report.upload_id else "info")
        if len(report.left_out):
            show.table(report.left_out, name="satisfaction-left-out", key="upload_satisfaction_left_out",
                       column_config=columns.SATISFACTION_LEFT_OUT)  # fmt: skip


def session_form() -> None:
    """Offer a form recording one stakeholder session as contacts of the channel *stakeholder session*."""
    districts, categories = loaders.district_and_category_choices()
    with st.form("upload_session_form", clear_on_submit=True):
        day = st.date_input("Date of the session", key="upload_session_date")
        district = st.selectbox("District", [COUNTY_WIDE, *districts], key="upload_session_district")
        if categories:
            category = st.selectbox("Category", categories, key="upload_session_category", accept_new_options=True)
        else:
            category = st.text_input("Category", key="upload_session_category")
        summary = st.text_area("What was raised", key="upload_session_summary")
        raised = st.number_input("How many residents raised it", min_value=1, value=1, key="upload_session_raised")
        if st.form_submit_button("Record the session", type="primary"):
            session = one_session(
                day=day, district=None if district == COUNTY_WIDE else district,
                category=category or "", summary=summary.strip(), raised=int(raised),
            )  # fmt: skip
            if act(save_sessions, session, timezone=settings().timezone, file_name="session form",
                   done=lambda saved: f"Recorded as upload {saved.upload_id}: {saved.contacts} contacts."):  # fmt: skip
                regroup_themes()  # what residents raised joins the themes


def session_sheet() -> None:
    """Offer a sheet of stakeholder sessions to import."""
    sheet = st.file_uploader(
        "Or upload a sheet of sessions (columns: date, district, category, summary, raised)",
        type=["xlsx", "csv"],
        key="upload_sessions_file",
    )
    if sheet is not None and st.button("Import the sessions", key="upload_sessions_import"):
        with refusals():
            sessions = read_sessions(sheet.getvalue(), sheet.name)
            if act(
                save_sessions, sessions, timezone=settings().timezone, file_name=sheet.name, data=sheet.getvalue(),
                done=lambda saved: f"Imported {saved.sessions} sessions as upload {saved.upload_id}: "
                f"{saved.contacts} contacts.",
            ):  # fmt: skip
                regroup_themes()


def candidates_import() -> None:
    """Offer a list of candidate projects, with the columns read and the scoring columns to choose, to import."""
    listing = st.file_uploader(
        "Candidate list (xlsx, xlsm, xls, ods, csv or txt)", type=["xlsx", "xlsm", "xls", "ods", "csv", "txt"],
        key="upload_candidates_file",
    )  # fmt: skip
    proposed = None
    if listing is not None:
        with refusals(f"{listing.name} cannot be imported."):
            file_columns, proposed = propose_mapping(listing.getvalue(), listing.name, CandidateOptions())
    if listing is not None and proposed is not None:
        st.markdown("**What voc will read from the list, and why** (nothing is written until you import)")
        show.table(
            candidate_mapping_table(proposed),
            name="candidate-mapping",
            key="upload_candidates_mapping",
            downloads=False,
        )
        scoring = st.multiselect(
            "The county's own scoring columns", file_columns, default=list(proposed.criteria.values()),
            key="upload_candidates_criteria",
        )  # fmt: skip
        kind = st.segmented_control("Kind of a row that does not say", ["capital", "maintenance"], default="capital",
                                    key="upload_candidates_kind")  # fmt: skip
        if st.button("Import the candidates", key="upload_candidates_import", type="primary"):
            options = CandidateOptions(criteria=tuple(scoring), default_kind=kind or "capital")
            report = act(import_candidates, listing.getvalue(), listing.name, options=options,
                         refused=f"{listing.name} was refused and nothing was written.")  # fmt: skip
            if report is not None:
                st.session_state["upload_candidates_report"] = report
    if "upload_candidates_report" in st.session_state:
        show.import_report(st.session_state["upload_candidates_report"], "upload_candidates")


def upload_history() -> None:
    """Show the upload history and offer to undo a committed upload, once confirmed."""
    past = loaders.uploads()
    if past.empty:
        st.info("No uploads yet.")
        return
    show.table(past, name="uploads", key="upload_history")
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
        undo_upload(int(choice))


FEED_APIS = {"socrata": "Socrata (SODA 2)", "arcgis": "ArcGIS layer", "open311": "Open311 GeoReport v2"}


def feeds_panel() -> None:
    """List the saved feeds and pull one now; or pull a new portal's address, which saves it as a feed."""
    saved = loaders.feeds()
    if saved.empty:
        st.info("No saved feeds yet: pull a portal's address below, and it is remembered here.")
    else:
        show.table(saved, name="feeds", key="upload_feeds", downloads=False)
        name = st.selectbox("Feed", saved["name"].tolist(), key="upload_feed_choice")
        if st.button("Pull now", key="upload_feed_pull", type="primary"):
            row = saved.set_index("name").loc[name]
            _pull_and_report(FeedSpec(api=row["api"], url=row["url"], source=name))
    with st.expander("Pull a new feed", expanded=saved.empty):
        api = st.selectbox("API", list(FEED_APIS), format_func=FEED_APIS.get, key="upload_feed_api")
        url = st.text_input("Address (the API's URL)", key="upload_feed_url")
        source = st.text_input("Name (blank: the layout recognised, else the portal's host)", key="upload_feed_name")
        where = st.text_input("Filter (SoQL for Socrata, SQL for ArcGIS; blank: every record)", key="upload_feed_where")
        if st.button("Pull", key="upload_feed_new", disabled=not url.strip()):
            _pull_and_report(FeedSpec(api=api, url=url.strip(), source=source.strip() or None,
                                      where=where.strip() or None))  # fmt: skip
    if "upload_feed_report" in st.session_state:
        report = st.session_state["upload_feed_report"]
        plain.show(report.message, kind="caption")
        if report.imported is not None:
            show.import_report(report.imported, "upload_feed")


def _pull_and_report(spec: FeedSpec) -> None:
    bar = st.progress(0.0, text="Fetching")
    report = pull(spec, lambda stage, fraction: bar.progress(fraction, text=stage))
    if report is not None:
        st.session_state["upload_feed_report"] = report
        st.rerun()  # so the list above shows the feed as it is now
