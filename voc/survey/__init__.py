"""Citizen surveys: import, honest comparisons (margins, tests), importance-satisfaction, complaints beside opinions.

Modules: dictionary (what a respondent-level file's columns hold), respondents and published (the
two shapes a county receives), stats (margins and tests), compare (the page's figures), complaints
(contacts beside opinions), store (I/O).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from voc.survey.stats import importance_satisfaction
from voc.survey.store import current_results, load_links

__all__ = ["category_priorities", "importance_satisfaction"]


def category_priorities(engine: sa.Engine) -> pd.DataFrame:
    """Return the county-wide I-S rating of the latest survey wave for each linked complaint category.

    Columns: category, service_area, wave, is_rating, tier. The latest wave is the newest (by year)
    holding a linked service area with stated importance; only current imports count (an undone or
    superseded upload does not). A category linked to several service areas takes the highest
    rating. Empty when there is no survey or no link.
    """
    columns = ["category", "service_area", "wave", "is_rating", "tier"]
    results, links = current_results(engine), load_links(engine)
    rows = results[results["district_code"].isna() & results["importance_share"].notna()]
    rows = rows.merge(links, on="service_area")
    if rows.empty:
        return pd.DataFrame(columns=columns)
    latest = rows.sort_values(["year", "wave"]).iloc[-1]
    rows = rows[(rows["survey"] == latest["survey"]) & (rows["wave"] == latest["wave"])]
    rated = importance_satisfaction(rows).drop_duplicates("category")
    return rated[columns].reset_index(drop=True)
