"""Saved scenarios: a committee's named sets of criterion weights, each with its funding rules if it has any.

The funding rules (budget, mandated, excluded) belong to a scenario rather than to the candidates:
what is mandated or ruled out is the committee's decision for one meeting, and a meeting pack
rebuilds its funding line from the scenario alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import NotFound, VocError
from voc.priorities.funding import FundingRules
from voc.store.engine import record_audit, write_transaction
from voc.store.funding import SCENARIO_FUNDING
from voc.store.models import WeightScenario, utc_now

SCENARIOS = WeightScenario.__table__


def save_scenario(
    engine: sa.Engine, name: str, weights: Mapping[str, float], *, funding: FundingRules | None = None, user: str,
    role: Role,
) -> None:  # fmt: skip
    """Save (or replace) a named set of weights and its funding rules; NotAllowed unless analyst or admin."""
    require(role, Role.ANALYST, doing="save weight scenarios")
    name = name.strip()
    if not name or len(name) > 100:
        raise VocError("Give the scenario a name of 1 to 100 characters.")
    values = {"weights": {key: float(value) for key, value in weights.items()}, "saved_by": user,
              "saved_at": utc_now()}  # fmt: skip
    with write_transaction(engine) as connection:
        connection.execute(sa.delete(SCENARIOS).where(SCENARIOS.c.name == name))
        connection.execute(sa.delete(SCENARIO_FUNDING).where(SCENARIO_FUNDING.c.scenario == name))
        connection.execute(sa.insert(SCENARIOS).values(name=name, **values))
        if funding is not None:
            connection.execute(sa.insert(SCENARIO_FUNDING).values(
                scenario=name, budget=float(funding.budget), mandated=list(funding.mandated),
                excluded=list(funding.excluded), limits=_limits(funding)))  # fmt: skip
        record_audit(connection, user=user, action="save weights", detail=name)


def load_scenarios(engine: sa.Engine) -> dict[str, dict[str, float]]:
    """Return the saved weight scenarios by name, in name order."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(SCENARIOS.c.name, SCENARIOS.c.weights).order_by(SCENARIOS.c.name)).all()
    return {name: {key: float(value) for key, value in weights.items()} for name, weights in rows}


def load_funding(engine: sa.Engine) -> dict[str, FundingRules]:
    """Return the funding rules saved with scenarios, by scenario name (a scenario saved without a budget has none)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(SCENARIO_FUNDING)).all()
    return {row.scenario: _rules(row) for row in rows}


def _limits(funding: FundingRules) -> dict[str, dict[str, float]] | None:
    """The per-fund and per-year budgets as JSON ({"funds": {fund: $}, "years": {"2027": $}}), None without any."""
    if not funding.fund_budgets and not funding.year_budgets:
        return None
    return {"funds": {fund: float(money) for fund, money in funding.fund_budgets},
            "years": {str(year): float(money) for year, money in funding.year_budgets}}  # fmt: skip


def _rules(row: sa.Row) -> FundingRules:
    limits = row.limits or {}
    return FundingRules(
        row.budget, tuple(row.mandated), tuple(row.excluded),
        tuple((fund, float(money)) for fund, money in limits.get("funds", {}).items()),
        tuple((int(year), float(money)) for year, money in limits.get("years", {}).items()),
    )  # fmt: skip


def delete_scenario(engine: sa.Engine, name: str, *, user: str, role: Role) -> None:
    """Delete a saved weight scenario; raise NotFound when there is none of that name, NotAllowed for a viewer."""
    require(role, Role.ANALYST, doing="save weight scenarios")
    with write_transaction(engine) as connection:
        if not connection.execute(sa.delete(SCENARIOS).where(SCENARIOS.c.name == name)).rowcount:
            raise NotFound(f"There is no saved scenario {name!r}.")
        connection.execute(sa.delete(SCENARIO_FUNDING).where(SCENARIO_FUNDING.c.scenario == name))
        record_audit(connection, user=user, action="delete weights", detail=name)
