"""Altair charts of survey results: satisfaction with margins, districts, the importance-satisfaction quadrant.

Pure builders (frame in, chart out) in the projector style of voc.present.charts: large labels, Okabe-Ito colours.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from voc.present.charts import LABEL_SIZE, projector

RISE, FALL, STEADY, BENCHMARK, GREY = "#009E73", "#D55E00", "#0072B2", "#000000", "#BBBBBB"
CHANGE_COLOURS = {"Real rise": RISE, "Real fall": FALL, "No real change": STEADY, "Not compared": "#56B4E9"}
TIER_COLOURS = {
    "Very high priority": "#D55E00",
    "High priority": "#E69F00",
    "Medium priority": "#0072B2",
    "Not tiered": "#56B4E9",
}
_ROW = 34
# A full-width scatter's plot area and its labels' size, to keep labels apart (spaced_labels).
SCATTER_PIXELS = (820, 460)
LABEL_GAP, LABEL_HALF_HEIGHT, LABEL_CHAR_PIXELS, POINT_RADIUS = 10, 8, 7, 8
LIGHT = 0.5  # the opacity of a district cell within sampling noise: its direction shows, faintly


def _short(text: pd.Series, limit: int = 48) -> pd.Series:
    return text.where(text.str.len() <= limit, text.str[: limit - 1] + "…")


def spaced_labels(
    frame: pd.DataFrame, *, x: str, y: str, x_domain: tuple[float, float], y_domain: tuple[float, float],
    limit: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Return the rows, in the frame's order (most deserving first), whose `item` label fits without collision.

    A label is written to the right of its point in a plot of about SCATTER_PIXELS; it is left out when
    it would overlap a label already placed or cover another point. At most `limit` labels.
    """
    width, height = SCATTER_PIXELS
    px = (frame[x].to_numpy(float) - x_domain[0]) / (x_domain[1] - x_domain[0]) * width
    py = (1 - (frame[y].to_numpy(float) - y_domain[0]) / ((y_domain[1] - y_domain[0]) or 1.0)) * height
    boxes: list[tuple[float, float, float, float]] = []
    kept = []
    for row, (left, middle, text) in enumerate(zip(px + LABEL_GAP, py, frame["item"], strict=True)):
        box = (left, middle - LABEL_HALF_HEIGHT, left + len(str(text)) * LABEL_CHAR_PIXELS, middle + LABEL_HALF_HEIGHT)
        covers = any(_inside(box, px[other], py[other]) for other in range(len(frame)) if other != row)
        if covers or any(_overlap(box, placed) for placed in boxes):
            continue
        boxes.append(box)
        kept.append(row)
        if limit is not None and len(kept) == limit:
            break
    return frame.iloc[kept]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(box: tuple[float, ...], x: float, y: float) -> bool:
    return box[0] - POINT_RADIUS < x < box[2] + POINT_RADIUS and box[1] - POINT_RADIUS < y < box[3] + POINT_RADIUS


def _change_status(frame: pd.DataFrame) -> pd.Series:
    status = pd.Series("No real change", index=frame.index)
    status[frame["p_value"].isna()] = "Not compared"
    status[frame["significant"].astype(bool) & (frame["change"] > 0)] = "Real rise"
    status[frame["significant"].astype(bool) & (frame["change"] < 0)] = "Real fall"
    return status


def satisfaction_chart(compared: pd.DataFrame) -> alt.LayerChart:
    """Dots of each item's satisfied share with its 95% interval as a bar, coloured by whether it really changed.

    Expects voc.survey.compare.compare_waves output; a black tick marks an item's benchmark.
    """
    data = compared[compared["satisfied_share"].notna()].assign(
        item=lambda f: _short(f["service_area"]),
        status=_change_status,
        label=lambda f: [f"{s:.0%} ±{m * 100:.0f}" for s, m in zip(f["satisfied_share"], f["margin"], strict=True)],
    )
    order = data["item"].tolist()
    y = alt.Y("item:N", sort=order, title=None, axis=alt.Axis(labelLimit=420))
    x_scale = alt.Scale(domain=[0, 1])
    tooltip = [
        alt.Tooltip("service_area:N", title="Item"),
        alt.Tooltip("satisfied_share:Q", title="Satisfied", format=".0%"),
        alt.Tooltip("low:Q", title="95% from", format=".0%"),
        alt.Tooltip("high:Q", title="95% to", format=".0%"),
        alt.Tooltip("n:Q", title="Respondents", format=","),
        alt.Tooltip("verdict:N", title="Change"),
    ]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    interval = base.mark_rule(strokeWidth=6, opacity=0.35).encode(
        x=alt.X("low:Q", scale=x_scale, title="Share satisfied (4 or 5 of 5), with its 95% margin",
                axis=alt.Axis(format="%")),
        x2="high:Q",
        color=alt.Color("status:N", scale=alt.Scale(domain=list(CHANGE_COLOURS), range=list(CHANGE_COLOURS.values())),
                        legend=alt.Legend(title="Since the wave before", orient="top")),
    )  # fmt: skip
    dots = base.mark_circle(size=180, opacity=1).encode(x="satisfied_share:Q", color=alt.Color("status:N"))
    labels = base.mark_text(align="left", dx=12, fontSize=LABEL_SIZE - 2).encode(x="high:Q", text="label:N")
    layers = [interval, dots, labels]
    marks = data[data["benchmark_share"].notna()]
    if len(marks):
        layers.append(
            alt.Chart(marks).mark_tick(color=BENCHMARK, thickness=3, size=26).encode(
                y=y, x="benchmark_share:Q",
                tooltip=[alt.Tooltip("benchmark_share:Q", title="Benchmark", format=".0%"),
                         alt.Tooltip("benchmark_source:N", title="Source")],
            )
        )  # fmt: skip
    return projector(alt.layer(*layers).properties(height=max(160, _ROW * len(data))))


def district_heatmap(districts: pd.DataFrame, names: dict[str, str] | None = None) -> alt.LayerChart:
    """Cells of each district's satisfied share per item, shaded by how far it is from the rest of the county.

    Expects voc.survey.compare.districts_against_county output, whose `significant` is corrected for the
    number of cells compared. Every cell is shaded lightly by its difference; the cells that differ by
    more than sampling noise are shaded fully, outlined in black and labelled in bold. Districts are
    named by `names` (code -> name) where given.
    """
    data = districts[districts["satisfied_share"].notna()].assign(
        item=lambda f: _short(f["service_area"], 40),
        district=lambda f: f["district_code"].map(lambda code: (names or {}).get(code, code)),
        real=lambda f: f["significant"].astype(bool),
        label=lambda f: f["satisfied_share"].map(lambda s: f"{s:.0%}"),
    )
    order = list(dict.fromkeys(data.sort_values("district_code")["district"]))
    base = alt.Chart(data).encode(
        x=alt.X("district:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, orient="top", labelLimit=160)),
        y=alt.Y("item:N", title=None, sort=None, axis=alt.Axis(labelLimit=380)),
        tooltip=[
            alt.Tooltip("service_area:N", title="Item"),
            alt.Tooltip("district:N", title="District"),
            alt.Tooltip("satisfied_share:Q", title="Satisfied", format=".0%"),
            alt.Tooltip("margin:Q", title="± margin", format=".0%"),
            alt.Tooltip("rest_share:Q", title="Rest of the county", format=".0%"),
            alt.Tooltip("verdict:N", title="Against the rest"),
        ],
    )
    shade = alt.Color("difference:Q", scale=alt.Scale(scheme="blueorange", reverse=True, domain=[-0.3, 0.3]),
                      legend=alt.Legend(title="Above / below the rest", format="+.0%", orient="top"))  # fmt: skip
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=shade, opacity=alt.condition(alt.datum.real, alt.value(1.0), alt.value(LIGHT))
    )
    outlines = (
        alt.Chart(data[data["real"]])
        .mark_rect(fill=None, stroke=BENCHMARK, strokeWidth=3)
        .encode(x=alt.X("district:N", sort=order), y=alt.Y("item:N", sort=None))
    )
    texts = [
        base.transform_filter(alt.datum.real if bold else ~alt.datum.real)
        .mark_text(fontSize=LABEL_SIZE - 2, fontWeight="bold" if bold else "normal")
        .encode(text="label:N")
        for bold in (False, True)
    ]
    items = data["item"].nunique()
    return projector(alt.layer(cells, outlines, *texts).properties(height=max(160, _ROW * items)))


def quadrant_chart(
    prioritised: pd.DataFrame, *, importance_title: str, derived: bool = False, labelled: int = 8
) -> alt.LayerChart:
    """Scatter of importance against satisfaction with lines at their means, ETC's four quadrants named in the corners.

    Expects voc.survey.compare.priorities output; points are coloured by tier (or "Not tiered"). Only
    the `labelled` highest I-S ratings carry their name, fewer when labels would collide (spaced_labels); all
    have tooltips. `derived`: importance is a correlation, not a share of respondents.
    """
    data = prioritised.dropna(subset=["importance", "satisfied_share"]).assign(
        item=lambda f: _short(f["service_area"], 30),
        tier_shown=lambda f: f["tier"].astype("string").fillna("Not tiered"),
    )
    mean_x, mean_y = float(data["satisfied_share"].mean()), float(data["importance"].mean())
    top = float(data["importance"].max()) * 1.1 or 1.0
    x = alt.X("satisfied_share:Q", title="Satisfied", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    # Stated importance is a share of respondents, shown in percent like satisfaction; a derived one is a correlation.
    y_format = ".2f" if derived else "%"
    y = alt.Y("importance:Q", title=importance_title, scale=alt.Scale(domain=[0, top]), axis=alt.Axis(format=y_format))
    points = alt.Chart(data).mark_circle(size=220, opacity=0.9).encode(
        x=x, y=y,
        color=alt.Color("tier_shown:N", scale=alt.Scale(domain=list(TIER_COLOURS), range=list(TIER_COLOURS.values())),
                        legend=alt.Legend(title="Priority", orient="top")),
        tooltip=[alt.Tooltip("service_area:N", title="Item"),
                 alt.Tooltip("satisfied_share:Q", title="Satisfied", format=".0%"),
                 alt.Tooltip("importance:Q", title=importance_title, format=".2f" if derived else ".0%"),
                 alt.Tooltip("is_rating:Q", title="I-S rating", format=".3f"),
                 alt.Tooltip("quadrant:N", title="Quadrant")],
    )  # fmt: skip
    named = spaced_labels(data.sort_values("is_rating", ascending=False), x="satisfied_share", y="importance",
                          x_domain=(0, 1), y_domain=(0, top), limit=labelled)  # fmt: skip
    labels = (
        alt.Chart(named).mark_text(align="left", dx=LABEL_GAP, fontSize=LABEL_SIZE - 3).encode(x=x, y=y, text="item:N")
    )
    lines = [
        alt.Chart(pd.DataFrame({"v": [mean_x]})).mark_rule(strokeDash=[6, 4], color=GREY).encode(x="v:Q"),
        alt.Chart(pd.DataFrame({"v": [mean_y]})).mark_rule(strokeDash=[6, 4], color=GREY).encode(y="v:Q"),
    ]
    corners = pd.DataFrame({
        "x": [0.02, 0.98, 0.02, 0.98], "y": [top * 0.97, top * 0.97, top * 0.03, top * 0.03],
        "align": ["left", "right", "left", "right"],
        "text": ["Opportunities for improvement", "Continued emphasis", "Less important", "Exceeded expectations"],
    })  # fmt: skip
    names = [
        alt.Chart(corners[corners["align"] == side]).mark_text(align=side, fontSize=LABEL_SIZE, fontWeight="bold",
                                                               color="#555555")
        .encode(x=alt.X("x:Q"), y=alt.Y("y:Q"), text="text:N")
        for side in ("left", "right")
    ]  # fmt: skip
    return projector(alt.layer(*lines, *names, points, labels).properties(height=560))


def complaints_chart(beside: pd.DataFrame) -> alt.LayerChart:
    """Scatter of satisfaction against contacts per 1,000 residents; unhappy-and-calling items in vermilion."""
    data = beside.assign(
        item=lambda f: _short(f["service_area"], 30),
        flag=lambda f: f["unhappy_and_calling"].map({True: "Unhappy and calling", False: "Other"}),
    )
    x = alt.X("satisfied_share:Q", title="Satisfied", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("per_1000:Q", title="Contacts per 1,000 residents, last 12 months")
    points = alt.Chart(data).mark_circle(size=220).encode(
        x=x, y=y,
        color=alt.Color("flag:N", scale=alt.Scale(domain=["Unhappy and calling", "Other"], range=[FALL, STEADY]),
                        legend=alt.Legend(title=None, orient="top")),
        tooltip=[alt.Tooltip("service_area:N", title="Service area"),
                 alt.Tooltip("satisfied_share:Q", title="Satisfied", format=".0%"),
                 alt.Tooltip("per_1000:Q", title="Contacts per 1,000", format=".1f"),
                 alt.Tooltip("trend:Q", title="Against the year before", format="+.0%"),
                 alt.Tooltip("categories:N", title="Categories")],
    )  # fmt: skip
    # The unhappy-and-calling items named first, then the most called; a label that would collide is left out.
    ranked = data.assign(first=~data["unhappy_and_calling"].astype(bool)).sort_values(
        ["first", "per_1000"], ascending=[True, False]
    )
    top = float(data["per_1000"].max()) if len(data) else 1.0
    named = spaced_labels(ranked, x="satisfied_share", y="per_1000", x_domain=(0, 1), y_domain=(0, top * 1.05 or 1.0))
    labels = (
        alt.Chart(named).mark_text(align="left", dx=LABEL_GAP, fontSize=LABEL_SIZE - 3).encode(x=x, y=y, text="item:N")
    )
    return projector(alt.layer(points, labels).properties(height=460))
