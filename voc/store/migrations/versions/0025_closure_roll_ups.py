"""the closure roll-ups: reopened, incidents, business days and post-closure ratings counted month by month

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 21:00:00.000000

Created empty: a month is counted on first use, under the county's closure rules (voc.store.closure_counts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = ("category", "department", "district_code", "contact_type")
LENGTHS = {"category": 200, "department": 200, "district_code": 40, "contact_type": 20}
COUNTS = (
    "contacts", "incidents", "closed", "closed_or_reopened", "reopened", "reopened_status", "reported_again",
    "acknowledged", "answers", "satisfied", "answers_reopened", "satisfied_reopened",
)  # fmt: skip


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def upgrade() -> None:
    op.create_table(
        "closure_months",
        _text("month", 7),
        _text("rules", 200),
        _text("reached", 7),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "monthly_closure",
        _text("month", 7),
        *(_text(d, LENGTHS[d]) for d in DIMENSIONS),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint("month", *DIMENSIONS),
    )
    op.create_table(
        "monthly_closure_times",
        _text("month", 7),
        *(_text(d, LENGTHS[d]) for d in DIMENSIONS),
        _text("measure", 40),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", *DIMENSIONS, "measure", "value"),
    )
    op.create_table(
        "monthly_reopened_places",
        _text("month", 7),
        _text("category", 200),
        _text("district_code", 40),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "category", "district_code", "latitude", "longitude"),
    )


def downgrade() -> None:
    op.drop_table("monthly_reopened_places")
    op.drop_table("monthly_closure_times")
    op.drop_table("monthly_closure")
    op.drop_table("closure_months")
