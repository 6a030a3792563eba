"""AppTest of the Priorities page: empty store, the demo county's ranking with sliders, scenarios, presentation."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app_page, plain_texts

CRITERIA = ["demand", "trend", "repeat", "survey", "condition", "cost", "equity", "health_safety", "regulatory"]


def _priorities(monkeypatch: pytest.MonkeyPatch, url: str, *, present: bool = False) -> AppTest:
    query = {"present": "1"} if present else None
    return open_app_page(monkeypatch, url, "pages/priorities.py", query=query, timeout=180)


def _table(app: AppTest, column: str):
    (table,) = (frame.value for frame in app.dataframe if column in frame.value.columns)
    return table


def test_empty_store(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _priorities(monkeypatch, sqlite_url)
    assert app.info[0].value.startswith("No candidates yet")


def test_sliders_rerank_at_once_and_the_breakdown_adds_up(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    app = _priorities(monkeypatch, demo_copy)
    assert [app.slider(key=f"priorities_w_{key}").value for key in CRITERIA] == [30, 10, 10, 10, 15, 10, 15, 15, 15]
    table = _table(app, "best_rank")
    assert len(table) == 40 and table["rank"].tolist() == list(range(1, 41))
    assert table["total"].is_monotonic_decreasing
    assert ((table["best_rank"] <= table["rank"]) & (table["rank"] <= table["worst_rank"])).all()
    no_one_moves = "Removing any one of the 40 candidates changes no other candidate's place"
    assert any(no_one_moves in c.value for c in app.caption)

    for key in CRITERIA:
        app.slider(key=f"priorities_w_{key}").set_value(100 if key == "demand" else 0)
    app.run()
    assert not app.exception
    by_demand = _table(app, "best_rank")
    assert by_demand["per_1000"].is_monotonic_decreasing
    assert by_demand["rank"].tolist() == list(range(1, 41))

    app.slider(key="priorities_w_cost").set_value(100).run()
    assert not app.exception
    cheap = _table(app, "best_rank")
    assert cheap["name"].tolist() != by_demand["name"].tolist()

    top = cheap.iloc[0]
    app.selectbox(key="priorities_candidate").set_value(top["source_id"]).run()
    parts = _table(app, "weight_share")
    assert parts["criterion"].iloc[-1] == "Total"
    assert parts.set_index("criterion").loc["Cost", "scale"].startswith("$1 per resident or less scores 100")
    assert parts["points"].iloc[-1] == pytest.approx(top["total"])
    assert parts["points"].iloc[:-1].sum() == pytest.approx(top["total"])
    assert parts.set_index("criterion").loc[["Customer demand", "Cost"], "weight_share"].tolist() == [0.5, 0.5]

    app.multiselect(key="priorities_kind").set_value(["maintenance"]).run()
    assert not app.exception
    maintenance = _table(app, "best_rank")
    assert set(maintenance["kind"]) == {"maintenance"} and maintenance["rank"].iloc[0] == 1


def test_scenarios_save_and_load(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    app = _priorities(monkeypatch, demo_copy)
    app.slider(key="priorities_w_demand").set_value(80).run()
    app.text_input(key="priorities_scenario_name").input("Demand first").run()
    app.button(key="priorities_scenario_save").click().run()
    assert not app.exception
    assert plain_texts(app, "success") == ["Saved “Demand first”."]
    app.slider(key="priorities_w_demand").set_value(5).run()
    assert "Demand first" in app.selectbox(key="priorities_scenario").options
    app.selectbox(key="priorities_scenario").set_value("Demand first").run()
    app.button(key="priorities_scenario_load").click().run()
    assert not app.exception
    assert app.slider(key="priorities_w_demand").value == 80


def test_presentation_view_shows_one_idea_per_screen(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    app = _priorities(monkeypatch, demo_copy, present=True)
    assert plain_texts(app, "title") == ["The ten strongest candidates"]
    titles = {}
    for screen in ["value", "stability", "candidate", "weights"]:
        app.segmented_control(key="priorities_screen").set_value(screen).run()
        assert not app.exception
        (titles[screen],) = plain_texts(app, "title")
    assert titles["value"] == "Linked contacts per $1 million"
    assert titles["stability"].endswith("of the top 10 hold their rank")
    assert titles["weights"] == "The weights"
    app.slider(key="priorities_w_demand").set_value(100).run()
    assert not app.exception
    app.button(key="priorities_leave").click().run()
    assert not app.exception
    assert "present" not in app.query_params
