"""description_themes, themes.centre and the build's grouped/placed_since: later builds place new texts on stored centres

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 21:10:00.000000

Every theme build regrouped every stored description: 7 s and 0.7 GB at 1,000,000 contacts, growing
with the store, after every upload. A build now places the descriptions written since on the stored
centres and keeps each contact's theme, so monthly_theme_counts becomes a roll-up the writers keep.
Every stored vector gets its row, without a theme yet. The themes stored before this migration have
no centres nor per-contact themes to keep that roll-up with: they are cleared and a build is asked
for, which groups every description once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "description_themes",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["description_embeddings.request_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id"),
    )
    unplaced = sa.text("theme IS NULL")
    op.create_index("ix_description_themes_unplaced", "description_themes", ["request_id"], unique=False,
                    sqlite_where=unplaced, postgresql_where=unplaced)  # fmt: skip
    op.execute("INSERT INTO description_themes (request_id, theme) SELECT request_id, NULL FROM description_embeddings")
    with op.batch_alter_table("themes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("centre", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("theme_builds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grouped", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("placed_since", sa.Integer(), nullable=False, server_default="0"))
    op.execute("DELETE FROM monthly_theme_counts")
    op.execute("DELETE FROM themes")
    op.execute("UPDATE theme_builds SET requested_version = built_version + 1 WHERE built_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("theme_builds", schema=None) as batch_op:
        batch_op.drop_column("placed_since")
        batch_op.drop_column("grouped")
    with op.batch_alter_table("themes", schema=None) as batch_op:
        batch_op.drop_column("centre")
    op.drop_index("ix_description_themes_unplaced", table_name="description_themes")
    op.drop_table("description_themes")
