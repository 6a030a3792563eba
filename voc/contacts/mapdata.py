"""The Map page's figures, aggregated by the database: districts from the monthly roll-up, H3 cells, repeat places.

Raw points never leave the database: cells and places are grouped in SQL, so a frame's size
follows the county's area, not its number of contacts.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.contacts.trends import Filters, dimension_conditions, request_conditions
from voc.core.fields import Measure
from voc.core.periods import month_shift
from voc.store.cells import ROLLUP_CELL_RESOLUTION, cell_names, cell_parent
from voc.store.districts import load_districts
from voc.store.models import MonthlyCellCount, MonthlyCellTotal, MonthlyCount, ServiceRequest
from voc.store.query import read_frame

ROLLUP = MonthlyCount.__table__
REQUESTS = ServiceRequest.__table__
CELLS = MonthlyCellCount.__table__
CELL_TOTALS = MonthlyCellTotal.__table__
MEASURE_COLUMNS = {"contacts": "contacts", "per_1000": "per_1000", "change": "change_pct"}
FIGURE_COLUMNS = [
    "code", "name", "population", "contacts", "per_1000", "contacts_year_earlier", "change_pct", "value", "geometry",
]  # fmt: skip
PLACE_COLUMNS = ["place", "contacts", "departments", "categories", "first_opened", "last_opened"]


def month_span(connection: sa.Connection, filters: Filters) -> tuple[str, str] | None:
    """Return the filter's first and last month, the store's own where the filter leaves one open."""
    if filters.first_month and filters.last_month:
        return filters.first_month, filters.last_month
    first, last = connection.execute(sa.select(sa.func.min(ROLLUP.c.month), sa.func.max(ROLLUP.c.month))).one()
    if first is None:
        return None
    return filters.first_month or first, filters.last_month or last


def district_figures(engine: sa.Engine, filters: Filters, *, measure: Measure = "contacts") -> gpd.GeoDataFrame:
    """Return each district's contacts over the filter's months, with its rate, year-earlier figure and change.

    Columns FIGURE_COLUMNS: per_1000 is contacts per 1,000 residents over the whole span (NaN
    without a population); contacts_year_earlier covers the same months a year before; change_pct
    is NaN when that is 0; `value` repeats the chosen measure; geometry is the display copy in
    WGS84. Districts the filter leaves out are left out; contacts without a district are not shown.
    """
    districts = load_districts(engine, display=True)
    if filters.districts:
        districts = districts[districts["code"].isin(filters.districts)].reset_index(drop=True)
    with engine.connect() as connection:
        span = month_span(connection, filters)
        counts = (
            span_counts(connection, filters, span, by="district_code")
            if span
            else pd.DataFrame(columns=["contacts", "earlier"])
        )
    figures = districts.merge(counts, how="left", left_on="code", right_index=True)
    contacts = figures["contacts"].fillna(0).astype(int)
    earlier = figures["earlier"].fillna(0).astype(int)
    population = pd.to_numeric(figures["population"]).astype(float)
    figures = figures.assign(
        contacts=contacts,
        per_1000=contacts / population.where(population > 0) * 1000,
        contacts_year_earlier=earlier,
        change_pct=(contacts - earlier) / earlier.where(earlier > 0) * 100,
    )
    figures["value"] = figures[MEASURE_COLUMNS[measure]]
    return gpd.GeoDataFrame(figures[FIGURE_COLUMNS], geometry="geometry", crs=districts.crs)


def span_counts(connection: sa.Connection, filters: Filters, span: tuple[str, str], *, by: str) -> pd.DataFrame:
    """Sum the roll-up by a dimension over the span (contacts) and the same months a year earlier (earlier).

    Indexed by the dimension's values; a value with contacts in neither span is absent.
    """
    first, last = span
    earlier_first, earlier_last = month_shift(first, -12), month_shift(last, -12)
    month = ROLLUP.c.month

    def total(start: str, end: str) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((month.between(start, end), ROLLUP.c.contacts), else_=0)), 0)

    query = (
        sa.select(
            ROLLUP.c[by], total(first, last).label("contacts"), total(earlier_first, earlier_last).label("earlier")
        )
        .where(month.between(earlier_first, last), *dimension_conditions(ROLLUP, filters))
        .group_by(ROLLUP.c[by])
    )
    return read_frame(connection, query).set_index(by)


def hex_cells(engine: sa.Engine, filters: Filters, *, resolution: int = ROLLUP_CELL_RESOLUTION) -> pd.DataFrame:
    """Return contacts per H3 cell (columns cell as a hex string, contacts), most contacts first.

    Read from the cell totals when no dimension is filtered, else from the cell roll-up, so the
    time follows the county's area and months rather than its number of contacts. `resolution`
    is at most ROLLUP_CELL_RESOLUTION (8, about 0.7 km² a cell); contacts without coordinates are
    not counted. The roll-up has no channel: filtering by one is refused.
    """
    if not 0 <= resolution <= ROLLUP_CELL_RESOLUTION:
        raise ValueError(f"resolution must be 0 to {ROLLUP_CELL_RESOLUTION}, not {resolution}")
    if filters.channels:
        raise ValueError("the cell roll-up has no channel: map contacts of every channel")
    table = CELLS if any(filters.by_dimension().values()) else CELL_TOTALS
    cell = (table.c.cell if resolution == ROLLUP_CELL_RESOLUTION else cell_parent(table.c.cell, resolution)).label(
        "cell"
    )
    contacts = sa.func.sum(table.c.contacts).label("contacts")
    conditions = dimension_conditions(table, filters)
    if filters.first_month:
        conditions.append(table.c.month >= filters.first_month)
    if filters.last_month:
        conditions.append(table.c.month <= filters.last_month)
    query = sa.select(cell, contacts).where(*conditions).group_by(cell).order_by(contacts.desc(), cell)
    frame = read_frame(engine, query, dtypes={"contacts": int})
    return frame.assign(cell=cell_names(frame["cell"]))


def repeat_locations(
    engine: sa.Engine,
    filters: Filters,
    *,
    min_contacts: int = 3,
    by: Literal["address", "cell"] = "address",
    limit: int | None = 1000,
) -> pd.DataFrame:
    """Return places with at least `min_contacts` contacts: the 360-degree view of a place, for download.

    A place is an address (compared without case or edge spaces) or a stored H3 cell (about 66 m
    across). Columns PLACE_COLUMNS: departments counts distinct departments, categories lists them
    sorted and joined by "; ", dates are UTC. Most departments first, then most contacts; at most
    `limit` places (None: all).
    """
    if by == "address":
        place = sa.func.upper(sa.func.trim(REQUESTS.c.address))
        present = [REQUESTS.c.address.is_not(None), sa.func.trim(REQUESTS.c.address) != ""]
    else:
        place = REQUESTS.c.h3_cell
        present = [REQUESTS.c.h3_cell.is_not(None)]
    conditions = [*present, *request_conditions(filters)]
    repeated = sa.select(place).where(*conditions).group_by(place).having(sa.func.count() >= min_contacts)
    query = (
        sa.select(
            place.label("place"),
            REQUESTS.c.category,
            REQUESTS.c.department,
            sa.func.count().label("contacts"),
            sa.func.min(REQUESTS.c.opened_at).label("first_opened"),
            sa.func.max(REQUESTS.c.opened_at).label("last_opened"),
        )
        .where(*conditions, place.in_(repeated))
        .group_by(place, REQUESTS.c.category, REQUESTS.c.department)
    )
    places = _places(read_frame(engine, query))
    if by == "cell" and len(places):
        places["place"] = cell_names(places["place"])
    return places if limit is None else places.head(limit)


def _places(parts: pd.DataFrame) -> pd.DataFrame:
    """Combine a place's (category, department) rows into one row per place."""
    if parts.empty:
        return pd.DataFrame(columns=PLACE_COLUMNS)
    grouped = parts.groupby("place", sort=False)
    places = pd.DataFrame(
        {
            "contacts": grouped["contacts"].sum(),
            "departments": grouped["department"].nunique(),
            "categories": grouped["category"].agg(lambda values: "; ".join(sorted(values.dropna().unique()))),
            "first_opened": pd.to_datetime(grouped["first_opened"].min(), utc=True),
            "last_opened": pd.to_datetime(grouped["last_opened"].max(), utc=True),
        }
    ).reset_index()
    order = np.lexsort((places["place"].astype("str"), -places["contacts"], -places["departments"]))
    return places.iloc[order].reset_index(drop=True)[PLACE_COLUMNS]
