"""The Overview figures for the latest complete month, all from SQL aggregates."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from voc.core.periods import month_label, month_shift
from voc.store.models import MonthlyCount, ServiceRequest
from voc.store.query import read_frame
from voc.store.uploads import last_upload

ROLLUP = MonthlyCount.__table__
REQUESTS = ServiceRequest.__table__
ONLINE_CHANNELS = ("web", "app", "e-mail")


def latest_complete_month(latest_contact: date, today: date) -> str:
    """Return the newest month that is both over and fully in the data.

    The month of the newest contact counts as complete only when that contact falls on one of
    the month's last two days (an export cut mid-month is partial) and the month has ended.
    """
    month = f"{latest_contact.year:04d}-{latest_contact.month:02d}"
    days_in_month = calendar.monthrange(latest_contact.year, latest_contact.month)[1]
    current = f"{today.year:04d}-{today.month:02d}"
    if latest_contact.day < days_in_month - 1 or month >= current:
        month = month_shift(month, -1)
    return min(month, month_shift(current, -1))


def current_month(engine: sa.Engine, *, today: date, timezone: str) -> str | None:
    """Return the latest complete month of the stored contacts, or None when there are none."""
    newest = latest_contact_date(engine, timezone)
    return None if newest is None else latest_complete_month(newest, today)


def percent_change(now: float, before: float | None) -> float | None:
    """Return the change in percent, or None when there is nothing to compare with."""
    if before is None or before == 0 or pd.isna(before):
        return None
    return (now - before) / before * 100


@dataclass(frozen=True)
class Overview:
    month: str
    contacts: int
    previous_contacts: int | None
    last_year_contacts: int | None
    still_open: int
    median_days_to_close: float | None
    online_share: float
    monthly: pd.DataFrame  # month, contacts: the 25 months up to `month`
    categories: pd.DataFrame  # category, contacts, previous, last_year, change_vs_last_year
    channels: pd.DataFrame  # channel, contacts, share
    last_upload: dict[str, Any] | None


def latest_contact_date(engine: sa.Engine, timezone: str) -> date | None:
    """Return the local date of the newest stored contact, or None when there are none."""
    with engine.connect() as connection:
        newest: datetime | None = connection.execute(sa.select(sa.func.max(REQUESTS.c.opened_at))).scalar()
    if newest is None:
        return None
    if newest.tzinfo is None:  # SQLite's MAX() bypasses the column type
        newest = newest.replace(tzinfo=ZoneInfo("UTC"))
    return newest.astimezone(ZoneInfo(timezone)).date()


def monthly_totals(connection: sa.Connection, first: str, last: str) -> pd.DataFrame:
    """Return contacts per month between two months, inclusive (months without contacts absent)."""
    query = (
        sa.select(ROLLUP.c.month, sa.func.sum(ROLLUP.c.contacts).label("contacts"))
        .where(ROLLUP.c.month.between(first, last))
        .group_by(ROLLUP.c.month)
        .order_by(ROLLUP.c.month)
    )
    return read_frame(connection, query, dtypes={"contacts": int})


def category_changes(connection: sa.Connection, month: str, *, top: int = 10) -> pd.DataFrame:
    """Return the month's top categories with the previous month and the same month a year before."""
    previous, last_year = month_shift(month, -1), month_shift(month, -12)
    counts = read_frame(
        connection,
        sa.select(
            sa.func.coalesce(sa.func.nullif(ROLLUP.c.category, ""), "Unmapped").label("category"),
            ROLLUP.c.month,
            sa.func.sum(ROLLUP.c.contacts).label("contacts"),
        )
        .where(ROLLUP.c.month.in_([month, previous, last_year]))
        .group_by(sa.text("1"), ROLLUP.c.month),
    )
    wide = counts.pivot_table(index="category", columns="month", values="contacts", aggfunc="sum").reindex(
        columns=[month, previous, last_year]
    )
    wide.columns = ["contacts", "previous", "last_year"]
    wide = wide.dropna(subset=["contacts"]).sort_values(["contacts"], ascending=False, kind="stable")
    wide = wide.head(top).reset_index()
    wide["change_vs_last_year"] = [
        percent_change(now, before) for now, before in zip(wide["contacts"], wide["last_year"], strict=True)
    ]
    return wide


def channel_shares(connection: sa.Connection, month: str) -> pd.DataFrame:
    """Return contacts and share per channel in a month, largest first."""
    frame = read_frame(
        connection,
        sa.select(
            sa.func.coalesce(sa.func.nullif(ROLLUP.c.channel, ""), "unknown").label("channel"),
            sa.func.sum(ROLLUP.c.contacts).label("contacts"),
        )
        .where(ROLLUP.c.month == month)
        .group_by(sa.text("1"))
        .order_by(sa.text("2 DESC")),
    )
    frame["share"] = frame["contacts"] / frame["contacts"].sum()
    return frame


def median_days_to_close(connection: sa.Connection, month: str) -> float | None:
    """Return the median days to close of the month's contacts that are closed, via indexed SQL."""
    closed = REQUESTS.c.days_to_close
    where = (REQUESTS.c.opened_month == month, closed.is_not(None))
    count = connection.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
    if count == 0:
        return None
    middle = sa.select(closed).where(*where).order_by(closed)
    values = connection.execute(middle.limit(2 - count % 2).offset((count - 1) // 2)).scalars()
    values = list(values)
    return sum(values) / len(values)


def load_overview(engine: sa.Engine, *, today: date, timezone: str) -> Overview | None:
    """Compute the Overview for the latest complete month; None when the store has no contacts."""
    newest = latest_contact_date(engine, timezone)
    if newest is None:
        return None
    month = latest_complete_month(newest, today)
    with engine.connect() as connection:
        monthly = monthly_totals(connection, month_shift(month, -24), month)
        totals = dict(zip(monthly["month"], monthly["contacts"], strict=True))
        channels = channel_shares(connection, month)
        open_count = connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(ROLLUP.c.contacts - ROLLUP.c.closed), 0)).where(
                ROLLUP.c.month == month
            )
        ).scalar_one()
        overview = Overview(
            month=month,
            contacts=totals.get(month, 0),
            previous_contacts=totals.get(month_shift(month, -1)),
            last_year_contacts=totals.get(month_shift(month, -12)),
            still_open=int(open_count),
            median_days_to_close=median_days_to_close(connection, month),
            online_share=float(channels.loc[channels["channel"].isin(ONLINE_CHANNELS), "share"].sum()),
            monthly=monthly,
            categories=category_changes(connection, month),
            channels=channels,
            last_upload=last_upload(engine),
        )
    return overview


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    delta_is_change: bool = True  # False: the delta is a side note, drawn without an arrow


def _delta(now: int, before: int | None, against: str) -> str | None:
    change = percent_change(now, before)
    return None if change is None else f"{change:+.1f}% vs {against}"


def _latest_against_this(month: str, now: int, before: int | None) -> str | None:
    """Word the latest month's change on the card of the month it is compared with, naming the latest month.

    "+3.3% vs Oct 2025" on the Oct 2025 card read as Oct 2025 against itself.
    """
    change = percent_change(now, before)
    return None if change is None else f"{month} is {change:+.1f}% on this"


def headline_metrics(overview: Overview) -> list[Metric]:
    """Return the Overview's four headline figures, worded for the page and the CLI."""
    month = month_label(overview.month)
    previous = month_label(month_shift(overview.month, -1))
    last_year = month_label(month_shift(overview.month, -12))
    median = overview.median_days_to_close
    return [
        Metric(
            f"Contacts in {month}",
            f"{overview.contacts:,}",
            _delta(overview.contacts, overview.previous_contacts, previous),
            "Calls, web and app requests, e-mails and walk-ins opened in the month.",
        ),
        Metric(
            f"{last_year}, a year before",
            "no data" if overview.last_year_contacts is None else f"{overview.last_year_contacts:,}",
            _latest_against_this(month, overview.contacts, overview.last_year_contacts),
            "The fair comparison for seasonal services: the same month a year before.",
        ),
        Metric(
            "Median days to close",
            "none closed" if median is None else f"{median:.1f}",
            f"{overview.still_open:,} still open",
            f"Half of the contacts opened in {month} and closed since were closed within this many days.",
            delta_is_change=False,
        ),
        Metric(
            "Online (web, app, e-mail)",
            f"{overview.online_share:.0%}",
            None,
            "Share of the month's contacts that arrived online rather than by phone or in person.",
        ),
    ]
