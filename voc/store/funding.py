"""A saved scenario's funding rules: the budget, and the candidates mandated or excluded whatever they score."""

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


SCENARIO_FUNDING = ScenarioFunding.__table__
