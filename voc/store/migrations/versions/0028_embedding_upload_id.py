"""description_embeddings.upload_id: the request's upload_id when its vector's text was last checked

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 19:50:00.000000

A theme build checked every stored description for a stale vector by hashing its text: 4 s of a
10 s regrouping at 1,000,000 contacts, and O(store) on every import that regroups. A request written
since its vector was checked (an import's update, an undo putting an older version back) now carries
another upload_id, so the build hashes only those. Existing vectors start without one and are checked
once, by the first build after this migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("description_embeddings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upload_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("description_embeddings", schema=None) as batch_op:
        batch_op.drop_column("upload_id")
