"""post-closure satisfaction: one rating per contact, from a survey of residents whose request was closed

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 15:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "closure_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["service_requests.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    with op.batch_alter_table("closure_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closure_ratings_upload_id"), ["upload_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("closure_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closure_ratings_upload_id"))
    op.drop_table("closure_ratings")
