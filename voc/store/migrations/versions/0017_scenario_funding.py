"""funding rules saved with weight scenarios

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scenario_funding",
        sa.Column("scenario", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("budget", sa.Float(), nullable=False),
        sa.Column("mandated", sa.JSON(), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("scenario"),
    )


def downgrade() -> None:
    op.drop_table("scenario_funding")
