"""monthly roll-up of contacts by H3 cell for the Map page

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RESOLUTION = 8


def upgrade() -> None:
    op.create_table(
        "monthly_cell_counts",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("contact_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "cell", "category", "department", "district_code", "contact_type"),
    )
    _backfill()
    # The Map page reads the roll-up now: one index fewer to write for every imported contact.
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_service_requests_month_cell")


def _backfill() -> None:
    """Count the stored contacts by month and resolution-8 cell.

    Self-contained SQL on purpose: later versions of voc's code must not change what this step does.
    The parent cell keeps the index's mode and base bits, sets resolution 8 and fills finer digits with 7.
    """
    digits = (1 << (3 * (15 - _RESOLUTION))) - 1
    keep = ((1 << 63) - 1) & ~(0xF << 52) & ~digits
    fill = (_RESOLUTION << 52) | digits
    dimensions = ", ".join(
        f"COALESCE({name}, '')" for name in ("category", "department", "district_code", "contact_type")
    )
    cell = f"((h3_cell & {keep}) | {fill})"
    op.get_bind().execute(
        sa.text(
            "INSERT INTO monthly_cell_counts (month, cell, category, department, district_code, contact_type, "
            f"contacts) SELECT opened_month, {cell}, {dimensions}, COUNT(*) FROM service_requests "
            f"WHERE h3_cell IS NOT NULL GROUP BY opened_month, {cell}, {dimensions}"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index("ix_service_requests_month_cell", ["opened_month", "h3_cell"], unique=False)
    op.drop_table("monthly_cell_counts")
