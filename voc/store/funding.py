"""A saved scenario's funding rules: the budget (and any per fund or year), and the candidates mandated or excluded."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class ScenarioFunding(SQLModel, table=True):
    """The funding rules saved with a weight scenario (weight_scenarios.name): a meeting pack rebuilds its line."""

    __tablename__ = "scenario_funding"

    scenario: str = Field(primary_key=True, max_length=100)
    budget: float = Field(description="dollars")
    mandated: list[Any] = Field(sa_type=sa.JSON, description="candidate source ids funded whatever they score")
    excluded: list[Any] = Field(sa_type=sa.JSON, description="candidate source ids never funded")
    limits: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON, description='{"funds": {fund: dollars}, "years": {"2027": dollars}}'
    )


SCENARIO_FUNDING = ScenarioFunding.__table__
