"""candidates' fund and fiscal year, and per-fund and per-year budgets saved with scenarios

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("fund", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("fiscal_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("scenario_funding") as batch:
        batch.add_column(sa.Column("limits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scenario_funding") as batch:
        batch.drop_column("limits")
    with op.batch_alter_table("candidates") as batch:
        batch.drop_column("fiscal_year")
        batch.drop_column("fund")
