"""candidate imports (status, unique source id, changes for undo), saved weight scenarios

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import voc.store.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_candidates_source_id"), ["source_id"], unique=True)
    op.create_table(
        "candidate_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("candidate_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_changes_upload_id"), ["upload_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidate_changes_candidate_id"), ["candidate_id"], unique=False)
    op.create_table(
        "weight_scenarios",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("saved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("saved_at", voc.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("weight_scenarios")
    with op.batch_alter_table("candidate_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_changes_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_changes_upload_id"))
    op.drop_table("candidate_changes")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_source_id"))
        batch_op.drop_column("status")
