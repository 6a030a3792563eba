"""Altair chart builders: a frame in, a chart out, styled to read on a projector."""

from __future__ import annotations

import altair as alt
import pandas as pd

from voc.core.periods import month_label

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")
HIGHLIGHT = "#0072B2"
MUTED = "#9DB9D3"
CHANNEL_COLOURS = {
    "phone": "#0072B2",
    "web": "#E69F00",
    "app": "#009E73",
    "e-mail": "#CC79A7",
    "walk-in": "#D55E00",
    "social media": "#56B4E9",
    "stakeholder session": "#000000",
    "other": "#7F7F7F",
    "unknown": "#BBBBBB",
}
LABEL_SIZE = 16
TITLE_SIZE = 18


def projector(
    chart: alt.Chart | alt.LayerChart, *, size: int = LABEL_SIZE, label_limit: int = 320
) -> alt.Chart | alt.LayerChart:
    return (
        chart.configure_axis(labelFontSize=size, titleFontSize=size + 2, labelLimit=label_limit, gridColor="#E6E6E6")
        .configure_legend(labelFontSize=size, titleFontSize=size + 2, labelLimit=label_limit)
        .configure_view(strokeWidth=0)
    )


def count_axis(**options: object) -> alt.Axis:
    """An axis of whole counts: ticks at least one apart, so that ",d" never prints a count twice (0, 1, 1, 2)."""
    return alt.Axis(format=",d", tickMinStep=1, **options)


MONTH_TICK_STEPS = (1, 2, 3, 6, 12)
MAX_MONTH_TICKS = 12


def month_axis(dates: pd.Series) -> alt.Axis:
    """A time axis labelled once per month, or every 2, 3, 6 or 12 months when the span holds more than 12.

    Left to itself, Vega puts ticks every week or fortnight of a short span, and "%b %Y" then prints each
    month several times.
    """
    first, last = dates.min(), dates.max()
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((s for s in MONTH_TICK_STEPS if months / s <= MAX_MONTH_TICKS), MONTH_TICK_STEPS[-1])
    return alt.Axis(format="%b %Y", labelAngle=-45, tickCount={"interval": "month", "step": step})


QUARTERLY_AFTER_MONTHS = 12


def monthly_bars(monthly: pd.DataFrame, *, highlight: str, height: int = 320) -> alt.LayerChart:
    """Bars of contacts per month (columns month, contacts), the highlighted month in strong blue."""
    data = monthly.assign(
        label=monthly["month"].map(month_label),
        is_highlight=monthly["month"] == highlight,
    )
    order = data["label"].tolist()
    # Beyond a year, a label a quarter (Jan, Apr, Jul, Oct): two years of month labels overlap in a half-width chart.
    quarters = [text for month, text in zip(data["month"], order, strict=True) if int(str(month)[5:7]) % 3 == 1]
    ticks = quarters if len(order) > QUARTERLY_AFTER_MONTHS and quarters else order
    base = alt.Chart(data).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45, values=ticks)),
        y=alt.Y("contacts:Q", title="Contacts", axis=count_axis()),
        tooltip=[
            alt.Tooltip("label:N", title="Month"),
            alt.Tooltip("contacts:Q", title="Contacts", format=","),
        ],
    )
    bars = base.mark_bar().encode(color=alt.condition(alt.datum.is_highlight, alt.value(HIGHLIGHT), alt.value(MUTED)))
    return projector(alt.layer(bars).properties(height=height))


LABEL_ROOM = 1.3  # the x axis runs this far past the longest bar, for its label


def category_bars(categories: pd.DataFrame, *, height: int = 420) -> alt.LayerChart:
    """Horizontal bars of the top categories' contacts, labelled with their change against last year.

    Expects columns category, contacts, change_vs_last_year (percent or None).
    """
    # Short labels and room for them past the longest bar: "+35% vs last year" ran off a half-width chart.
    data = categories.assign(
        change_label=["new" if pd.isna(change) else f"{change:+.0f}%" for change in categories["change_vs_last_year"]]
    )
    largest_first = data.sort_values("contacts", ascending=False)["category"].tolist()
    room = float(data["contacts"].max()) * LABEL_ROOM if len(data) else 1.0
    base = alt.Chart(data).encode(
        y=alt.Y("category:N", sort=largest_first, title=None),
        x=alt.X(
            "contacts:Q",
            title="Contacts (label: change on a year earlier)",
            axis=count_axis(tickCount=4),
            scale=alt.Scale(domain=[0, room], nice=False),
        ),  # fmt: skip
        tooltip=[
            alt.Tooltip("category:N", title="Category"),
            alt.Tooltip("contacts:Q", title="Contacts", format=","),
            alt.Tooltip("change_label:N", title="Change"),
        ],
    )
    bars = base.mark_bar(color=HIGHLIGHT)
    labels = base.mark_text(align="left", dx=6, fontSize=LABEL_SIZE).encode(text="change_label:N")
    return projector(alt.layer(bars, labels).properties(height=height))


def channel_bars(channels: pd.DataFrame, *, height: int = 300) -> alt.LayerChart:
    """Horizontal bars of each channel's share of contacts (columns channel, contacts, share)."""
    data = channels.assign(share_label=channels["share"].map(lambda s: f"{s:.0%}"))
    domain = [c for c in CHANNEL_COLOURS if c in set(data["channel"])]
    largest_first = data.sort_values("share", ascending=False)["channel"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("channel:N", sort=largest_first, title=None),
        x=alt.X("share:Q", title="Share of contacts", axis=alt.Axis(format="%")),
        tooltip=[
            alt.Tooltip("channel:N", title="Channel"),
            alt.Tooltip("contacts:Q", title="Contacts", format=","),
            alt.Tooltip("share:Q", title="Share", format=".1%"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "channel:N",
            scale=alt.Scale(domain=domain, range=[CHANNEL_COLOURS[c] for c in domain]),
            legend=None,
        )
    )
    labels = base.mark_text(align="left", dx=6, fontSize=LABEL_SIZE).encode(text="share_label:N")
    return projector(alt.layer(bars, labels).properties(height=height))


SERIES_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
OTHER_COLOUR = "#9E9E9E"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def group_colours(ranked_groups: list[str], shown: list[str]) -> dict[str, str]:
    """Give each shown group a colour fixed by its rank across the whole store, so it matches on every page.

    `ranked_groups` lists every value of the dimension, largest first; "Other" and unknown groups are grey.
    """
    if set(shown) <= set(CHANNEL_COLOURS):
        return {group: CHANNEL_COLOURS[group] for group in shown}
    rank = {group: index for index, group in enumerate(ranked_groups)}
    colours = {}
    used: set[str] = set()
    for group in sorted(shown, key=lambda g: rank.get(g, len(rank))):
        if group not in rank:
            colours[group] = OTHER_COLOUR
            continue
        preferred = SERIES_PALETTE[rank[group] % len(SERIES_PALETTE)]
        free = [c for c in SERIES_PALETTE if c not in used]
        colours[group] = preferred if preferred not in used or not free else free[0]
        used.add(colours[group])
    return colours


def colour_scale(colours: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def trend_lines(
    frame: pd.DataFrame,
    colours: dict[str, str],
    *,
    value: str = "contacts",
    title: str = "Contacts",
    actions: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    height: int = 420,
) -> alt.LayerChart:
    """Lines per group over time (columns period, group, value); actions as dashed rules, forecasts dashed.

    `period` is YYYY-MM or a YYYY-MM-DD week start; `actions` has action_date and description;
    `forecast` has period, group, forecast, lower, upper.
    """
    data = frame.assign(date=pd.to_datetime(frame["period"]))
    fmt = ",.1f" if value == "per_1000" else ","
    legend = alt.Legend(title=None, orient="bottom", columns=4, symbolStrokeWidth=4, labelLimit=260)
    ahead = pd.to_datetime(forecast["period"]) if forecast is not None else pd.Series(dtype="datetime64[ns]")
    base = alt.Chart(data).encode(
        x=alt.X("date:T", title=None, axis=month_axis(pd.concat([data["date"], ahead]))),
        y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=",.1f") if value == "per_1000" else count_axis()),
        color=alt.Color("group:N", scale=colour_scale(colours), legend=legend),
        tooltip=[
            alt.Tooltip("group:N", title="Series"),
            alt.Tooltip("date:T", title="Period", format="%b %Y" if len(frame["period"].iloc[0]) == 7 else "%d %b %Y"),
            alt.Tooltip(f"{value}:Q", title=title, format=fmt),
        ],
    )
    layers: list[alt.Chart] = [base.mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=40))]
    if forecast is not None and len(forecast):
        # Start each dashed line at the group's last actual point, so the forecast reads as a continuation.
        last = data[data["period"] == data["period"].max()][["period", "group", value]]
        joined = last.rename(columns={value: "forecast"}).assign(
            lower=lambda f: f["forecast"], upper=lambda f: f["forecast"]
        )
        future = pd.concat([joined[joined["group"].isin(forecast["group"])], forecast], ignore_index=True)
        future = future.assign(date=pd.to_datetime(future["period"]))
        band = (
            alt.Chart(future)
            .mark_area(opacity=0.15)
            .encode(
                x="date:T",
                y="lower:Q",
                y2="upper:Q",
                color=alt.Color("group:N", scale=colour_scale(colours), legend=None),
            )
        )
        dashed = (
            alt.Chart(future)
            .mark_line(strokeDash=[8, 6], strokeWidth=3)
            .encode(
                x="date:T",
                y="forecast:Q",
                color=alt.Color("group:N", scale=colour_scale(colours), legend=None),
                tooltip=[
                    alt.Tooltip("group:N", title="Series"),
                    alt.Tooltip("date:T", format="%b %Y", title="Month"),
                    alt.Tooltip("forecast:Q", format=",.0f", title="Forecast"),
                    alt.Tooltip("lower:Q", format=",.0f", title="Low"),
                    alt.Tooltip("upper:Q", format=",.0f", title="High"),
                ],
            )
        )
        layers += [band, dashed]
    if actions is not None and len(actions):
        marks = actions.assign(date=pd.to_datetime(actions["action_date"]))
        rules = (
            alt.Chart(marks)
            .mark_rule(strokeDash=[4, 4], color="#333333", strokeWidth=2)
            .encode(
                x="date:T",
                tooltip=[
                    alt.Tooltip("date:T", title="Action on", format="%d %b %Y"),
                    alt.Tooltip("description:N", title="Action"),
                ],
            )
        )
        layers.append(rules)
    return projector(alt.layer(*layers).properties(height=height))


# A theme keeps its look on every chart: its colour and dash follow from its id (themes are numbered
# largest first, so the county's seven largest are the seven solid lines), never from its rank here.
THEME_DASHES = ((1, 0), (10, 5), (2, 4), (10, 4, 2, 4), (18, 6))
MAX_THEME_LINES = 6


def theme_style(theme: int) -> tuple[str, tuple[int, ...]]:
    """Return a theme's colour and stroke dash, fixed by its id: 35 distinct pairs, then they repeat."""
    return SERIES_PALETTE[theme % len(SERIES_PALETTE)], THEME_DASHES[theme // len(SERIES_PALETTE) % len(THEME_DASHES)]


def theme_lines(monthly: pd.DataFrame, *, top: int = MAX_THEME_LINES, height: int = 500) -> alt.Chart:
    """Contacts per month of the `top` themes with the most contacts (columns month, theme, name, contacts).

    Months a theme had no contact count 0. Each line's colour and dash come from its theme id
    (theme_style), so a theme looks the same on every page; the legend sits below in two columns,
    names in full, each with its dash. `height` includes the axis labels and the legend (Streamlit fits
    the chart to it).
    """
    largest = monthly.groupby("theme")["contacts"].sum().sort_values(ascending=False, kind="stable").head(top)
    shown = monthly[monthly["theme"].isin(largest.index)]
    names = shown.drop_duplicates("theme").set_index("theme")["name"].reindex(largest.index)
    # Two themes may share a name (say, both without distinctive words): their number tells them apart.
    labels = names.where(~names.duplicated(keep=False), names + " (theme " + names.index.astype(str) + ")")
    months = pd.Index(sorted(monthly["month"].unique()), name="month")
    grid = shown.pivot_table(index="month", columns="theme", values="contacts", aggfunc="sum", fill_value=0)
    data = grid.reindex(index=months, columns=largest.index, fill_value=0).stack().rename("contacts").reset_index()
    data = data.assign(date=pd.to_datetime(data["month"]), label=data["theme"].map(labels))
    domain = labels.tolist()
    styles = [theme_style(int(theme)) for theme in largest.index]
    legend = alt.Legend(
        title=None, orient="bottom", columns=2, symbolType="stroke", symbolStrokeWidth=4, symbolSize=900, labelLimit=640
    )
    chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=40))
        .encode(
            x=alt.X("date:T", title=None, axis=month_axis(data["date"])),
            y=alt.Y("contacts:Q", title="Contacts", axis=count_axis()),
            color=alt.Color("label:N", scale=alt.Scale(domain=domain, range=[c for c, _ in styles]), legend=legend),
            strokeDash=alt.StrokeDash(
                "label:N", scale=alt.Scale(domain=domain, range=[list(d) for _, d in styles]), legend=legend
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("date:T", title="Month", format="%b %Y"),
                alt.Tooltip("contacts:Q", title="Contacts", format=","),
            ],
        )  # fmt: skip
    )
    return projector(chart.properties(height=height), label_limit=640)


def year_over_year_lines(yoy: pd.DataFrame, *, height: int = 380) -> alt.LayerChart:
    """One line per year over the months Jan..Dec (columns year, month_number, contacts); the latest year stands out.

    Each earlier year has a colour of its own (five shades of one blue could not be told apart) on a
    thin line; the latest is the thick strong blue.
    """
    years = sorted(yoy["year"].unique())
    earlier = [c for c in OKABE_ITO if c != HIGHLIGHT]
    shades = [earlier[i % len(earlier)] for i in range(len(years) - 1)] + [HIGHLIGHT] if years else []
    latest = years[-1] if years else None
    data = yoy.assign(month=yoy["month_number"].map(lambda m: MONTH_NAMES[m - 1]), is_latest=yoy["year"] == latest)
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:N", sort=list(MONTH_NAMES), title=None),
            y=alt.Y("contacts:Q", title="Contacts", axis=count_axis()),
            color=alt.Color(
                "year:N",
                scale=alt.Scale(domain=years, range=shades),
                legend=alt.Legend(title="Year", symbolStrokeWidth=4),
            ),
            strokeWidth=alt.condition(alt.datum.is_latest, alt.value(5), alt.value(2)),
            opacity=alt.condition(alt.datum.is_latest, alt.value(1.0), alt.value(0.85)),
            tooltip=[
                alt.Tooltip("year:N", title="Year"),
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("contacts:Q", title="Contacts", format=","),
            ],
        )  # fmt: skip
    )
    return projector(chart.properties(height=height))


def channel_mix(frame: pd.DataFrame, *, height: int = 360) -> alt.LayerChart:
    """Stacked shares of each channel per period (columns period, group, share)."""
    data = frame.assign(date=pd.to_datetime(frame["period"]))
    domain = [c for c in CHANNEL_COLOURS if c in set(data["group"])]
    chart = (
        alt.Chart(data)
        .mark_area()
        .encode(
            x=alt.X("date:T", title=None, axis=month_axis(data["date"])),
            y=alt.Y("share:Q", stack="normalize", title="Share of contacts", axis=alt.Axis(format="%")),
            color=alt.Color(
                "group:N",
                scale=alt.Scale(domain=domain, range=[CHANNEL_COLOURS[c] for c in domain]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            order=alt.Order("group:N"),
            tooltip=[
                alt.Tooltip("group:N", title="Channel"),
                alt.Tooltip("date:T", title="Period", format="%b %Y"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
            ],
        )  # fmt: skip
    )
    return projector(chart.properties(height=height))


def labelled_bars(
    frame: pd.DataFrame, *, title: str, value_format: str, size: int = LABEL_SIZE, colour: str = HIGHLIGHT
) -> alt.LayerChart:
    """Horizontal bars of `value` per `label` in the frame's order, each labelled with its value."""
    order = frame["label"].tolist()
    base = alt.Chart(frame).encode(
        y=alt.Y("label:N", sort=order, title=None),
        x=alt.X("value:Q", title=title),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("value:Q", title=title, format=value_format)],
    )
    bars = base.mark_bar(color=colour)
    labels = base.mark_text(align="left", dx=6, fontSize=size).encode(text=alt.Text("value:Q", format=value_format))
    height = max(160, len(order) * (size * 2 + 8))
    return projector(alt.layer(bars, labels).properties(height=height), size=size, label_limit=560)


def map_legend(legend: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """A map's legend as a column of colour squares and class labels (columns colour, label, in class order)."""
    base = alt.Chart(legend).encode(y=alt.Y("label:N", sort=legend["label"].tolist(), axis=None))
    squares = base.mark_square(size=420, stroke="#3C3C3C", strokeWidth=1, opacity=1).encode(
        x=alt.value(12), color=alt.Color("colour:N", scale=None)
    )
    labels = base.mark_text(align="left", baseline="middle", fontSize=LABEL_SIZE).encode(
        x=alt.value(32), text="label:N"
    )
    chart = alt.layer(squares, labels).properties(
        title=title, width=240, height=34 * max(len(legend), 1), usermeta={"voc": "map legend"}
    )
    return projector(chart).configure_title(fontSize=TITLE_SIZE, anchor="start")
