"""Altair charts of the priorities: candidates' points by criterion, rank ranges, the funding line.

Pure builders (frame in, chart out) in the projector style of voc.present.charts.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from voc.present.charts import HIGHLIGHT, LABEL_SIZE, colour_scale, projector

# Demand's evidence in blues and greens, the county's own criteria in warm colours, then neutrals.
CRITERION_PALETTE = (
    "#0072B2", "#56B4E9", "#009E73", "#CC79A7", "#E69F00", "#D55E00", "#000000", "#999999", "#882255", "#44AA99",
)  # fmt: skip


def criterion_colours(labels: list[str]) -> dict[str, str]:
    """Give each criterion (in the ranking's order) its colour; the same order gives the same colours."""
    return {label: CRITERION_PALETTE[i % len(CRITERION_PALETTE)] for i, label in enumerate(labels)}


def score_bars(points: pd.DataFrame, colours: dict[str, str], *, size: int = LABEL_SIZE) -> alt.LayerChart:
    """Stacked horizontal bars of each candidate's points by criterion, best first, its score at the end.

    Expects columns candidate (the row label), rank, criterion, points, total; `colours` maps
    criterion labels to colours in the order the stack and legend follow.
    """
    order = points.drop_duplicates("candidate").sort_values("rank")["candidate"].tolist()
    stack = list(colours)
    data = points.assign(stack_order=points["criterion"].map({c: i for i, c in enumerate(stack)}))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("candidate:N", sort=order, title=None),
            x=alt.X(
                "sum(points):Q",
                title="Score (0-100)",
                scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(values=list(range(0, 101, 10))),
            ),
            # Above the bars: read before them, and on a projected first screen whatever the number of rows.
            color=alt.Color(
                "criterion:N",
                scale=colour_scale(colours),
                sort=stack,
                legend=alt.Legend(title=None, orient="top", columns=4, symbolSize=size * 12),
            ),
            order=alt.Order("stack_order:Q"),
            tooltip=[
                alt.Tooltip("candidate:N", title="Candidate"),
                alt.Tooltip("criterion:N", title="Criterion"),
                alt.Tooltip("points:Q", title="Points", format=".1f"),
            ],
        )  # fmt: skip
    )
    totals = (
        alt.Chart(data.drop_duplicates("candidate"))
        .mark_text(align="left", dx=6, fontSize=size, fontWeight="bold")
        .encode(y=alt.Y("candidate:N", sort=order), x="total:Q", text=alt.Text("total:Q", format=".0f"))
    )
    height = max(160, len(order) * (size * 2 + 8))
    return projector(alt.layer(bars, totals).properties(height=height), size=size, label_limit=560)


def rank_range_chart(frame: pd.DataFrame, *, size: int = LABEL_SIZE) -> alt.LayerChart:
    """Each candidate's current rank as a dot over an orange bar from its best to its worst rank; rank 1 left.

    Expects columns candidate (the row label), rank, best_rank, worst_rank, solid.
    """
    order = frame.sort_values("rank")["candidate"].tolist()
    data = frame.assign(steadiness=frame["solid"].map({True: "Holds its rank", False: "Can move along the bar"}))
    last = int(frame["worst_rank"].max()) if len(frame) else 1
    x_scale = alt.Scale(domain=[0.5, last + 0.5], nice=False)
    base = alt.Chart(data).encode(y=alt.Y("candidate:N", sort=order, title=None))
    span = base.mark_rule(strokeWidth=size * 0.8, color="#E69F00").encode(
        x=alt.X("best_rank:Q", title="Rank when the weights move by ±10%, alone or together", scale=x_scale,
                axis=alt.Axis(values=list(range(1, last + 1)), format="d")),
        x2="worst_rank:Q",
    )  # fmt: skip
    dots = base.mark_point(filled=True, size=size * 16, opacity=1).encode(
        x="rank:Q",
        color=alt.Color(
            "steadiness:N",
            scale=alt.Scale(domain=["Holds its rank", "Can move along the bar"], range=[HIGHLIGHT, "#000000"]),
            legend=alt.Legend(title=None, orient="bottom", symbolSize=size * 12),
        ),
        tooltip=[
            alt.Tooltip("candidate:N", title="Candidate"),
            alt.Tooltip("best_rank:Q", title="Best rank"),
            alt.Tooltip("worst_rank:Q", title="Worst rank"),
        ],
    )
    height = max(160, len(order) * (size * 2 + 8))
    return projector(alt.layer(span, dots).properties(height=height), size=size, label_limit=560)


FUNDING_COLOURS = {"Funded": HIGHLIGHT, "Funded (mandated)": "#000000", "Not funded": "#BBBBBB"}


def funding_line(steps: pd.DataFrame, *, budget: float, size: int = LABEL_SIZE) -> alt.LayerChart:
    """Each candidate's cost as a step after the one before it, and the budget as a vertical line.

    Expects columns label, rank, status, cost, start, end (voc.priorities.funding.funding_steps),
    funded first: they lie left of the line, the candidates left out beyond it.
    """
    order = steps["label"].tolist()
    millions = steps.assign(start=steps["start"] / 1e6, end=steps["end"] / 1e6, cost=steps["cost"] / 1e6)
    bars = (
        alt.Chart(millions)
        .mark_bar(height=size * 1.4)
        .encode(
            y=alt.Y("label:N", sort=order, title=None),
            x=alt.X("start:Q", title="Cumulative cost ($ millions)"),
            x2="end:Q",
            color=alt.Color("status:N", scale=colour_scale(FUNDING_COLOURS),
                            legend=alt.Legend(title=None, orient="bottom", symbolSize=size * 12)),
            tooltip=[alt.Tooltip("label:N", title="Candidate"), alt.Tooltip("status:N", title="Funding"),
                     alt.Tooltip("cost:Q", title="Cost ($M)", format=",.2f")],
        )
    )  # fmt: skip
    line = pd.DataFrame({"budget": [budget / 1e6], "text": [f"Budget ${budget / 1e6:,.1f}M"]})
    rule = alt.Chart(line).mark_rule(color="#D55E00", strokeWidth=3, strokeDash=[8, 4]).encode(x="budget:Q")
    text = (
        alt.Chart(line)
        .mark_text(align="left", baseline="top", dx=6, dy=4, fontSize=size, fontWeight="bold", color="#D55E00")
        .encode(x="budget:Q", y=alt.value(0), text="text:N")
    )
    height = max(160, len(order) * (size * 2 + 8))
    return projector(alt.layer(bars, rule, text).properties(height=height), size=size, label_limit=560)
