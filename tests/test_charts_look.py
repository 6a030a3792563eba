"""How the charts read from across a room: legends in view, labels that fit, colours that tell years apart."""

from __future__ import annotations

import pandas as pd

from voc.present import charts


def _spec(chart) -> dict:  # type: ignore[no-untyped-def]
    return chart.to_dict()


def test_score_legend_sits_above_the_bars_so_a_projected_first_screen_shows_it() -> None:
    points = pd.DataFrame(
        {"candidate": [f"{rank}. Project {rank}" for rank in range(1, 11) for _ in range(2)],
         "rank": [rank for rank in range(1, 11) for _ in range(2)], "criterion": ["Customer demand", "Cost"] * 10,
         "points": [30.0, 20.0] * 10, "total": [50.0] * 20}
    )  # fmt: skip
    colours = charts.criterion_colours(["Customer demand", "Cost"])
    spec = _spec(charts.score_bars(points, colours, size=26))
    [bars] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "bar"]
    assert bars["encoding"]["color"]["legend"]["orient"] == "top"
    assert bars["encoding"]["x"]["axis"]["values"] == list(range(0, 101, 10))
