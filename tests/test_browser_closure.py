"""Service performance on Trends in headless Chromium on the demo county: what "closed" meant, readable."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, chromium_page, open_page, running_app

pytestmark = pytest.mark.browser


def test_service_performance_shows_time_to_acknowledge_reopens_business_days_and_incidents(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page(width=1600, height=1400) as page:
        open_page(page, f"{url}/trends?trends_tab=Service+performance", timeout_ms=180_000)
        page.wait_for_selector('[data-testid="stMetric"]:has-text("Reopened after closure")', timeout=180_000)
        metrics = page.locator('[data-testid="stMetric"]')
        shown = [metrics.nth(index).inner_text() for index in range(metrics.count())]
        reopened = next(text for text in shown if text.startswith("Reopened after closure"))
        assert "%" in reopened and " closed" in reopened
        assert any(text.startswith("Median to close") and "business days" in text for text in shown)
        assert any(text.startswith("Incidents") and "contacts" in text for text in shown)
        acknowledge = next(text for text in shown if text.startswith("Median to acknowledge"))
        assert " hours" in acknowledge and "90% within " in acknowledge
        satisfied = next(text for text in shown if text.startswith("Satisfied after closure"))
        assert "%" in satisfied and " answers" in satisfied
        # Every card's label and figure is shown whole: an ellipsis would hide it from the back of the room.
        values = page.locator('[data-testid="stMetricValue"], [data-testid="stMetricLabel"] p')
        assert all("…" not in values.nth(index).inner_text() for index in range(values.count()))
        assert all(values.nth(index).evaluate("e => e.scrollWidth <= e.clientWidth") for index in range(values.count()))
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel = page.locator('[data-testid="stTabs"]').first
        panel.scroll_into_view_if_needed()
        panel.screenshot(path=str(ARTIFACTS / "trends-service-performance.png"))
