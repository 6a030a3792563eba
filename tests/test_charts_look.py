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


def test_two_years_of_months_are_labelled_by_quarter() -> None:
    months = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
    monthly = pd.DataFrame({"month": months, "contacts": range(24)})
    [bars] = _spec(charts.monthly_bars(monthly, highlight="2026-12"))["layer"]
    assert bars["encoding"]["x"]["axis"]["values"] == ["Jan 2025", "Apr 2025", "Jul 2025", "Oct 2025", "Jan 2026",
                                                      "Apr 2026", "Jul 2026", "Oct 2026"]  # fmt: skip
    year = monthly.tail(12)
    [bars] = _spec(charts.monthly_bars(year, highlight="2026-12"))["layer"]
    assert len(bars["encoding"]["x"]["axis"]["values"]) == 12


def test_category_bars_leave_room_for_their_change_labels() -> None:
    categories = pd.DataFrame(
        {"category": ["General questions", "Potholes"], "contacts": [500, 300], "change_vs_last_year": [-2.0, None]}
    )
    spec = _spec(charts.category_bars(categories))
    bars, labels = spec["layer"]
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 500 * charts.LABEL_ROOM]
    assert spec["datasets"][spec["data"]["name"]][0]["change_label"] == "-2%"
    assert [row["change_label"] for row in spec["datasets"][spec["data"]["name"]]] == ["-2%", "new"]
