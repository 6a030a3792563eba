"""monthly_closure_category_times: the closure times summed per month and category, for county-wide views

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 00:30:00.000000

Trends' service performance summed monthly_closure_times over department, district and contact type
on every first view: at 5,000,000 contacts 160,000 rows for two years, most of the page's time in the
store. The months counted so far are summed into the new table here, so none has to be counted again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_closure_category_times",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "category", "measure", "value"),
    )
    op.execute(
        "INSERT INTO monthly_closure_category_times (month, category, measure, value, contacts) "
        "SELECT month, category, measure, value, SUM(contacts) FROM monthly_closure_times "
        "GROUP BY month, category, measure, value"
    )


def downgrade() -> None:
    op.drop_table("monthly_closure_category_times")
