"""Actions the county took (process changes, procedures, information campaigns), to check their effect."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from voc.errors import VocError
from voc.models import Action, utc_now
from voc.store import record_audit, write_transaction

ACTIONS = Action.__table__
ACTION_COLUMNS = ["id", "action_date", "category", "district_code", "description", "recorded_by"]


def add_action(
    engine: sa.Engine, *, action_date: date, description: str, user: str, category: str | None = None,
    district_code: str | None = None,
) -> int:  # fmt: skip
    """Record an action and return its id; a blank description is refused."""
    description = description.strip()
    if not description:
        raise VocError("Describe the action in a few words (what changed, for whom).")
    with write_transaction(engine) as connection:
        action_id = connection.execute(
            sa.insert(ACTIONS)
            .values(
                action_date=action_date,
                category=category or None,
                district_code=district_code or None,
                description=description,
                recorded_by=user,
                recorded_at=utc_now(),
            )  # fmt: skip
            .returning(ACTIONS.c.id)
        ).scalar_one()
        record_audit(connection, user=user, action="add action", detail=f"action {action_id}")
    return action_id


def list_actions(engine: sa.Engine, *, category: str | None = None) -> pd.DataFrame:
    """Return recorded actions, newest first; with a category, those for it and county-wide ones."""
    query = sa.select(*(ACTIONS.c[name] for name in ACTION_COLUMNS)).order_by(ACTIONS.c.action_date.desc())
    if category:
        query = query.where(sa.or_(ACTIONS.c.category == category, ACTIONS.c.category.is_(None)))
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=ACTION_COLUMNS)
