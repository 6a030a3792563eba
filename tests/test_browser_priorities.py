"""The Priorities page and its presentation view in headless Chromium on the demo county."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.browser import chromium_page, open_page, running_app, screenshot
from voc.cli import main
from voc.core.access import Role
from voc.priorities.funding import FundingRules
from voc.priorities.scenarios import save_scenario
from voc.store.engine import open_store

pytestmark = pytest.mark.browser
CHART = "document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= 1"


def test_presentation_view_has_large_type_no_sidebar_and_one_chart(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page(width=1600, height=1000) as page:
        open_page(page, f"{url}/priorities?present=1")
        page.wait_for_selector("h1:has-text('The ten strongest candidates')")
        page.wait_for_function(CHART)
        assert (
            page.locator('[data-testid="stSidebar"]').count() == 0
            or not page.locator('[data-testid="stSidebar"]').is_visible()
        )
        size = page.eval_on_selector("h1", "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 50
        assert page.locator(".vega-embed").count() == 1
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "priorities-present-ranking")

        # A bound widget with labels keeps its label in the URL.
        open_page(page, f"{url}/priorities?present=1&priorities_screen=How+solid")
        page.wait_for_selector("h1:has-text('hold their rank')")
        page.wait_for_function(CHART)
        screenshot(page, "priorities-present-stability")


def test_priorities_page_shows_sliders_chart_and_table(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page() as page:
        open_page(page, f"{url}/priorities?priorities_w_demand=60")
        page.wait_for_selector("h1:has-text('Priorities')")
        page.wait_for_function(CHART)
        main = page.inner_text('[data-testid="stMain"]')
        assert "Customer demand" in main and "How one candidate's score is built" in main
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "priorities")


def test_a_budget_draws_the_funding_line(demo_store_url: str) -> None:
    with running_app(demo_store_url) as url, chromium_page(height=4200) as page:
        # A bound multiselect keeps its options' labels in the URL.
        mandated = "Widen+SR-52+from+Hays+Rd+to+Starkey+Blvd+%28CIP-026%29"
        open_page(page, f"{url}/priorities?priorities_budget=25000000&priorities_mandated={mandated}")
        page.wait_for_selector("h3:has-text('The funding line')")
        page.wait_for_function(CHART.replace(">= 1", ">= 2"))
        # The buttons follow the funding chart in the same run; under load they can arrive a moment later.
        for suffix in ("PDF", "HTML"):
            page.wait_for_selector(f"button:has-text('Download the meeting pack ({suffix})')")
        main = page.inner_text('[data-testid="stMain"]')
        assert "A budget of $25,000,000 funds " in main and ", 1 of them mandated." in main
        assert "At $22,500,000 (-10%)" in main and "At $27,500,000 (+10%)" in main
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "priorities-funding")


def test_the_html_pack_reads_in_a_browser(monkeypatch: pytest.MonkeyPatch, demo_copy: str, tmp_path: Path) -> None:
    engine = open_store(demo_copy)
    save_scenario(engine, "Wall", {"demand": 40}, funding=FundingRules(25e6), user="ana", role=Role.ANALYST)
    engine.dispose()
    monkeypatch.setenv("VOC_DATABASE_URL", demo_copy)
    out = tmp_path / "pack.html"
    assert CliRunner().invoke(main, ["pack", "--scenario", "Wall", "--out", str(out)]).exit_code == 0
    with chromium_page(width=1200, height=1400) as page:
        page.goto(out.as_uri())
        page.wait_for_selector("h1:has-text('Priorities for the budget meeting')")
        assert page.locator("tr.line").first.inner_text().startswith("Funding line: $25,000,000")
        widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
        assert len(widths) == 2 and min(widths) > 0  # both charts decoded from their inline PNG
        screenshot(page, "meeting-pack-html")
