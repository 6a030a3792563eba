"""AppTest of the Overview page: an empty store, and the demo county checked against its frame."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app_page, plain_texts


def _run(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    return open_app_page(monkeypatch, url)


def test_empty_store_says_what_to_do(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    app = _run(monkeypatch, sqlite_url)
    assert app.title[0].value == "Overview"
    assert "No contacts yet" in app.info[0].value
    assert not app.metric


def test_demo_county_figures(monkeypatch: pytest.MonkeyPatch, demo_store_url: str, demo_county) -> None:
    app = _run(monkeypatch, demo_store_url)
    requests = demo_county.requests
    by_month = requests.groupby("opened_month").size()
    october = requests[requests["opened_month"] == "2026-10"]
    metrics = {m.label: m for m in app.metric}

    contacts = metrics["Contacts in Oct 2026"]
    assert contacts.value == f"{by_month['2026-10']:,}"
    change = (by_month["2026-10"] - by_month["2026-09"]) / by_month["2026-09"] * 100
    assert contacts.delta == f"{change:+.1f}% vs Sep 2026"
    assert metrics["Oct 2025, a year before"].value == f"{by_month['2025-10']:,}"
    on_year = (by_month["2026-10"] - by_month["2025-10"]) / by_month["2025-10"] * 100
    assert metrics["Oct 2025, a year before"].delta == f"Oct 2026 is {on_year:+.1f}% on this"
    median = october["days_to_close"].median()
    assert metrics["Median days to close"].value == f"{median:.1f}"
    assert metrics["Median days to close"].delta == f"{october['closed_at'].isna().sum():,} still open"
    online = october["channel"].isin(["web", "app", "e-mail"]).mean()
    assert metrics["Online (web, app, e-mail)"].value == f"{online:.0%}"
    assert plain_texts(app, "caption")[0].startswith("Latest complete month: Oct 2026 · data last uploaded")
    emerging = plain_texts(app, "warning")
    planted = demo_county.planted_rises
    for category, district in zip(planted["category"], planted["district_code"], strict=True):
        expected = f"{category} in District {district}:"
        assert any(s.startswith(f"New · {expected}") for s in emerging), category
    assert [s.value for s in app.subheader] == [
        "What's emerging",
        "Contacts per month",
        "Top categories in Oct 2026",
        "How residents got in touch",
    ]
