"""Tables of the proactive service: emerging issues' triage, watches, and the digests sent for them.

Their own module (voc.store.models is near its size limit); voc.store.engine imports it so that the
migrations and the schema check see these tables wherever the store is opened.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from voc.store.models import UTCDateTime


def _timestamp() -> datetime:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class AlertTriage(SQLModel, table=True):
    """One change of an emerging issue's state; the newest row of an issue is its state (none: new)."""

    __tablename__ = "alert_triage"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(max_length=260, index=True, description="voc.contacts.issues' stable id")
    state: str = Field(max_length=20, description="seen, acted or dismissed")
    action_id: int | None = Field(default=None, foreign_key="actions.id", description="the action, when acted")
    reason: str | None = Field(default=None, sa_type=sa.Text, description="why dismissed (or a note)")
    # The issue as it read when its state was set, so that it can be listed after it stops being flagged.
    category: str = Field(max_length=200)
    district_codes: list[str] = Field(sa_type=sa.JSON)
    sentence: str = Field(sa_type=sa.Text)
    month: str = Field(max_length=7, description="the month whose detection showed the issue")
    set_by: str = Field(default="", max_length=200)
    set_at: datetime = _timestamp()


class Watch(SQLModel, table=True):
    """A saved filter of the contacts and who receives its digest."""

    __tablename__ = "watches"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    departments: list[str] = Field(sa_type=sa.JSON, description="empty: every department")
    categories: list[str] = Field(sa_type=sa.JSON, description="empty: every category")
    districts: list[str] = Field(sa_type=sa.JSON, description="district codes; empty: the whole county")
    recipients: list[str] = Field(sa_type=sa.JSON)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = _timestamp()


class DigestSend(SQLModel, table=True):
    """A digest the SMTP server accepted: written only after it did, so a failed send is sent again."""

    __tablename__ = "digest_sends"
    __table_args__ = (sa.Index("ix_digest_sends_watch_period", "watch", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    watch: str = Field(max_length=100, description="the watch's name; '' for the county-wide digest")
    period: str = Field(max_length=8, description="YYYY-MM or YYYY-Www")
    recipients: list[str] = Field(sa_type=sa.JSON)
    subject: str = Field(sa_type=sa.Text)
    sent_by: str = Field(default="", max_length=200)
    sent_at: datetime = _timestamp()
