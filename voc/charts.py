"""Altair chart builders: a frame in, a chart out, styled to read on a projector."""

from __future__ import annotations

import altair as alt
import pandas as pd

from voc.periods import month_label

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


def _projector(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    return (
        chart.configure_axis(labelFontSize=LABEL_SIZE, titleFontSize=TITLE_SIZE, labelLimit=320, gridColor="#E6E6E6")
        .configure_legend(labelFontSize=LABEL_SIZE, titleFontSize=TITLE_SIZE)
        .configure_view(strokeWidth=0)
    )


def monthly_bars(monthly: pd.DataFrame, *, highlight: str, height: int = 320) -> alt.LayerChart:
    """Bars of contacts per month (columns month, contacts), the highlighted month in strong blue."""
    data = monthly.assign(
        label=monthly["month"].map(month_label),
        is_highlight=monthly["month"] == highlight,
    )
    order = data["label"].tolist()
    base = alt.Chart(data).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("contacts:Q", title="Contacts", axis=alt.Axis(format=",d")),
        tooltip=[
            alt.Tooltip("label:N", title="Month"),
            alt.Tooltip("contacts:Q", title="Contacts", format=","),
        ],
    )
    bars = base.mark_bar().encode(color=alt.condition(alt.datum.is_highlight, alt.value(HIGHLIGHT), alt.value(MUTED)))
    return _projector(alt.layer(bars).properties(height=height))


def category_bars(categories: pd.DataFrame, *, height: int = 420) -> alt.LayerChart:
    """Horizontal bars of the top categories' contacts, labelled with their change against last year.

    Expects columns category, contacts, change_vs_last_year (percent or None).
    """
    data = categories.assign(
        change_label=[
            "new" if pd.isna(change) else f"{change:+.0f}% vs last year" for change in categories["change_vs_last_year"]
        ]
    )
    largest_first = data.sort_values("contacts", ascending=False)["category"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("category:N", sort=largest_first, title=None),
        x=alt.X("contacts:Q", title="Contacts", axis=alt.Axis(format=",d")),
        tooltip=[
            alt.Tooltip("category:N", title="Category"),
            alt.Tooltip("contacts:Q", title="Contacts", format=","),
            alt.Tooltip("change_label:N", title="Change"),
        ],
    )
    bars = base.mark_bar(color=HIGHLIGHT)
    labels = base.mark_text(align="left", dx=6, fontSize=LABEL_SIZE).encode(text="change_label:N")
    return _projector(alt.layer(bars, labels).properties(height=height))


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
    return _projector(alt.layer(bars, labels).properties(height=height))
