"""SQLModel tables of the store. Alembic migrations (voc/migrations) own the schema built from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as UTC and read back timezone-aware, the same way on SQLite and PostgreSQL.

    Naive values are refused: a spreadsheet time must first be placed in the county's zone.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class District(SQLModel, table=True):
    __tablename__ = "districts"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    population: int | None = None
    geometry: str | None = Field(default=None, sa_type=sa.Text, description="GeoJSON, WGS84")
    display_geometry: str | None = Field(default=None, sa_type=sa.Text)


class Upload(SQLModel, table=True):
    __tablename__ = "uploads"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30, description="requests, survey, candidates, districts, demo")
    file_name: str = Field(max_length=500)
    sha256: str = Field(max_length=64, index=True)
    source: str = Field(default="", max_length=100)
    sheet: str | None = Field(default=None, max_length=200)
    uploaded_by: str = Field(default="", max_length=200)
    uploaded_at: datetime = _timestamp()
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    mapping: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    status: str = Field(default="committed", max_length=20, description="committed or undone")
    undone_at: datetime | None = _timestamp(nullable=True)
    undone_by: str | None = Field(default=None, max_length=200)


class ServiceRequest(SQLModel, table=True):
    __tablename__ = "service_requests"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", name="uq_service_requests_source_record"),
        sa.Index("ix_service_requests_month_category", "opened_month", "category"),
        sa.Index("ix_service_requests_month_days", "opened_month", "days_to_close"),
        # The drill-down's newest contacts of a month: read in order, not all of the month sorted.
        sa.Index("ix_service_requests_month_opened", "opened_month", "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    source_id: str = Field(max_length=100)
    upload_id: int | None = Field(default=None, foreign_key="uploads.id", index=True)
    opened_at: datetime = _timestamp(index=True)
    closed_at: datetime | None = _timestamp(nullable=True)
    closed_date_only: bool | None = Field(
        default=None,
        description="True when the export gave the closing day without a time (closed_at is its local midnight)",
    )
    acknowledged_at: datetime | None = _timestamp(nullable=True)
    opened_month: str = Field(max_length=7, description="YYYY-MM in the county's timezone")
    opened_week: str | None = Field(
        default=None, max_length=10, index=True, description="the local Monday starting its week, YYYY-MM-DD"
    )
    days_to_close: float | None = None
    request_type: str = Field(default="", max_length=300)
    category: str | None = Field(default=None, max_length=200)
    subcategory: str | None = Field(default=None, max_length=300)
    department: str | None = Field(default=None, max_length=200)
    contact_type: str | None = Field(default=None, max_length=20)
    channel: str | None = Field(default=None, max_length=40)
    status: str | None = Field(default=None, max_length=100)
    # Not indexed: every query of raw contacts by district also names months (the month indexes serve it).
    district_code: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    zip_code: str | None = Field(default=None, max_length=20)
    latitude: float | None = None
    longitude: float | None = None
    h3_cell: int | None = Field(
        default=None,
        sa_type=sa.BigInteger,
        description="the H3 cell (voc.store.cells) holding the point",
    )
    location_flag: str | None = Field(
        default=None, max_length=20, description="outside_districts, district_mismatch, or None: see voc.ingest.locate"
    )
    description: str | None = Field(default=None, sa_type=sa.Text)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=60)
    contact_email: str | None = Field(default=None, max_length=200)
    row_hash: str = Field(default="", max_length=32)


class RequestChange(SQLModel, table=True):
    """What an upload did to one service request, so that the upload can be undone exactly."""

    __tablename__ = "request_changes"

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(foreign_key="uploads.id", index=True)
    request_id: int = Field(index=True)
    change: str = Field(max_length=10, description="update (inserted rows carry the upload's id)")
    previous_upload_id: int | None = Field(default=None, index=True)
    previous: dict[str, Any] = Field(sa_type=sa.JSON)


class RejectedRow(SQLModel, table=True):
    __tablename__ = "rejected_rows"

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(foreign_key="uploads.id", index=True)
    row_number: int = Field(description="the row's number in the spreadsheet, header included")
    column: str = Field(default="", max_length=300)
    message: str = Field(sa_type=sa.Text)
    raw: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class RollupDimensions(SQLModel):
    """The dimensions both roll-ups are keyed by, after their period; empty strings stand for unknown."""

    category: str = Field(primary_key=True, max_length=200)
    department: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    channel: str = Field(primary_key=True, max_length=40)
    contact_type: str = Field(primary_key=True, max_length=20)
    contacts: int = 0


class MonthlyCount(RollupDimensions, table=True):
    """The monthly roll-up the pages chart from (summed by category and district in order: migration 0032)."""

    __tablename__ = "monthly_counts"
    __table_args__ = (sa.Index("ix_monthly_counts_district", "month", "category", "district_code", "contacts"),)

    month: str = Field(primary_key=True, max_length=7)
    closed: int = 0
    days_to_close_sum: float = 0.0


class WeeklyCount(RollupDimensions, table=True):
    """The weekly roll-up; `week` is the local Monday, YYYY-MM-DD."""

    __tablename__ = "weekly_counts"

    week: str = Field(primary_key=True, max_length=10)


class MonthlyCellCount(SQLModel, table=True):
    """The Map page's roll-up: contacts per month and H3 cell (voc.store.cells.ROLLUP_CELL_RESOLUTION), by dimension.

    Channel is left out (the map does not filter by it), which keeps the table a fraction of the
    contacts it counts; empty strings stand for unknown.
    """

    __tablename__ = "monthly_cell_counts"

    month: str = Field(primary_key=True, max_length=7)
    cell: int = Field(primary_key=True, sa_type=sa.BigInteger)
    category: str = Field(primary_key=True, max_length=200)
    department: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    contact_type: str = Field(primary_key=True, max_length=20)
    contacts: int = 0


class MonthlyCellTotal(SQLModel, table=True):
    """Contacts per month and H3 cell, all dimensions summed: the hexagons of a map with no dimension filter.

    Bounded by cells x months whatever the number of contacts, where MonthlyCellCount grows with them.
    """

    __tablename__ = "monthly_cell_totals"

    month: str = Field(primary_key=True, max_length=7)
    cell: int = Field(primary_key=True, sa_type=sa.BigInteger)
    contacts: int = 0


class CategoryTarget(SQLModel, table=True):
    """The service-level target of a category: the share closed within `target_days` is reported."""

    __tablename__ = "category_targets"

    category: str = Field(primary_key=True, max_length=200)
    target_days: float


class RequestType(SQLModel, table=True):
    """How a raw request type of a CRM maps onto the county's category, department and type."""

    __tablename__ = "request_types"

    raw_type: str = Field(primary_key=True, max_length=300)
    category: str = Field(max_length=200)
    department: str = Field(max_length=200)
    contact_type: str = Field(default="request", max_length=20)


class MappingProfile(SQLModel, table=True):
    """A remembered column mapping, keyed by the file's header."""

    __tablename__ = "mapping_profiles"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    header_key: str = Field(max_length=64, index=True)
    mapping: dict[str, Any] = Field(sa_type=sa.JSON)
    updated_at: datetime = _timestamp()


class SurveyResult(SQLModel, table=True):
    """One published figure of a survey wave: a service area, county-wide or in a district."""

    __tablename__ = "survey_results"

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int | None = Field(default=None, foreign_key="uploads.id", index=True)
    survey: str = Field(max_length=200)
    wave: str = Field(max_length=60)
    year: int
    service_area: str = Field(max_length=300)
    district_code: str | None = Field(default=None, max_length=40, description="None: county-wide")
    satisfied_share: float | None = None
    importance_share: float | None = None
    mean_score: float | None = None
    n: int = 0
    n_effective: float | None = Field(default=None, description="Kish's effective n when weighted; None: n")
    weight_total: float | None = Field(
        default=None, description="the sum of the weights of the residents who rated the item; None: n_effective"
    )
    question: str | None = Field(default=None, max_length=200, description="the column of a respondent-level file")
    derived_importance: float | None = Field(
        default=None, description="correlation of the item's ratings with overall satisfaction (county-wide rows)"
    )


class SurveyQuestion(SQLModel, table=True):
    """One column of a survey's respondent-level file: its label and what it holds (the question dictionary)."""

    __tablename__ = "survey_questions"

    survey: str = Field(primary_key=True, max_length=200)
    question: str = Field(primary_key=True, max_length=200)
    label: str = Field(max_length=500)
    kind: str = Field(max_length=20, description="rating, overall, importance, district, weight, wave or ignore")
    codes: str = Field(default="", sa_type=sa.Text, description="code=meaning pairs, comma-separated")
    picks_from: str | None = Field(
        default=None, max_length=200, description="importance picks: the question whose items are numbered"
    )
    position: int = 0


class SurveyBenchmark(SQLModel, table=True):
    """A reference value an analyst entered for a survey item, e.g. a national benchmark."""

    __tablename__ = "survey_benchmarks"

    service_area: str = Field(primary_key=True, max_length=300)
    benchmark_share: float = Field(description="satisfied share 0-1")
    source: str = Field(default="", max_length=300)


class ServiceAreaLink(SQLModel, table=True):
    """A survey service area linked to a complaint category, to set opinions beside contacts."""

    __tablename__ = "service_area_links"

    service_area: str = Field(primary_key=True, max_length=300)
    category: str = Field(primary_key=True, max_length=200)


class Candidate(SQLModel, table=True):
    """A maintenance or capital project put forward for funding."""

    __tablename__ = "candidates"

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int | None = Field(default=None, foreign_key="uploads.id", index=True)
    source_id: str = Field(
        max_length=100, unique=True, index=True, description="the county's own id: imports upsert by it"
    )
    name: str = Field(max_length=300)
    kind: str = Field(max_length=20, description="maintenance or capital")
    category: str | None = Field(default=None, max_length=200)
    district_code: str | None = Field(default=None, max_length=40)
    latitude: float | None = None
    longitude: float | None = None
    estimated_cost: float | None = None
    fund: str | None = Field(default=None, max_length=200, description="the fund paying for it: General Fund, ...")
    fiscal_year: int | None = Field(default=None, description="the fiscal year it is funded in (FY2027: 2027)")
    condition: float | None = Field(default=None, description="0 (failed) to 100 (as new)")
    criteria: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    description: str | None = Field(default=None, sa_type=sa.Text)
    status: str | None = Field(default=None, max_length=100, description="as the county's list says: Planned, ...")


class CandidateChange(SQLModel, table=True):
    """What a candidate upload did to one existing candidate, so that the upload can be undone exactly."""

    __tablename__ = "candidate_changes"

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(foreign_key="uploads.id", index=True)
    candidate_id: int = Field(index=True)
    previous: dict[str, Any] = Field(sa_type=sa.JSON)


class WeightScenario(SQLModel, table=True):
    """A named set of ranking weights the budget meeting saved, to load again."""

    __tablename__ = "weight_scenarios"

    name: str = Field(primary_key=True, max_length=100)
    weights: dict[str, Any] = Field(sa_type=sa.JSON)
    saved_by: str = Field(default="", max_length=200)
    saved_at: datetime = _timestamp()


class Action(SQLModel, table=True):
    """A process change, new procedure or information campaign, to check its effect later."""

    __tablename__ = "actions"

    id: int | None = Field(default=None, primary_key=True)
    action_date: date
    category: str | None = Field(default=None, max_length=200)
    district_code: str | None = Field(default=None, max_length=40)
    description: str = Field(sa_type=sa.Text)
    recorded_by: str = Field(default="", max_length=200)
    recorded_at: datetime = _timestamp()


class AuditEntry(SQLModel, table=True):
    """One change to the store: who did what, when. Its largest id is the store's data version."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp()
    user: str = Field(default="", max_length=200)
    action: str = Field(max_length=60)
    detail: str = Field(default="", sa_type=sa.Text)


class Feed(SQLModel, table=True):
    """An open-data portal's records pulled on demand or on a schedule (voc.ingest.pull)."""

    __tablename__ = "feeds"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, description="the source its records are stored under")
    api: str = Field(max_length=20, description="socrata, arcgis or open311")
    url: str = Field(max_length=2000)
    where_clause: str | None = Field(default=None, sa_type=sa.Text)
    high_water: datetime | None = _timestamp(nullable=True)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = _timestamp()


class FeedPull(SQLModel, table=True):
    """One pull of a feed: its figures, and the high-water marks it started from and reached."""

    __tablename__ = "feed_pulls"

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feeds.id", index=True)
    upload_id: int | None = Field(default=None, foreign_key="uploads.id", index=True)
    pulled_at: datetime = _timestamp()
    started_from: datetime | None = _timestamp(nullable=True)
    reached: datetime | None = _timestamp(nullable=True)
    pages: int = 0
    records: int = 0
    seconds: float = 0.0


class DescriptionEmbedding(SQLModel, table=True):
    """A contact description's sentence vector (voc.ingest.embedding), computed once per text at import."""

    __tablename__ = "description_embeddings"

    request_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("service_requests.id", ondelete="CASCADE"), primary_key=True)
    )
    model: str = Field(max_length=60)
    text_hash: str = Field(max_length=16, description="of the description embedded: a changed text is embedded again")
    vector: bytes = Field(sa_type=sa.LargeBinary, description="float16, little-endian")
    upload_id: int | None = Field(
        default=None, description="the request's upload_id when its text was last checked: written since, it is again"
    )


class Theme(SQLModel, table=True):
    """A group of descriptions alike in meaning, from the latest build (voc.contacts.theming)."""

    __tablename__ = "themes"

    id: int = Field(primary_key=True, description="0 for the largest theme, then by size")
    name: str = Field(max_length=300)
    terms: list[str] = Field(sa_type=sa.JSON)
    contacts: int
    example_ids: list[int] = Field(sa_type=sa.JSON, description="service requests nearest the theme's centre")
    built_at: datetime = _timestamp()
    centre: bytes | None = Field(
        default=None, sa_type=sa.LargeBinary, description="k-means centre, float32: later descriptions are placed on it"
    )


class DescriptionTheme(SQLModel, table=True):
    """The theme a stored description vector is in: written with the vector (no theme yet), gone with it.

    A build finds the vectors to place through the index of those without a theme: its work follows
    them, not the store.
    """

    __tablename__ = "description_themes"
    __table_args__ = (
        sa.Index(
            "ix_description_themes_unplaced",
            "request_id",
            sqlite_where=sa.text("theme IS NULL"),
            postgresql_where=sa.text("theme IS NULL"),
        ),
    )

    request_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("description_embeddings.request_id", ondelete="CASCADE"), primary_key=True
        )
    )
    theme: int | None = Field(default=None, description="None until a build places the vector")


class MonthlyThemeCount(SQLModel, table=True):
    """Described contacts per month, theme, category and district: what the pages read of themes."""

    __tablename__ = "monthly_theme_counts"

    month: str = Field(primary_key=True, max_length=7)
    theme: int = Field(primary_key=True)
    category: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    contacts: int = 0


class ClosureRating(SQLModel, table=True):
    """A resident's answer to a post-closure survey about one contact: one row per contact, the latest import wins."""

    __tablename__ = "closure_ratings"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("service_requests.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    upload_id: int = Field(foreign_key="uploads.id", index=True)
    score: float = Field(description="the answer on the survey's own scale, 1 = worst")
    scale_max: int = Field(description="the scale's best answer (5 on a 1-5 scale)")
    satisfied: bool = Field(description="in the top 40% of the scale: 4 or 5 of 5")
    answered_on: date | None = None
    comment: str | None = Field(default=None, sa_type=sa.Text)
    previous: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON, description="the rating this upload replaced, put back by undo"
    )
