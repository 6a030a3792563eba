"""the place and raw-type roll-ups: demand evidence and the request-type table read them instead of raw rows

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_place_counts",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=True),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "category", "district_code", "latitude", "longitude"),
    )
    # Self-contained SQL on purpose: later versions of voc's code must not change what this step does.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO monthly_place_counts (month, category, district_code, latitude, longitude, cell, contacts) "
            "SELECT opened_month, category, COALESCE(district_code, ''), latitude, longitude, MAX(h3_cell), COUNT(*) "
            "FROM service_requests "
            "WHERE category IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL "
            "GROUP BY opened_month, category, COALESCE(district_code, ''), latitude, longitude"
        )
    )

    op.create_table(
        "monthly_type_counts",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("request_type", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "request_type"),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO monthly_type_counts (month, request_type, contacts) "
            "SELECT opened_month, request_type, COUNT(*) FROM service_requests GROUP BY opened_month, request_type"
        )
    )


def downgrade() -> None:
    op.drop_table("monthly_type_counts")
    op.drop_table("monthly_place_counts")
