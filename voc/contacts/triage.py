"""Emerging issues with their triage: each one's state, the action taken on it and that action's measured effect."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from voc.contacts.actions import add_action, list_actions
from voc.contacts.trends import action_effects, emerging_report
from voc.core.access import Role
from voc.core.errors import NotFound
from voc.store.triage import ACTED, NEW, IssueRef, issue_states, set_issue_state

TRIAGE_COLUMNS = ["state", "action_id", "action", "effect", "reason", "set_by", "set_at"]


def with_states(engine: sa.Engine, issues: pd.DataFrame, *, last_month: str) -> pd.DataFrame:
    """Return the issues (voc.contacts.issues' frame) with TRIAGE_COLUMNS: state "new" until one is set.

    action is the linked action's description and effect its measured effect up to last_month (on
    the action's category, or the issue's when the action has none); both are blank unless acted.
    """
    states = _described(engine, issue_states(engine), last_month=last_month)
    merged = issues.merge(states[["issue_id", *TRIAGE_COLUMNS]], on="issue_id", how="left")
    merged["state"] = merged["state"].fillna(NEW)
    # None, not NaN, where no state was set: `voc alerts --json` must print valid JSON (null).
    blank = ["action", "effect", "reason", "set_by", "set_at"]
    merged[blank] = merged[blank].astype(object).where(merged[blank].notna(), None)
    ids = [None if pd.isna(value) else int(value) for value in merged["action_id"]]
    merged["action_id"] = pd.Series(ids, index=merged.index, dtype=object)
    return merged


def acted_issues(engine: sa.Engine, *, last_month: str) -> pd.DataFrame:
    """Return every issue now marked acted, newest first: how it read, its action and the effect so far."""
    states = issue_states(engine)
    return _described(engine, states[states["state"] == ACTED], last_month=last_month).reset_index(drop=True)


def _described(engine: sa.Engine, states: pd.DataFrame, *, last_month: str) -> pd.DataFrame:
    """Add each state's action description and that action's effect up to last_month."""
    actions = list_actions(engine).set_index("id")
    linked = states[states["action_id"].notna()]
    described = states.assign(action=None, effect=None)
    if linked.empty:
        return described
    chosen = actions.loc[linked["action_id"].astype(int)].reset_index()
    # An action for the whole county is judged on the series of the issue it answers.
    chosen["category"] = chosen["category"].fillna(pd.Series(linked["category"].to_numpy(), index=chosen.index))
    effects = action_effects(engine, chosen, last_month=last_month)
    described.loc[linked.index, "action"] = chosen["description"].to_numpy()
    described.loc[linked.index, "effect"] = effects["effect"].to_numpy()
    return described


def find_issue(engine: sa.Engine, issue_id: str, *, month: str) -> IssueRef:
    """Return an issue emerging in `month`, or one triaged before; NotFound lists the month's issues."""
    issues = emerging_report(engine, month=month).issues
    current = issues[issues["issue_id"] == issue_id]
    if len(current):
        issue = current.iloc[0]
        return IssueRef(issue_id, issue["category"], tuple(issue["district_codes"]), issue["sentence"], month)
    states = issue_states(engine)
    earlier = states[states["issue_id"] == issue_id]
    if len(earlier):
        issue = earlier.iloc[0]
        return IssueRef(issue_id, issue["category"], tuple(issue["district_codes"]), issue["sentence"], issue["month"])
    listed = ", ".join(issues["issue_id"]) or "none"
    raise NotFound(f"No emerging issue {issue_id!r} in {month} nor triaged before. The month's issues: {listed}.")


def acknowledge(
    engine: sa.Engine, issue_id: str, state: str, *, month: str, user: str, role: Role, action_id: int | None = None,
    reason: str | None = None,
) -> IssueRef:  # fmt: skip
    """Set the state of the issue `issue_id` (see find_issue and voc.store.triage.set_issue_state)."""
    issue = find_issue(engine, issue_id, month=month)
    set_issue_state(engine, issue, state, user=user, role=role, action_id=action_id, reason=reason)
    return issue


def act_on_issue(
    engine: sa.Engine, issue_id: str, *, month: str, description: str, action_date: date, user: str, role: Role
) -> int:
    """Record a new action on an issue's category (and its district, when one drives it) and mark the issue acted.

    Returns the action's id; its effect is measured from the action's month on.
    """
    issue = find_issue(engine, issue_id, month=month)
    district = issue.district_codes[0] if len(issue.district_codes) == 1 else None
    action_id = add_action(
        engine, action_date=action_date, description=description, user=user, role=role, category=issue.category,
        district_code=district,
    )  # fmt: skip
    set_issue_state(engine, issue, ACTED, user=user, role=role, action_id=action_id)
    return action_id
