"""small areas (census tracts or block groups) with residents and median income, kept per upload

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "small_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("median_income", sa.Float(), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("small_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_small_areas_upload_id"), ["upload_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("small_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_small_areas_upload_id"))
    op.drop_table("small_areas")
