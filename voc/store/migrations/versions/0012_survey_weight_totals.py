"""survey results keep the sum of their respondents' weights, so a district's rest of the county is weighted right

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 05:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_results") as batch:
        batch.add_column(sa.Column("weight_total", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey_results") as batch:
        batch.drop_column("weight_total")
