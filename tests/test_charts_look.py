"""How the charts read from across a room: legends in view, labels that fit, colours that tell years apart."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import vl_convert

from voc.present import charts, priority_charts


def _spec(chart) -> dict:  # type: ignore[no-untyped-def]
    return chart.to_dict()


def test_score_legend_sits_above_the_bars_so_a_projected_first_screen_shows_it() -> None:
    points = pd.DataFrame(
        {"candidate": [f"{rank}. Project {rank}" for rank in range(1, 11) for _ in range(2)],
         "rank": [rank for rank in range(1, 11) for _ in range(2)], "criterion": ["Customer demand", "Cost"] * 10,
         "points": [30.0, 20.0] * 10, "total": [50.0] * 20}
    )  # fmt: skip
    colours = priority_charts.criterion_colours(["Customer demand", "Cost"])
    spec = _spec(priority_charts.score_bars(points, colours, size=26))
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


def test_year_over_year_gives_each_year_its_own_colour_and_the_latest_a_thick_line() -> None:
    yoy = pd.DataFrame(
        {"year": [y for y in range(2022, 2027) for _ in range(12)], "month_number": list(range(1, 13)) * 5,
         "contacts": range(60)}
    )  # fmt: skip
    encoding = _spec(charts.year_over_year_lines(yoy))["encoding"]
    shades = encoding["color"]["scale"]["range"]
    assert len(set(shades)) == 5 and shades[-1] == charts.HIGHLIGHT
    assert encoding["strokeWidth"]["condition"]["value"] > encoding["strokeWidth"]["value"]


def test_scatter_labels_never_overlap_nor_cover_a_point() -> None:
    from voc.present.survey_charts import LABEL_CHAR_PIXELS, SCATTER_PIXELS, spaced_labels

    # Real collisions of the demo's complaints chart: two pairs of items a few pixels apart.
    frame = pd.DataFrame(
        {"item": ["Utility billing", "Animal services", "Recreation programs", "Libraries", "Sidewalks"],
         "satisfied_share": [0.60, 0.63, 0.75, 0.86, 0.53], "per_1000": [7.2, 6.8, 2.1, 2.3, 1.3]}
    )  # fmt: skip
    named = spaced_labels(frame, x="satisfied_share", y="per_1000", x_domain=(0, 1), y_domain=(0, 16))
    assert "Utility billing" not in set(named["item"])  # its label would run over Animal services' point
    assert len(named) >= 3
    width, height = SCATTER_PIXELS
    boxes = [
        (
            x * width + 10,
            (1 - y / 16) * height - 8,
            x * width + 10 + len(item) * LABEL_CHAR_PIXELS,
            (1 - y / 16) * height + 8,
        )
        for item, x, y in named[["item", "satisfied_share", "per_1000"]].itertuples(index=False)
    ]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
        covered = [
            item for item, x, y in frame[["item", "satisfied_share", "per_1000"]].itertuples(index=False)
            if a[0] < x * width < a[2] and a[1] < (1 - y / 16) * height < a[3]
        ]  # fmt: skip
        assert covered == []


def test_district_heatmap_shades_every_cell_and_outlines_the_real_differences() -> None:
    from voc.present.survey_charts import district_heatmap

    districts = pd.DataFrame(
        {"service_area": ["Parks"] * 3, "district_code": ["1", "2", "3"], "satisfied_share": [0.29, 0.47, 0.41],
         "margin": [0.06] * 3, "rest_share": [0.45] * 3, "difference": [-0.16, 0.02, -0.04],
         "significant": [True, False, False], "verdict": ["Below", "Within noise", "Within noise"]}
    )  # fmt: skip
    spec = _spec(district_heatmap(districts, {"1": "North", "2": "South"}))
    cells, outlines, *_ = spec["layer"]
    assert cells["encoding"]["color"]["field"] == "difference"  # every cell, not only the significant one
    rows = spec["datasets"][outlines["data"]["name"]]
    assert [row["district"] for row in rows] == ["North"]
    assert cells["encoding"]["x"]["sort"] == ["North", "South", "3"]  # a code without a name stays a code


def _month_labels(chart) -> list[str]:  # type: ignore[no-untyped-def]
    """The x-axis labels Vega draws at a page's width."""
    svg = vl_convert.vegalite_to_svg(chart.properties(width=700).to_dict(), allowed_base_urls=[])
    return re.findall(r"<text[^>]*>([A-Z][a-z]{2} \d{4})</text>", svg)


@pytest.mark.parametrize(("first", "months", "every"), [("2025-01", 6, 1), ("2024-11", 12, 1), ("2023-01", 30, 3)])
@pytest.mark.parametrize("builder", ["trend_lines", "channel_mix", "theme_lines"])
def test_a_time_axis_names_each_month_once_and_at_most_twelve(
    builder: str, first: str, months: int, every: int
) -> None:
    periods = [str(p) for p in pd.period_range(first, periods=months, freq="M")]
    if builder == "theme_lines":
        frame = pd.DataFrame({"month": periods, "theme": 0, "name": "Potholes on Main Street", "contacts": 5})
        chart = charts.theme_lines(frame)
    elif builder == "channel_mix":
        frame = pd.DataFrame({"period": periods, "group": "phone", "share": 1.0})
        chart = charts.channel_mix(frame)
    else:
        frame = pd.DataFrame({"period": periods, "group": "Potholes", "contacts": range(months)})
        chart = charts.trend_lines(frame, {"Potholes": charts.HIGHLIGHT})
    labels = _month_labels(chart)
    expected = [pd.Period(p).strftime("%b %Y") for p in periods if (pd.Period(p).month - 1) % every == 0]
    assert labels == expected


def test_a_forecast_widens_the_axis_steps_with_its_months() -> None:
    periods = [str(p) for p in pd.period_range("2025-11", periods=12, freq="M")]
    frame = pd.DataFrame({"period": periods, "group": "Potholes", "contacts": range(12)})
    ahead = pd.DataFrame({"period": ["2026-11", "2026-12", "2027-01"], "group": "Potholes", "forecast": 12.0,
                          "lower": 10.0, "upper": 14.0})  # fmt: skip
    labels = _month_labels(charts.trend_lines(frame, {"Potholes": charts.HIGHLIGHT}, forecast=ahead))
    assert labels == ["Nov 2025", "Jan 2026", "Mar 2026", "May 2026", "Jul 2026", "Sep 2026", "Nov 2026", "Jan 2027"]


@pytest.mark.parametrize("builder", ["trend_lines", "theme_lines", "monthly_bars", "year_over_year_lines"])
def test_a_count_axis_names_each_count_once(builder: str) -> None:
    periods = [str(p) for p in pd.period_range("2025-01", periods=12, freq="M")]
    few = [0, 1, 4, 2, 0, 3, 1, 0, 2, 4, 1, 3]  # a category with a handful of contacts a month
    if builder == "theme_lines":
        chart = charts.theme_lines(pd.DataFrame({"month": periods, "theme": 0, "name": "Potholes", "contacts": few}))
    elif builder == "monthly_bars":
        chart = charts.monthly_bars(pd.DataFrame({"month": periods, "contacts": few}), highlight=periods[-1])
    elif builder == "year_over_year_lines":
        chart = charts.year_over_year_lines(pd.DataFrame({"year": 2025, "month_number": range(1, 13), "contacts": few}))
    else:
        chart = charts.trend_lines(pd.DataFrame({"period": periods, "group": "Potholes", "contacts": few}),
                                   {"Potholes": charts.HIGHLIGHT})  # fmt: skip
    svg = vl_convert.vegalite_to_svg(chart.properties(width=700).to_dict(), allowed_base_urls=[])
    counts = re.findall(r"<text[^>]*>(\d+)</text>", svg)
    assert counts == sorted(set(counts), key=int) and counts[0] == "0" and "4" in counts
