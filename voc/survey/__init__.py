"""Citizen-survey figures: importance-satisfaction priorities of service areas and the categories they link to."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from voc.models import ServiceAreaLink, SurveyResult

# ETC Institute's tiers of the importance-satisfaction rating.
_TIERS = ((0.20, "Very high priority"), (0.10, "High priority"), (0.0, "Medium priority"))


def importance_satisfaction(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `is_rating` = importance_share x (1 - satisfied_share) and its priority `tier`, highest first.

    Shares are 0-1. Rows without an importance share get no rating and sort last.
    """
    rated = frame.assign(is_rating=frame["importance_share"] * (1 - frame["satisfied_share"]))
    tier = pd.Series(pd.NA, index=rated.index, dtype="string")
    for floor, name in reversed(_TIERS):
        tier = tier.mask(rated["is_rating"] >= floor, name)
    return rated.assign(tier=tier).sort_values("is_rating", ascending=False, na_position="last", kind="stable")


def category_priorities(engine: sa.Engine) -> pd.DataFrame:
    """Return the county-wide I-S rating of the latest survey wave for each linked complaint category.

    Columns: category, service_area, wave, is_rating, tier. A category linked to several service
    areas takes the highest rating. Empty when there is no survey or no link.
    """
    results, links = SurveyResult.__table__, ServiceAreaLink.__table__
    with engine.connect() as connection:
        latest = connection.execute(sa.select(sa.func.max(results.c.year))).scalar()
        query = (
            sa.select(links.c.category, results.c.service_area, results.c.wave, results.c.importance_share,
                      results.c.satisfied_share)
            .join(links, links.c.service_area == results.c.service_area)
            .where(results.c.year == latest, results.c.district_code.is_(None))
        )  # fmt: skip
        frame = pd.read_sql(query, connection)
    rated = importance_satisfaction(frame).drop_duplicates("category")
    return rated[["category", "service_area", "wave", "is_rating", "tier"]].reset_index(drop=True)
