"""The Overview in a real browser: served by `streamlit run`, opened in headless Chromium."""

from __future__ import annotations

import pytest

from tests.browser import chromium_page, open_page, running_app, screenshot

pytestmark = pytest.mark.browser


def test_overview_renders_the_demo_county_in_chromium(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page() as page:
        open_page(page, url)
        page.wait_for_selector("h1:has-text('Overview')")
        page.wait_for_selector('[data-testid="stMetric"]')
        page.wait_for_function("document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= 3")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stMetric"]').count() == 4
        assert "Contacts in Oct 2026" in page.inner_text('[data-testid="stMain"]')
        path = screenshot(page, "overview")
        assert path.stat().st_size > 50_000


def test_empty_store_shows_what_to_do_next(sqlite_url: str) -> None:
    with running_app(sqlite_url) as url, chromium_page() as page:
        open_page(page, url)
        page.wait_for_selector("h1:has-text('Overview')")
        assert "No contacts yet" in page.inner_text('[data-testid="stMain"]')
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "overview-empty")
