"""Emerging issues with their triage (state, action, effect), the analysts' triage form, and watches."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from voc.app import columns, loaders, plain, show
from voc.app.actions import act
from voc.app.frame import role
from voc.contacts.questions import MIN_MONTHLY
from voc.contacts.triage import acknowledge, act_on_issue
from voc.contacts.watches import SavedWatch, add_watch, remove_watch
from voc.core.access import Role, allows
from voc.core.periods import month_label
from voc.store.triage import ACTED, DISMISSED, NEW, SEEN, SETTABLE

NEW_ACTION = "(a new action, described below)"
_SHOWN: dict[str, tuple[plain.Kind, str]] = {
    NEW: ("warning", "New"),
    SEEN: ("info", "Seen"),
    ACTED: ("success", "Acted on"),
}


def emerging_panel(month: str, *, page: str, limit: int = 5) -> None:
    """Show the emerging issues of a month, one sentence each with its state, an acted one with its action's
    measured effect, dismissed ones last in a line each; analysts get the form that sets a state."""
    listing = st.container()
    if allows(role(), Role.ANALYST):
        # Laid out below the issues but run first, so that a state set here shows in the list at once.
        triage_form(loaders.emerging(month), month=month, page=page)
    issues = loaders.emerging(month)
    with listing:
        if issues.empty:
            st.success(
                f"Nothing unusual in {month_label(month)}: every series is within what its own seasonal history "
                "predicts."
            )
            return
        open_issues = issues[issues["state"] != DISMISSED]
        for issue in open_issues.head(limit).itertuples():
            _issue(issue)
        if len(open_issues) > limit:
            st.caption(f"{len(open_issues) - limit} more on the Trends page.")
        for issue in issues[issues["state"] == DISMISSED].itertuples():
            plain.show(f"Dismissed by {issue.set_by}: {issue.sentence} Reason: {issue.reason}", kind="caption")


def _issue(issue: Any) -> None:
    kind, state = _SHOWN[issue.state]
    lines = [f"{state} · {issue.sentence}"]
    if issue.state == ACTED:
        lines += [f"Action: {issue.action}", f"Effect so far: {issue.effect}"]
    plain.show("\n".join(lines), kind=kind)


def triage_form(issues: pd.DataFrame, *, month: str, page: str) -> None:
    """Offer to mark an issue seen, acted on (an action of the log, or a new one) or dismissed with a reason."""
    if issues.empty:
        return
    with st.expander("Set an issue's state"):
        _state_form(issues, month=month, page=page)
        history = loaders.issue_history(tuple(issues["issue_id"]))
        if len(history):
            st.caption("Every change of these issues' states, newest first")
            columns_shown = ["issue_id", "state", "action_id", "reason", "set_by", "set_at"]
            show.table(history[columns_shown], name=f"issue-states-{month}", key=f"{page}_triage_history")


def _state_form(issues: pd.DataFrame, *, month: str, page: str) -> None:
    with st.form(f"{page}_triage", clear_on_submit=True):
        labels = dict(zip(issues["issue_id"], issues["category"] + " (" + issues["state"] + ")", strict=True))
        issue_id = st.selectbox("Issue", list(labels), format_func=labels.get, key=f"{page}_triage_issue")
        state = st.radio("State", SETTABLE, horizontal=True, key=f"{page}_triage_state")
        recorded = loaders.actions()
        actions = dict(zip(recorded["id"], recorded["description"], strict=True))
        action = st.selectbox(
            "Action (when acted on)", [NEW_ACTION, *actions], key=f"{page}_triage_action",
            format_func=lambda chosen: chosen if chosen == NEW_ACTION else f"{chosen}: {actions[chosen]}",
        )  # fmt: skip
        left, right = st.columns([1, 3])
        when = left.date_input("New action's date", value=date.today(), key=f"{page}_triage_date")
        description = right.text_input("New action: what changed", key=f"{page}_triage_description")
        reason = st.text_input("Reason (needed to dismiss)", key=f"{page}_triage_reason")
        if st.form_submit_button("Save the state", type="primary"):
            if state == ACTED and action == NEW_ACTION:
                act(act_on_issue, issue_id, month=month, description=description, action_date=when,
                    done=lambda action_id: f"Recorded action {action_id}; the issue is acted on.")  # fmt: skip
            else:
                act(acknowledge, issue_id, state, month=month, reason=reason,
                    action_id=int(action) if state == ACTED else None, done=f"The issue is now {state}.")  # fmt: skip


def questions_panel(month: str) -> None:
    """Show the questions worth a published answer (voc.contacts.questions), costliest topic first."""
    found = loaders.information_opportunities(month)
    if found.empty:
        st.info(f"No topic's questions rose or stayed high in the year to {month_label(month)}.")
        return
    # Blank, not "None", where no information action is logged yet.
    shown = found.fillna({"action": "", "effect": ""})
    show.table(
        shown, name=f"information-opportunities-{month}", key="trends_questions",
        column_config=columns.QUESTIONS_TO_ANSWER,
    )  # fmt: skip
    st.caption(
        "Questions (contacts of type question) that rise above what their own seasons predict, or cost at least "
        f"{MIN_MONTHLY:.0f} contacts a month county-wide: a web page, an FAQ or a mailer could answer them first. "
        "Record it as an action on the topic's category and its effect on these questions shows here."
    )


def watches_panel() -> None:
    """Show the saved watches and offer to add or remove one (analysts; the Data page)."""
    listing = st.container()
    choices = loaders.choices()
    with st.form("data_watch_form", clear_on_submit=True):
        name = st.text_input("Name", key="data_watch_name")
        departments = st.multiselect("Departments", choices["department"], key="data_watch_departments")
        categories = st.multiselect("Categories", choices["category"], key="data_watch_categories")
        districts = st.multiselect("Districts", choices["district_code"], key="data_watch_districts")
        recipients = st.text_input("Recipients (addresses, separated by commas)", key="data_watch_recipients")
        if st.form_submit_button("Save the watch", type="primary"):
            watch = SavedWatch(name, tuple(departments), tuple(categories), tuple(districts),
                               tuple(recipients.split(",")))  # fmt: skip
            act(add_watch, watch, done=f"Saved the watch {name.strip()}.")
    if loaders.watches():
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        gone = left.selectbox("Remove a watch", [w.name for w in loaders.watches()], key="data_watch_remove")
        if right.button("Remove", key="data_watch_remove_button"):
            act(remove_watch, gone, done=f"Removed the watch {gone}.")
    # Listed above the form but read after it, so that a watch saved or removed here shows at once.
    watches = loaders.watches()
    with listing:
        if not watches:
            st.info("No watches yet: add one below, then schedule `voc digest` (see the README).")
            return
        show.table(
            pd.DataFrame([{
                "name": w.name, "departments": ", ".join(w.departments), "categories": ", ".join(w.categories),
                "districts": ", ".join(w.districts), "recipients": ", ".join(w.recipients),
            } for w in watches]), name="watches", key="data_watches", column_config=columns.WATCHES,
        )  # fmt: skip
