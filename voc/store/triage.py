"""The states of emerging issues: new until an analyst marks one seen, acted (on an action) or dismissed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import NotFound, VocError
from voc.store.engine import record_audit, write_transaction
from voc.store.models import Action, utc_now
from voc.store.proactive_tables import AlertTriage
from voc.store.query import read_frame

TRIAGE = AlertTriage.__table__
ACTIONS = Action.__table__
NEW, SEEN, ACTED, DISMISSED = "new", "seen", "acted", "dismissed"
# The states an analyst sets; every issue starts as NEW.
SETTABLE = (SEEN, ACTED, DISMISSED)
STATE_COLUMNS = [
    "issue_id", "state", "action_id", "reason", "category", "district_codes", "sentence", "month", "set_by", "set_at",
]  # fmt: skip


@dataclass(frozen=True)
class IssueRef:
    """An emerging issue as its state records it: its id and how it read then."""

    issue_id: str
    category: str
    district_codes: tuple[str, ...]
    sentence: str
    month: str


def set_issue_state(
    engine: sa.Engine, issue: IssueRef, state: str, *, user: str, role: Role, action_id: int | None = None,
    reason: str | None = None,
) -> None:  # fmt: skip
    """Record an issue's new state, audit-logged.

    acted needs the id of a recorded action; dismissed needs a reason; an action goes with acted only.
    A role below analyst is refused.
    """
    require(role, Role.ANALYST, doing="set the state of emerging issues")
    reason = (reason or "").strip() or None
    if state not in SETTABLE:
        raise VocError(f"{state!r} is not a state an issue can be given: use one of {', '.join(SETTABLE)}.")
    if state == ACTED and action_id is None:
        raise VocError("An issue acted on is linked to its action: give the action's id (see `voc action list`).")
    if state != ACTED and action_id is not None:
        raise VocError(f"Only an issue acted on is linked to an action; {state} takes no action.")
    if state == DISMISSED and reason is None:
        raise VocError("Say why the issue is dismissed (a reason), so that others can judge it.")
    with write_transaction(engine) as connection:
        if action_id is not None and connection.execute(
            sa.select(ACTIONS.c.id).where(ACTIONS.c.id == action_id)
        ).first() is None:  # fmt: skip
            raise NotFound(f"No action {action_id}: `voc action list` shows the recorded actions.")
        connection.execute(
            sa.insert(TRIAGE).values(
                issue_id=issue.issue_id,
                state=state,
                action_id=action_id,
                reason=reason,
                category=issue.category,
                district_codes=list(issue.district_codes),
                sentence=issue.sentence,
                month=issue.month,
                set_by=user,
                set_at=utc_now(),
            )  # fmt: skip
        )
        linked = f" (action {action_id})" if action_id is not None else ""
        record_audit(connection, user=user, action="set issue state", detail=f"{issue.issue_id}: {state}{linked}")


def issue_states(engine: sa.Engine | sa.Connection) -> pd.DataFrame:
    """Return each triaged issue's current state (columns STATE_COLUMNS), newest change first."""
    newest = sa.select(sa.func.max(TRIAGE.c.id)).group_by(TRIAGE.c.issue_id).scalar_subquery()
    query = sa.select(*(TRIAGE.c[name] for name in STATE_COLUMNS)).where(TRIAGE.c.id.in_(newest))
    return read_frame(engine, query.order_by(TRIAGE.c.id.desc()))


def state_history(engine: sa.Engine, issue_ids: Sequence[str]) -> pd.DataFrame:
    """Return every state the given issues were given, newest first (columns STATE_COLUMNS)."""
    query = sa.select(*(TRIAGE.c[name] for name in STATE_COLUMNS)).where(TRIAGE.c.issue_id.in_(list(issue_ids)))
    return read_frame(engine, query.order_by(TRIAGE.c.id.desc()))
