"""theme_builds.checked_upload and checked_model: a build checks for stale vectors only in rows written since the last

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 22:00:00.000000

A build looked for descriptions without a current vector in every stored request: 2 s or more at
5,000,000 contacts, on every build. Rows are written by uploads (whose ids only grow) and put back
by undo (which lowers the mark to the oldest upload it restored), so a build reads only the rows of
uploads after the mark. Stores start at 0: their first build checks every row once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("theme_builds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_upload", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("checked_model", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("theme_builds", schema=None) as batch_op:
        batch_op.drop_column("checked_model")
        batch_op.drop_column("checked_upload")
