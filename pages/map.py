"""Map: where contacts come from, per resident, what is changing, and the places contacted about again and again."""

import streamlit as st

from voc.app import columns, frame, loaders, show, widgets
from voc.core.fields import label
from voc.core.periods import month_label
from voc.present.maps import deck

frame.require_frame()
st.title("Map")
if not loaders.choices()["month"]:
    st.info("No contacts yet. Upload a month's CRM export on the Upload page, or load the demo county with `voc demo`.")
    st.stop()

filters = widgets.trend_filters("map")
left, right = st.columns([3, 1])
measures = ["contacts", "per_1000", "change"]
widgets.accept_values_in_url("map_measure", measures, label)
measure = (
    left.segmented_control(
        "Colour districts by",
        measures,
        format_func=label,
        default="contacts",
        key="map_measure",
        bind="query-params",
    )
    or "contacts"
)
hotspots = right.toggle("Hotspots (hexagons)", key="map_hotspots", bind="query-params")
figures = loaders.map_figures(filters, measure)
if figures.empty:
    st.info("No district boundaries yet: import them on the Data page or with `voc import districts FILE`.")
    st.stop()

span = f"{month_label(filters.first_month)} to {month_label(filters.last_month)}"
shown, side = st.columns([1.5, 1], gap="large")
cells = loaders.map_cells(filters) if hotspots else None
with side:
    show.map_legend(figures, cells, measure=measure)
    show.table(show.district_table(figures), name="districts", key="map_districts", column_config=columns.DISTRICTS)

# The map is drawn after the profile's choice, to outline the chosen district: a click is read from its state.
clicked = show.selected_district(st.session_state.get("map_deck"))
if clicked:
    st.session_state["map_district"] = clicked
names = dict(zip(figures["code"], figures["name"], strict=True))
widgets.accept_values_in_url("map_district", list(names), names.get)
code = st.selectbox(
    "District profile",
    list(names),
    format_func=names.get,
    index=None,
    placeholder="Choose a district, or click one on the map",
    key="map_district",
    bind="query-params",
)
with shown:
    st.pydeck_chart(
        deck(figures, cells, measure=measure, basemap_style=frame.settings().basemap_style, selected=code),
        height=560, on_select="rerun", selection_mode="single-object", key="map_deck",
    )  # fmt: skip
    caption = "Hexagons: contacts in each, over the districts' outlines. " if hotspots else ""
    st.caption(f"{caption}{span}. Click a district to open its profile below.")
if code:
    show.district_profile_panel(code, filters)

st.subheader("Places residents contact us about again and again")
st.markdown(
    "Addresses (or small hexagons, about 65 m across) with repeated contacts in the chosen months, across "
    "departments: the places where one visit could answer several calls."
)
show_column, by_column, minimum_column = st.columns([1, 1, 2])
# On request only: unlike the rest of the page, finding repeat places reads every contact of the months.
listed = show_column.toggle("List the places", key="map_places", bind="query-params")
place_labels = {"address": "Address", "cell": "Hexagon"}
widgets.accept_values_in_url("map_places_by", list(place_labels), place_labels.get)
by = by_column.segmented_control(
    "Place", list(place_labels), format_func=place_labels.get, default="address",
    key="map_places_by", bind="query-params",
) or "address"  # fmt: skip
minimum = minimum_column.slider("At least this many contacts", 2, 20, 3, key="map_places_min", bind="query-params")
if listed:
    places = loaders.repeat_places(filters, min_contacts=minimum, by=by)
    if places.empty:
        st.info("No place has that many contacts in these months.")
    else:
        show.table(places, name="repeat-places", key="map_places_table", column_config=columns.PLACES)
