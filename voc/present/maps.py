"""pydeck maps: districts coloured by a measure, H3 hexagons of contacts, and their legends.

Colours come in classes from colour-blind-safe ColorBrewer schemes: a sequential one for counts
and rates, a diverging one (falls purple, rises orange) for change. Names from uploads only ever
appear as data in a plain-text tooltip, never in HTML.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from voc.core.fields import Measure

# ColorBrewer YlGnBu (5 classes) and PuOr (5 classes, reversed): both colour-blind safe.
SEQUENTIAL = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
DIVERGING = ("#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101")
NO_DATA = "#bdbdbd"
FILL_ALPHA = 190
OUTLINE = [60, 60, 60, 255]
SELECTED_OUTLINE = [0, 0, 0, 255]
SELECTED_WIDTH_PIXELS = 5
NAME_SIZE_PIXELS = 16  # the page's label size: readable on a projected map
NAME_FONT = "'Source Sans Pro', 'Source Sans 3', sans-serif"  # the page's own font
# About 1 m: finer coordinates only make the map data larger.
COORDINATE_GRID_DEGREES = 1e-5
MAP_PIXELS = (560, 500)  # the map's narrowest usual size on a page, to frame the districts


@dataclass(frozen=True)
class Scale:
    """Class edges (len(colours) + 1, ascending) and the colour of each class."""

    edges: tuple[float, ...]
    colours: tuple[str, ...]
    percent: bool = False


def scale(values: pd.Series, *, measure: Measure) -> Scale:
    """Return the classes a measure's values are coloured by: equal steps, symmetric around 0 for change.

    Counts and rates get at most five classes of the smallest round width that covers the values
    from a round start just below the smallest, and only as many classes as reach the largest: no
    band of the legend lies beyond the data. Fewer classes take colours spread over the whole scheme.
    """
    present = values.dropna().to_numpy(dtype=float)
    if measure == "change":
        bound = _nice(float(np.abs(present).max())) if len(present) else 1.0
        return Scale(edges=tuple(np.array([-1, -0.6, -0.2, 0.2, 0.6, 1]) * bound), colours=DIVERGING, percent=True)
    low, high = (float(present.min()), float(present.max())) if len(present) else (0.0, 1.0)
    most = len(SEQUENTIAL)
    step = _nice((high - low) / most if high > low else abs(high) / most or 1.0)
    while (start := math.floor(low / step) * step) + most * step < high:
        step = _nice(step * 1.01)  # the next round width: starting below `low` left `high` out
    count = max(1, math.ceil((high - start) / step - 1e-9))
    spread = np.linspace(0, most - 1, count).round().astype(int) if count > 1 else [most // 2]
    return Scale(edges=tuple(start + step * np.arange(count + 1)), colours=tuple(SEQUENTIAL[i] for i in spread))


def _nice(value: float) -> float:
    """Round a positive number up to 1, 2, 2.5 or 5 times a power of ten (legend-friendly widths)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def classes(values: pd.Series, chosen: Scale) -> np.ndarray:
    """Return the class (index into chosen.colours) of each value; missing values get the last class."""
    return np.searchsorted(np.asarray(chosen.edges[1:-1]), values.to_numpy(dtype=float), side="right")


def colours(values: pd.Series, chosen: Scale) -> list[list[int]]:
    """Return the RGBA fill of each value (NO_DATA for a missing one)."""
    palette = np.array([_rgba(c) for c in chosen.colours])
    fills = palette[classes(values, chosen)]
    fills[values.isna().to_numpy()] = _rgba(NO_DATA)
    return fills.tolist()


def _rgba(colour: str) -> list[int]:
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)] + [FILL_ALPHA]


def legend(values: pd.Series, *, measure: Measure) -> pd.DataFrame:
    """Return the legend of a layer coloured by these values: colour (#rrggbb) and label, one row per class.

    A "No data" row is added when a value is missing (a district without a population, say);
    without any value there are no classes.
    """
    chosen = scale(values, measure=measure)
    step = chosen.edges[1] - chosen.edges[0]
    labels = [
        f"{_number(low, step, chosen.percent)} to {_number(high, step, chosen.percent)}"
        for low, high in zip(chosen.edges[:-1], chosen.edges[1:], strict=True)
    ]
    rows = pd.DataFrame({"colour": chosen.colours, "label": labels})
    if values.isna().all():
        rows = rows.iloc[:0]
    if values.isna().any():
        rows = pd.concat([rows, pd.DataFrame({"colour": [NO_DATA], "label": ["No data"]})], ignore_index=True)
    return rows


def _number(value: float, step: float, percent: bool) -> str:
    """Write a class edge with the decimals the class width needs (0.3, not 0), none for whole numbers."""
    decimals = 0 if float(step).is_integer() else max(1, -math.floor(math.log10(step)))
    value = round(value, decimals)
    text = f"{value:+,.{decimals}f}" if percent else f"{value:,.{decimals}f}"
    if float(value).is_integer():
        text = text.split(".")[0]
    return f"{text}%".replace("-", "\u2212") if percent else text


def deck(
    figures: gpd.GeoDataFrame,
    cells: pd.DataFrame | None = None,
    *,
    measure: Measure = "contacts",
    basemap_style: str | None = None,
    selected: str | None = None,
) -> pdk.Deck:
    """Build the map: districts (district_figures) coloured by `measure`, or outlined under hexagons (hex_cells).

    Each district is named at a point inside it; the `selected` district's code gets a thick outline.
    Without `basemap_style` (the VOC_BASEMAP_STYLE setting) the map has no tiles, so it needs no
    internet. Tooltips and names are plain text.
    """
    layers = [_district_layer(figures, measure=measure, filled=cells is None)]
    if cells is not None:
        layers += _hexagon_layers(cells)
    if selected is not None and (figures["code"] == selected).any():
        layers.append(_selected_layer(figures[figures["code"] == selected]))
    if len(figures):
        layers.append(_name_layer(figures))
    return pdk.Deck(
        layers=layers,
        initial_view_state=_view(figures),
        # Without a style pydeck's own default must stay: Streamlit replaces a missing one with Carto's tiles.
        **({"map_provider": "carto", "map_style": basemap_style} if basemap_style else {"map_provider": None}),
        tooltip={"text": "{tooltip}"},
    )


def _district_layer(figures: gpd.GeoDataFrame, *, measure: Measure, filled: bool) -> pdk.Layer:
    shown = figures.assign(
        geometry=shapely.set_precision(figures.geometry.values, COORDINATE_GRID_DEGREES),
        fill=colours(figures["value"], scale(figures["value"], measure=measure)),
        tooltip=_district_tooltips(figures),
    )
    properties = shown[["code", "name", "fill", "tooltip", "geometry"]]
    return pdk.Layer(
        "GeoJsonLayer",
        data=json.loads(properties.to_json(drop_id=True)),
        id="districts",
        pickable=True,
        stroked=True,
        filled=filled,
        get_fill_color="properties.fill",
        get_line_color=OUTLINE,
        line_width_min_pixels=1,
    )


def _selected_layer(district: gpd.GeoDataFrame) -> pdk.Layer:
    outline = district[["code", "geometry"]].assign(
        geometry=shapely.set_precision(district.geometry.values, COORDINATE_GRID_DEGREES)
    )
    return pdk.Layer(
        "GeoJsonLayer", data=json.loads(outline.to_json(drop_id=True)), id="selected", pickable=False,
        stroked=True, filled=False, get_line_color=SELECTED_OUTLINE, line_width_min_pixels=SELECTED_WIDTH_PIXELS,
    )  # fmt: skip


def _name_layer(figures: gpd.GeoDataFrame) -> pdk.Layer:
    """Name each district at a point surely inside it (a centroid can fall outside a crescent)."""
    inside = figures.geometry.representative_point()
    positions = [[round(x, 5), round(y, 5)] for x, y in zip(inside.x, inside.y, strict=True)]
    names = pd.DataFrame({"name": figures["name"].astype("str").to_numpy(), "position": positions})
    return pdk.Layer(
        "TextLayer", data=names, id="district-names", pickable=False, get_position="position", get_text="name",
        get_size=NAME_SIZE_PIXELS, get_color=[20, 20, 20, 255], get_text_anchor=pdk.types.String("middle"),
        get_alignment_baseline=pdk.types.String("center"), font_weight=700, font_family=pdk.types.String(NAME_FONT),
        character_set=pdk.types.String("auto"),
        font_settings={"sdf": True}, outline_width=4, outline_color=[255, 255, 255, 230],
    )  # fmt: skip


def _district_tooltips(figures: gpd.GeoDataFrame) -> pd.Series:
    """Word each district's figures as tooltip text (the name stays data: no markup is built)."""
    parts = [
        figures["name"],
        figures["contacts"].map("\n{:,} contacts".format),
        figures["per_1000"].map(lambda v: "" if pd.isna(v) else f"\n{v:,.1f} per 1,000 residents"),
        figures["change_pct"].map(lambda v: "" if pd.isna(v) else f"\n{v:+.1f}% on a year earlier"),
    ]
    # As text explicitly: a map over no districts yields empty columns of another type.
    return parts[0].astype("str").str.cat([part.astype("str") for part in parts[1:]])


def _hexagon_layers(cells: pd.DataFrame) -> list[pdk.Layer]:
    """Return one H3HexagonLayer per colour class, so each cell is sent as just its id and tooltip.

    A colour per cell would triple the map data: pydeck writes JSON indented, four lines an RGBA.
    """
    chosen = scale(cells["contacts"], measure="contacts")
    cell_class = classes(cells["contacts"], chosen)
    data = pd.DataFrame(
        {"cell": cells["cell"], "tooltip": cells["contacts"].map("{:,} contacts in this hexagon".format)}
    )
    return [
        pdk.Layer(
            "H3HexagonLayer",
            data=data[cell_class == k],
            id=f"cells-{k}",
            pickable=True,
            stroked=False,
            filled=True,
            extruded=False,
            get_hexagon="cell",
            get_fill_color=_rgba(colour),
        )
        for k, colour in enumerate(chosen.colours)
        if (cell_class == k).any()
    ]


def _view(figures: gpd.GeoDataFrame) -> pdk.ViewState:
    """Frame the districts in a map of about MAP_PIXELS (deck.gl's world is 512 pixels wide at zoom 0)."""
    if figures.empty:
        return pdk.ViewState(latitude=39.8, longitude=-98.6, zoom=3)
    min_lon, min_lat, max_lon, max_lat = figures.total_bounds
    middle = (min_lat + max_lat) / 2
    width, height = MAP_PIXELS
    # Web Mercator stretches north-south distances by 1 / cos(latitude).
    tall = max(max_lat - min_lat, 1e-3) / math.cos(math.radians(middle))
    zoom = min(math.log2(width * 360 / 512 / max(max_lon - min_lon, 1e-3)), math.log2(height * 360 / 512 / tall))
    return pdk.ViewState(latitude=middle, longitude=(min_lon + max_lon) / 2, zoom=round(zoom - 0.2, 2))
