"""The screens of the Priorities page's presentation view: a heading and one large chart each."""

from __future__ import annotations

from functools import partial

import altair as alt
import pandas as pd

from voc.present import charts, priority_charts

SCREENS = {"ranking": "The ranking", "value": "Demand per dollar", "stability": "How solid",
           "candidate": "One project", "weights": "The weights"}  # fmt: skip
PRESENTATION_SIZE = 26  # label size that reads from the back of a meeting room


def priorities_screen(
    screen: str, *, table: pd.DataFrame, points: pd.DataFrame, parts: pd.DataFrame, picked: str,
    colours: dict[str, str], size: int = PRESENTATION_SIZE,
) -> tuple[str, partial[alt.TopLevelMixin]]:  # fmt: skip
    """Return a presentation screen's heading and its chart's builder; an unknown screen is the ranking.

    `table` is the ranking table (rank order, with rank ranges), `points` the top ten's points
    (voc.priorities.ranking.points_long), `parts` the picked candidate's breakdown, its last row the total.
    """
    bars = parts.iloc[:-1].assign(label=parts["criterion"], value=parts["points"])
    if screen == "value":
        value = table.dropna(subset=["contacts_per_million"]).nlargest(10, "contacts_per_million")
        frame = value.assign(label=value["name"], value=value["contacts_per_million"])[["label", "value"]]
        chart = partial(charts.labelled_bars, frame, title="Contacts per $1 million", value_format=",.1f", size=size)
        return "Linked contacts per $1 million", chart
    if screen == "stability":
        top10 = table.head(10)
        frame = top10.assign(candidate=top10["rank"].astype(str) + ". " + top10["name"])
        heading = f"{int(top10['solid'].sum())} of the top {len(top10)} hold their rank"
        return heading, partial(priority_charts.rank_range_chart, frame, size=size)
    if screen == "candidate":
        chart = partial(charts.labelled_bars, bars[["label", "value"]], title="Points", value_format=".1f", size=size)
        return f"{picked}: {parts['points'].iloc[-1]:.0f} points", chart
    if screen == "weights":
        frame = bars.assign(value=bars["weight_share"])[["label", "value"]]
        chart = partial(charts.labelled_bars, frame, title="Share of the score", value_format=".0%", size=size)
        return "The weights", chart
    return "The ten strongest candidates", partial(priority_charts.score_bars, points, colours, size=size)
