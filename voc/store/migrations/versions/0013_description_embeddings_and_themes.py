"""description vectors, themes and the monthly theme roll-up

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import voc.store.models

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "description_embeddings",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("text_hash", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["service_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_table(
        "themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("example_ids", sa.JSON(), nullable=False),
        sa.Column("built_at", voc.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "monthly_theme_counts",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("theme", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "theme", "category", "district_code"),
    )


def downgrade() -> None:
    op.drop_table("monthly_theme_counts")
    op.drop_table("themes")
    op.drop_table("description_embeddings")
