"""The Map page in headless Chromium: hostile names from uploads stay text, and the map needs no internet."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from tests.browser import SCRIPT_FINISHED, chromium_page, open_page, running_app, screenshot

pytestmark = pytest.mark.browser

DISTRICT_PAYLOAD = "<img src=x onerror=window.__voc_xss=1>"
CATEGORY_PAYLOAD = "<script>window.__voc_xss=2</script>Potholes"


@pytest.fixture
def hostile_store(demo_copy: str) -> str:
    """A copy of the demo county whose District 3 and Potholes carry script payloads in their names."""
    url = demo_copy
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE districts SET name = :name WHERE code = '3'"), {"name": DISTRICT_PAYLOAD})
        for table in ("service_requests", "monthly_counts", "weekly_counts", "monthly_cell_counts"):
            connection.execute(
                sa.text(f"UPDATE {table} SET category = :name WHERE category = 'Potholes'"), {"name": CATEGORY_PAYLOAD}
            )
    engine.dispose()
    return url


def test_names_from_uploads_stay_text_in_tooltips_tables_and_profile(hostile_store: str) -> None:
    dialogs: list[str] = []
    outside: list[str] = []
    with running_app(hostile_store) as url, chromium_page(width=1600, height=1600) as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on(
            "request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in (None, "127.0.0.1") else None
        )
        open_page(page, f"{url}/map")
        canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
        canvas.wait_for()
        tooltip = page.locator(".deck-tooltip")
        found = _hover_until_tooltip_names(page, canvas, tooltip, DISTRICT_PAYLOAD)
        if not found:
            shown = screenshot(page, "map_without_tooltip")
            pytest.fail(f"no tooltip named the hostile district (the page as it was: {shown})")
        assert "contacts" in tooltip.inner_text()
        page.mouse.click(*found)
        page.wait_for_selector(f"h3:has-text('{DISTRICT_PAYLOAD}')")
        page.wait_for_selector(SCRIPT_FINISHED)
        page.wait_for_function("document.querySelectorAll('.vega-embed').length >= 3")
        main = page.inner_text('[data-testid="stMain"]')
        assert f"{DISTRICT_PAYLOAD} (" in main
        assert page.evaluate("window.__voc_xss") is None
        assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "map_profile")
    assert dialogs == []
    assert outside == [], f"the map reached outside the server: {outside[:3]}"


def _hover_until_tooltip_names(page, canvas, tooltip, text: str) -> tuple[float, float] | None:  # type: ignore[no-untyped-def]
    """Sweep the pointer over the map until a tooltip shows the text; each sweep dwells longer, because under a
    loaded machine deck.gl draws the districts (and can pick them) well after its canvas appears. Each sweep
    measures the canvas again: under load the page is still laying out (the legend and table beside the map
    arrive later) when the canvas first appears, and a sweep over its first place misses the districts."""
    for dwell_ms in (60, 200, 600, 1500):
        box = canvas.bounding_box()
        assert box is not None
        for row in range(2, 9):
            for column in range(2, 12):
                x, y = box["x"] + box["width"] * column / 13, box["y"] + box["height"] * row / 10
                page.mouse.move(x, y)
                page.wait_for_timeout(dwell_ms)
                if tooltip.count() and text in tooltip.inner_text():
                    return x, y
    return None
