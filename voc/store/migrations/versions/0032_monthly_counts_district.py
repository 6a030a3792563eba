"""monthly_counts: an index by month, category and district, covering their contacts

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 07:00:00.000000

The emerging-issue report and the category forecasts sum the monthly roll-up by month, category and
district; its key puts department between category and district, so every sum sorted the table's
rows first (at 5,000,000 contacts 0.048 s of SQLite's 0.05 s, twice on a first visit of Trends).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_monthly_counts_district",
        "monthly_counts",
        ["month", "category", "district_code", "contacts"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_monthly_counts_district", table_name="monthly_counts")
