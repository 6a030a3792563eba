"""The Priorities page's equity section and the Upload page's small-area import."""

from __future__ import annotations

from datetime import date
from functools import partial

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from voc.app import columns, plain, show
from voc.app.actions import act
from voc.app.cache import by_data_version, county_today
from voc.app.loaders import latest_month
from voc.core.config import load_settings
from voc.ingest.areas import import_areas
from voc.present.charts import labelled_bars
from voc.priorities.equity import Equity, stored_equity

IMPORT_HINT = (
    "No small areas yet, so contacts per resident by income cannot be shown: import census block groups or tracts "
    "with their population and median income on the Upload page, or run `voc import areas FILE`."
)


@by_data_version()
def _equity(engine: sa.Engine, today: date, months: int) -> Equity | None:
    return stored_equity(engine, today=today, timezone=load_settings().timezone, months=months)


def equity(months: int = 12) -> Equity | None:
    """Return the equity view of the complete months up to today, None without small areas or contacts."""
    if latest_month() is None:
        return None
    return _equity(county_today(), months)


def with_area_columns(
    table: pd.DataFrame, shown: columns.Columns, view: Equity | None
) -> tuple[pd.DataFrame, columns.Columns]:
    """Add each candidate's small area figures beside its demand (after per_1000) when areas exist."""
    if view is None:
        return table, shown
    placed = table.merge(view.candidates[["id", "area_per_1000", "income_tier"]], on="id", how="left")
    keys = list(shown)
    at = keys.index("per_1000") + 1 if "per_1000" in keys else len(keys)
    ordered = [*keys[:at], *columns.CANDIDATE_AREA, *keys[at:]]
    return placed, {key: {**shown, **columns.CANDIDATE_AREA}[key] for key in ordered}


def equity_section(view: Equity | None) -> None:
    """Show contacts per 1,000 residents by income fifth of small areas, the finding in words, and the areas."""
    if view is None:
        st.info(IMPORT_HINT)
        return
    plain.show(view.sentence, kind="body")
    if view.tiers["contacts"].sum() > 0:
        bars = view.tiers.assign(
            label=view.tiers["income_tier"] + " ($" + (view.tiers["lowest_income"] / 1000).map("{:,.0f}k".format)
            + "–" + (view.tiers["highest_income"] / 1000).map("{:,.0f}k".format) + ")",
            value=view.tiers["per_1000"],
        )  # fmt: skip
        title = f"Contacts per 1,000 residents, {view.first_month} to {view.last_month}"
        heading = "Contacts per 1,000 residents by income fifth of small areas"
        chart = partial(labelled_bars, bars, title=title, value_format=",.0f")
        show.chart(chart, name="equity-by-income", key="priorities_equity_chart", title=heading)
        fifths = ["income_tier", "per_1000", "median_days", "lowest_income", "highest_income", "population",
                  "contacts", "areas"]  # fmt: skip
        show.table(view.tiers, name="equity-income-fifths", key="priorities_equity_fifths",
                   column_config=columns.INCOME_FIFTHS, column_order=fifths)  # fmt: skip
    if view.outside:
        plain.show(f"{view.outside:,} located contacts fall in no small area and are not counted.", kind="caption")
    # The rate and the income first: the area codes, long and alike, matter least on a projected screen.
    order = ["name", "income_tier", "income", "per_1000", "median_days", "population", "contacts", "code"]
    show.table(view.areas, name="equity-areas", key="priorities_equity_areas", column_config=columns.SMALL_AREAS,
               column_order=order)  # fmt: skip


def areas_import() -> None:
    """Offer a boundary file of small areas with residents and median income to import as an upload."""
    st.markdown(
        "Census block groups or tracts (GeoJSON, a zipped shapefile or a GeoPackage) with their population and median "
        "household income, for the equity view on the Priorities page. Census names such as B01003_001E and "
        "B19013_001E are recognised; the districts themselves are replaced on the Data page. Each import can be undone "
        "under History and undo."
    )
    file = st.file_uploader("Small-area file", type=["geojson", "json", "zip", "gpkg"], key="upload_areas_file",
                            max_upload_size=50)  # fmt: skip
    if file is not None and st.button("Import the small areas", key="upload_areas_import", type="primary"):
        act(import_areas, file.getvalue(), file.name, refused=f"{file.name} was refused and nothing was written.",
            done=lambda imported: " ".join(imported.report(file.name)))  # fmt: skip
