"""The Surveys page in headless Chromium on the demo county: margins, districts, quadrant, complaints."""

from __future__ import annotations

import pytest

from tests.browser import chromium_page, open_page, running_app, screenshot

pytestmark = pytest.mark.browser


def test_surveys_page_shows_margins_districts_and_priorities(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page(height=5200) as page:
        open_page(page, f"{url}/surveys")
        page.wait_for_selector("h1:has-text('Surveys')")
        page.wait_for_function("document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= 4")
        main = page.inner_text('[data-testid="stMain"]')
        assert "How satisfied residents are, 2026 (county-wide)" in main
        assert "Each district against the rest of the county" in main
        assert "changes are larger than sampling noise at the 95% level" in main
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "surveys")
