"""The theme roll-up: described contacts per month, theme, category and district, kept with the roll-ups.

A contact counts once its description's vector has been placed in a theme (description_themes.theme).
Imports, undo and request-type edits keep it as they keep the other roll-ups; a vector replaced
or dropped takes its contact out first (voc.store.themes.save_embeddings), and a theme build
adds the contacts it places.
"""

from __future__ import annotations

import sqlalchemy as sa

from voc.store.models import DescriptionTheme, MonthlyThemeCount, ServiceRequest
from voc.store.rollups import Rollup

REQUESTS = ServiceRequest.__table__
LABELS = DescriptionTheme.__table__
THEME_COUNTS = MonthlyThemeCount.__table__


def _theme_counts(rows: sa.ColumnElement[bool]) -> sa.Select:
    """The placed requests `rows` selects, per month, theme, category and district ("" for unknown)."""
    keys = [
        REQUESTS.c.opened_month.label("month"),
        LABELS.c.theme,
        sa.func.coalesce(REQUESTS.c.category, "").label("category"),
        sa.func.coalesce(REQUESTS.c.district_code, "").label("district_code"),
    ]
    placed = REQUESTS.join(LABELS, sa.and_(LABELS.c.request_id == REQUESTS.c.id, LABELS.c.theme.is_not(None)))
    return sa.select(*keys, sa.func.count().label("contacts")).select_from(placed).where(rows).group_by(*keys)


THEME_ROLLUP = Rollup(THEME_COUNTS, "month", REQUESTS.c.opened_month, measures=("contacts",), counts=_theme_counts)
