"""The closure roll-ups: what "closed" meant, counted month by month under the county's repeat and incident rules.

Whether a contact was reported again, which incident it belongs to and how many business days it
took depend on rules an administrator may change (voc.core.config.ClosureRules) and on contacts
opened months later, so these roll-ups are not recounted by every write like the others. A month is
counted on first use (voc.contacts.closure_months.count_months), remembered in `closure_months` with the
rules it was counted under and the last month its read reached; a write to a month forgets every
counted month whose read reached it, and a change of rules makes every month count again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

if TYPE_CHECKING:
    import pandas as pd

CLOSURE_DIMENSIONS = ("category", "department", "district_code", "contact_type")
COUNT_MEASURES = (
    "contacts", "incidents", "closed", "closed_or_reopened", "reopened", "reopened_status", "reported_again",
    "acknowledged", "answers", "satisfied", "answers_reopened", "satisfied_reopened",
)  # fmt: skip


class ClosureMonth(SQLModel, table=True):
    """A month whose closure roll-ups are counted: under which rules, and up to which month its read reached."""

    __tablename__ = "closure_months"

    month: str = Field(primary_key=True, max_length=7)
    rules: str = Field(max_length=200, description="the rules and time zone counted under (closure.rules_key)")
    reached: str = Field(max_length=7, description="the last month whose contacts could change this month's counts")


class MonthlyClosure(SQLModel, table=True):
    """Closure counts of the categorised contacts per opening month and dimension; empty strings stand for unknown.

    incidents counts the incidents whose first report falls here; closed_or_reopened the contacts a
    reopen rate is a share of; answers and satisfied the post-closure survey's, of all rated contacts
    and of the reopened ones.
    """

    __tablename__ = "monthly_closure"

    month: str = Field(primary_key=True, max_length=7)
    category: str = Field(primary_key=True, max_length=200)
    department: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    contact_type: str = Field(primary_key=True, max_length=20)
    contacts: int = 0
    incidents: int = 0
    closed: int = 0
    closed_or_reopened: int = 0
    reopened: int = 0
    reopened_status: int = 0
    reported_again: int = 0
    acknowledged: int = 0
    answers: int = 0
    satisfied: int = 0
    answers_reopened: int = 0
    satisfied_reopened: int = 0


class MonthlyClosureTime(SQLModel, table=True):
    """Contacts that took `value` of a measure (voc.contacts.closure.TIME_MEASURES) per month and dimension."""

    __tablename__ = "monthly_closure_times"

    month: str = Field(primary_key=True, max_length=7)
    category: str = Field(primary_key=True, max_length=200)
    department: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    contact_type: str = Field(primary_key=True, max_length=20)
    measure: str = Field(primary_key=True, max_length=40)
    value: float = Field(primary_key=True)
    contacts: int = 0


class MonthlyClosureCategoryTime(SQLModel, table=True):
    """MonthlyClosureTime summed over department, district and contact type: what a county-wide view reads.

    At 5,000,000 contacts it holds half the rows the full table holds for the same months, whose sum
    was most of the time Trends' service performance spent in the store.
    """

    __tablename__ = "monthly_closure_category_times"

    month: str = Field(primary_key=True, max_length=7)
    category: str = Field(primary_key=True, max_length=200)
    measure: str = Field(primary_key=True, max_length=40)
    value: float = Field(primary_key=True)
    contacts: int = 0


class MonthlyReopenedPlace(SQLModel, table=True):
    """Located contacts reopened after closure per month, category, district (empty string: unknown) and point."""

    __tablename__ = "monthly_reopened_places"

    month: str = Field(primary_key=True, max_length=7)
    category: str = Field(primary_key=True, max_length=200)
    district_code: str = Field(primary_key=True, max_length=40)
    latitude: float = Field(primary_key=True)
    longitude: float = Field(primary_key=True)
    reopened: int = 0


MONTHS = ClosureMonth.__table__
CLOSURE = MonthlyClosure.__table__
TIMES = MonthlyClosureTime.__table__
CATEGORY_TIMES = MonthlyClosureCategoryTime.__table__
REOPENED_PLACES = MonthlyReopenedPlace.__table__
_ROLLUPS = (CLOSURE, TIMES, REOPENED_PLACES)
CATEGORY_TIME_KEYS = [column.name for column in CATEGORY_TIMES.primary_key.columns]


def counted_under(connection: sa.Connection, months: Iterable[str]) -> dict[str, str]:
    """Return the rules each of `months` is counted under; months not counted are left out."""
    wanted = set(months)
    if not wanted:
        return {}
    query = sa.select(MONTHS.c.month, MONTHS.c.rules).where(MONTHS.c.month.between(min(wanted), max(wanted)))
    return {month: rules for month, rules in connection.execute(query) if month in wanted}


def replace_counts(
    connection: sa.Connection,
    months: list[str],
    *,
    rules: str,
    reached: Mapping[str, str],
    rollups: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    """Replace the roll-ups of `months` by `rollups` (rows for MonthlyClosure, MonthlyClosureTime and
    MonthlyReopenedPlace, of those months only; MonthlyClosureCategoryTime is summed from the second) and
    remember them as counted under `rules`, each up to the month `reached` gives it."""
    # Imported here: the bulk writer needs pandas, which the schema's own import (the CLI's start-up) must not load.
    from voc.store.bulk import bulk_insert

    category_times = rollups[1].groupby(CATEGORY_TIME_KEYS, as_index=False, sort=False)["contacts"].sum()
    for table, rows in zip((*_ROLLUPS, CATEGORY_TIMES), (*rollups, category_times), strict=True):
        connection.execute(sa.delete(table).where(table.c.month.in_(months)))
        bulk_insert(connection, table, rows)
    connection.execute(sa.delete(MONTHS).where(MONTHS.c.month.in_(months)))
    connection.execute(sa.insert(MONTHS), [{"month": m, "rules": rules, "reached": reached[m]} for m in months])


def forget_counts(connection: sa.Connection, changed_months: Iterable[str]) -> None:
    """Forget the counted months whose read reached any of `changed_months`: their next use counts them again.

    Months read across a gap between changed months are forgotten too: rare, and only recounted.
    """
    changed = sorted(set(changed_months))
    if changed:
        connection.execute(sa.delete(MONTHS).where(MONTHS.c.month <= changed[-1], MONTHS.c.reached >= changed[0]))
