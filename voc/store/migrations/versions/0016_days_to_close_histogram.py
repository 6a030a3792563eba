"""the days-to-close histogram that service performance reads instead of raw rows

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (end of a run of buckets, their width) in days: each width is at most a quarter day or 2% of the
# run's start, and each end is a multiple of its width. Nothing closes after the last end (a million
# days): pandas timestamps, which every import passes through, span fewer.
_RUNS = [(25.0, 0.25), (50.0, 0.5), (100.0, 1.0)] + [
    (end * 10**power, width * 10**power)
    for power in range(4)
    for end, width in ((250.0, 2.0), (500.0, 5.0), (1000.0, 10.0))
]


def bucket_edges() -> list[tuple[int, float, float]]:
    """Return (bucket, lower, upper) of every bucket; bucket 0 is the single value 0."""
    edges = [(0, 0.0, 0.0)]
    start = 0.0
    for end, width in _RUNS:
        for step in range(1, round((end - start) / width) + 1):
            edges.append((len(edges), edges[-1][2], start + step * width))
        start = end
    return edges


def upgrade() -> None:
    buckets = op.create_table(
        "closing_day_buckets",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
        sa.UniqueConstraint("upper"),
    )
    op.bulk_insert(buckets, [{"bucket": b, "lower": low, "upper": high} for b, low, high in bucket_edges()])
    op.create_table(
        "monthly_closing_days",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("contact_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("quick_closes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "category", "department", "district_code", "contact_type", "bucket"),
    )
    _backfill()


def _backfill() -> None:
    """Count the stored closed contacts by month, dimension and bucket.

    Self-contained SQL on purpose: later versions of voc's code must not change what this step does.
    A quick close is one within five minutes whose closing time was given (not a day only).
    """
    dimensions = ", ".join(
        f"COALESCE({name}, '') AS {name}" for name in ("category", "department", "district_code", "contact_type")
    )
    keys = "month, category, department, district_code, contact_type, bucket"
    op.get_bind().execute(
        sa.text(
            f"INSERT INTO monthly_closing_days ({keys}, closed, quick_closes) "
            f"SELECT {keys}, COUNT(*), SUM(quick) FROM ("
            f"SELECT opened_month AS month, {dimensions}, "
            "(SELECT bucket FROM closing_day_buckets WHERE upper >= days_to_close ORDER BY upper LIMIT 1) AS bucket, "
            "CASE WHEN days_to_close < :quick AND COALESCE(closed_date_only, :false) = :false THEN 1 ELSE 0 END "
            "AS quick FROM service_requests WHERE days_to_close IS NOT NULL) AS closes "
            f"GROUP BY {keys}"
        ),
        {"quick": 5 / 1440, "false": False},
    )


def downgrade() -> None:
    op.drop_table("monthly_closing_days")
    op.drop_table("closing_day_buckets")
