"""AppTest of the Trends page on an empty store and on the demo county (a copy, since actions are written)."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import only_table, open_app_page, open_shared_url, open_tab, plain_texts


def _trends(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    return open_app_page(monkeypatch, url, "pages/trends.py")


def test_empty_store(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _trends(monkeypatch, sqlite_url)
    assert "No contacts yet" in app.info[0].value


def test_demo_trends_drill_down_and_action(monkeypatch: pytest.MonkeyPatch, demo_copy: str, demo_county) -> None:
    app = _trends(monkeypatch, demo_copy)
    requests = demo_county.requests
    assert app.select_slider(key="trends_months").value == ("2024-11", "2026-10")
    captions = [c.value for c in app.caption]
    assert any("The 7 largest by category" in c for c in captions)
    assert any(c.startswith("Dashed: the next three months") for c in captions)
    assert len(plain_texts(app, "warning")) == 3  # one per planted rise

    app.selectbox(key="trends_drill_month").set_value("2026-10").run()
    app.selectbox(key="trends_drill_group").set_value("Potholes").run()
    assert not app.exception
    october_potholes = requests[(requests["opened_month"] == "2026-10") & (requests["category"] == "Potholes")]
    shown = only_table(app, "source_id")
    assert len(shown) == min(500, len(october_potholes))
    assert set(shown["category"]) == {"Potholes"}

    open_tab(app, "trends_tab", "Service performance")
    performance = only_table(app, "median_days").set_index("category")
    year = requests[(requests["opened_month"] >= "2024-11") & (requests["category"] == "Potholes")]
    assert performance.loc["Potholes", "contacts"] == len(year)
    median = year["days_to_close"].median()  # from the days-to-close histogram: within 2% or half a day
    assert performance.loc["Potholes", "median_days"] == pytest.approx(median, abs=max(0.5, 0.02 * median))

    app.segmented_control(key="trends_by").set_value("channel").run()
    app.toggle(key="trends_per_1000").set_value(True).run()
    assert not app.exception

    open_tab(app, "trends_tab", "Actions")
    # No action yet: the panel says what an action is and how to record one, rather than an empty table.
    assert any(info.value.startswith("No actions recorded yet.") for info in app.info)
    app.date_input(key="trends_action_date").set_value(date(2026, 5, 1))
    app.selectbox(key="trends_action_category").set_value("Potholes")
    app.text_area(key="trends_action_description").input("New pothole crew on night shifts")
    app.button(key="FormSubmitter:trends_action_form-Record the action").click().run()
    assert not app.exception
    assert plain_texts(app, "success")[0].startswith("Recorded")
    assert "New pothole crew on night shifts" in only_table(app, "recorded_by")["description"].tolist()
    effect = next(t for t in plain_texts(app, "body") if t.startswith("New pothole crew on night shifts ("))
    assert "May 2026–Oct 2026" in effect and "expected from the season" in effect


def _opened_at(monkeypatch: pytest.MonkeyPatch, url: str, query: dict[str, str | list[str]]) -> AppTest:
    return open_shared_url(monkeypatch, url, "pages/trends.py", query)


def _view(app: AppTest) -> dict[str, object]:
    return {
        "by": app.segmented_control(key="trends_by").value,
        "period": app.segmented_control(key="trends_period").value,
        "months": app.select_slider(key="trends_months").value,
        "categories": app.multiselect(key="trends_category").value,
        "districts": app.multiselect(key="trends_district_code").value,
        "per_1000": app.toggle(key="trends_per_1000").value,
        "drill_month": app.selectbox(key="trends_drill_month").value,
        "drill_group": app.selectbox(key="trends_drill_group").value,
        "words_category": app.selectbox(key="trends_words_category").value,
        "tab": app.session_state["trends_tab"],
    }


EXPECTED_VIEW = {
    "by": "district_code",
    "period": "month",
    "months": ("2025-01", "2025-06"),
    "categories": ["Potholes", "Noise"],
    "districts": ["3"],
    "per_1000": True,
    "drill_month": "2025-03",
    "drill_group": "3",
    "words_category": "Noise",
    "tab": "What residents write",
}


@pytest.mark.parametrize(
    "query",
    [
        {"trends_by": "district_code", "trends_period": "month", "trends_months": ["2025-01", "2025-06"],
         "trends_drill_month": "2025-03"},
        {"trends_by": "District", "trends_period": "Month", "trends_months": ["Jan 2025", "Jun 2025"],
         "trends_drill_month": "Mar 2025"},
    ],
    ids=["values", "labels"],
)  # fmt: skip
def test_a_hand_written_url_restores_the_view_exactly(
    monkeypatch: pytest.MonkeyPatch, demo_store_url: str, query: dict
) -> None:
    query = {
        **query,
        "trends_category": ["Potholes", "Noise"],
        "trends_district_code": "3",
        "trends_per_1000": "true",
        "trends_drill_group": "3",
        "trends_tab": "What residents write",
        "trends_words_category": "Noise",
    }
    app = _opened_at(monkeypatch, demo_store_url, query)
    assert _view(app) == EXPECTED_VIEW
