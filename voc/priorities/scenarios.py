"""Saved weight scenarios: a committee's named sets of criterion weights."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import NotFound, VocError
from voc.store.engine import record_audit, write_transaction
from voc.store.models import WeightScenario, utc_now

SCENARIOS = WeightScenario.__table__


def save_scenario(engine: sa.Engine, name: str, weights: Mapping[str, float], *, user: str, role: Role) -> None:
    """Save (or replace) a named set of weights; NotAllowed unless the role is analyst or admin."""
    require(role, Role.ANALYST, doing="save weight scenarios")
    name = name.strip()
    if not name or len(name) > 100:
        raise VocError("Give the scenario a name of 1 to 100 characters.")
    values = {"weights": {key: float(value) for key, value in weights.items()}, "saved_by": user,
              "saved_at": utc_now()}  # fmt: skip
    with write_transaction(engine) as connection:
        connection.execute(sa.delete(SCENARIOS).where(SCENARIOS.c.name == name))
        connection.execute(sa.insert(SCENARIOS).values(name=name, **values))
        record_audit(connection, user=user, action="save weights", detail=name)


def load_scenarios(engine: sa.Engine) -> dict[str, dict[str, float]]:
    """Return the saved weight scenarios by name, in name order."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(SCENARIOS.c.name, SCENARIOS.c.weights).order_by(SCENARIOS.c.name)).all()
    return {name: {key: float(value) for key, value in weights.items()} for name, weights in rows}


def delete_scenario(engine: sa.Engine, name: str, *, user: str, role: Role) -> None:
    """Delete a saved weight scenario; raise NotFound when there is none of that name, NotAllowed for a viewer."""
    require(role, Role.ANALYST, doing="save weight scenarios")
    with write_transaction(engine) as connection:
        if not connection.execute(sa.delete(SCENARIOS).where(SCENARIOS.c.name == name)).rowcount:
            raise NotFound(f"There is no saved scenario {name!r}.")
        record_audit(connection, user=user, action="delete weights", detail=name)
