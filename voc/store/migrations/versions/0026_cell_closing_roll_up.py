"""the closing roll-up of located contacts: the equity view reads it instead of twelve months of raw rows

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_cell_closing",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "cell", "steps"),
    )
    # Self-contained SQL on purpose: later versions of voc's code must not change what this step does.
    # Steps are quarter days to close, -1 for a contact not closed.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO monthly_cell_closing (month, cell, steps, contacts) "
            "SELECT opened_month, h3_cell, COALESCE(CAST(ROUND(days_to_close * 4) AS INTEGER), -1) AS steps, COUNT(*) "
            "FROM service_requests WHERE h3_cell IS NOT NULL "
            "GROUP BY opened_month, h3_cell, COALESCE(CAST(ROUND(days_to_close * 4) AS INTEGER), -1)"
        )
    )


def downgrade() -> None:
    op.drop_table("monthly_cell_closing")
