"""survey question dictionary, benchmarks, effective n and derived importance

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_questions",
        sa.Column("survey", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("picks_from", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("survey", "question"),
    )
    op.create_table(
        "survey_benchmarks",
        sa.Column("service_area", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("benchmark_share", sa.Float(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.PrimaryKeyConstraint("service_area"),
    )
    with op.batch_alter_table("survey_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("n_effective", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column("derived_importance", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey_results", schema=None) as batch_op:
        batch_op.drop_column("derived_importance")
        batch_op.drop_column("question")
        batch_op.drop_column("n_effective")
    op.drop_table("survey_benchmarks")
    op.drop_table("survey_questions")
