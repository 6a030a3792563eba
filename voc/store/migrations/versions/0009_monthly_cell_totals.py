"""contacts per month and H3 cell, all dimensions summed, for maps without a dimension filter

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_cell_totals",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "cell"),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO monthly_cell_totals (month, cell, contacts) "
            "SELECT month, cell, SUM(contacts) FROM monthly_cell_counts GROUP BY month, cell"
        )
    )


def downgrade() -> None:
    op.drop_table("monthly_cell_totals")
