"""emerging issues' triage, watches and sent digests

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import voc.store.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "alert_triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", TEXT(length=260), nullable=False),
        sa.Column("state", TEXT(length=20), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("category", TEXT(length=200), nullable=False),
        sa.Column("district_codes", sa.JSON(), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("month", TEXT(length=7), nullable=False),
        sa.Column("set_by", TEXT(length=200), nullable=False),
        sa.Column("set_at", voc.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_triage_issue_id", "alert_triage", ["issue_id"])
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", TEXT(length=100), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("created_by", TEXT(length=200), nullable=False),
        sa.Column("created_at", voc.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "digest_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch", TEXT(length=100), nullable=False),
        sa.Column("period", TEXT(length=8), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sent_by", TEXT(length=200), nullable=False),
        sa.Column("sent_at", voc.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_digest_sends_watch_period", "digest_sends", ["watch", "period"])


def downgrade() -> None:
    op.drop_index("ix_digest_sends_watch_period", table_name="digest_sends")
    op.drop_table("digest_sends")
    op.drop_table("watches")
    op.drop_index("ix_alert_triage_issue_id", table_name="alert_triage")
    op.drop_table("alert_triage")
