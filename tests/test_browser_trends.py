"""The Trends page in headless Chromium on the demo county: emerging issues, the chart, no errors."""

from __future__ import annotations

import pytest

from tests.browser import chromium_page, open_page, running_app, screenshot

pytestmark = pytest.mark.browser


def test_trends_page_shows_emerging_issues_and_the_chart(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page() as page:
        open_page(page, f"{url}/trends")
        page.wait_for_selector("h1:has-text('Trends')")
        page.wait_for_function("document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= 1")
        main = page.inner_text('[data-testid="stMain"]')
        assert "Flooding / standing water in District 3:" in main
        assert "Dashed: the next three months" in main
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "trends")
