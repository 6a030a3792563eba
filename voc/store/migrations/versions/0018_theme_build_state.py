"""the theme build's state: what the stored themes cover, what is asked for, which build runs

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import voc.store.models

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "theme_builds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_version", sa.Integer(), nullable=False),
        sa.Column("requested_at", voc.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("built_version", sa.Integer(), nullable=False),
        sa.Column("built_at", voc.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("running_version", sa.Integer(), nullable=True),
        sa.Column("running_since", voc.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("runner", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("failure", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # Themes built before this table existed say when they were built, like every later build.
    op.execute(
        "INSERT INTO theme_builds (id, requested_version, built_version, built_at) "
        "SELECT 1, 0, 0, MAX(built_at) FROM themes HAVING COUNT(*) > 0"
    )


def downgrade() -> None:
    op.drop_table("theme_builds")
