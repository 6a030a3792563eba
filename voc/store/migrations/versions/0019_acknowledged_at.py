"""when each contact was acknowledged (assigned, first answered), where the export says so

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import voc.store.models

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acknowledged_at", voc.store.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_at")
