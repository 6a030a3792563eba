"""AppTest of the Priorities page: empty store, the demo county's ranking with sliders, scenarios, presentation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
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
    assert "Demand first" in app.selectbox(key="priorities_scenario").options  # in the list at once, no rerun
    app.slider(key="priorities_w_demand").set_value(5).run()
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


def test_a_budget_funds_the_best_set_live_and_a_scenario_keeps_it(
    monkeypatch: pytest.MonkeyPatch, demo_copy: str
) -> None:
    app = _priorities(monkeypatch, demo_copy)
    assert "funding" not in _table(app, "best_rank").columns  # no budget, no line
    app.number_input(key="priorities_budget").set_value(20_000_000).run()
    assert not app.exception
    table = _table(app, "best_rank")
    funded = table[table["funding"].str.startswith("Funded")]
    assert 0 < funded["estimated_cost"].sum() <= 20_000_000
    assert any(t.value.startswith("A budget of $20,000,000 funds ") for t in app.text)

    app.multiselect(key="priorities_mandated").set_value(["CIP-026"]).run()
    app.multiselect(key="priorities_excluded").set_value([funded["source_id"].iloc[0]]).run()
    table = _table(app, "best_rank").set_index("source_id")
    assert table.loc["CIP-026", "funding"] == "Funded (mandated)"
    assert table.loc[funded["source_id"].iloc[0], "funding"] == "Excluded"

    app.text_input(key="priorities_scenario_name").input("Wall").run()
    app.button(key="priorities_scenario_save").click().run()
    app.number_input(key="priorities_budget").set_value(None).run()
    app.multiselect(key="priorities_mandated").set_value([]).run()
    app.selectbox(key="priorities_scenario").set_value("Wall").run()
    app.button(key="priorities_scenario_load").click().run()
    assert not app.exception
    assert app.number_input(key="priorities_budget").value == 20_000_000
    assert app.multiselect(key="priorities_mandated").value == ["CIP-026"]

    app.number_input(key="priorities_budget").set_value(1_000).run()
    assert plain_texts(app, "error")[0].startswith("The mandated candidates alone cost $18,892,000")


def test_members_pairwise_weights_save_and_combine_into_the_committees(
    monkeypatch: pytest.MonkeyPatch, demo_copy: str
) -> None:
    app = _priorities(monkeypatch, demo_copy)
    weights = _table(app, "weight")
    assert (
        weights["weight"].sum() == 100 and weights["weight"].max() - weights["weight"].min() <= 1
    )  # all equal, to the rounding
    # Demand 9 times as important as every other criterion: the first 9 pairs of 45 (demand is first of 10).
    app.session_state["priorities_ahp_judgements"] = {
        "edited_rows": {row: {"judgement": "9"} for row in range(9)}, "added_rows": [], "deleted_rows": []
    }  # fmt: skip
    app.run()
    assert not app.exception
    weights = _table(app, "weight").set_index("criterion")["weight"]
    assert weights["Customer demand"] == 50 and weights.sum() == 100  # 9/18 of the total
    assert any(c.value.startswith("Consistency ratio 0.000") for c in app.caption)
    app.text_input(key="priorities_ahp_member").input("Ana").run()
    app.button(key="priorities_ahp_save").click().run()
    assert plain_texts(app, "success")[0] == "Saved “Ana”."

    app.session_state["priorities_ahp_judgements"] = {
        "edited_rows": {0: {"judgement": "1/9"}, 1: {"judgement": "9"}, 8: {"judgement": "9"}},
        "added_rows": [], "deleted_rows": [],
    }  # fmt: skip
    app.run()
    assert any(w.value.startswith("Consistency ratio") and "contradict" in w.value for w in app.warning)
    app.multiselect(key="priorities_ahp_members").set_value(["Ana"]).run()
    app.text_input(key="priorities_ahp_committee").input("Committee").run()
    app.button(key="priorities_ahp_combine").click().run()
    assert not app.exception
    assert plain_texts(app, "success")[0] == "Saved “Committee” from 1 member."
    app.run()  # the list of scenarios is drawn above the button that saved one
    app.selectbox(key="priorities_scenario").set_value("Committee").run()
    app.button(key="priorities_scenario_load").click().run()
    assert app.slider(key="priorities_w_demand").value == 50


def test_a_fund_budget_holds_its_candidates_and_a_scenario_keeps_it(
    monkeypatch: pytest.MonkeyPatch, demo_copy: str
) -> None:
    app = _priorities(monkeypatch, demo_copy)
    app.number_input(key="priorities_budget").set_value(30_000_000).run()
    table = _table(app, "best_rank")
    funded = table[table["funding"].str.startswith("Funded")]
    gas_tax = funded.loc[funded["fund"] == "Gas tax", "estimated_cost"].sum()
    assert gas_tax > 1_000_000  # the gas tax pays for some of the best set without a limit of its own
    app.number_input(key="priorities_fund_budget_Gas tax").set_value(1_000_000).run()
    assert not app.exception
    table = _table(app, "best_rank")
    funded = table[table["funding"].str.startswith("Funded")]
    assert 0 < funded.loc[funded["fund"] == "Gas tax", "estimated_cost"].sum() <= 1_000_000
    assert funded["estimated_cost"].sum() <= 30_000_000
    said = [t.value for t in app.text if t.value.startswith("Within the budgets by fund")]
    assert said and said[0].startswith("Within the budgets by fund and fiscal year: Gas tax $")

    app.text_input(key="priorities_scenario_name").input("Roads capped").run()
    app.button(key="priorities_scenario_save").click().run()
    app.number_input(key="priorities_fund_budget_Gas tax").set_value(None).run()
    app.selectbox(key="priorities_scenario").set_value("Roads capped").run()
    app.button(key="priorities_scenario_load").click().run()
    assert not app.exception
    assert app.number_input(key="priorities_fund_budget_Gas tax").value == 1_000_000


def test_no_fund_or_year_controls_for_candidates_without_them(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    engine = sa.create_engine(demo_copy)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE candidates SET fund = NULL, fiscal_year = NULL"))
    app = _priorities(monkeypatch, demo_copy)
    assert not [e for e in app.expander if e.label == "Budgets by fund and fiscal year"]
    assert not [n for n in app.number_input if n.key.startswith("priorities_fund_budget_")]
