"""Every chart on a page has a PNG download beside it, every table a CSV and an XLSX download."""

from __future__ import annotations

import pytest

from tests.apptest import open_app_page


def _elements_in_order(node) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """Return (type, key) of every chart, table and download button, in the order a reader meets them.

    A map's legend is part of the map, not a chart of its own, and an editable table is an input
    (the committee's judgements), not figures to take away: both are left out.
    """
    found = []
    kind = getattr(node, "type", None)
    if kind == "vega_lite_chart" and "map legend" in node.proto.spec:
        return found
    if kind == "dataframe" and node.proto.editing_mode:
        return found
    if kind in ("vega_lite_chart", "dataframe", "download_button"):
        found.append((kind, getattr(node, "key", None)))
    for child in getattr(node, "children", {}).values():
        found += _elements_in_order(child)
    return found


def _downloads_beside(elements: list[tuple[str, str | None]]) -> tuple[int, int]:
    """Check each chart is followed by its PNG button and each table by CSV and XLSX; count them."""
    charts = tables = 0
    for index, (kind, _key) in enumerate(elements):
        following = [key or "" for _, key in elements[index + 1 : index + 3]]
        if kind == "vega_lite_chart":
            charts += 1
            assert following[0].endswith("_png"), elements[index : index + 2]
        elif kind == "dataframe":
            tables += 1
            assert following[0].endswith("_csv") and following[1].endswith("_xlsx"), elements[index : index + 3]
    return charts, tables


# Trends runs only its open tab: each tab is a view of its own (with the chart and records above the tabs).
TRENDS_TABS = {
    "Year over year": (2, 1), "Channel mix": (2, 1), "Service performance": (1, 2), "What residents write": (1, 3),
    "Themes": (1, 1), "Actions": (1, 1), "Questions to answer": (1, 2),
}  # fmt: skip


@pytest.mark.parametrize(
    ("page", "query", "charts", "tables"),
    [
        ("pages/overview.py", {}, 3, 0),
        *[("pages/trends.py", {"trends_tab": tab}, *counts) for tab, counts in TRENDS_TABS.items()],
        ("pages/map.py", {}, 0, 1),
        ("pages/surveys.py", {}, 4, 3),
        ("pages/priorities.py", {}, 2, 5),
    ],
    ids=["overview", *[f"trends-{tab}" for tab in TRENDS_TABS], "map", "surveys", "priorities"],
)
def test_every_chart_and_table_can_be_downloaded(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str, page: str, query: dict[str, str], charts: int, tables: int
) -> None:
    app = open_app_page(monkeypatch, demo_store_url, page, query=query)
    assert _downloads_beside(_elements_in_order(app._tree)) == (charts, tables)
    labels = {button.key: button.label for button in app.download_button}
    assert {labels[key] for key in labels if key.endswith("_png")} == ({"Download PNG"} if charts else set())
    assert {labels[key] for key in labels if key.endswith(("_csv", "_xlsx"))} <= {"Download CSV", "Download XLSX"}
